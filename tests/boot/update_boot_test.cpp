// The update engine in uROT (boot_update.h) on the virtual device: install
// -> TRIAL -> confirm (counter raised), unconfirmed -> reverted, reject,
// refused downloads, and power loss at every flash/OTP operation of an
// install, a revert and a confirmation.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "boot/boot_report.h"
#include "boot/boot_update.h"
#include "cose/cose.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "keys/key_domain.h"
#include "mailbox/mailbox.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "revocation/revocation_command.h"
#include "support/counters.h"
#include "support/test_images.h"
#include "support/test_keys.h"
#include "update/slot_swap.h"
#include "update/swap_journal.h"
#include "virtual_device/virtual_device.h"

namespace bastion {
namespace {

using test_support::SignTestImage;

using boot::ImageState;
using boot::UpdateEvent;
using host::VirtualDevice;
using otp::Component;
using test_support::MakeKey;
using test_support::Spki;

constexpr size_t kApp = static_cast<size_t>(Component::kApp);
// SEC_CNT of the factory app: its first boot sets the device's floor to it.
constexpr uint32_t kFactoryCounter = 3;

class UpdateBootTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new std::array<crypto::EcKeyPair, 3>{MakeKey(31), MakeKey(32), MakeKey(33)};
    old_app_ = new std::vector<uint8_t>(SignTestImage((*keys_)[2], 1, kFactoryCounter, 20000));
    new_app_ = new std::vector<uint8_t>(SignTestImage((*keys_)[2], 2, 5, 26000));
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete old_app_;
    delete new_app_;
  }

  void SetUp() override {
    profile_.geometry = host::DefaultGeometry();
    profile_.layout = host::DefaultLayout(profile_.geometry);
    for (size_t c = 0; c < 3; ++c) {
      profile_.domains[c].keys = {Spki((*keys_)[c])};
      profile_.domains[c].threshold = 1;
    }
  }

  std::unique_ptr<VirtualDevice> Device() {
    auto device = VirtualDevice::InMemory(profile_.geometry);
    host::Provision(*device, profile_);
    host::FlashPrimarySlot(*device, Component::kUrot, SignTestImage((*keys_)[0], 1, 0, 3000, true));
    host::FlashPrimarySlot(*device, Component::kSm, SignTestImage((*keys_)[1], 1, 0, 3000));
    host::FlashPrimarySlot(*device, Component::kApp, *old_app_);
    return device;
  }

  update::SlotSet Slots() const {
    return {profile_.layout.primary[kApp], profile_.layout.secondary[kApp],
            otp::SwapStatusArea(profile_.layout, Component::kApp)};
  }

  ImageState Primary(VirtualDevice& device) {
    return boot::PrimaryState(device.platform().flash, Slots());
  }
  ImageState Secondary(VirtualDevice& device) {
    return boot::SecondaryState(device.platform().flash, Slots());
  }

  uint32_t Counter(const VirtualDevice& device) const {
    const uint32_t value = test_support::StoredCounter(device, profile_.layout, Component::kApp);
    EXPECT_NE(value, UINT32_MAX);
    return value;
  }

  static const boot::BootReportImage* AppEntry(const VirtualDevice::BootRun& run) {
    for (size_t i = 0; i < run.report.image_count; ++i) {
      if (run.report.images[i].component == kApp) return &run.report.images[i];
    }
    return nullptr;
  }

  static void Queue(VirtualDevice& device, mailbox::RequestType type) {
    ByteSpan region;
    ASSERT_TRUE(device.Region(platform::RamRegion::kMailbox, &region).ok());
    const mailbox::Request request{type, static_cast<uint8_t>(Component::kApp), {}};
    ASSERT_TRUE(mailbox::BuildMailbox(&request, 1, region).ok());
  }

