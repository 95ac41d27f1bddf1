// Requests from the mailbox, acted on at the next reset by iROT (the urot
// domain) and uROT (sm, app):
// the key-compromise story on the virtual device, every refusal leaving OTP
// and flash untouched, hostile mailboxes, and the outcomes in the boot report.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "boot/boot_report.h"
#include "boot/boot_stages.h"
#include "boot/boot_update.h"
#include "cose/cose.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "keys/key_domain.h"
#include "mailbox/mailbox.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "revocation/revocation.h"
#include "revocation/revocation_command.h"
#include "support/test_images.h"
#include "support/test_keys.h"
#include "virtual_device/virtual_device.h"

namespace bastion {
namespace {

using boot::RequestOutcome;
using host::VirtualDevice;
using image::ImageError;
using otp::Component;
using revocation::RefusalReason;
using test_support::Kid;
using test_support::MakeKey;
using test_support::Spki;

// A 2000-byte image with SEC_CNT 0.
std::vector<uint8_t> SignImage(const crypto::EcKeyPair& key, uint8_t major, bool full_key = false) {
  return test_support::SignTestImage(key, major, 0, 2000, full_key);
}

// A revocation command for `domain` revoking `slots` at `sequence`, signed
// by each of `signers` (COSE_Sign, kid = key hash).
std::vector<uint8_t> RevokeCommand(Component domain, std::vector<uint8_t> slots, uint32_t sequence,
                                   const std::vector<const crypto::EcKeyPair*>& signers) {
  revocation::RevocationCommand c;
  c.domain = domain;
  for (size_t i = 0; i < slots.size(); ++i) c.slots[i] = slots[i];
  c.slot_count = static_cast<uint8_t>(slots.size());
  c.sequence = sequence;
  std::vector<uint8_t> payload(revocation::kMaxPayloadSize);
  size_t n = 0;
  EXPECT_TRUE(revocation::EncodeCommand(c, payload, &n).ok());
  payload.resize(n);
  std::vector<std::array<uint8_t, 32>> kids;
  for (const auto* k : signers) kids.push_back(Kid(*k));
  std::vector<cose::SignerInput> inputs;
  for (size_t i = 0; i < signers.size(); ++i) inputs.push_back({signers[i], kids[i]});
  std::vector<uint8_t> out(2048);
  size_t m = 0;
  EXPECT_TRUE(cose::BuildCoseSign(payload, inputs, {}, out, &m).ok());
  out.resize(m);
  return out;
}

class RevocationBootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    urot_key_ = MakeKey(11);
    sm_key_ = MakeKey(12);
    for (uint8_t i = 0; i < 3; ++i) app_[i] = MakeKey(static_cast<uint8_t>(20 + i));
    profile_.geometry = host::DefaultGeometry();
    profile_.layout = host::DefaultLayout(profile_.geometry);
    profile_.domains[0].keys = {Spki(urot_key_), Spki(MakeKey(13))};
    profile_.domains[0].threshold = 1;
    profile_.domains[1].keys = {Spki(sm_key_)};
    profile_.domains[1].threshold = 1;
    profile_.domains[2].keys = {Spki(app_[0]), Spki(app_[1]), Spki(app_[2])};
    profile_.domains[2].threshold = 2;
  }

  // urot, sm, and the app signed by app key `app_slot`.
  std::unique_ptr<VirtualDevice> Device(uint8_t app_slot) {
    auto device = VirtualDevice::InMemory(profile_.geometry);
    host::Provision(*device, profile_);
    host::FlashPrimarySlot(*device, Component::kUrot, SignImage(urot_key_, 1, true));
    host::FlashPrimarySlot(*device, Component::kSm, SignImage(sm_key_, 2));
    host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[app_slot], 3));
    return device;
  }

  static void Queue(VirtualDevice& device, const std::vector<mailbox::Request>& requests) {
    ByteSpan region;
    ASSERT_TRUE(device.Region(platform::RamRegion::kMailbox, &region).ok());
    ASSERT_TRUE(mailbox::BuildMailbox(requests.data(), requests.size(), region).ok());
  }

  static void QueueRevoke(VirtualDevice& device, const std::vector<uint8_t>& command) {
    Queue(device, {{mailbox::RequestType::kRevoke, mailbox::kAnyComponent,
                    ConstByteSpan(command.data(), command.size())}});
  }

  static otp::OtpDomain Domain(const VirtualDevice& device, Component c) {
    otp::OtpDomain d;
    std::memcpy(&d, device.raw_otp().data() + otp::DomainOffset(c), sizeof(d));
    return d;
  }

  static otp::RevocationLog Log(const VirtualDevice& device, Component c) {
    otp::RevocationLog log;
    EXPECT_TRUE(otp::ReadRevocationLog(Domain(device, c).revocations, &log));
    return log;
  }

  static uint32_t Sequence(const VirtualDevice& device, Component c) {
    return Log(device, c).sequence;
  }

  // As keys::LoadDomain reads it: marker or committed record.
  static keys::SlotState SlotState(const VirtualDevice& device, Component c, size_t slot) {
    return keys::ClassifySigningSlot(Domain(device, c), slot, Log(device, c).revoked);
  }

  static bool MailboxWiped(VirtualDevice& device) {
    ByteSpan region;
    EXPECT_TRUE(device.Region(platform::RamRegion::kMailbox, &region).ok());
    for (uint8_t b : region)
      if (b != 0) return false;
    return true;
  }

  // The boot report's entry for domain `c`: read by its stage, with these
  // signing slot states, revocation sequence and record log entries used.
  static void ExpectReported(const VirtualDevice::BootRun& run, Component c,
                             const std::array<keys::SlotState, otp::kSigningSlots>& slots,
                             uint32_t sequence, uint8_t records_used) {
    SCOPED_TRACE(otp::ComponentName(c));
    ASSERT_TRUE(run.report_valid);
    const boot::BootReportDomain& d = run.report.domains[static_cast<size_t>(c)];
    EXPECT_EQ(d.component, static_cast<uint8_t>(c));
    EXPECT_EQ(d.state, static_cast<uint8_t>(boot::DomainReport::kRead));
    for (size_t i = 0; i < otp::kSigningSlots; ++i) {
      EXPECT_EQ(d.signing_slots[i], static_cast<uint8_t>(slots[i])) << "slot " << i;
    }
    EXPECT_EQ(d.revocation_sequence, sequence);
    EXPECT_EQ(d.records_used, records_used);
    EXPECT_EQ(d.records_capacity, otp::kLogEntries);
  }

  // Boots with one revoke request queued; expects it refused with `reason`,
  // the device booted, and OTP and flash unchanged byte for byte.
  void ExpectRefusedUnchanged(VirtualDevice& device, const std::vector<uint8_t>& command,
                              uint8_t outcome) {
    QueueRevoke(device, command);
    const auto flash = device.raw_flash();
    const auto otp = device.raw_otp();
    const VirtualDevice::BootRun run = device.Boot();
    EXPECT_TRUE(run.app_reached);
    ASSERT_TRUE(run.report_valid);
    EXPECT_EQ(run.report.mailbox_error, static_cast<uint16_t>(mailbox::MailboxError::kOk));
    ASSERT_EQ(run.report.request_count, 1);
    EXPECT_EQ(run.report.requests[0].outcome, outcome)
        << boot::RequestOutcomeName(run.report.requests[0].outcome);
    EXPECT_EQ(device.raw_otp(), otp);
    EXPECT_EQ(device.raw_flash(), flash);
    EXPECT_TRUE(MailboxWiped(device));
  }

  crypto::EcKeyPair urot_key_, sm_key_;
  std::array<crypto::EcKeyPair, 3> app_;
  host::Profile profile_;
};

