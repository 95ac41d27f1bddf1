// Requests from the mailbox, acted on at the next reset by iROT (the urot
// domain) and uROT (sm, app) (issue 3):
// the key-compromise story on the virtual device, every refusal leaving OTP
// and flash untouched, hostile mailboxes, and the outcomes in the boot report.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "boot/boot_report.h"
#include "cose/cose.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "keys/key_domain.h"
#include "mailbox/mailbox.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "revocation/revocation.h"
#include "revocation/revocation_command.h"
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

std::vector<uint8_t> SignImage(const crypto::EcKeyPair& key, uint8_t major, bool full_key = false) {
  std::vector<uint8_t> payload(2000);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 5 + major);
  image::SignOptions options;
  options.version.major = major;
  options.header_size = 0x200;
  options.pad_header = true;
  options.has_security_counter = true;
  options.security_counter = 0;
  options.full_public_key = full_key;
  std::vector<uint8_t> out(payload.size() + 0x200 + 1024);
  size_t written = 0;
  EXPECT_EQ(image::BuildSignedImage(payload, options, key, out, &written), image::BuildError::kOk);
  out.resize(written);
  return out;
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

  static uint32_t Sequence(const VirtualDevice& device, Component c) {
    const otp::OtpDomain d = Domain(device, c);
    uint32_t value = 0;
    size_t used = 0;
    EXPECT_TRUE(otp::ReadLog(d.revocation_sequence, &value, &used));
    return value;
  }

  static keys::SlotState SlotState(const VirtualDevice& device, Component c, size_t slot) {
    return keys::ClassifySlot(Domain(device, c).signing[slot]);
  }

  static bool MailboxWiped(VirtualDevice& device) {
    ByteSpan region;
    EXPECT_TRUE(device.Region(platform::RamRegion::kMailbox, &region).ok());
    for (uint8_t b : region)
      if (b != 0) return false;
    return true;
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

TEST(BootReportLayout, FitsItsRegion) {
  EXPECT_LE(sizeof(boot::BootReport), host::kBootReportRegionSize);
  EXPECT_EQ(boot::kMaxReportRequests, mailbox::kMaxRequests);
}

}  // namespace
}  // namespace bastion