  // Boots and checks the app booted; returns its report entry.
  boot::BootReportImage BootOk(VirtualDevice& device) {
    const VirtualDevice::BootRun run = device.Boot();
    EXPECT_TRUE(run.app_reached);
    const boot::BootReportImage* e = AppEntry(run);
    EXPECT_NE(e, nullptr);
    return e != nullptr ? *e : boot::BootReportImage{};
  }

  // A device whose new app image runs in TRIAL.
  std::unique_ptr<VirtualDevice> InTrial() {
    auto device = Device();
    host::InstallSecondarySlot(*device, Component::kApp, *new_app_, false);
    const boot::BootReportImage e = BootOk(*device);
    EXPECT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kInstalled));
    EXPECT_EQ(e.version.major, 2);
    EXPECT_EQ(Primary(*device), ImageState::kTrial);
    return device;
  }

  host::Profile profile_;
  static std::array<crypto::EcKeyPair, 3>* keys_;
  static std::vector<uint8_t>* old_app_;
  static std::vector<uint8_t>* new_app_;
};

std::array<crypto::EcKeyPair, 3>* UpdateBootTest::keys_ = nullptr;
std::vector<uint8_t>* UpdateBootTest::old_app_ = nullptr;
std::vector<uint8_t>* UpdateBootTest::new_app_ = nullptr;

TEST_F(UpdateBootTest, InstallTrialConfirmRaisesCounterAndSurvivesReboot) {
  auto device = Device();
  EXPECT_EQ(BootOk(*device).version.major, 1);
  host::InstallSecondarySlot(*device, Component::kApp, *new_app_, false);
  EXPECT_EQ(Secondary(*device), ImageState::kStaged);
  auto device_trial = std::move(device);
  const boot::BootReportImage trial = BootOk(*device_trial);
  EXPECT_EQ(trial.state, static_cast<uint8_t>(ImageState::kTrial));
  EXPECT_EQ(trial.update, static_cast<uint8_t>(UpdateEvent::kInstalled));
  EXPECT_EQ(trial.version.major, 2);
  // The factory image's floor, set at its first boot; not raised to the
  // update's before confirmation.
  EXPECT_EQ(Counter(*device_trial), kFactoryCounter);

  Queue(*device_trial, mailbox::RequestType::kConfirm);
  const VirtualDevice::BootRun run = device_trial->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 1);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(boot::RequestOutcome::kApplied));
  EXPECT_EQ(AppEntry(run)->update, static_cast<uint8_t>(UpdateEvent::kConfirmed));
  EXPECT_EQ(AppEntry(run)->state, static_cast<uint8_t>(ImageState::kReady));
  EXPECT_EQ(Counter(*device_trial), 5u);

  device_trial->PowerCycle();
  const boot::BootReportImage after = BootOk(*device_trial);
  EXPECT_EQ(after.version.major, 2);
  EXPECT_EQ(after.state, static_cast<uint8_t>(ImageState::kReady));
  EXPECT_EQ(after.update, static_cast<uint8_t>(UpdateEvent::kNone));
  EXPECT_EQ(Counter(*device_trial), 5u);
}

TEST_F(UpdateBootTest, UnconfirmedTrialIsRevertedAtTheNextReset) {
  auto device = InTrial();
  const boot::BootReportImage e = BootOk(*device);  // no confirm: a watchdog reset, say
  EXPECT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kReverted));
  EXPECT_EQ(e.version.major, 1);
  EXPECT_EQ(e.state, static_cast<uint8_t>(ImageState::kReady));
  EXPECT_EQ(Counter(*device), kFactoryCounter);
  EXPECT_EQ(BootOk(*device).version.major, 1);  // stable
}

TEST_F(UpdateBootTest, RejectRevertsNow) {
  auto device = InTrial();
  Queue(*device, mailbox::RequestType::kReject);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(run.report.requests[0].outcome, static_cast<uint8_t>(boot::RequestOutcome::kApplied));
  EXPECT_EQ(AppEntry(run)->update, static_cast<uint8_t>(UpdateEvent::kRejected));
  EXPECT_EQ(AppEntry(run)->version.major, 1);
  EXPECT_EQ(Counter(*device), kFactoryCounter);
}

