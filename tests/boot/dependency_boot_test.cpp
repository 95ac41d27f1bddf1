// DEPENDENCY TLVs and header flags on the virtual device
// (boot_dependencies.h): a download whose dependency is unmet is held (still
// STAGED) and installs once the other component is confirmed; a download
// that would break another image's dependency is held; a factory image with
// an unmet dependency, a bad dependency or RAM_LOAD is refused with its
// reason; a TRIAL image whose dependency no longer holds is reverted.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "boot/boot_dependencies.h"
#include "boot/boot_report.h"
#include "boot/boot_update.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "mailbox/mailbox.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "support/test_keys.h"
#include "virtual_device/virtual_device.h"

namespace bastion {
namespace {

using boot::ImageState;
using boot::UpdateEvent;
using host::VirtualDevice;
using image::ImageError;
using otp::Component;
using test_support::MakeKey;
using test_support::Spki;

constexpr size_t kSm = static_cast<size_t>(Component::kSm);
constexpr size_t kApp = static_cast<size_t>(Component::kApp);

// An image of `component`'s test key, version major.minor.0, SEC_CNT 1,
// with the given DEPENDENCY TLVs and load address (RAM_LOAD when non-zero).
std::vector<uint8_t> Signed(const crypto::EcKeyPair& key, uint8_t major, uint8_t minor,
                            std::vector<image::ImageDependency> deps = {}, uint32_t load_addr = 0) {
  std::vector<uint8_t> payload(5000 + major * 100 + minor);
  uint32_t x = 0x2545f491u * (major + 1) + minor;
  for (uint8_t& b : payload) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  image::SignOptions options;
  options.version = {major, minor, 0, 0};
  options.header_size = 0x200;
  options.pad_header = true;
  options.has_security_counter = true;
  options.security_counter = 1;
  options.load_addr = load_addr;
  options.dependencies = deps;
  std::vector<uint8_t> out(payload.size() + 0x200 + 1024);
  size_t written = 0;
  EXPECT_EQ(image::BuildSignedImage(payload, options, key, out, &written), image::BuildError::kOk);
  out.resize(written);
  return out;
}

image::ImageDependency On(Component c, uint8_t major, uint8_t minor = 0) {
  return {static_cast<uint8_t>(c), {major, minor, 0, 0}};
}

class DependencyBootTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new std::array<crypto::EcKeyPair, 3>{MakeKey(41), MakeKey(42), MakeKey(43)};
  }
  static void TearDownTestSuite() { delete keys_; }

  void SetUp() override {
    profile_.geometry = host::DefaultGeometry();
    profile_.layout = host::DefaultLayout(profile_.geometry);
    for (size_t c = 0; c < 3; ++c) {
      profile_.domains[c].keys = {Spki((*keys_)[c])};
      profile_.domains[c].threshold = 1;
    }
  }

  const crypto::EcKeyPair& Key(Component c) { return (*keys_)[static_cast<size_t>(c)]; }

  // urot 1.0, sm sm_major.0, and `app` in the primary slots.
  std::unique_ptr<VirtualDevice> Device(uint8_t sm_major, const std::vector<uint8_t>& app) {
    auto device = VirtualDevice::InMemory(profile_.geometry);
    host::Provision(*device, profile_);
    host::FlashPrimarySlot(*device, Component::kUrot, Signed(Key(Component::kUrot), 1, 0));
    host::FlashPrimarySlot(*device, Component::kSm, Signed(Key(Component::kSm), sm_major, 0));
    host::FlashPrimarySlot(*device, Component::kApp, app);
    return device;
  }

  update::SlotSet Slots(Component c) const {
    const size_t i = static_cast<size_t>(c);
    return {profile_.layout.primary[i], profile_.layout.secondary[i], profile_.layout.scratch};
  }

  static const boot::BootReportImage* Entry(const VirtualDevice::BootRun& run, size_t c) {
    for (size_t i = 0; i < run.report.image_count; ++i) {
      if (run.report.images[i].component == c) return &run.report.images[i];
    }
    return nullptr;
  }

  static void Confirm(VirtualDevice& device, Component c) {
    ByteSpan region;
    ASSERT_TRUE(device.Region(platform::RamRegion::kMailbox, &region).ok());
    const mailbox::Request request{mailbox::RequestType::kConfirm, static_cast<uint8_t>(c), {}};
    ASSERT_TRUE(mailbox::BuildMailbox(&request, 1, region).ok());
  }

