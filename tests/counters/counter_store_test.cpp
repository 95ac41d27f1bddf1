// The security counter store (src/counters): values that only rise, any
// jump, compaction when a sector fills, power loss at every operation (clean
// and torn) on the three flash geometries, wear-out, and hostile contents.
#include "counters/counter_store.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "common/crc32.h"
#include "provisioning/provisioning.h"
#include "support/geometries.h"
#include "support/otp_header.h"
#include "virtual_device/virtual_device.h"

namespace bastion::counters {
namespace {

using host::VirtualDevice;
using otp::Component;

using Geometry = test_support::NamedGeometry;
std::vector<Geometry> Geometries() { return test_support::TestGeometries(); }

// A device whose OTP header holds the default layout (so the access policy
// knows the regions), with the sm/app counter store formatted with floors
// sm 2, app 7. Not otherwise provisioned.
class Store {
 public:
  explicit Store(const platform::FlashGeometry& g) : device_(VirtualDevice::InMemory(g)) {
    layout_ = host::DefaultLayout(g);
    test_support::ProgramLayoutHeader(*device_, layout_);
    const Component components[] = {Component::kSm, Component::kApp};
    const uint32_t floors[] = {2, 7};
    std::vector<uint8_t> sector(g.sector_size);
    EXPECT_TRUE(FormatSector(g, area().offset, components, floors, 2, sector).ok());
    device_->FactoryWriteFlash(area().offset, sector);
  }

  VirtualDevice& device() { return *device_; }
  const otp::FlashRegion& area() const { return layout_.counters; }
  uint32_t Value(Component c) {
    uint32_t v = 0;
    host::RawFlashReader flash(*device_);
    const Status s = ReadCounter(flash, area(), c, &v);
    EXPECT_TRUE(s.ok()) << StatusName(s);
    return s.ok() ? v : UINT32_MAX;
  }
  StoreState State() {
    StoreState st;
    host::RawFlashReader flash(*device_);
    EXPECT_TRUE(ReadStore(flash, area(), &st).ok());
    return st;
  }
  Status Raise(Component c, uint32_t value) { return RaiseCounter(*device_, area(), c, value); }