TEST_F(UpdateBootTest, ConfirmWithoutTrialIsNotApplied) {
  auto device = Device();
  Queue(*device, mailbox::RequestType::kConfirm);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(run.report.requests[0].outcome,
            static_cast<uint8_t>(boot::RequestOutcome::kNoTrialImage));
  EXPECT_EQ(Counter(*device), kFactoryCounter);
}

TEST_F(UpdateBootTest, TamperedOrRolledBackDownloadIsRefusedAndTheOldImageBoots) {
  {
    auto device = Device();
    std::vector<uint8_t> tampered = *new_app_;
    tampered[0x200 + 100] ^= 1;
    host::InstallSecondarySlot(*device, Component::kApp, tampered, false);
    const boot::BootReportImage e = BootOk(*device);
    EXPECT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kInstallRefused));
    EXPECT_EQ(e.update_detail, static_cast<uint16_t>(image::ImageError::kHashMismatch));
    EXPECT_EQ(e.version.major, 1);
    EXPECT_EQ(Secondary(*device), ImageState::kFailed);
    EXPECT_EQ(BootOk(*device).update, static_cast<uint8_t>(UpdateEvent::kNone));  // not retried
  }
  {
    // Counter 5 after confirming the new image; a download with SEC_CNT 3
    // (the old image) is refused.
    auto device = InTrial();
    Queue(*device, mailbox::RequestType::kConfirm);
    EXPECT_EQ(BootOk(*device).update, static_cast<uint8_t>(UpdateEvent::kConfirmed));
    host::InstallSecondarySlot(*device, Component::kApp, *old_app_, false);
    const boot::BootReportImage e = BootOk(*device);
    EXPECT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kInstallRefused));
    EXPECT_EQ(e.update_detail, static_cast<uint16_t>(image::ImageError::kSecurityCounterRollback));
    EXPECT_EQ(e.version.major, 2);
    EXPECT_EQ(Counter(*device), 5u);
  }
}

TEST_F(UpdateBootTest, PermanentInstallIsReadyAndRaisesTheCounter) {
  auto device = Device();
  host::InstallSecondarySlot(*device, Component::kApp, *new_app_, true);
  const boot::BootReportImage e = BootOk(*device);
  EXPECT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kInstalledPermanent));
  EXPECT_EQ(e.state, static_cast<uint8_t>(ImageState::kReady));
  EXPECT_EQ(Counter(*device), 5u);
  EXPECT_EQ(BootOk(*device).version.major, 2);
}

TEST_F(UpdateBootTest, InstallWhileTrialRunsIsRefusedByTheHostTool) {
  auto device = InTrial();
  EXPECT_THROW(host::InstallSecondarySlot(*device, Component::kApp, *new_app_, false),
               host::DeviceError);
  EXPECT_THROW(host::InstallSecondarySlot(*device, Component::kUrot, *new_app_, false),
               host::DeviceError);
}

