// Test rig for the slot swap (src/update): a provisioned in-memory virtual
// device per geometry, image patterns, a counting flash wrapper, a byte-exact
// model of what a swap must leave, and one power-fail campaign run.
// Shared by swap_test (GoogleTest) and swap_campaign (the campaign program).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "otp/otp_map.h"
#include "platform/platform.h"
#include "support/otp_header.h"
#include "update/slot_swap.h"
#include "update/slot_trailer.h"
#include "virtual_device/virtual_device.h"

namespace bastion::update::testing {

// Counts what reaches the flash (figures per upgrade).
class CountingFlash final : public platform::Flash {
 public:
  explicit CountingFlash(platform::Flash& inner) : inner_(inner) {}
  platform::FlashGeometry geometry() const override { return inner_.geometry(); }
  Status Read(uint32_t address, ByteSpan out) override {
    ++reads;
    return inner_.Read(address, out);
  }
  Status Program(uint32_t address, ConstByteSpan data) override {
    const Status s = inner_.Program(address, data);
    if (s.ok()) {
      ++programs;
      program_bytes += data.size();
    }
    return s;
  }
  Status EraseSector(uint32_t address) override {
    const Status s = inner_.EraseSector(address);
    if (s.ok()) ++erases;
    return s;
  }
  uint64_t reads = 0;
  uint64_t programs = 0;
  uint64_t program_bytes = 0;
  uint64_t erases = 0;

 private:
  platform::Flash& inner_;
};

struct GeometryCase {
  std::string name;
  platform::FlashGeometry geometry;
  uint32_t primary_sectors;  // app primary slot; the secondary gets one more
  uint32_t old_image_bytes;  // image in the primary before the install
  uint32_t new_image_bytes;  // image downloaded into the secondary
};

// The three geometries of the update campaigns, with image sizes that make the
// images differ in length and end mid-sector.
inline std::vector<GeometryCase> Geometries() {
  constexpr uint32_t k2M = 2u * 1024 * 1024;
  return {
      {"4KiB/8B", {k2M, 4096, 8, 0xff}, 6, 3 * 4096 + 1500, 4 * 4096 + 2900},
      {"8KiB/16B (default)", {k2M, 8192, 16, 0xff}, 12, 9 * 8192 + 100, 10 * 8192 + 5000},
      {"128KiB/32B", {k2M, 131072, 32, 0xff}, 4, 2 * 131072 + 70000, 3 * 131072 + 9000},
  };
}

// Layout: key store, urot 1/1, sm 1/1, app P/P+1 sectors, scratch (status
// area) 2 sectors; app primary, app secondary and scratch are contiguous.
inline otp::FlashLayout RigLayout(const GeometryCase& c) {
  const uint32_t s = c.geometry.sector_size;
  otp::FlashLayout l{};
  uint32_t next = 0;
  auto take = [&](uint32_t sectors) {
    const otp::FlashRegion r{next, sectors * s};
    next += r.size;
    return r;
  };
  l.key_store = take(1);
  l.primary[0] = take(1);
  l.secondary[0] = take(1);
  l.primary[1] = take(1);
  l.secondary[1] = take(1);
  l.primary[2] = take(c.primary_sectors);
  l.secondary[2] = take(c.primary_sectors + 1);
  l.scratch = take(kJournalSectors);
  l.storage = otp::FlashRegion{0, 0};
  return l;
}

inline SlotSet RigSlots(const GeometryCase& c) {
  const otp::FlashLayout l = RigLayout(c);
  return SlotSet{l.primary[2], l.secondary[2], l.scratch};
}

inline std::unique_ptr<host::VirtualDevice> MakeDevice(const GeometryCase& c) {
  auto device = host::VirtualDevice::InMemory(c.geometry);
  test_support::ProgramLayoutHeader(*device, RigLayout(c));
  return device;
}

// A distinct, non-erased byte pattern per seed.
inline void FillPattern(std::vector<uint8_t>& v, size_t from, size_t size, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    uint8_t b = static_cast<uint8_t>(x >> 16);
    if (b == 0xff) b = 0x5a;
    v[from + i] = b;
  }
}

// The bytes of the swap's span: app primary + app secondary + scratch.
struct Span {
  uint32_t offset;
  uint32_t size;
};
inline Span SwapSpan(const GeometryCase& c) {
  const SlotSet s = RigSlots(c);
  return Span{s.primary.offset, s.scratch.offset + s.scratch.size - s.primary.offset};
}