  host::Profile profile_;
  static std::array<crypto::EcKeyPair, 3>* keys_;
};

std::array<crypto::EcKeyPair, 3>* DependencyBootTest::keys_ = nullptr;

TEST_F(DependencyBootTest, DownloadIsHeldUntilTheDependencyIsConfirmed) {
  auto device = Device(1, Signed(Key(Component::kApp), 1, 0));
  // app 2.0 needs sm >= 2.0; the device runs sm 1.0.
  host::InstallSecondarySlot(*device, Component::kApp,
                             Signed(Key(Component::kApp), 2, 0, {On(Component::kSm, 2)}), false);
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  const boot::BootReportImage* app = Entry(run, kApp);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->update, static_cast<uint8_t>(UpdateEvent::kHeld));
  EXPECT_EQ(app->update_detail, kSm);
  EXPECT_EQ(app->version.major, 1);
  EXPECT_EQ(boot::SecondaryState(device->platform().flash, Slots(Component::kApp)),
            ImageState::kStaged);

  // sm 2.0 installed: in TRIAL its fallback (1.0) does not meet the
  // dependency, so the app download is still held.
  host::InstallSecondarySlot(*device, Component::kSm, Signed(Key(Component::kSm), 2, 0), false);
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, kSm)->update, static_cast<uint8_t>(UpdateEvent::kInstalled));
  EXPECT_EQ(Entry(run, kApp)->update, static_cast<uint8_t>(UpdateEvent::kHeld));
  EXPECT_EQ(Entry(run, kApp)->version.major, 1);

  // sm confirmed: the same boot installs the app download.
  Confirm(*device, Component::kSm);
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, kSm)->update, static_cast<uint8_t>(UpdateEvent::kConfirmed));
  EXPECT_EQ(Entry(run, kApp)->update, static_cast<uint8_t>(UpdateEvent::kInstalled));
  EXPECT_EQ(Entry(run, kApp)->version.major, 2);
  EXPECT_EQ(Entry(run, kApp)->state, static_cast<uint8_t>(ImageState::kTrial));
}

TEST_F(DependencyBootTest, BuildNumberIsIgnoredAndMetDependencyInstalls) {
  auto device = Device(2, Signed(Key(Component::kApp), 1, 0));
  image::ImageDependency dep = On(Component::kSm, 2);
  dep.min_version.build = 99;  // MCUboot's default order ignores the build number
  host::InstallSecondarySlot(*device, Component::kApp, Signed(Key(Component::kApp), 2, 0, {dep}),
                             false);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, kApp)->update, static_cast<uint8_t>(UpdateEvent::kInstalled));
  EXPECT_EQ(Entry(run, kApp)->version.major, 2);
}

TEST_F(DependencyBootTest, DownloadThatWouldBreakAnotherImagesDependencyIsHeld) {
  // app 1.0 needs sm >= 2.0; the download offers sm 1.9 (same security
  // counter, so it verifies), which the running app does not accept.
  auto device = Device(2, Signed(Key(Component::kApp), 1, 0, {On(Component::kSm, 2, 0)}));
  ASSERT_TRUE(device->Boot().app_reached);
  host::InstallSecondarySlot(*device, Component::kSm, Signed(Key(Component::kSm), 1, 9), false);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, kSm)->update, static_cast<uint8_t>(UpdateEvent::kHeld));
  EXPECT_EQ(Entry(run, kSm)->update_detail, kApp | boot::kHeldBreaksDependent);
  EXPECT_EQ(Entry(run, kSm)->version.major, 2);
}

TEST_F(DependencyBootTest, FactoryImageWithUnmetDependencyIsRefused) {
  auto device = Device(1, Signed(Key(Component::kApp), 1, 0, {On(Component::kSm, 3)}));
  const VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  ASSERT_TRUE(run.report_valid);
  EXPECT_EQ(static_cast<boot::BootReason>(run.report.failure_reason),
            boot::BootReason::kImageRefused);
  EXPECT_EQ(run.report.failure_component, kApp);
  EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), ImageError::kDependencyUnmet);
  // Met: boots.
  auto met = Device(3, Signed(Key(Component::kApp), 1, 0, {On(Component::kSm, 3)}));
  EXPECT_TRUE(met->Boot().app_reached);
}