// A swap of the app's slots that ResumeSwaps could not finish (here: a
// journal the resume refuses, written for another sector size; on hardware a
// flash error) stays as it is: the install of a staged download must not run
// over it (it would rewrite the primary's trailer that lets a later boot
// finish the swap as an install, and the image would run READY untried).
TEST_F(UpdateBootTest, NoInstallWhileASwapOfTheSlotsIsUnfinished) {
  auto device = Device();
  ASSERT_TRUE(BootOk(*device).verified);
  host::InstallSecondarySlot(*device, Component::kApp, *new_app_, false);
  device->WarmReset();
  update::JournalHeader h{};
  h.kind = static_cast<uint8_t>(update::SwapKind::kInstall);
  h.sectors = 4;
  h.primary_offset = Slots().primary.offset;
  h.secondary_offset = Slots().secondary.offset;
  h.primary_image_sectors = 4;
  h.secondary_image_sectors = 4;
  h.sector_size = 2 * profile_.geometry.sector_size;
  update::Journal journal;
  ASSERT_TRUE(update::BeginJournal(*device, Slots().scratch, h, &journal).ok());
  const std::vector<uint8_t> before = device->raw_flash();
  const boot::BootReportImage e = BootOk(*device);
  EXPECT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kUpdateFailed));
  EXPECT_EQ(e.update_detail, static_cast<uint16_t>(StatusCode::kFailedPrecondition));
  EXPECT_EQ(e.version.major, 1);
  for (const otp::FlashRegion& region : {Slots().primary, Slots().secondary}) {
    EXPECT_TRUE(std::equal(before.begin() + region.offset,
                           before.begin() + region.offset + region.size,
                           device->raw_flash().begin() + region.offset));
  }
  EXPECT_EQ(Secondary(*device), ImageState::kStaged);
}

// Power loss at operation n of the boot that installs / reverts / confirms,
// then boots until stable. Invariants: every later boot reaches the
// application with a verified image that is exactly the old or the new one,
// the counter never falls, and it ends READY.
enum class Scenario { kInstall, kRevert, kConfirm };

class UpdatePowerLossTest
    : public UpdateBootTest,
      public ::testing::WithParamInterface<std::tuple<Scenario, VirtualDevice::PowerLossMode>> {
 protected:
  std::unique_ptr<VirtualDevice> Prepare(Scenario s) {
    if (s == Scenario::kInstall) {
      auto device = Device();
      host::InstallSecondarySlot(*device, Component::kApp, *new_app_, false);
      return device;
    }
    auto device = InTrial();
    if (s == Scenario::kConfirm) Queue(*device, mailbox::RequestType::kConfirm);
    return device;
  }
};

TEST_P(UpdatePowerLossTest, EveryOperation) {
  const auto [scenario, mode] = GetParam();
  // How many operations the interrupted boot performs.
  uint64_t total = 0;
  {
    auto device = Prepare(scenario);
    const uint64_t before = device->operations();
    ASSERT_TRUE(device->Boot().app_reached);
    total = device->operations() - before;
  }
  ASSERT_GT(total, 0u);
  uint32_t checked = 0;
  for (uint64_t n = 1; n <= total; ++n) {
    SCOPED_TRACE(testing::Message() << "power loss at operation " << n << " of " << total);
    auto device = Prepare(scenario);
    device->SetPowerLossMode(mode);
    uint32_t counter = Counter(*device);
    device->SetPowerLossAfter(n);
    (void)device->Boot();
    device->SetPowerLossMode(VirtualDevice::PowerLossMode::kClean);
    device->PowerCycle();  // power came back: RAM (mailbox) is gone
    uint8_t last_major = 0;
    for (int boot = 0; boot < 4; ++boot) {
      const VirtualDevice::BootRun run = device->Boot();
      ASSERT_TRUE(run.app_reached) << "boot " << boot;
      const boot::BootReportImage* e = AppEntry(run);
      ASSERT_NE(e, nullptr);
      ASSERT_EQ(e->verified, 1);
      ASSERT_TRUE(e->version.major == 1 || e->version.major == 2)
          << static_cast<int>(e->version.major);
      ASSERT_EQ(e->security_counter, e->version.major == 1 ? kFactoryCounter : 5u);
      const uint32_t now = Counter(*device);
      ASSERT_GE(now, counter);
      counter = now;
      last_major = e->version.major;
    }
    EXPECT_EQ(Primary(*device), ImageState::kReady);
    // Once the counter is raised (only by a confirmation), the new image
    // stays: the old one would be refused.
    if (counter == 5) {
      EXPECT_EQ(last_major, 2);
    }
    EXPECT_TRUE(counter == kFactoryCounter || counter == 5) << counter;
    if (scenario == Scenario::kConfirm) {
      // Confirmed (image_ok written): new image and counter rolled forward
      // to 5; confirmation lost: reverted, counter untouched.
      EXPECT_TRUE((last_major == 2 && counter == 5) ||
                  (last_major == 1 && counter == kFactoryCounter));
    } else {
      // Never confirmed: the trial is reverted, the counter never raised.
      EXPECT_EQ(last_major, 1);
      EXPECT_EQ(counter, kFactoryCounter);
    }
    ++checked;
  }
  std::printf("[ power loss ] %u interruption points checked\n", checked);
}

