// Security counters over a product's life on the virtual device: a thousand
// releases signed with `-s auto` (every one raises the counter, by jumps)
// confirmed one after the other, then one more; a worn-out counter store
// that never blocks an update.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "boot/boot_report.h"
#include "boot/boot_update.h"
#include "common/crc32.h"
#include "counters/counter_store.h"
#include "image/image.h"
#include "mailbox/mailbox.h"
#include "provisioning/provisioning.h"
#include "support/counters.h"
#include "support/test_images.h"
#include "support/test_keys.h"
#include "virtual_device/virtual_device.h"

namespace bastion {
namespace {

using boot::CounterUpdate;
using boot::ImageState;
using boot::UpdateEvent;
using host::VirtualDevice;
using otp::Component;
using test_support::MakeKey;
using test_support::Spki;

// A small app image of version `v`, SEC_CNT as `-s auto` makes it.
std::vector<uint8_t> AutoRelease(const crypto::EcKeyPair& key, const image::ImageVersion& v) {
  std::vector<uint8_t> payload(1024);
  uint32_t x = 0x9e3779b9u * (v.revision + 1u);
  for (uint8_t& b : payload) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  image::SignOptions options;
  options.version = v;
  options.header_size = 0x200;
  options.pad_header = true;
  options.has_security_counter = true;
  options.security_counter = image::AutoSecurityCounter(v);
  std::vector<uint8_t> out(payload.size() + 0x200 + 1024);
  size_t written = 0;
  EXPECT_EQ(image::BuildSignedImage(payload, options, key, out, &written), image::BuildError::kOk);
  out.resize(written);
  return out;
}

class CounterBootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = MakeKey(crypto::Curve::kP256, 41);
    profile_.geometry = host::DefaultGeometry();
    profile_.layout = host::DefaultLayout(profile_.geometry);
    for (auto& d : profile_.domains) {
      d.keys = {Spki(key_)};
      d.threshold = 1;
    }
    device_ = VirtualDevice::InMemory(profile_.geometry);
    host::Provision(*device_, profile_);
    host::FlashPrimarySlot(*device_, Component::kUrot, AutoRelease(key_, {1, 0, 0, 0}));
    host::FlashPrimarySlot(*device_, Component::kSm, AutoRelease(key_, {1, 0, 0, 0}));
    host::FlashPrimarySlot(*device_, Component::kApp, AutoRelease(key_, {1, 0, 0, 0}));
  }

  boot::BootReportImage BootApp() {
    const VirtualDevice::BootRun run = device_->Boot();
    EXPECT_TRUE(run.app_reached);
    for (size_t i = 0; i < run.report.image_count; ++i) {
      if (run.report.images[i].component == static_cast<uint8_t>(Component::kApp)) {
        return run.report.images[i];
      }
    }
    ADD_FAILURE() << "no app entry";
    return {};
  }

  void QueueConfirm() {
    ByteSpan region;
    ASSERT_TRUE(device_->Region(platform::RamRegion::kMailbox, &region).ok());
    const mailbox::Request request{
        mailbox::RequestType::kConfirm, static_cast<uint8_t>(Component::kApp), {}};
    ASSERT_TRUE(mailbox::BuildMailbox(&request, 1, region).ok());
  }

  // Installs `image`, boots it in TRIAL, confirms it; returns the entry of
  // the boot that confirmed it.
  boot::BootReportImage Release(const std::vector<uint8_t>& image) {
    host::InstallSecondarySlot(*device_, Component::kApp, image, false);
    const boot::BootReportImage trial = BootApp();
    EXPECT_EQ(trial.update, static_cast<uint8_t>(UpdateEvent::kInstalled));
    EXPECT_EQ(trial.state, static_cast<uint8_t>(ImageState::kTrial));
    QueueConfirm();
    return BootApp();
  }

  uint32_t Counter() {
    return test_support::StoredCounter(*device_, profile_.layout, Component::kApp);
  }

  crypto::EcKeyPair key_;
  host::Profile profile_;
  std::unique_ptr<VirtualDevice> device_;
};

TEST_F(CounterBootTest, AThousandAutoCounterReleasesThenOneMore) {
  EXPECT_EQ(BootApp().stored_counter, image::AutoSecurityCounter({1, 0, 0, 0}));
  constexpr uint32_t kReleases = 1000;
  uint32_t last = 0;
  for (uint32_t i = 1; i <= kReleases; ++i) {
    // 1.0.1, 1.1.2, ... 1.249.249, 2.0.250, ...: every release raises the
    // counter, by 65,537 or by millions.
    const image::ImageVersion v{static_cast<uint8_t>(1 + i / 250), static_cast<uint8_t>(i % 250),
                                static_cast<uint16_t>(i), 0};
    const boot::BootReportImage e = Release(AutoRelease(key_, v));
    ASSERT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kConfirmed)) << "release " << i;
    ASSERT_EQ(e.counter_update, static_cast<uint8_t>(CounterUpdate::kRaised)) << "release " << i;
    ASSERT_EQ(Counter(), image::AutoSecurityCounter(v)) << "release " << i;
    ASSERT_GT(Counter(), last);
    last = Counter();
  }
  // And one more, which raises it again.
  const image::ImageVersion next{6, 0, 0, 0};
  const boot::BootReportImage e = Release(AutoRelease(key_, next));
  EXPECT_EQ(e.update, static_cast<uint8_t>(UpdateEvent::kConfirmed));
  EXPECT_EQ(e.counter_update, static_cast<uint8_t>(CounterUpdate::kRaised));
  EXPECT_EQ(Counter(), image::AutoSecurityCounter(next));
  host::RawFlashReader flash(*device_);
  counters::StoreState st;
  ASSERT_TRUE(counters::ReadStore(flash, profile_.layout.counters, &st).ok());
  EXPECT_GE(st.generation, 2u);  // the store compacted on the way
  EXPECT_GT(counters::RaisesLeft(st), 1000000u);
}