TEST_F(DependencyBootTest, DependencyOnItselfOrNoComponentIsRefused) {
  for (const uint8_t id : {uint8_t{2}, uint8_t{3}, uint8_t{0xff}}) {
    const image::ImageDependency bad{id, {1, 0, 0, 0}};
    auto device = Device(1, Signed(Key(Component::kApp), 1, 0, {bad}));
    VirtualDevice::BootRun run = device->Boot();
    EXPECT_FALSE(run.app_reached) << int{id};
    EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), ImageError::kBadDependency);
    // As a download: refused (never installable), the old image boots.
    auto good = Device(1, Signed(Key(Component::kApp), 1, 0));
    host::InstallSecondarySlot(*good, Component::kApp, Signed(Key(Component::kApp), 2, 0, {bad}),
                               false);
    run = good->Boot();
    ASSERT_TRUE(run.app_reached);
    EXPECT_EQ(Entry(run, kApp)->update, static_cast<uint8_t>(UpdateEvent::kInstallRefused));
    EXPECT_EQ(Entry(run, kApp)->update_detail, static_cast<uint16_t>(ImageError::kBadDependency));
    EXPECT_EQ(boot::SecondaryState(good->platform().flash, Slots(Component::kApp)),
              ImageState::kFailed);
  }
}

TEST_F(DependencyBootTest, RamLoadImageIsRefusedAsFactoryImageAndAsDownload) {
  auto device = Device(1, Signed(Key(Component::kApp), 1, 0, {}, 0x20000000));
  VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), ImageError::kRamLoad);

  auto good = Device(1, Signed(Key(Component::kApp), 1, 0));
  host::InstallSecondarySlot(*good, Component::kApp,
                             Signed(Key(Component::kApp), 2, 0, {}, 0x20000000), false);
  run = good->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, kApp)->update, static_cast<uint8_t>(UpdateEvent::kInstallRefused));
  EXPECT_EQ(Entry(run, kApp)->update_detail, static_cast<uint16_t>(ImageError::kRamLoad));
  EXPECT_EQ(Entry(run, kApp)->version.major, 1);
}

TEST_F(DependencyBootTest, DependenciesAcrossStages) {
  // urot (installed by iROT) needs app >= 2.0; the device runs app 1.0: held.
  auto device = Device(1, Signed(Key(Component::kApp), 1, 0));
  host::InstallSecondarySlot(*device, Component::kUrot,
                             Signed(Key(Component::kUrot), 2, 0, {On(Component::kApp, 2)}), false);
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, 0)->update, static_cast<uint8_t>(UpdateEvent::kHeld));
  EXPECT_EQ(Entry(run, 0)->update_detail, kApp);
  // app 2.0 (needs urot >= 1.0, read by uROT) installed permanently; the
  // held urot download installs at the next boot.
  host::InstallSecondarySlot(*device, Component::kApp,
                             Signed(Key(Component::kApp), 2, 0, {On(Component::kUrot, 1)}), true);
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, kApp)->update, static_cast<uint8_t>(UpdateEvent::kInstalledPermanent));
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, 0)->update, static_cast<uint8_t>(UpdateEvent::kInstalled));
  EXPECT_EQ(Entry(run, 0)->version.major, 2);
}

TEST_F(DependencyBootTest, TrialWhoseFallbackAlsoSatisfiesCounts) {
  // app 1.0 needs sm >= 1.0. sm 2.0 and app 2.0 (also needing sm >= 1.0)
  // staged together: sm goes in first (TRIAL over 1.0, both satisfy), so the
  // app download is not held, and the running app's dependency holds.
  auto device = Device(1, Signed(Key(Component::kApp), 1, 0, {On(Component::kSm, 1)}));
  host::InstallSecondarySlot(*device, Component::kSm, Signed(Key(Component::kSm), 2, 0), false);
  host::InstallSecondarySlot(*device, Component::kApp,
                             Signed(Key(Component::kApp), 2, 0, {On(Component::kSm, 1)}), false);
  VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, kSm)->update, static_cast<uint8_t>(UpdateEvent::kInstalled));
  EXPECT_EQ(Entry(run, kApp)->update, static_cast<uint8_t>(UpdateEvent::kInstalled));
  EXPECT_EQ(Entry(run, kApp)->version.major, 2);
  // Nothing confirmed: both reverted at the next reset, and the old pair boots.
  run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(Entry(run, kSm)->version.major, 1);
  EXPECT_EQ(Entry(run, kApp)->version.major, 1);
}

