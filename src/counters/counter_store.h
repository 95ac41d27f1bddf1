// Security counters: one monotonic value per component, the
// anti-rollback floor an image's SEC_CNT must reach, raised only after an
// image is confirmed (or, for a factory image, at its first boot).
//
// Where: an HDPL-owned flash counter store, in the manner of STM32H5's
// option-byte keys (docs/decisions.md, "Security counters in an HDPL-owned
// flash store"): FlashLayout::urot_counters (HDPL 0: iROT, for urot) and
// FlashLayout::counters (HDPL <= 1: uROT, for sm and app). No later stage
// can write either (platform/access_policy.h).
//
// Format: two sectors used alternately. A sector holds
//
//   offset 0           SectorHeader (16 bytes, padded with the erased value
//                      to whole program units, one Program; CRC-32)
//   HeaderSpan(U)      complete marker (one unit): the sector's copies are
//                      all written
//   + U                obsolete marker (one unit): a newer sector took over
//   + 2U               records, one program unit each, appended in order
//
// A record is {value, component, Berger check, CRC-16}: the value of one
// component's counter. A component's counter is the largest value among
// the valid records of the live sector(s). A raise appends one record; when
// the live sector is full it is compacted: the other sector is erased, gets
// a header with the next generation, one record per component (its current
// value), the complete marker, and only then the old sector gets its
// obsolete marker. Power loss at any operation never lowers a counter:
//  - a torn record fails its Berger check (a torn program leaves bits
//    unprogrammed, which the check always sees) and is skipped;
//  - until the new sector is complete the old one stays live; afterwards
//    both may be live for a while, and the maximum over both is the same.
// An erased-looking unit that refuses programming (left so by a torn
// program) is skipped. The store wears out only when its sectors reach
// kSectorEndurance erases each: at the default geometry that is millions of
// raises (docs/figures.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::counters {

constexpr uint32_t kStoreMagic = 0x3ac85d17;
constexpr uint32_t kCompleteMagic = 0xd4e1b93a;
constexpr uint32_t kObsoleteMagic = 0x6f0b27c8;
constexpr uint8_t kRecordTag = 0xc0;  // high nibble of the component byte
constexpr uint32_t kStoreSectors = 2;
// Erase cycles a sector is rated for (STM32H5 user flash: 10,000). The store
// stops compacting (kResourceExhausted) before a sector passes it.
constexpr uint32_t kSectorEndurance = 10000;
// The last generation a store may reach: each of its two sectors erased
// kSectorEndurance times (one erase per compaction, alternating).
constexpr uint32_t kMaxGeneration = 2 * kSectorEndurance;

struct SectorHeader {
  uint32_t magic;         // kStoreMagic
  uint32_t generation;    // 1 at provisioning, +1 per compaction
  uint32_t store_offset;  // flash address of the store: a sector copied elsewhere is not valid
  uint32_t crc;           // CRC-32 of the 12 bytes above
};
static_assert(sizeof(SectorHeader) == 16);
static_assert(offsetof(SectorHeader, crc) == 12);

// Complete / obsolete markers: {magic, magic ^ generation}.
struct SectorMarker {
  uint32_t magic;
  uint32_t check;
};
static_assert(sizeof(SectorMarker) == 8);

struct CounterRecord {
  uint32_t value;     // the counter's value
  uint8_t component;  // kRecordTag | otp::Component
  uint8_t zeros;      // Berger check: number of 0 bits in bytes 0..4
  uint16_t check;     // low 16 bits of CRC-32 of bytes 0..5
};
static_assert(sizeof(CounterRecord) == 8);
static_assert(offsetof(CounterRecord, component) == 4);
static_assert(offsetof(CounterRecord, zeros) == 5);
static_assert(offsetof(CounterRecord, check) == 6);

// The record that sets `component`'s counter to `value`, and whether bytes
// read from flash are one (right tag, Berger check and CRC; a component
// outside otp::kComponentCount is not a record).
CounterRecord MakeRecord(otp::Component component, uint32_t value);
bool RecordValid(const CounterRecord& record);

// What a store holds, for the boot stages and `device status`.
struct StoreState {
  uint32_t values[otp::kComponentCount] = {};  // each component's counter (0: none written)
  bool present[otp::kComponentCount] = {};     // a record of the component was found
  uint32_t live_sector = 0;                    // flash address of the sector raises go to
  uint32_t generation = 0;                     // its generation (compactions so far + 1)
  uint32_t records_used = 0;                   // units used in it (records, torn ones too)
  uint32_t records_per_sector = 0;             // its capacity
  bool second_live = false;                    // the other sector is live too (retire pending)
};

// Raises left before the store in `state` wears out: free units now, plus
// those of every compaction left (each keeps one unit per component).
uint64_t RaisesLeft(const StoreState& state);

// Reads the store in `area` (two or more sectors; the first two are used).
// Returns kOk; kInvalidArgument (area or geometry unusable); kDataLoss (no
// live sector: never formatted, or corrupt — it cannot be from a power
// loss); flash errors.
[[nodiscard]] Status ReadStore(platform::Flash& flash, const otp::FlashRegion& area,
                               StoreState* out);

// `component`'s counter (0 when the store holds no record of it). Returns
// the codes of ReadStore.
[[nodiscard]] Status ReadCounter(platform::Flash& flash, const otp::FlashRegion& area,
                                 otp::Component component, uint32_t* value);

// Raises `component`'s counter to `value` when higher (any jump; never
// lowers). One record, or a compaction and then the record. Returns kOk
// (also when nothing needed raising); kResourceExhausted (the store is worn
// out: kSectorEndurance erases reached; the counter keeps its value);
// kDataLoss (no live sector); kInvalidArgument; flash errors (kUnavailable:
// power lost — the counter is the old or the new value, never lower).
[[nodiscard]] Status RaiseCounter(platform::Flash& flash, const otp::FlashRegion& area,
                                  otp::Component component, uint32_t value);

// Rebuilds a store that holds no live sector (ReadStore's kDataLoss: the
// region was corrupted; a power loss never leaves this): salvages the valid
// records of every sector whose header still checks, and writes a new live
// sector (generation one above any salvaged header) holding, for each
// component with `components[c]` set or a salvaged record, the larger of
// `floors[c]` and its salvaged value. Cut by a power loss, the store is
// still not live and the next call starts again. The caller re-derives the
// floors it can vouch for (the boot stages raise each counter to its
// verified, READY image's SEC_CNT right after). Returns kOk (*out: the new
// state); kFailedPrecondition (the store is live: nothing to rebuild);
// kResourceExhausted (worn out); kInvalidArgument; flash errors.
[[nodiscard]] Status RebuildStore(platform::Flash& flash, const otp::FlashRegion& area,
                                  const uint32_t (&floors)[otp::kComponentCount],
                                  const bool (&components)[otp::kComponentCount], StoreState* out);

// The first sector of a new store (provisioning): generation 1, complete,
// one record per component in `components` with its `floors` entry. `out`
// must be one sector of the store's geometry; filled with the erased value
// around the structures. Returns kOk or kInvalidArgument (geometry
// unsupported, `out` not one sector, or too many components).
[[nodiscard]] Status FormatSector(const platform::FlashGeometry& geometry, uint32_t store_offset,
                                  const otp::Component* components, const uint32_t* floors,
                                  size_t count, ByteSpan out);

}  // namespace bastion::counters