// Writes the initial state: old image in the primary (rest of the slot
// erased except a "trailer" pattern in its last sector), stale bytes in the
// secondary's first sector, the new image one sector in, a trailer pattern in
// the secondary's last sector, an erased status area.
inline void WriteInitialState(host::VirtualDevice& d, const GeometryCase& c) {
  const SlotSet slots = RigSlots(c);
  const uint32_t s = c.geometry.sector_size;
  const Span span = SwapSpan(c);
  std::vector<uint8_t> bytes(span.size, 0xff);
  const uint32_t p = slots.primary.offset - span.offset;
  const uint32_t q = slots.secondary.offset - span.offset;
  FillPattern(bytes, p, c.old_image_bytes, 1);
  FillPattern(bytes, p + slots.primary.size - 64, 64, 2);  // primary trailer
  FillPattern(bytes, q, 300, 3);                           // stale bytes in secondary[0]
  FillPattern(bytes, q + s, c.new_image_bytes, 4);
  FillPattern(bytes, q + slots.secondary.size - 64, 64, 5);  // secondary trailer
  d.FactoryWriteFlash(span.offset, bytes);
}

inline std::vector<uint8_t> Snapshot(const host::VirtualDevice& d, const GeometryCase& c) {
  const Span span = SwapSpan(c);
  return std::vector<uint8_t>(d.raw_flash().begin() + span.offset,
                              d.raw_flash().begin() + span.offset + span.size);
}

// What the slots must hold after a swap of `kind` over `n` sectors, from
// `before` (a SwapSpan snapshot). The status area is not modelled (ignored).
inline std::vector<uint8_t> ModelSwap(const GeometryCase& c, const std::vector<uint8_t>& before,
                                      SwapKind kind, uint32_t n) {
  const SlotSet slots = RigSlots(c);
  const uint32_t s = c.geometry.sector_size;
  const uint32_t p = slots.primary.offset - slots.primary.offset;
  const uint32_t q = slots.secondary.offset - slots.primary.offset;
  std::vector<uint8_t> after = before;
  for (uint32_t i = 0; i < n; ++i) {
    if (kind == SwapKind::kInstall) {
      std::memcpy(&after[p + i * s], &before[q + (i + 1) * s], s);
      std::memcpy(&after[q + i * s], &before[p + i * s], s);
    } else {
      std::memcpy(&after[p + i * s], &before[q + i * s], s);
      std::memcpy(&after[q + (i + 1) * s], &before[p + i * s], s);
    }
  }
  return after;
}

// True when the two slots (not the status area) of `now` equal `expected`.
inline bool SlotsEqual(const GeometryCase& c, const std::vector<uint8_t>& now,
                       const std::vector<uint8_t>& expected) {
  const SlotSet slots = RigSlots(c);
  const size_t slot_bytes = slots.scratch.offset - slots.primary.offset;
  return std::memcmp(now.data(), expected.data(), slot_bytes) == 0;
}

inline uint32_t OldSectors(const GeometryCase& c) {
  return SectorsFor(c.old_image_bytes, c.geometry.sector_size);
}
inline uint32_t NewSectors(const GeometryCase& c) {
  return SectorsFor(c.new_image_bytes, c.geometry.sector_size);
}

struct CampaignOptions {
  uint32_t stride = 1;  // interrupt at ops 1, 1+stride, ... and always at the last
  bool nested = true;   // also cut the first resumes
  host::VirtualDevice::PowerLossMode mode = host::VirtualDevice::PowerLossMode::kClean;
};

struct CampaignResult {
  uint64_t swap_ops = 0;       // flash operations of an uninterrupted swap (N of the campaign)
  uint64_t points = 0;         // first interruptions checked
  uint64_t nested_points = 0;  // interruptions during a resume
  uint64_t rolled_back = 0;    // points where the swap had not started (journal not written)
  uint64_t failures = 0;
  std::string first_failure;
};

// Runs one swap (`kind`) of geometry `c` from the state `before` (written to
// the device), cut at each chosen operation, reboots until stable, checks.
CampaignResult RunCampaign(const GeometryCase& c, SwapKind kind, const CampaignOptions& options);

}  // namespace bastion::update::testing