TEST_F(DependencyBootTest, TrialWhoseDependencyNoLongerHoldsIsReverted) {
  // app 2.0 (needs sm >= 1) installed in TRIAL; then the sm slot is
  // reprogrammed with 0.5 behind the engine's back.
  auto device = Device(1, Signed(Key(Component::kApp), 1, 0));
  host::InstallSecondarySlot(*device, Component::kApp,
                             Signed(Key(Component::kApp), 2, 0, {On(Component::kSm, 1)}), false);
  ASSERT_TRUE(device->Boot().app_reached);
  ASSERT_EQ(boot::PrimaryState(device->platform().flash, Slots(Component::kApp)),
            ImageState::kTrial);
  host::FlashPrimarySlot(*device, Component::kSm, Signed(Key(Component::kSm), 0, 5));
  otp::OtpHeader header;
  ASSERT_TRUE(host::ReadHeader(*device, &header));
  boot::UpdateRecord records[otp::kComponentCount]{};
  const VirtualDevice::BootRun run = device->RunFromReset([&](platform::Platform& p) {
    boot::RevertTrialsWithUnmetDependencies(p, header, boot::kUrotComponents, records);
  });
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(records[kApp].event, static_cast<uint8_t>(UpdateEvent::kReverted));
  EXPECT_EQ(records[kApp].detail, static_cast<uint16_t>(ImageError::kDependencyUnmet));
  EXPECT_EQ(records[kSm].event, static_cast<uint8_t>(UpdateEvent::kNone));
  EXPECT_EQ(boot::PrimaryState(device->platform().flash, Slots(Component::kApp)),
            ImageState::kReady);
  // Back on app 1.0, which declares nothing: the device boots.
  const VirtualDevice::BootRun after = device->Boot();
  ASSERT_TRUE(after.app_reached);
  EXPECT_EQ(Entry(after, kApp)->version.major, 1);
}

// A power loss at any operation of an app update, with a urot that depends
// on the app: iROT judges urot's dependency before uROT has finished the
// app's swap, so it must not judge the half-swapped app slots (they would
// refuse a good urot at every boot, and uROT would never run to finish the
// swap). Every cut ends in a device that boots.
TEST_F(DependencyBootTest, PowerLossDuringAnUpdateTheUrotDependsOnNeverBricks) {
  int cuts = 0;
  for (uint64_t n = 1;; ++n) {
    auto device = VirtualDevice::InMemory(profile_.geometry);
    host::Provision(*device, profile_);
    host::FlashPrimarySlot(*device, Component::kUrot,
                           Signed(Key(Component::kUrot), 1, 0, {On(Component::kApp, 1)}));
    host::FlashPrimarySlot(*device, Component::kSm, Signed(Key(Component::kSm), 1, 0));
    host::FlashPrimarySlot(*device, Component::kApp, Signed(Key(Component::kApp), 1, 0));
    ASSERT_TRUE(device->Boot().app_reached);
    host::InstallSecondarySlot(*device, Component::kApp, Signed(Key(Component::kApp), 2, 0), false);
    device->SetPowerLossAfter(n);
    if (device->Boot().app_reached) break;  // n is past the boot's last operation
    device->SetPowerLossAfter(0);
    ++cuts;
    SCOPED_TRACE("cut at operation " + std::to_string(n));
    device->PowerCycle();
    VirtualDevice::BootRun run = device->Boot();
    for (int i = 0; i < 3 && !run.app_reached; ++i) {
      device->PowerCycle();
      run = device->Boot();
    }
    ASSERT_TRUE(run.app_reached) << "reason " << run.report.failure_reason << " component "
                                 << int{run.report.failure_component} << " detail "
                                 << run.report.failure_detail;
  }
  EXPECT_GT(cuts, 10);
}

}  // namespace
}  // namespace bastion