TEST_F(RevocationBootTest, KeyCompromiseStory) {
  // The app is signed with key 0 and boots.
  auto device = Device(0);
  ASSERT_TRUE(device->Boot().app_reached);
  const auto revoke0 = RevokeCommand(Component::kApp, {0}, 1, {&app_[1], &app_[2]});

  // Key 0 leaks. Revoking it while the only bootable app is signed by it
  // would leave the domain with nothing to boot: refused, nothing changes.
  ExpectRefusedUnchanged(*device, revoke0, static_cast<uint8_t>(RefusalReason::kNoBootableImage));
  EXPECT_EQ(SlotState(*device, Component::kApp, 0), keys::SlotState::kProvisioned);

  // With an app signed by key 1 in the primary slot, the same command applies.
  host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[1], 4));
  QueueRevoke(*device, revoke0);
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 1);
  const boot::BootReportRequest& r = run.report.requests[0];
  EXPECT_EQ(r.type, static_cast<uint8_t>(mailbox::RequestType::kRevoke));
  EXPECT_EQ(r.component, static_cast<uint8_t>(Component::kApp));
  EXPECT_EQ(r.outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(r.sequence, 1u);
  EXPECT_EQ(r.revoked_slots, 0x01);
  EXPECT_EQ(SlotState(*device, Component::kApp, 0), keys::SlotState::kRevoked);
  EXPECT_EQ(Sequence(*device, Component::kApp), 1u);
  EXPECT_TRUE(MailboxWiped(*device));
  // The app still runs with key 1 and reports it.
  EXPECT_EQ(run.report.images[2].key_slot, 1);

  // From now on an image signed by key 0 is refused.
  host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[0], 5));
  run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), ImageError::kKeyRevoked);
  host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[1], 6));
  ASSERT_TRUE(device->Boot().app_reached);

  // The thief, with key 0 only, tries to revoke key 1: refused, nothing changes.
  ExpectRefusedUnchanged(*device, RevokeCommand(Component::kApp, {1}, 7, {&app_[0]}),
                         static_cast<uint8_t>(RefusalReason::kRevokedSigner));
  EXPECT_EQ(SlotState(*device, Component::kApp, 1), keys::SlotState::kProvisioned);

  // The applied command, replayed: refused.
  ExpectRefusedUnchanged(*device, revoke0, static_cast<uint8_t>(RefusalReason::kReplay));
  EXPECT_EQ(Sequence(*device, Component::kApp), 1u);
}

// The boot report carries each domain as the boot chain left it, this
// boot's revocations applied: what the Secure Manager (HDPL2, no access to
// the domains' OTP) reports to the application.
TEST_F(RevocationBootTest, ReportShowsEachDomainAsTheBootLeftIt) {
  constexpr auto kP = keys::SlotState::kProvisioned;
  constexpr auto kR = keys::SlotState::kRevoked;
  constexpr auto kB = keys::SlotState::kBlank;
  auto device = Device(1);
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ExpectReported(run, Component::kUrot, {kP, kP, kB, kB}, 0, 0);
  ExpectReported(run, Component::kSm, {kP, kB, kB, kB}, 0, 0);
  ExpectReported(run, Component::kApp, {kP, kP, kP, kB}, 0, 0);

  // iROT applies the urot command, uROT the app's: both show in this boot's report.
  const auto urot_cmd = RevokeCommand(Component::kUrot, {1}, 1, {&urot_key_});
  const auto app_cmd = RevokeCommand(Component::kApp, {0, 2}, 7, {&app_[1], &app_[2]});
  Queue(*device, {{mailbox::RequestType::kRevoke, mailbox::kAnyComponent, app_cmd},
                  {mailbox::RequestType::kRevoke, mailbox::kAnyComponent, urot_cmd}});
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 2);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(run.report.requests[1].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  ExpectReported(run, Component::kUrot, {kP, kR, kB, kB}, 1, 1);
  ExpectReported(run, Component::kSm, {kP, kB, kB, kB}, 0, 0);
  ExpectReported(run, Component::kApp, {kR, kP, kR, kB}, 7, 1);

  // A refused image stops the boot; its domain is still reported.
  host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[0], 5));
  run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), ImageError::kKeyRevoked);
  ExpectReported(run, Component::kApp, {kR, kP, kR, kB}, 7, 1);

  // A boot that stops in iROT never reached the sm and app domains: not
  // reported, which is not "blank".
  host::FlashPrimarySlot(*device, Component::kUrot, SignImage(MakeKey(13), 2, true));
  run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(run.report.failure_component, static_cast<uint8_t>(Component::kUrot));
  ExpectReported(run, Component::kUrot, {kP, kR, kB, kB}, 1, 1);
  for (const Component c : {Component::kSm, Component::kApp}) {
    EXPECT_EQ(run.report.domains[static_cast<size_t>(c)].state,
              static_cast<uint8_t>(boot::DomainReport::kNotReported));
  }
}