 private:
  std::unique_ptr<VirtualDevice> device_;
  otp::FlashLayout layout_{};
};

TEST(CounterRecordTest, TornRecordsNeverCheck) {
  const CounterRecord r = MakeRecord(Component::kApp, 0x01020304);
  ASSERT_TRUE(RecordValid(r));
  uint8_t bytes[sizeof(r)];
  std::memcpy(bytes, &r, sizeof(r));
  // A torn program leaves a prefix written and the rest erased, or any set
  // of bits unprogrammed (still 1): the Berger check sees each.
  for (size_t cut = 0; cut < sizeof(r); ++cut) {
    uint8_t torn[sizeof(r)];
    std::memcpy(torn, bytes, cut);
    std::memset(torn + cut, 0xff, sizeof(r) - cut);
    CounterRecord t;
    std::memcpy(&t, torn, sizeof(t));
    EXPECT_FALSE(RecordValid(t)) << "cut " << cut;
  }
  for (size_t bit = 0; bit < 8 * sizeof(r); ++bit) {
    uint8_t one[sizeof(r)];
    std::memcpy(one, bytes, sizeof(r));
    if (one[bit / 8] & (1u << (bit % 8))) continue;  // already 1: not an error
    one[bit / 8] = static_cast<uint8_t>(one[bit / 8] | (1u << (bit % 8)));
    CounterRecord t;
    std::memcpy(&t, one, sizeof(t));
    EXPECT_FALSE(RecordValid(t)) << "bit " << bit;
  }
  CounterRecord wrong = MakeRecord(Component::kApp, 1);
  wrong.component = static_cast<uint8_t>(kRecordTag | 7);  // no such component
  EXPECT_FALSE(RecordValid(wrong));
}

TEST(CounterStoreTest, FloorsReadBackAndRaisesOnlyRise) {
  Store s(host::DefaultGeometry());
  EXPECT_EQ(s.Value(Component::kSm), 2u);
  EXPECT_EQ(s.Value(Component::kApp), 7u);
  EXPECT_TRUE(s.Raise(Component::kApp, 9).ok());
  EXPECT_EQ(s.Value(Component::kApp), 9u);
  const uint64_t ops = s.device().operations();
  EXPECT_TRUE(s.Raise(Component::kApp, 8).ok());  // lower: nothing written
  EXPECT_TRUE(s.Raise(Component::kApp, 9).ok());  // equal: nothing written
  EXPECT_EQ(s.device().operations(), ops);
  EXPECT_EQ(s.Value(Component::kApp), 9u);
  EXPECT_TRUE(s.Raise(Component::kApp, 0xfffffff0u).ok());  // any jump
  EXPECT_EQ(s.Value(Component::kApp), 0xfffffff0u);
  EXPECT_EQ(s.Value(Component::kSm), 2u);
  EXPECT_EQ(s.Value(Component::kUrot), 0u);  // no record in this store
}

// Thousands of raises on every geometry: each compaction keeps every
// component's value, and the capacity figures add up.
TEST(CounterStoreTest, ThousandsOfRaisesAcrossCompactions) {
  for (const Geometry& g : Geometries()) {
    SCOPED_TRACE(g.name);
    Store s(g.geometry);
    const StoreState first = s.State();
    const uint32_t per_sector = first.records_per_sector;
    // At least 1,200 raises and one compaction (two where sectors are small).
    const uint32_t raises = per_sector < 1000 ? 2 * per_sector + 1200 : per_sector + 1200;
    for (uint32_t i = 1; i <= raises; ++i) {
      ASSERT_TRUE(s.Raise(Component::kApp, 7 + 3 * i).ok()) << i;
    }
    EXPECT_EQ(s.Value(Component::kApp), 7 + 3 * raises);
    EXPECT_EQ(s.Value(Component::kSm), 2u);
    const StoreState st = s.State();
    EXPECT_GE(st.generation, 2u);
    EXPECT_FALSE(st.second_live);
    EXPECT_EQ(st.records_per_sector, per_sector);
    EXPECT_LT(RaisesLeft(st), RaisesLeft(first));
    EXPECT_GT(RaisesLeft(st), 1000000u);
  }
}

// Power loss at every flash operation of a raise that compacts (and of the
// first raise after it), clean and torn: the counter reads the old or the
// new value, never lower, never anything else, and the store keeps working.
TEST(CounterStoreTest, PowerLossAtEveryOperationNeverLowersACounter) {
  for (const Geometry& g : Geometries()) {
    for (const auto mode :
         {VirtualDevice::PowerLossMode::kClean, VirtualDevice::PowerLossMode::kTorn}) {
      SCOPED_TRACE(std::string(g.name) +
                   (mode == VirtualDevice::PowerLossMode::kTorn ? " torn" : " clean"));
      // The state just before a compaction: the live sector is full.
      Store full(g.geometry);
      const StoreState fresh = full.State();
      uint32_t value = 7;
      for (uint32_t i = fresh.records_used; i < fresh.records_per_sector; ++i) {
        ASSERT_TRUE(full.Raise(Component::kApp, ++value).ok());
      }
      ASSERT_EQ(full.State().records_used, fresh.records_per_sector);
      const std::vector<uint8_t> flash_before = full.device().raw_flash();
      const uint32_t old_value = value;
      const uint32_t new_value = value + 1000;
      // How many operations a whole compacting raise takes, then every cut.
      uint64_t total = 0;
      {
        Store probe(g.geometry);
        probe.device().FactoryWriteFlash(0, flash_before);
        const uint64_t start = probe.device().operations();
        ASSERT_TRUE(probe.Raise(Component::kApp, new_value).ok());
        total = probe.device().operations() - start;
        ASSERT_GE(total, 4u);
      }
      for (uint64_t n = 1; n <= total; ++n) {
        SCOPED_TRACE("cut at operation " + std::to_string(n));
        Store s(g.geometry);
        s.device().FactoryWriteFlash(0, flash_before);
        s.device().SetPowerLossMode(mode);
        s.device().SetPowerLossAfter(n);
        EXPECT_FALSE(s.Raise(Component::kApp, new_value).ok());
        s.device().SetPowerLossMode(VirtualDevice::PowerLossMode::kClean);
        s.device().PowerCycle();
        const uint32_t now = s.Value(Component::kApp);
        EXPECT_TRUE(now == old_value || now == new_value) << now;
        EXPECT_EQ(s.Value(Component::kSm), 2u);
        // The next raises finish the job and go on.
        ASSERT_TRUE(s.Raise(Component::kApp, new_value).ok());
        EXPECT_EQ(s.Value(Component::kApp), new_value);
        ASSERT_TRUE(s.Raise(Component::kSm, 40).ok());
        EXPECT_EQ(s.Value(Component::kSm), 40u);
        EXPECT_EQ(s.Value(Component::kApp), new_value);
        EXPECT_FALSE(s.State().second_live);
      }
    }
  }
}

// One appended record, cut at every byte in torn mode.
TEST(CounterStoreTest, TornAppendReadsOldOrNew) {
  for (const Geometry& g : Geometries()) {
    SCOPED_TRACE(g.name);
    for (uint64_t attempt = 0; attempt < 24; ++attempt) {
      Store s(g.geometry);
      // Different operation numbers give different cut points.
      for (uint64_t i = 0; i < attempt; ++i)
        ASSERT_TRUE(s.Raise(Component::kSm, static_cast<uint32_t>(3 + i)).ok());
      s.device().SetPowerLossMode(VirtualDevice::PowerLossMode::kTorn);
      s.device().SetPowerLossAfter(1);
      EXPECT_EQ(s.Raise(Component::kApp, 0x00abcdef).code(), StatusCode::kUnavailable);
      s.device().SetPowerLossMode(VirtualDevice::PowerLossMode::kClean);
      s.device().PowerCycle();
      const uint32_t now = s.Value(Component::kApp);
      EXPECT_TRUE(now == 7 || now == 0x00abcdef) << now;
      ASSERT_TRUE(s.Raise(Component::kApp, 0x00abcdef).ok());
      EXPECT_EQ(s.Value(Component::kApp), 0x00abcdefu);
    }
  }
}

// A worn-out store refuses to compact with kResourceExhausted and keeps
// every value.
TEST(CounterStoreTest, WornOutStoreSaysSoAndKeepsItsValues) {
  const platform::FlashGeometry g{2u * 1024 * 1024, 4096, 8, 0xff};
  Store s(g);
  // Rewrite the live sector's header with the last generation allowed.
  std::vector<uint8_t> sector(s.device().raw_flash().begin() + s.area().offset,
                              s.device().raw_flash().begin() + s.area().offset + g.sector_size);
  SectorHeader h{kStoreMagic, 2 * kSectorEndurance, s.area().offset, 0};
  h.crc = Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&h), offsetof(SectorHeader, crc)));
  std::memcpy(sector.data(), &h, sizeof(h));
  const SectorMarker complete{kCompleteMagic, kCompleteMagic ^ h.generation};
  std::memcpy(sector.data() + 16, &complete, sizeof(complete));
  s.device().FactoryWriteFlash(s.area().offset, sector);
  ASSERT_EQ(s.State().generation, 2 * kSectorEndurance);
  const StoreState worn = s.State();
  uint32_t value = 7;
  for (uint32_t i = worn.records_used; i < worn.records_per_sector; ++i) {
    ASSERT_TRUE(s.Raise(Component::kApp, ++value).ok());
  }
  EXPECT_EQ(RaisesLeft(s.State()), 0u);
  EXPECT_EQ(s.Raise(Component::kApp, value + 1).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.Value(Component::kApp), value);
  EXPECT_EQ(s.Value(Component::kSm), 2u);
  EXPECT_TRUE(s.Raise(Component::kApp, value).ok());  // no raise needed: fine
}