// ---- a revocation carried by an update, and revoke_older_on_confirm ----

std::vector<uint8_t> RevokeCommand(Component domain, uint8_t slot, uint32_t sequence,
                                   const crypto::EcKeyPair& signer) {
  revocation::RevocationCommand c;
  c.domain = domain;
  c.slots[0] = slot;
  c.slot_count = 1;
  c.sequence = sequence;
  std::vector<uint8_t> payload(revocation::kMaxPayloadSize);
  size_t n = 0;
  EXPECT_TRUE(revocation::EncodeCommand(c, payload, &n).ok());
  payload.resize(n);
  const std::array<uint8_t, 32> kid = test_support::Kid(signer);
  std::vector<cose::SignerInput> inputs{{&signer, kid}};
  std::vector<uint8_t> out(2048);
  size_t m = 0;
  EXPECT_TRUE(cose::BuildCoseSign(payload, inputs, {}, out, &m).ok());
  out.resize(m);
  return out;
}

class ConfirmPolicyTest : public UpdateBootTest {
 protected:
  void SetUp() override {
    UpdateBootTest::SetUp();
    second_ = MakeKey(34);
    // app: slot 0 signs the old image, slot 1 the update.
    profile_.domains[kApp].keys = {Spki((*keys_)[2]), Spki(second_)};
  }

  std::vector<uint8_t> Update(bool with_revocation) {
    const std::vector<uint8_t> command = RevokeCommand(Component::kApp, 0, 1, second_);
    std::vector<uint8_t> payload(26000, 0x5a);
    image::SignOptions options;
    options.version.major = 2;
    options.header_size = 0x200;
    options.pad_header = true;
    options.has_security_counter = true;
    options.security_counter = 5;
    if (with_revocation) options.revocation = ConstByteSpan(command.data(), command.size());
    std::vector<uint8_t> out(payload.size() + 0x200 + 2048);
    size_t written = 0;
    EXPECT_EQ(image::BuildSignedImage(payload, options, second_, out, &written),
              image::BuildError::kOk);
    out.resize(written);
    return out;
  }

  static otp::OtpDomain AppDomain(const VirtualDevice& device) {
    otp::OtpDomain d;
    std::memcpy(&d, device.raw_otp().data() + otp::DomainOffset(Component::kApp), sizeof(d));
    return d;
  }
  static bool Slot0Revoked(const VirtualDevice& device) {
    return AppDomain(device).signing[0].revoked == otp::kSlotRevokedMarker;
  }
  static uint32_t Sequence(const VirtualDevice& device) {
    otp::RevocationLog log;
    EXPECT_TRUE(otp::ReadRevocationLog(AppDomain(device).revocations, &log));
    return log.sequence;
  }

  crypto::EcKeyPair second_;
};