// A domain a stage cannot read (here: uROT's view from HDPL2, where the
// HDPL1 area is hidden) is reported as unreadable, not as blank slots.
TEST_F(RevocationBootTest, UnreadableDomainIsReportedAsSuch) {
  auto device = Device(1);
  ASSERT_TRUE(device->Boot().app_reached);  // now at HDPL2
  platform::Platform p = device->platform();
  boot::RecordDomain(p, Component::kApp);
  boot::BootReport report;
  ASSERT_TRUE(boot::ReadBootReport(p.ram, &report).ok());
  const boot::BootReportDomain& d = report.domains[static_cast<size_t>(Component::kApp)];
  EXPECT_EQ(d.component, static_cast<uint8_t>(Component::kApp));
  EXPECT_EQ(d.state, static_cast<uint8_t>(boot::DomainReport::kUnreadable));
  EXPECT_EQ(d.records_capacity, otp::kLogEntries);
  // The other entries are as the boot left them.
  EXPECT_EQ(report.domains[0].state, static_cast<uint8_t>(boot::DomainReport::kRead));
}

TEST_F(RevocationBootTest, StolenKeyAloneIsTooFewSignatures) {
  // Before key 0 is revoked, it is a known, unrevoked signer: one of two.
  auto device = Device(0);
  ExpectRefusedUnchanged(*device, RevokeCommand(Component::kApp, {1}, 1, {&app_[0]}),
                         static_cast<uint8_t>(RefusalReason::kTooFewSignatures));
  EXPECT_EQ(SlotState(*device, Component::kApp, 1), keys::SlotState::kProvisioned);
  EXPECT_EQ(Sequence(*device, Component::kApp), 0u);
}

TEST_F(RevocationBootTest, UnknownSignerAndMalformedCommandAreRefused) {
  auto device = Device(0);
  const crypto::EcKeyPair stranger = MakeKey(99);
  ExpectRefusedUnchanged(*device, RevokeCommand(Component::kApp, {2}, 1, {&stranger, &app_[1]}),
                         static_cast<uint8_t>(RefusalReason::kUnknownSigner));
  ExpectRefusedUnchanged(*device, std::vector<uint8_t>{0xd8, 0x62, 0x01},
                         static_cast<uint8_t>(RefusalReason::kMalformedCose));
}

TEST_F(RevocationBootTest, SmDomainCommandIsProcessed) {
  // The sm domain has one key: revoking it would be its last signing key.
  auto device = Device(0);
  ExpectRefusedUnchanged(*device, RevokeCommand(Component::kSm, {0}, 1, {&sm_key_}),
                         static_cast<uint8_t>(RefusalReason::kLastSigningKey));
}

TEST_F(RevocationBootTest, UrotDomainCommandIsAppliedByIrot) {
  // uROT is signed by urot slot 0; slot 1's key leaks. Threshold 1.
  auto device = Device(0);
  const crypto::EcKeyPair urot_1 = MakeKey(13);
  // Revoking slot 0 would leave the running uROT without its key.
  ExpectRefusedUnchanged(*device, RevokeCommand(Component::kUrot, {0}, 1, {&urot_1}),
                         static_cast<uint8_t>(RefusalReason::kNoBootableImage));
  // Slot 1 revoked by slot 0's signature: applied in the HDPL0 area.
  QueueRevoke(*device, RevokeCommand(Component::kUrot, {1}, 1, {&urot_key_}));
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 1);
  EXPECT_EQ(run.report.requests[0].component, static_cast<uint8_t>(Component::kUrot));
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(SlotState(*device, Component::kUrot, 1), keys::SlotState::kRevoked);
  EXPECT_EQ(Sequence(*device, Component::kUrot), 1u);
  EXPECT_TRUE(MailboxWiped(*device));
  // The stolen key can neither sign uROT nor revoke any more.
  ExpectRefusedUnchanged(*device, RevokeCommand(Component::kUrot, {0}, 2, {&urot_1}),
                         static_cast<uint8_t>(RefusalReason::kRevokedSigner));
  host::FlashPrimarySlot(*device, Component::kUrot, SignImage(urot_1, 2, true));
  run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(run.report.failure_component, static_cast<uint8_t>(Component::kUrot));
  EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), ImageError::kKeyRevoked);
}