TEST(CounterStoreTest, HostileContentsAreNeverACounter) {
  const platform::FlashGeometry g = host::DefaultGeometry();
  {
    // No live sector at all: kDataLoss, and nothing is written.
    Store s(g);
    s.device().FactoryWriteFlash(s.area().offset, std::vector<uint8_t>(s.area().size, 0x00));
    host::RawFlashReader flash(s.device());
    uint32_t v = 0;
    EXPECT_EQ(ReadCounter(flash, s.area(), Component::kApp, &v).code(), StatusCode::kDataLoss);
    const auto before = s.device().raw_flash();
    EXPECT_EQ(s.Raise(Component::kApp, 9).code(), StatusCode::kDataLoss);
    EXPECT_EQ(s.device().raw_flash(), before);
  }
  {
    // A valid sector copied from another store's address is not live here.
    Store s(g);
    std::vector<uint8_t> sector(g.sector_size);
    const Component c[] = {Component::kApp};
    const uint32_t floor[] = {1000};
    ASSERT_TRUE(FormatSector(g, s.area().offset + g.sector_size, c, floor, 1, sector).ok());
    s.device().FactoryWriteFlash(s.area().offset + g.sector_size, sector);
    EXPECT_EQ(s.Value(Component::kApp), 7u);
  }
  {
    // Garbage units among the records are skipped; appends go after them.
    Store s(g);
    std::vector<uint8_t> sector(s.device().raw_flash().begin() + s.area().offset,
                                s.device().raw_flash().begin() + s.area().offset + g.sector_size);
    for (size_t i = 0; i < 64; ++i) sector[16 * 5 + i] = static_cast<uint8_t>(i * 37 + 11);
    s.device().FactoryWriteFlash(s.area().offset, sector);
    EXPECT_EQ(s.Value(Component::kApp), 7u);
    ASSERT_TRUE(s.Raise(Component::kApp, 8).ok());
    EXPECT_EQ(s.Value(Component::kApp), 8u);
  }
}

