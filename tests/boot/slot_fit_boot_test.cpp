// What fits a slot (docs/update-swap.md): `device flash` and `device
// install` (host::FlashPrimarySlot / InstallSecondarySlot) accept an image
// exactly as large as the swap can move — the primary slot less its trailer
// sector — and refuse one byte more, so every image the device accepts can
// later be updated: a factory image of the largest size is replaced by an
// update of the largest size without no-room.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "boot/boot_update.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "support/test_images.h"
#include "support/test_keys.h"
#include "update/slot_swap.h"
#include "virtual_device/virtual_device.h"

namespace bastion {
namespace {

using host::VirtualDevice;
using otp::Component;
using test_support::MakeKey;
using test_support::SignTestImage;
using test_support::Spki;

constexpr size_t kApp = static_cast<size_t>(Component::kApp);

// An app image (version `major`) whose total size (header, payload, TLVs)
// is exactly `total`: the payload is adjusted until the signature's length
// settles.
std::vector<uint8_t> ImageOfTotalSize(const crypto::EcKeyPair& key, uint8_t major, uint32_t total) {
  size_t payload = total - 0x200 - 200;
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::vector<uint8_t> image = SignTestImage(key, major, 1, payload);
    const image::SpanImageSource source(image);
    image::ParsedImage parsed;
    EXPECT_EQ(image::ParseImage(source, &parsed), image::ImageError::kOk);
    if (parsed.total_size == total) return image;
    payload = payload + total - parsed.total_size;
  }
  ADD_FAILURE() << "no image of total size " << total;
  return {};
}

class SlotFitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = {MakeKey(51), MakeKey(52), MakeKey(53)};
    profile_.geometry = host::DefaultGeometry();
    profile_.layout = host::DefaultLayout(profile_.geometry);
    for (size_t c = 0; c < 3; ++c) {
      profile_.domains[c].keys = {Spki(keys_[c])};
      profile_.domains[c].threshold = 1;
    }
    device_ = VirtualDevice::InMemory(profile_.geometry);
    host::Provision(*device_, profile_);
    host::FlashPrimarySlot(*device_, Component::kUrot, SignTestImage(keys_[0], 1, 0, 3000));
    host::FlashPrimarySlot(*device_, Component::kSm, SignTestImage(keys_[1], 1, 0, 3000));
  }

  uint32_t Room() const {
    const update::SlotSet slots{profile_.layout.primary[kApp], profile_.layout.secondary[kApp],
                                profile_.layout.scratch};
    return update::MaxSwapSectors(profile_.geometry, slots, 1) * profile_.geometry.sector_size;
  }

  std::array<crypto::EcKeyPair, 3> keys_;
  host::Profile profile_;
  std::unique_ptr<VirtualDevice> device_;
};

TEST_F(SlotFitTest, LargestAcceptedFactoryImageCanBeUpdatedByTheLargestDownload) {
  const uint32_t room = Room();
  ASSERT_EQ(room, profile_.layout.primary[kApp].size - profile_.geometry.sector_size);
  const std::vector<uint8_t> too_big = ImageOfTotalSize(keys_[2], 1, room + 1);
  const std::vector<uint8_t> before = device_->raw_flash();
  EXPECT_THROW(host::FlashPrimarySlot(*device_, Component::kApp, too_big), host::DeviceError);
  EXPECT_EQ(device_->raw_flash(), before);  // refused: nothing written

  host::FlashPrimarySlot(*device_, Component::kApp, ImageOfTotalSize(keys_[2], 1, room));
  ASSERT_TRUE(device_->Boot().app_reached);

  const std::vector<uint8_t> too_big_update = ImageOfTotalSize(keys_[2], 2, room + 1);
  const std::vector<uint8_t> before_install = device_->raw_flash();
  EXPECT_THROW(host::InstallSecondarySlot(*device_, Component::kApp, too_big_update, false),
               host::DeviceError);
  EXPECT_EQ(device_->raw_flash(), before_install);

  host::InstallSecondarySlot(*device_, Component::kApp, ImageOfTotalSize(keys_[2], 2, room), false);
  const VirtualDevice::BootRun run = device_->Boot();
  ASSERT_TRUE(run.app_reached);
  const boot::BootReportImage* app = nullptr;
  for (size_t i = 0; i < run.report.image_count; ++i) {
    if (run.report.images[i].component == kApp) app = &run.report.images[i];
  }
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->update, static_cast<uint8_t>(boot::UpdateEvent::kInstalled));
  EXPECT_EQ(app->version.major, 2);
}

TEST_F(SlotFitTest, ImgtoolPaddedImagesAreInstalledWithTheirTrailerTranslated) {
  host::FlashPrimarySlot(*device_, Component::kApp, SignTestImage(keys_[2], 1, 1, 4000));
  std::vector<uint8_t> payload(6000, 0x5a);
  for (const bool confirm : {false, true}) {
    image::SignOptions options;
    options.version = {static_cast<uint8_t>(confirm ? 3 : 2), 0, 0, 0};
    options.header_size = 0x200;
    options.pad_header = true;
    options.has_security_counter = true;
    options.security_counter = 1;
    options.slot_size = profile_.layout.primary[kApp].size;  // imgtool -S for the device
    options.align = 16;
    options.pad = true;
    options.confirm = confirm;
    std::vector<uint8_t> out(options.slot_size);
    size_t written = 0;
    ASSERT_EQ(image::BuildSignedImage(payload, options, keys_[2], out, &written),
              image::BuildError::kOk);
    ASSERT_EQ(written, options.slot_size);
    host::InstallSecondarySlot(*device_, Component::kApp, out, false);
    const VirtualDevice::BootRun run = device_->Boot();
    ASSERT_TRUE(run.app_reached);
    for (size_t i = 0; i < run.report.image_count; ++i) {
      if (run.report.images[i].component != kApp) continue;
      EXPECT_EQ(run.report.images[i].update,
                static_cast<uint8_t>(confirm ? boot::UpdateEvent::kInstalledPermanent
                                             : boot::UpdateEvent::kInstalled));
      EXPECT_EQ(run.report.images[i].version.major, confirm ? 3 : 2);
    }
    if (!confirm) {
      ASSERT_TRUE(device_->Boot().app_reached);  // unconfirmed: reverted
    }
  }
}

}  // namespace
}  // namespace bastion