TEST_F(RevocationBootTest, IrotTakesItsRequestsAndPassesTheRestToUrot) {
  auto device = Device(0);
  const auto urot_cmd = RevokeCommand(Component::kUrot, {1}, 1, {&urot_key_});
  const auto app_cmd = RevokeCommand(Component::kApp, {2}, 1, {&app_[0], &app_[1]});
  const std::vector<uint8_t> garbage{0xd8, 0x62, 0x01};
  Queue(*device,
        {{mailbox::RequestType::kConfirm, static_cast<uint8_t>(Component::kApp), {}},
         {mailbox::RequestType::kRevoke, mailbox::kAnyComponent, {app_cmd.data(), app_cmd.size()}},
         {mailbox::RequestType::kRevoke, mailbox::kAnyComponent, {garbage.data(), garbage.size()}},
         {mailbox::RequestType::kRevoke,
          mailbox::kAnyComponent,
          {urot_cmd.data(), urot_cmd.size()}}});
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(run.report.mailbox_error, static_cast<uint16_t>(mailbox::MailboxError::kOk));
  ASSERT_EQ(run.report.request_count, 4);
  // iROT's request first, then uROT's in their original order.
  EXPECT_EQ(run.report.requests[0].component, static_cast<uint8_t>(Component::kUrot));
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(run.report.requests[1].type, static_cast<uint8_t>(mailbox::RequestType::kConfirm));
  EXPECT_EQ(run.report.requests[1].outcome, static_cast<uint8_t>(RequestOutcome::kNoTrialImage));
  EXPECT_EQ(run.report.requests[2].component, static_cast<uint8_t>(Component::kApp));
  EXPECT_EQ(run.report.requests[2].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(run.report.requests[3].component, boot::kUnknownDomain);
  EXPECT_EQ(run.report.requests[3].outcome, static_cast<uint8_t>(RefusalReason::kMalformedCose));
  EXPECT_EQ(SlotState(*device, Component::kUrot, 1), keys::SlotState::kRevoked);
  EXPECT_EQ(SlotState(*device, Component::kApp, 2), keys::SlotState::kRevoked);
  EXPECT_TRUE(MailboxWiped(*device));
}

TEST_F(RevocationBootTest, GarbageMailboxIsReportedOnceAndChangesNothing) {
  auto device = Device(0);
  ByteSpan region;
  ASSERT_TRUE(device->Region(platform::RamRegion::kMailbox, &region).ok());
  for (size_t i = 0; i < region.size(); ++i) region[i] = static_cast<uint8_t>(i * 37 + 11);
  const auto flash = device->raw_flash();
  const auto otp = device->raw_otp();
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  // iROT refused it and wiped it; uROT found it empty and kept iROT's error.
  EXPECT_EQ(run.report.mailbox_error, static_cast<uint16_t>(mailbox::MailboxError::kBadMagic));
  EXPECT_EQ(run.report.request_count, 0);
  EXPECT_EQ(device->raw_otp(), otp);
  EXPECT_EQ(device->raw_flash(), flash);
  EXPECT_TRUE(MailboxWiped(*device));
}

TEST_F(RevocationBootTest, ConfirmAndRejectAreNotAppliedWithoutTrialImage) {
  auto device = Device(0);
  Queue(*device, {{mailbox::RequestType::kConfirm, static_cast<uint8_t>(Component::kApp), {}},
                  {mailbox::RequestType::kReject, static_cast<uint8_t>(Component::kSm), {}}});
  const auto flash = device->raw_flash();
  const auto otp = device->raw_otp();
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 2);
  EXPECT_EQ(run.report.requests[0].type, static_cast<uint8_t>(mailbox::RequestType::kConfirm));
  EXPECT_EQ(run.report.requests[0].component, static_cast<uint8_t>(Component::kApp));
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kNoTrialImage));
  EXPECT_EQ(run.report.requests[1].type, static_cast<uint8_t>(mailbox::RequestType::kReject));
  EXPECT_EQ(run.report.requests[1].outcome, static_cast<uint8_t>(RequestOutcome::kNoTrialImage));
  EXPECT_STREQ(boot::RequestOutcomeName(run.report.requests[0].outcome),
               "not-applied: no trial image");
  EXPECT_EQ(device->raw_flash(), flash);
  EXPECT_EQ(device->raw_otp(), otp);
  EXPECT_TRUE(MailboxWiped(*device));
}

TEST_F(RevocationBootTest, GarbageMailboxIsReportedAndTheDeviceBoots) {
  auto device = Device(0);
  ByteSpan region;
  ASSERT_TRUE(device->Region(platform::RamRegion::kMailbox, &region).ok());
  for (size_t i = 0; i < region.size(); ++i) region[i] = static_cast<uint8_t>(i * 31 + 7);
  const auto flash = device->raw_flash();
  const auto otp = device->raw_otp();
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(run.report.mailbox_error, static_cast<uint16_t>(mailbox::MailboxError::kBadMagic));
  EXPECT_EQ(run.report.request_count, 0);
  EXPECT_EQ(device->raw_flash(), flash);
  EXPECT_EQ(device->raw_otp(), otp);
  EXPECT_TRUE(MailboxWiped(*device));

  // A valid header with a broken CRC: refused with its own reason.
  const auto command = RevokeCommand(Component::kApp, {2}, 1, {&app_[1], &app_[2]});
  QueueRevoke(*device, command);
  ASSERT_TRUE(device->Region(platform::RamRegion::kMailbox, &region).ok());
  region[sizeof(mailbox::MailboxHeader) + 8] ^= 0x40;
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(run.report.mailbox_error, static_cast<uint16_t>(mailbox::MailboxError::kBadCrc));
  EXPECT_EQ(device->raw_otp(), otp);

  // An empty mailbox is not an error.
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(run.report.mailbox_error, static_cast<uint16_t>(mailbox::MailboxError::kEmpty));
}

TEST_F(RevocationBootTest, SeveralRequestsInOneBoot) {
  auto device = Device(1);
  const auto revoke0 = RevokeCommand(Component::kApp, {0}, 1, {&app_[1], &app_[2]});
  const auto revoke2 = RevokeCommand(Component::kApp, {2}, 2, {&app_[1], &app_[2]});
  Queue(*device, {{mailbox::RequestType::kRevoke, mailbox::kAnyComponent, revoke0},
                  {mailbox::RequestType::kRevoke, mailbox::kAnyComponent, revoke0},
                  {mailbox::RequestType::kConfirm, 2, {}},
                  {mailbox::RequestType::kRevoke, mailbox::kAnyComponent, revoke2}});
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 4);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(run.report.requests[1].outcome, static_cast<uint8_t>(RefusalReason::kReplay));
  EXPECT_EQ(run.report.requests[2].outcome, static_cast<uint8_t>(RequestOutcome::kNoTrialImage));
  // Each request sees the domain as the one before left it: keys 1 and 2
  // still make the quorum, and slot 1 (the running app's) survives.
  EXPECT_EQ(run.report.requests[3].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(SlotState(*device, Component::kApp, 0), keys::SlotState::kRevoked);
  EXPECT_EQ(SlotState(*device, Component::kApp, 2), keys::SlotState::kRevoked);
  EXPECT_EQ(Sequence(*device, Component::kApp), 2u);
}

// Power loss at every flash and OTP operation of the boot that applies a
// mailbox revocation (clean and torn), then a power cycle (the mailbox is
// gone) and boots until stable. Invariants: every boot reaches the
// application; the revocation is either fully applied (every slot revoked
// with its marker, sequence raised) or, only when power was lost before the
// commit point (the record write), not applied at all; never half. Images
// signed by a revoked slot are refused from then on. kOwnSigners revokes two
// of the command's own signers: an interrupted commit of it can never be
// re-run, so nothing may depend on re-running it.
enum class RevokeScenario { kOtherSigners, kOwnSigners };

class RevocationPowerLossTest : public RevocationBootTest,
                                public ::testing::WithParamInterface<
                                    std::tuple<RevokeScenario, VirtualDevice::PowerLossMode>> {};