// A store with no live sector is rebuilt from the records of any sector
// whose header still checks, raised to the floors given; cut at any
// operation, a rebuild leaves a store that is rebuilt again or live.
TEST(CounterStoreTest, RebuildSalvagesAndSurvivesPowerLoss) {
  const platform::FlashGeometry g = host::DefaultGeometry();
  const uint32_t floors[otp::kComponentCount] = {0, 5, 3};
  const bool mine[otp::kComponentCount] = {false, true, true};
  {
    Store s(g);
    StoreState st;
    EXPECT_EQ(RebuildStore(s.device(), s.area(), floors, mine, &st).code(),
              StatusCode::kFailedPrecondition);  // live: nothing to do
  }
  for (const auto mode :
       {VirtualDevice::PowerLossMode::kClean, VirtualDevice::PowerLossMode::kTorn}) {
    // Sector 0's complete marker wiped (the header and records still check):
    // not live, but its records (sm 2, app 40) are salvaged.
    Store base(g);
    ASSERT_TRUE(base.Raise(Component::kApp, 40).ok());
    std::vector<uint8_t> sector(
        base.device().raw_flash().begin() + base.area().offset,
        base.device().raw_flash().begin() + base.area().offset + g.sector_size);
    std::fill_n(sector.begin() + 16, 16, 0x00);
    base.device().FactoryWriteFlash(base.area().offset, sector);
    const std::vector<uint8_t> flash = base.device().raw_flash();
    uint64_t total = 0;
    {
      Store probe(g);
      probe.device().FactoryWriteFlash(0, flash);
      const uint64_t start = probe.device().operations();
      StoreState st;
      ASSERT_TRUE(RebuildStore(probe.device(), probe.area(), floors, mine, &st).ok());
      total = probe.device().operations() - start;
      EXPECT_EQ(st.values[1], 5u);   // floor above the salvaged 2
      EXPECT_EQ(st.values[2], 40u);  // salvaged above the floor 3
      EXPECT_FALSE(st.present[0]);
    }
    for (uint64_t n = 1; n <= total; ++n) {
      SCOPED_TRACE("cut at operation " + std::to_string(n));
      Store s(g);
      s.device().FactoryWriteFlash(0, flash);
      s.device().SetPowerLossMode(mode);
      s.device().SetPowerLossAfter(n);
      StoreState st;
      EXPECT_FALSE(RebuildStore(s.device(), s.area(), floors, mine, &st).ok());
      s.device().SetPowerLossMode(VirtualDevice::PowerLossMode::kClean);
      s.device().PowerCycle();
      host::RawFlashReader reader(s.device());
      const Status read = ReadStore(reader, s.area(), &st);
      if (read.code() == StatusCode::kDataLoss) {
        ASSERT_TRUE(RebuildStore(s.device(), s.area(), floors, mine, &st).ok());
      } else {
        ASSERT_TRUE(read.ok());
      }
      EXPECT_GE(s.Value(Component::kSm), 5u);
      EXPECT_GE(s.Value(Component::kApp), 3u);
    }
  }
}