TEST_F(ConfirmPolicyTest, CarriedRevocationIsAppliedOnlyOnceTheImageIsConfirmed) {
  auto device = Device();
  host::InstallSecondarySlot(*device, Component::kApp, Update(true), false);
  EXPECT_EQ(BootOk(*device).state, static_cast<uint8_t>(ImageState::kTrial));
  EXPECT_FALSE(Slot0Revoked(*device));  // not during the trial
  Queue(*device, mailbox::RequestType::kConfirm);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_EQ(run.report.request_count, 2);
  EXPECT_EQ(run.report.requests[1].type, boot::kImageRevocationRequest);
  EXPECT_EQ(run.report.requests[1].outcome, static_cast<uint8_t>(boot::RequestOutcome::kApplied));
  EXPECT_TRUE(Slot0Revoked(*device));
  EXPECT_EQ(Sequence(*device), 1u);
  // The report's app domain is read after the confirmed image's command.
  const boot::BootReportDomain& app = run.report.domains[kApp];
  EXPECT_EQ(app.state, static_cast<uint8_t>(boot::DomainReport::kRead));
  EXPECT_EQ(app.signing_slots[0], static_cast<uint8_t>(keys::SlotState::kRevoked));
  EXPECT_EQ(app.signing_slots[1], static_cast<uint8_t>(keys::SlotState::kProvisioned));
  EXPECT_EQ(app.revocation_sequence, 1u);
  EXPECT_EQ(app.records_used, 1);
  // Not applied twice; images signed with slot 0 are refused from now on.
  const VirtualDevice::BootRun again = device->Boot();
  EXPECT_EQ(again.report.request_count, 0);
  host::InstallSecondarySlot(*device, Component::kApp, SignTestImage((*keys_)[2], 3, 6, 5000),
                             false);
  const boot::BootReportImage e = BootOk(*device);
  EXPECT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kInstallRefused));
  EXPECT_EQ(e.update_detail, static_cast<uint16_t>(image::ImageError::kKeyRevoked));
}

TEST_F(ConfirmPolicyTest, RevertedImageNeverAppliesItsRevocation) {
  auto device = Device();
  host::InstallSecondarySlot(*device, Component::kApp, Update(true), false);
  BootOk(*device);
  EXPECT_EQ(BootOk(*device).update, static_cast<uint8_t>(UpdateEvent::kReverted));
  EXPECT_FALSE(Slot0Revoked(*device));
  EXPECT_EQ(Sequence(*device), 0u);
}

TEST_F(ConfirmPolicyTest, RevokeOlderOnConfirm) {
  profile_.domains[kApp].revoke_older_on_confirm = true;
  auto device = Device();
  host::InstallSecondarySlot(*device, Component::kApp, Update(false), false);
  BootOk(*device);
  EXPECT_FALSE(Slot0Revoked(*device));
  Queue(*device, mailbox::RequestType::kConfirm);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_TRUE(Slot0Revoked(*device));
  EXPECT_NE(AppDomain(*device).signing[1].revoked, otp::kSlotRevokedMarker);
  EXPECT_EQ(run.report.requests[run.report.request_count - 1].type, boot::kRevokeOlderRequest);
  // Marker words only: the report shows the slot revoked, no record, no sequence.
  const boot::BootReportDomain& app = run.report.domains[kApp];
  EXPECT_EQ(app.signing_slots[0], static_cast<uint8_t>(keys::SlotState::kRevoked));
  EXPECT_EQ(app.signing_slots[1], static_cast<uint8_t>(keys::SlotState::kProvisioned));
  EXPECT_EQ(app.revocation_sequence, 0u);
  EXPECT_EQ(app.records_used, 0);
}