TEST_P(RevocationPowerLossTest, EveryOperation) {
  const auto [scenario, mode] = GetParam();
  const bool own = scenario == RevokeScenario::kOwnSigners;
  const std::vector<uint8_t> slots = own ? std::vector<uint8_t>{0, 2} : std::vector<uint8_t>{0};
  const uint8_t mask = own ? 0b0101 : 0b0001;
  const auto command = own ? RevokeCommand(Component::kApp, slots, 1, {&app_[0], &app_[2]})
                           : RevokeCommand(Component::kApp, slots, 1, {&app_[1], &app_[2]});
  const auto app_domain = [](const VirtualDevice& device) {
    const auto& raw = device.raw_otp();
    const auto at = static_cast<ptrdiff_t>(otp::DomainOffset(Component::kApp));
    return std::vector<uint8_t>(raw.begin() + at,
                                raw.begin() + at + static_cast<ptrdiff_t>(sizeof(otp::OtpDomain)));
  };
  // The app runs with key 1, which the command keeps.
  auto prepare = [&] {
    auto device = Device(1);
    QueueRevoke(*device, command);
    return device;
  };
  const std::vector<uint8_t> pristine = app_domain(*Device(1));
  uint64_t total = 0;
  {
    auto device = prepare();
    const uint64_t before = device->operations();
    const VirtualDevice::BootRun run = device->Boot();
    ASSERT_TRUE(run.app_reached);
    ASSERT_EQ(run.report.request_count, 1);
    ASSERT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
    total = device->operations() - before;
  }
  ASSERT_EQ(total, 1u + slots.size()) << "one record, then one marker per slot";
  uint64_t first_applied = 0;
  bool rolled_forward = false;
  for (uint64_t n = 1; n <= total + 1; ++n) {
    SCOPED_TRACE(testing::Message() << "power loss at operation " << n << " of " << total);
    auto device = prepare();
    device->SetPowerLossMode(mode);
    device->SetPowerLossAfter(n);
    (void)device->Boot();
    device->SetPowerLossMode(VirtualDevice::PowerLossMode::kClean);
    device->SetPowerLossAfter(0);  // n = total + 1: the boot was not cut
    // What the power loss left: the record or nothing.
    const otp::RevocationLog cut = Log(*device, Component::kApp);
    const bool committed = cut.used == 1;
    if (committed) {
      EXPECT_EQ(cut.revoked, mask);
      EXPECT_EQ(cut.sequence, 1u);
      for (const uint8_t s : slots) {
        EXPECT_EQ(SlotState(*device, Component::kApp, s), keys::SlotState::kRevoked);
        rolled_forward = rolled_forward || Domain(*device, Component::kApp).signing[s].revoked == 0;
      }
    } else {
      EXPECT_EQ(app_domain(*device), pristine);
    }
    device->PowerCycle();  // power came back: RAM (mailbox) is gone

    for (int boot = 0; boot < 3; ++boot) {
      const VirtualDevice::BootRun run = device->Boot();
      ASSERT_TRUE(run.app_reached) << "boot " << boot;
      ASSERT_EQ(run.report.images[2].verified, 1);
      ASSERT_EQ(run.report.images[2].key_slot, 1);
    }
    const otp::RevocationLog log = Log(*device, Component::kApp);
    const otp::OtpDomain raw = Domain(*device, Component::kApp);
    const bool applied = log.used == 1;
    EXPECT_EQ(applied, committed) << "applied iff the record was written";
    if (applied) {
      if (first_applied == 0) first_applied = n;
      EXPECT_EQ(log.sequence, 1u);
      EXPECT_EQ(log.revoked, mask);
      for (size_t s = 0; s < otp::kSigningSlots; ++s) {
        EXPECT_EQ(raw.signing[s].revoked, ((mask >> s) & 1u) ? otp::kSlotRevokedMarker : 0u) << s;
      }
      // Images signed by a revoked slot are refused; key 1 still boots.
      for (const uint8_t s : slots) {
        host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[s], 5));
        const VirtualDevice::BootRun run = device->Boot();
        EXPECT_FALSE(run.app_reached);
        EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), ImageError::kKeyRevoked);
      }
      host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[1], 6));
      EXPECT_TRUE(device->Boot().app_reached);
    } else {
      EXPECT_EQ(first_applied, 0u) << "once committed at an earlier cut, always committed";
      EXPECT_EQ(log.used, 0u);
      EXPECT_EQ(app_domain(*device), pristine);
      // Nothing happened: the application may queue the command again.
      QueueRevoke(*device, command);
      const VirtualDevice::BootRun run = device->Boot();
      ASSERT_TRUE(run.app_reached);
      ASSERT_EQ(run.report.request_count, 1);
      EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
      EXPECT_EQ(Log(*device, Component::kApp).revoked, mask);
    }
  }
  // Cut 1 is the record itself; every later cut finds it committed, and at
  // least one left markers for the next boot to roll forward.
  EXPECT_EQ(first_applied, 2u);
  EXPECT_TRUE(rolled_forward);
  std::printf("[ power loss ] %u interruption points checked\n", static_cast<unsigned>(total + 1));
}

INSTANTIATE_TEST_SUITE_P(
    All, RevocationPowerLossTest,
    ::testing::Combine(::testing::Values(RevokeScenario::kOtherSigners,
                                         RevokeScenario::kOwnSigners),
                       ::testing::Values(VirtualDevice::PowerLossMode::kClean,
                                         VirtualDevice::PowerLossMode::kTorn)));