// Both headers check, the newer sector is not live (its complete marker
// damaged): the rebuild writes into the older one, so a cut after its erase
// still leaves the newer values to salvage.
TEST(CounterStoreTest, RebuildNeverErasesTheNewerSector) {
  const platform::FlashGeometry g = host::DefaultGeometry();
  const uint32_t floors[otp::kComponentCount] = {0, 0, 0};
  const bool mine[otp::kComponentCount] = {false, true, true};
  for (const int live_first : {0, 1}) {
    SCOPED_TRACE(live_first);
    Store s(g);
    uint32_t v = 10;
    // Two compactions (generation 3) or one (generation 2): either sector newest.
    while (s.State().generation < (live_first == 0 ? 3u : 2u)) {
      ASSERT_TRUE(s.Raise(Component::kApp, ++v).ok());
    }
    ASSERT_TRUE(s.Raise(Component::kApp, 100000).ok());
    const StoreState st = s.State();
    std::vector<uint8_t> sector(s.device().raw_flash().begin() + st.live_sector,
                                s.device().raw_flash().begin() + st.live_sector + g.sector_size);
    std::fill_n(sector.begin() + 16, 16, 0x00);  // the complete marker
    s.device().FactoryWriteFlash(st.live_sector, sector);
    s.device().SetPowerLossAfter(2);  // the erase happens, the header program is cut
    StoreState out;
    EXPECT_FALSE(RebuildStore(s.device(), s.area(), floors, mine, &out).ok());
    s.device().SetPowerLossAfter(0);
    s.device().PowerCycle();
    ASSERT_TRUE(RebuildStore(s.device(), s.area(), floors, mine, &out).ok());
    EXPECT_EQ(out.values[2], 100000u);
    EXPECT_EQ(out.values[1], 2u);
  }
}

TEST(CounterStoreTest, OnlyTheOwningLevelsMayWriteTheStores) {
  Store s(host::DefaultGeometry());
  const otp::FlashLayout layout = host::DefaultLayout(host::DefaultGeometry());
  ASSERT_TRUE(s.device().Raise(platform::Hdpl::kUrot).ok());
  // HDPL1 writes the sm/app store, not urot's.
  EXPECT_TRUE(s.Raise(Component::kApp, 10).ok());
  EXPECT_EQ(RaiseCounter(s.device(), layout.urot_counters, Component::kUrot, 5).code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(s.device().Raise(platform::Hdpl::kSecureManager).ok());
  // The Secure Manager can neither read nor write either.
  uint32_t v = 0;
  EXPECT_EQ(ReadCounter(s.device(), s.area(), Component::kApp, &v).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(s.Raise(Component::kApp, 11).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.device().EraseSector(s.area().offset).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.Value(Component::kApp), 10u);
}

}  // namespace
}  // namespace bastion::counters