// Every decision that changes OTP is reported: a mailbox holding as many
// requests as it can (each taking a report entry) cannot starve the boot
// chain's own entries — the carried revocation and revoke_older_on_confirm.
TEST_F(ConfirmPolicyTest, FullMailboxDoesNotHideTheCarriedRevocation) {
  profile_.domains[kApp].revoke_older_on_confirm = true;
  auto device = Device();
  host::InstallSecondarySlot(*device, Component::kApp, Update(true), false);
  EXPECT_EQ(BootOk(*device).state, static_cast<uint8_t>(ImageState::kTrial));
  const std::vector<uint8_t> garbage{0xd8, 0x62, 0x01};
  std::vector<mailbox::Request> requests{
      {mailbox::RequestType::kConfirm, static_cast<uint8_t>(Component::kApp), {}}};
  while (requests.size() < mailbox::kMaxRequests) {
    requests.push_back({mailbox::RequestType::kRevoke, mailbox::kAnyComponent, garbage});
  }
  ByteSpan region;
  ASSERT_TRUE(device->Region(platform::RamRegion::kMailbox, &region).ok());
  ASSERT_TRUE(mailbox::BuildMailbox(requests.data(), requests.size(), region).ok());
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_TRUE(Slot0Revoked(*device));
  EXPECT_EQ(Sequence(*device), 1u);
  ASSERT_EQ(run.report.request_count, mailbox::kMaxRequests + 1);
  EXPECT_EQ(run.report.dropped_requests, 0);
  const boot::BootReportRequest& carried = run.report.requests[mailbox::kMaxRequests];
  EXPECT_EQ(carried.type, boot::kImageRevocationRequest);
  EXPECT_EQ(carried.component, static_cast<uint8_t>(Component::kApp));
  EXPECT_EQ(carried.outcome, static_cast<uint8_t>(boot::RequestOutcome::kApplied));
  EXPECT_EQ(carried.sequence, 1u);
  EXPECT_EQ(carried.revoked_slots, 0x01);
  // Slot 0 went with the command: revoke_older_on_confirm had nothing left.
  for (size_t i = 0; i < mailbox::kMaxRequests; ++i) {
    EXPECT_NE(run.report.requests[i].type, boot::kImageRevocationRequest);
  }
}

// Power loss at every operation of the confirming boot of an update that
// carries a revocation: stable state is either (old image, nothing revoked)
// or (new image, counter 5, slot 0 revoked, sequence 1); never half-applied.
TEST_F(ConfirmPolicyTest, PowerLossDuringConfirmWithRevocation) {
  const std::vector<uint8_t> update = Update(true);
  auto prepare = [&] {
    auto device = Device();
    host::InstallSecondarySlot(*device, Component::kApp, update, false);
    BootOk(*device);
    Queue(*device, mailbox::RequestType::kConfirm);
    return device;
  };
  uint64_t total = 0;
  {
    auto device = prepare();
    const uint64_t before = device->operations();
    ASSERT_TRUE(device->Boot().app_reached);
    total = device->operations() - before;
  }
  for (uint64_t n = 1; n <= total; ++n) {
    SCOPED_TRACE(testing::Message() << "power loss at operation " << n << " of " << total);
    auto device = prepare();
    device->SetPowerLossAfter(n);
    (void)device->Boot();
    device->PowerCycle();
    uint8_t major = 0;
    for (int boot = 0; boot < 3; ++boot) {
      const VirtualDevice::BootRun run = device->Boot();
      ASSERT_TRUE(run.app_reached);
      major = AppEntry(run)->version.major;
    }
    if (major == 2) {
      EXPECT_EQ(Counter(*device), 5u);
      EXPECT_TRUE(Slot0Revoked(*device));
      EXPECT_EQ(Sequence(*device), 1u);
    } else {
      EXPECT_EQ(major, 1);
      EXPECT_EQ(Counter(*device), kFactoryCounter);
      EXPECT_FALSE(Slot0Revoked(*device));
      EXPECT_EQ(Sequence(*device), 0u);
    }
  }
  std::printf("[ power loss ] %u interruption points checked\n", static_cast<unsigned>(total));
}

INSTANTIATE_TEST_SUITE_P(
    All, UpdatePowerLossTest,
    ::testing::Combine(::testing::Values(Scenario::kInstall, Scenario::kRevert, Scenario::kConfirm),
                       ::testing::Values(VirtualDevice::PowerLossMode::kClean,
                                         VirtualDevice::PowerLossMode::kTorn)));

}  // namespace
}  // namespace bastion