// A record committed by an earlier boot whose markers never made it: the
// slot is refused at once, and the next uROT writes its marker before it
// verifies anything.
TEST_F(RevocationBootTest, CommittedRecordIsRolledForwardAtTheStartOfUrot) {
  auto device = Device(1);
  const otp::OtpRevocationRecord record = otp::MakeRevocationRecord(4, 0b0001);
  std::vector<uint8_t> bytes(8);
  StoreLe32(bytes.data(), record.sequence);
  StoreLe32(bytes.data() + 4, record.slots);
  device->FactoryProgramOtp(static_cast<uint32_t>(otp::DomainOffset(Component::kApp) +
                                                  offsetof(otp::OtpDomain, revocations)),
                            bytes);
  EXPECT_EQ(Domain(*device, Component::kApp).signing[0].revoked, 0u);
  EXPECT_EQ(SlotState(*device, Component::kApp, 0), keys::SlotState::kRevoked);
  host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[0], 5));
  VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), ImageError::kKeyRevoked);
  EXPECT_EQ(Domain(*device, Component::kApp).signing[0].revoked, otp::kSlotRevokedMarker);
  host::FlashPrimarySlot(*device, Component::kApp, SignImage(app_[1], 6));
  const uint64_t before = device->operations();
  ASSERT_TRUE(device->Boot().app_reached);
  EXPECT_EQ(device->operations(), before) << "nothing left to roll forward";
}

// A record whose check fails is a commit a power loss tore (OTP that
// programs in units smaller than the record): it never happened. The device
// boots, nothing is revoked, and the command applies when sent again.
TEST_F(RevocationBootTest, TornRecordIsAnAbandonedCommit) {
  auto device = Device(1);
  const uint32_t log = static_cast<uint32_t>(otp::DomainOffset(Component::kApp) +
                                             offsetof(otp::OtpDomain, revocations));
  device->FactoryProgramOtp(log + 4, {0x01, 0x00, 0x6e, 0xb4});  // slot word only
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(SlotState(*device, Component::kApp, 0), keys::SlotState::kProvisioned);
  EXPECT_EQ(Sequence(*device, Component::kApp), 0u);
  // The abandoned entry takes room in the log: the report counts it.
  constexpr auto kP = keys::SlotState::kProvisioned;
  ExpectReported(run, Component::kApp, {kP, kP, kP, keys::SlotState::kBlank}, 0, 1);

  QueueRevoke(*device, RevokeCommand(Component::kApp, {0}, 1, {&app_[1], &app_[2]}));
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 1);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(SlotState(*device, Component::kApp, 0), keys::SlotState::kRevoked);
  EXPECT_EQ(Sequence(*device, Component::kApp), 1u);
  const otp::OtpDomain d = Domain(*device, Component::kApp);
  EXPECT_TRUE(otp::RevocationRecordValid(d.revocations[1])) << "written after the torn entry";
  ExpectReported(run, Component::kApp, {keys::SlotState::kRevoked, kP, kP, keys::SlotState::kBlank},
                 1, 2);
}

// Anything written after an empty entry is not a torn commit (records are
// appended in order): the log is corrupt, the domain unavailable, the boot
// stops, as for any corrupt OTP log.
TEST_F(RevocationBootTest, CorruptRecordLogStopsTheBoot) {
  auto device = Device(1);
  const otp::OtpRevocationRecord record = otp::MakeRevocationRecord(5, 0b0001);
  uint8_t bytes[8];
  StoreLe32(bytes, record.sequence);
  StoreLe32(bytes + 4, record.slots);
  device->FactoryProgramOtp(static_cast<uint32_t>(otp::DomainOffset(Component::kApp) +
                                                  offsetof(otp::OtpDomain, revocations) +
                                                  3 * sizeof(otp::OtpRevocationRecord)),
                            std::vector<uint8_t>(bytes, bytes + 8));
  const auto otp = device->raw_otp();
  const VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(run.report.failure_reason, static_cast<uint16_t>(boot::BootReason::kDomainUnavailable));
  EXPECT_EQ(device->raw_otp(), otp);
  // The report says the domain could not be read (not: four blank slots).
  const boot::BootReportDomain& app = run.report.domains[static_cast<size_t>(Component::kApp)];
  EXPECT_EQ(app.component, static_cast<uint8_t>(Component::kApp));
  EXPECT_EQ(app.state, static_cast<uint8_t>(boot::DomainReport::kUnreadable));
  EXPECT_EQ(run.report.domains[static_cast<size_t>(Component::kSm)].state,
            static_cast<uint8_t>(boot::DomainReport::kRead));
}

// ---- a revocation posted while an image runs in TRIAL ----
//
// The never-brick rule holds for every image the boot can end up running:
// while the primary is an unconfirmed TRIAL, the next reset may revert to
// the backup in the secondary slot, so its key must survive too.

class TrialRevocationTest : public RevocationBootTest {
 protected:
  static const boot::BootReportImage* Entry(const VirtualDevice::BootRun& run, Component c) {
    for (size_t i = 0; i < run.report.image_count; ++i) {
      if (run.report.images[i].component == static_cast<uint8_t>(c)) return &run.report.images[i];
    }
    return nullptr;
  }

  // The app v3 on key 1 (Device(1)); v4 on key 2, carrying `carried` when
  // given, installed and booted in TRIAL.
  std::unique_ptr<VirtualDevice> AppInTrial(const std::vector<uint8_t>& carried = {}) {
    auto device = Device(1);
    host::InstallSecondarySlot(*device, Component::kApp,
                               test_support::SignTestImage(app_[2], 4, 0, 2000, false, carried),
                               false);
    const VirtualDevice::BootRun run = device->Boot();
    EXPECT_TRUE(run.app_reached);
    const boot::BootReportImage* e = Entry(run, Component::kApp);
    EXPECT_TRUE(e != nullptr && e->state == static_cast<uint8_t>(boot::ImageState::kTrial) &&
                e->key_slot == 2);
    return device;
  }

  // uROT v1 on urot key 0; v2 on urot key 1 installed and booted in TRIAL.
  std::unique_ptr<VirtualDevice> UrotInTrial() {
    auto device = Device(0);
    host::InstallSecondarySlot(*device, Component::kUrot, SignImage(urot_1_, 2, true), false);
    const VirtualDevice::BootRun run = device->Boot();
    EXPECT_TRUE(run.app_reached);
    const boot::BootReportImage* e = Entry(run, Component::kUrot);
    EXPECT_TRUE(e != nullptr && e->state == static_cast<uint8_t>(boot::ImageState::kTrial) &&
                e->key_slot == 1);
    return device;
  }