// A counter store that can take no more raises: an update that needs no
// raise installs and is confirmed as ever; one that needs a raise installs,
// runs and is confirmed too, its counter not raised (reported with the
// reason), and nothing older than the floor passes.
TEST_F(CounterBootTest, WornOutStoreNeverBlocksAnUpdate) {
  ASSERT_TRUE(BootApp().verified);
  // Wear the sm/app store out: the live sector's header at the last
  // generation allowed, every unit used.
  const otp::FlashRegion& area = profile_.layout.counters;
  const platform::FlashGeometry& g = profile_.geometry;
  host::RawFlashReader reader(*device_);
  counters::StoreState st;
  ASSERT_TRUE(counters::ReadStore(reader, area, &st).ok());
  std::vector<uint8_t> sector(g.sector_size, g.erased_value);
  const otp::Component components[] = {Component::kSm, Component::kApp};
  const uint32_t floors[] = {st.values[1], st.values[2]};
  ASSERT_TRUE(counters::FormatSector(g, area.offset, components, floors, 2, sector).ok());
  counters::SectorHeader h;
  std::memcpy(&h, sector.data(), sizeof(h));
  h.generation = 2 * counters::kSectorEndurance;
  h.crc = Crc32(
      ConstByteSpan(reinterpret_cast<const uint8_t*>(&h), offsetof(counters::SectorHeader, crc)));
  std::memcpy(sector.data(), &h, sizeof(h));
  const counters::SectorMarker complete{counters::kCompleteMagic,
                                        counters::kCompleteMagic ^ h.generation};
  std::memcpy(sector.data() + 16, &complete, sizeof(complete));
  // Every record unit after the two floors: records re-stating them.
  for (uint32_t off = 16 + 2 * g.program_unit + 2 * g.program_unit;
       off + g.program_unit <= g.sector_size; off += g.program_unit) {
    const counters::CounterRecord r = counters::MakeRecord(Component::kApp, floors[1]);
    std::memcpy(sector.data() + off, &r, sizeof(r));
  }
  device_->FactoryWriteFlash(area.offset, sector);
  ASSERT_TRUE(counters::ReadStore(reader, area, &st).ok());
  ASSERT_EQ(counters::RaisesLeft(st), 0u);
  const uint32_t floor = Counter();

  // Same counter: no raise needed.
  const boot::BootReportImage same = Release(AutoRelease(key_, {1, 0, 0, 1}));
  EXPECT_EQ(same.update, static_cast<uint8_t>(UpdateEvent::kConfirmed));
  EXPECT_EQ(same.counter_update, static_cast<uint8_t>(CounterUpdate::kNone));
  // Higher counter: installed, confirmed, runs; the raise fails with its reason.
  const boot::BootReportImage higher = Release(AutoRelease(key_, {2, 0, 0, 0}));
  EXPECT_EQ(higher.update, static_cast<uint8_t>(UpdateEvent::kConfirmed));
  EXPECT_EQ(higher.verified, 1);
  EXPECT_EQ(higher.version.major, 2);
  EXPECT_EQ(higher.counter_update, static_cast<uint8_t>(CounterUpdate::kRaiseFailed));
  EXPECT_EQ(higher.counter_detail, static_cast<uint8_t>(StatusCode::kResourceExhausted));
  EXPECT_EQ(Counter(), floor);
  // The next boot tries again, says so again, and still boots.
  const boot::BootReportImage again = BootApp();
  EXPECT_EQ(again.verified, 1);
  EXPECT_EQ(again.counter_update, static_cast<uint8_t>(CounterUpdate::kRaiseFailed));
  // Below the floor is still refused.
  host::InstallSecondarySlot(*device_, Component::kApp, AutoRelease(key_, {0, 9, 0, 0}), false);
  const boot::BootReportImage old = BootApp();
  EXPECT_EQ(old.update, static_cast<uint8_t>(UpdateEvent::kInstallRefused));
  EXPECT_EQ(old.update_detail, static_cast<uint16_t>(image::ImageError::kSecurityCounterRollback));
}

}  // namespace
}  // namespace bastion