  // Boots `times` times; each must reach the application.
  static void BootsFromNowOn(VirtualDevice& device, Component c, uint8_t key_slot, int times = 3) {
    for (int i = 0; i < times; ++i) {
      const VirtualDevice::BootRun run = device.Boot();
      ASSERT_TRUE(run.app_reached)
          << "boot " << i << ": "
          << boot::BootReasonName(static_cast<boot::BootReason>(run.report.failure_reason));
      const boot::BootReportImage* e = Entry(run, c);
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(e->key_slot, key_slot);
    }
  }

  const crypto::EcKeyPair urot_1_ = MakeKey(13);
};

// App v4 (key 2) in TRIAL; a valid command revoking slot 1 (the key of v3,
// the image a revert brings back) is posted and the device resets without
// a confirm (a watchdog reset, or an attacker replaying a published
// command). Refused: the revert to v3 must still boot.
TEST_F(TrialRevocationTest, AppRevocationDuringTrialIsRefusedAndTheRevertBoots) {
  auto device = AppInTrial();
  const auto otp = device->raw_otp();
  QueueRevoke(*device, RevokeCommand(Component::kApp, {1}, 1, {&app_[0], &app_[2]}));
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 1);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RefusalReason::kNoBootableImage))
      << boot::RequestOutcomeName(run.report.requests[0].outcome);
  const boot::BootReportImage* e = Entry(run, Component::kApp);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->update, static_cast<uint8_t>(boot::UpdateEvent::kReverted));
  EXPECT_EQ(e->key_slot, 1);
  EXPECT_EQ(device->raw_otp(), otp) << "a refused command writes nothing";
  EXPECT_EQ(SlotState(*device, Component::kApp, 1), keys::SlotState::kProvisioned);
  BootsFromNowOn(*device, Component::kApp, 1);
}

// The vendor's key-rollover image carries the command revoking the old key;
// the application posts that (published) command during the trial.
TEST_F(TrialRevocationTest, CarriedCommandPostedDuringItsTrialIsRefused) {
  const auto command = RevokeCommand(Component::kApp, {1}, 1, {&app_[0], &app_[2]});
  auto device = AppInTrial(command);
  QueueRevoke(*device, command);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_GE(run.report.request_count, 1);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RefusalReason::kNoBootableImage));
  EXPECT_EQ(SlotState(*device, Component::kApp, 1), keys::SlotState::kProvisioned);
  EXPECT_EQ(Sequence(*device, Component::kApp), 0u);
  BootsFromNowOn(*device, Component::kApp, 1);
}

// The same for the urot domain, which iROT processes: the chain would stop
// at HDPL0.
TEST_F(TrialRevocationTest, UrotRevocationDuringTrialIsRefusedAndTheRevertBoots) {
  auto device = UrotInTrial();
  const auto otp = device->raw_otp();
  QueueRevoke(*device, RevokeCommand(Component::kUrot, {0}, 1, {&urot_1_}));
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached) << boot::BootReasonName(
      static_cast<boot::BootReason>(run.report.failure_reason));
  ASSERT_EQ(run.report.request_count, 1);
  EXPECT_EQ(run.report.requests[0].component, static_cast<uint8_t>(Component::kUrot));
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RefusalReason::kNoBootableImage));
  const boot::BootReportImage* e = Entry(run, Component::kUrot);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->update, static_cast<uint8_t>(boot::UpdateEvent::kReverted));
  EXPECT_EQ(device->raw_otp(), otp);
  EXPECT_EQ(SlotState(*device, Component::kUrot, 0), keys::SlotState::kProvisioned);
  BootsFromNowOn(*device, Component::kUrot, 0);
}

// Confirm first, then revoke, in one mailbox: once confirmed nothing can
// revert, so the old key may go. The other order refuses the revoke (it is
// processed while the image is still in TRIAL) and confirms.
TEST_F(TrialRevocationTest, ConfirmThenRevokeInOneMailboxApplies) {
  const auto command = RevokeCommand(Component::kApp, {1}, 1, {&app_[0], &app_[2]});
  auto device = AppInTrial();
  Queue(*device, {{mailbox::RequestType::kConfirm, static_cast<uint8_t>(Component::kApp), {}},
                  {mailbox::RequestType::kRevoke, mailbox::kAnyComponent, command}});
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 2);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(run.report.requests[1].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(SlotState(*device, Component::kApp, 1), keys::SlotState::kRevoked);
  BootsFromNowOn(*device, Component::kApp, 2);

  device = AppInTrial();
  Queue(*device, {{mailbox::RequestType::kRevoke, mailbox::kAnyComponent, command},
                  {mailbox::RequestType::kConfirm, static_cast<uint8_t>(Component::kApp), {}}});
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 2);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RefusalReason::kNoBootableImage));
  EXPECT_EQ(run.report.requests[1].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(SlotState(*device, Component::kApp, 1), keys::SlotState::kProvisioned);
  BootsFromNowOn(*device, Component::kApp, 2);
}

// A command that spares both the trial image's key and the backup's key is
// not held up by the trial.
TEST_F(TrialRevocationTest, RevocationSparingBothImagesAppliesDuringTrial) {
  auto device = AppInTrial();
  QueueRevoke(*device, RevokeCommand(Component::kApp, {0}, 1, {&app_[1], &app_[2]}));
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 1);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  EXPECT_EQ(SlotState(*device, Component::kApp, 0), keys::SlotState::kRevoked);
  BootsFromNowOn(*device, Component::kApp, 1);
}

// A staged download signed by the revoked key is not protected: installing
// it later is refused (key-revoked) and the running image stays.
TEST_F(TrialRevocationTest, StagedDownloadWithARevokedKeyIsRefusedNotBricked) {
  auto device = Device(1);
  host::InstallSecondarySlot(*device, Component::kApp, SignImage(app_[0], 4), false);
  QueueRevoke(*device, RevokeCommand(Component::kApp, {0}, 1, {&app_[1], &app_[2]}));
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(RequestOutcome::kApplied));
  const boot::BootReportImage* e = Entry(run, Component::kApp);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->update, static_cast<uint8_t>(boot::UpdateEvent::kInstallRefused));
  EXPECT_EQ(e->update_detail, static_cast<uint16_t>(ImageError::kKeyRevoked));
  BootsFromNowOn(*device, Component::kApp, 1);
}

// The fault the review found: one glitch that zeroes the register holding
// CheckCommand's reason (kAccepted == 0) used to commit whatever command the
// mailbox held. Emulated here on the device, as uROT's request processing
// sees it: a command signed only by a stranger that revokes every app key.
// The commit refuses it on its own — it takes the hardened decision, and
// re-checks the last-key and bootable-image rules on the OTP words — so the
// skipped comparison commits nothing and the device still boots.
TEST_F(RevocationBootTest, ZeroedComparisonCommitsNothing) {
  auto device = Device(1);
  otp::OtpHeader header;
  ASSERT_TRUE(host::ReadHeader(*device, &header));
  const crypto::EcKeyPair stranger = MakeKey(99);
  const auto message = RevokeCommand(Component::kApp, {0, 1, 2}, 1, {&stranger});
  platform::Platform p = device->platform();
  keys::KeyDomain domain;
  ASSERT_TRUE(keys::LoadDomain(p.otp, Component::kApp, &domain).ok());
  revocation::KeyStoreSlotKeys slot_keys(p.flash, header.layout, domain);
  const revocation::BootableImages bootable = boot::BootableImagesOf(p, header, Component::kApp);
  EXPECT_EQ(bootable.primary_slot_key, 1);
  EXPECT_EQ(bootable.secondary_slot_key, revocation::kNoImage) << "READY: no revert";
  const revocation::CheckContext context{
      domain, otp::Lifecycle::kSecured,
      std::span<const uint8_t, revocation::kInstanceIdSize>(header.instance_id), bootable,
      slot_keys};
  revocation::CheckOutcome outcome;
  ASSERT_EQ(revocation::CheckCommand(message, context, &outcome), RefusalReason::kUnknownSigner);
  const auto otp = device->raw_otp();
  // The comparison skipped: the commit still has the decision it was given.
  EXPECT_EQ(revocation::ApplyRevocation(p.otp, Component::kApp, outcome.command, outcome.accepted,
                                        bootable)
                .code(),
            StatusCode::kUnauthenticated);
  // A second fault forging the decision: the rules, from OTP, still refuse.
  EXPECT_EQ(revocation::ApplyRevocation(p.otp, Component::kApp, outcome.command,
                                        HardenedBool::kTrue, bootable)
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(revocation::ApplyRevocation(p.otp, Component::kApp, outcome.command,
                                        HardenedBool::kTrue, revocation::BootableImages{})
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(device->raw_otp(), otp);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(run.report.images[2].key_slot, 1);
}

TEST(BootReportLayout, FitsItsRegion) {
  EXPECT_LE(sizeof(boot::BootReport), host::kBootReportRegionSize);
  EXPECT_EQ(sizeof(boot::BootReport), 492u);
  EXPECT_EQ(boot::kBootReportVersion, 5);
  EXPECT_EQ(offsetof(boot::BootReport, domains), 452u);
  EXPECT_EQ(sizeof(boot::BootReportDomain), 12u);
  // A fresh report reports no domain: all-zero entries are "not reported".
  boot::BootReport report;
  boot::InitBootReport(&report, otp::Lifecycle::kSecured);
  for (const boot::BootReportDomain& d : report.domains) {
    EXPECT_EQ(d.state, static_cast<uint8_t>(boot::DomainReport::kNotReported));
  }
  EXPECT_EQ(boot::kMailboxReportRequests, mailbox::kMaxRequests);
  EXPECT_EQ(boot::kMaxReportRequests, mailbox::kMaxRequests + 2 * otp::kComponentCount);
}

boot::BootReportRequest Entry(uint8_t type, uint32_t sequence) {
  boot::BootReportRequest e{};
  e.type = type;
  e.sequence = sequence;
  return e;
}

// Mailbox requests take at most their share; the boot chain's own entries
// always find room; whatever does not fit is counted, never silently lost.
TEST(BootReportLayout, MailboxCannotStarveTheBootChainsEntries) {
  boot::BootReport report;
  boot::InitBootReport(&report, otp::Lifecycle::kSecured);
  const auto revoke = static_cast<uint8_t>(mailbox::RequestType::kRevoke);
  for (uint32_t i = 0; i < boot::kMailboxReportRequests; ++i) {
    ASSERT_TRUE(boot::AppendRequest(&report, Entry(revoke, i), boot::RequestSource::kMailbox).ok());
  }
  EXPECT_EQ(boot::AppendRequest(&report, Entry(revoke, 99), boot::RequestSource::kMailbox).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(report.dropped_requests, 1);
  for (uint32_t i = 0; i < boot::kOwnReportRequests; ++i) {
    const uint8_t type = i % 2 == 0 ? boot::kImageRevocationRequest : boot::kRevokeOlderRequest;
    ASSERT_TRUE(
        boot::AppendRequest(&report, Entry(type, 100 + i), boot::RequestSource::kBootChain).ok())
        << i;
  }
  EXPECT_EQ(report.request_count, boot::kMaxReportRequests);
  EXPECT_EQ(report.requests[boot::kMailboxReportRequests].sequence, 100u);
  EXPECT_EQ(boot::AppendRequest(&report, Entry(boot::kRevokeOlderRequest, 1),
                                boot::RequestSource::kBootChain)
                .code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(report.dropped_requests, 2);
  // The boot chain's entries may come first; the mailbox still gets its share.
  boot::InitBootReport(&report, otp::Lifecycle::kSecured);
  ASSERT_TRUE(boot::AppendRequest(&report, Entry(boot::kImageRevocationRequest, 1),
                                  boot::RequestSource::kBootChain)
                  .ok());
  for (uint32_t i = 0; i < boot::kMailboxReportRequests; ++i) {
    ASSERT_TRUE(boot::AppendRequest(&report, Entry(revoke, i), boot::RequestSource::kMailbox).ok());
  }
  EXPECT_FALSE(boot::AppendRequest(&report, Entry(revoke, 9), boot::RequestSource::kMailbox).ok());
  EXPECT_EQ(report.request_count, boot::kMailboxReportRequests + 1);
  // The counter saturates.
  report.dropped_requests = 255;
  EXPECT_FALSE(boot::AppendRequest(&report, Entry(revoke, 9), boot::RequestSource::kMailbox).ok());
  EXPECT_EQ(report.dropped_requests, 255);
}

}  // namespace
}  // namespace bastion
