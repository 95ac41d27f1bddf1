#include "counters/counter_store.h"

#include <bit>
#include <cstring>

#include "common/crc32.h"
#include "platform/flash_ops.h"

namespace bastion::counters {
namespace {

constexpr uint32_t kScanChunk = 512;  // a whole number of units (unit <= 256)

uint32_t HeaderSpan(uint32_t unit) {
  return (static_cast<uint32_t>(sizeof(SectorHeader)) + unit - 1) / unit * unit;
}
uint32_t CompleteOffset(uint32_t unit) { return HeaderSpan(unit); }
uint32_t ObsoleteOffset(uint32_t unit) { return HeaderSpan(unit) + unit; }
uint32_t RecordsOffset(uint32_t unit) { return HeaderSpan(unit) + 2 * unit; }
uint32_t RecordsPerSector(const platform::FlashGeometry& g) {
  return (g.sector_size - RecordsOffset(g.program_unit)) / g.program_unit;
}

uint32_t HeaderCrc(const SectorHeader& h) {
  return Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&h), offsetof(SectorHeader, crc)));
}

uint8_t ZeroBits(const uint8_t* bytes, size_t n) {
  unsigned zeros = 0;
  for (size_t i = 0; i < n; ++i) zeros += 8u - static_cast<unsigned>(std::popcount(bytes[i]));
  return static_cast<uint8_t>(zeros);
}

uint16_t RecordCrc(const CounterRecord& r) {
  return static_cast<uint16_t>(
      Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&r), offsetof(CounterRecord, check))));
}

Status CheckArea(const platform::FlashGeometry& g, const otp::FlashRegion& area) {
  if (!otp::GeometrySupported(g) || RecordsOffset(g.program_unit) >= g.sector_size ||
      area.offset % g.sector_size != 0 || area.size / g.sector_size < kStoreSectors ||
      area.offset > g.size || area.size > g.size - area.offset) {
    return StatusCode::kInvalidArgument;
  }
  return StatusCode::kOk;
}

// One program unit holding `bytes` (size <= unit), the rest erased.
Status ProgramUnit(platform::Flash& flash, uint32_t address, const void* bytes, size_t size) {
  const uint32_t unit = flash.geometry().program_unit;
  return platform::ProgramPadded(flash, address,
                                 ConstByteSpan(static_cast<const uint8_t*>(bytes), size),
                                 size <= unit ? unit : HeaderSpan(unit));
}

SectorMarker Marker(uint32_t magic, uint32_t generation) { return {magic, magic ^ generation}; }

struct SectorView {
  uint32_t address = 0;
  bool header_valid = false;
  bool live = false;  // header valid, complete, not obsolete
  uint32_t generation = 0;
  uint32_t used = 0;  // units up to the last one not fully erased
};

// Reads one sector's header and markers, and when it is live (or, with
// `salvage`, when only its header is valid) folds its records into `state`.
Status ReadSector(platform::Flash& flash, const otp::FlashRegion& area, uint32_t address,
                  bool salvage, StoreState* state, SectorView* view) {
  const platform::FlashGeometry g = flash.geometry();
  const uint32_t unit = g.program_unit;
  *view = SectorView{};
  view->address = address;
  SectorHeader h;
  BASTION_TRY(flash.Read(address, ByteSpan(reinterpret_cast<uint8_t*>(&h), sizeof(h))));
  view->header_valid =
      h.magic == kStoreMagic && h.crc == HeaderCrc(h) && h.store_offset == area.offset;
  if (!view->header_valid) return StatusCode::kOk;
  view->generation = h.generation;
  SectorMarker complete;
  BASTION_TRY(flash.Read(address + CompleteOffset(unit),
                         ByteSpan(reinterpret_cast<uint8_t*>(&complete), sizeof(complete))));
  const SectorMarker want = Marker(kCompleteMagic, h.generation);
  // Anything in the obsolete unit retires the sector: it is only ever
  // programmed once a newer sector is complete.
  uint8_t obsolete[sizeof(SectorMarker)];
  BASTION_TRY(flash.Read(address + ObsoleteOffset(unit), ByteSpan(obsolete, sizeof(obsolete))));
  view->live = complete.magic == want.magic && complete.check == want.check &&
               platform::AllErased(obsolete, g.erased_value);
  if (!view->live && !salvage) return StatusCode::kOk;

  const uint32_t base = address + RecordsOffset(unit);
  const uint32_t bytes = RecordsPerSector(g) * unit;
  uint8_t buffer[kScanChunk];
  for (uint32_t done = 0; done < bytes; done += kScanChunk) {
    const uint32_t n = bytes - done < kScanChunk ? bytes - done : kScanChunk;
    BASTION_TRY(flash.Read(base + done, ByteSpan(buffer, n)));
    for (uint32_t off = 0; off < n; off += unit) {
      if (platform::AllErased(ConstByteSpan(buffer + off, unit), g.erased_value)) continue;
      view->used = (done + off) / unit + 1;
      CounterRecord r;
      std::memcpy(&r, buffer + off, sizeof(r));
      if (!RecordValid(r)) continue;  // torn: never happened
      const size_t c = r.component & 0x0fu;
      if (!state->present[c] || r.value > state->values[c]) state->values[c] = r.value;
      state->present[c] = true;
    }
  }
  return StatusCode::kOk;
}

struct Scan {
  StoreState state;
  SectorView sectors[kStoreSectors];
  int live = -1;   // index of the sector raises go to
  int older = -1;  // the other sector when it is live too
};

Status ScanStore(platform::Flash& flash, const otp::FlashRegion& area, Scan* scan) {
  const platform::FlashGeometry g = flash.geometry();
  BASTION_TRY(CheckArea(g, area));
  *scan = Scan{};
  for (uint32_t s = 0; s < kStoreSectors; ++s) {
    BASTION_TRY(ReadSector(flash, area, area.offset + s * g.sector_size, /*salvage=*/false,
                           &scan->state, &scan->sectors[s]));
  }
  for (int s = 0; s < static_cast<int>(kStoreSectors); ++s) {
    if (!scan->sectors[s].live) continue;
    if (scan->live < 0 || scan->sectors[s].generation > scan->sectors[scan->live].generation) {
      scan->older = scan->live;
      scan->live = s;
    } else {
      scan->older = s;
    }
  }
  if (scan->live < 0) return StatusCode::kDataLoss;
  StoreState& st = scan->state;
  const SectorView& live = scan->sectors[scan->live];
  st.live_sector = live.address;
  st.generation = live.generation;
  st.records_used = live.used;
  st.records_per_sector = RecordsPerSector(g);
  st.second_live = scan->older >= 0;
  return StatusCode::kOk;
}

// Appends `record` in `sector` from unit `next`; skips units that refuse
// programming. kResourceExhausted when no unit is left.
Status Append(platform::Flash& flash, uint32_t sector, uint32_t next, const CounterRecord& record) {
  const platform::FlashGeometry g = flash.geometry();
  const uint32_t base = sector + RecordsOffset(g.program_unit);
  for (uint32_t i = next; i < RecordsPerSector(g); ++i) {
    const Status s = ProgramUnit(flash, base + i * g.program_unit, &record, sizeof(record));
    if (s.ok()) return s;
    if (s.code() != StatusCode::kFailedPrecondition) return s;
  }
  return StatusCode::kResourceExhausted;
}

// Writes a new live sector at `target`: erase, header with `generation`,
// one record per component with `present` set, the complete marker last.
Status WriteSector(platform::Flash& flash, const otp::FlashRegion& area, uint32_t target,
                   uint32_t generation, const uint32_t (&values)[otp::kComponentCount],
                   const bool (&present)[otp::kComponentCount]) {
  const platform::FlashGeometry g = flash.geometry();
  BASTION_TRY(flash.EraseSector(target));
  SectorHeader h{kStoreMagic, generation, area.offset, 0};
  h.crc = HeaderCrc(h);
  BASTION_TRY(ProgramUnit(flash, target, &h, sizeof(h)));
  uint32_t next = 0;
  for (size_t c = 0; c < otp::kComponentCount; ++c) {
    if (!present[c]) continue;
    BASTION_TRY(Append(flash, target, next, MakeRecord(static_cast<otp::Component>(c), values[c])));
    ++next;
  }
  const SectorMarker complete = Marker(kCompleteMagic, generation);
  return ProgramUnit(flash, target + CompleteOffset(g.program_unit), &complete, sizeof(complete));
}

// Writes the current values (with `component` raised to `value`) into the
// other sector, completes it, then retires the live one.
Status Compact(platform::Flash& flash, const otp::FlashRegion& area, const Scan& scan,
               otp::Component component, uint32_t value) {
  const platform::FlashGeometry g = flash.geometry();
  const SectorView& live = scan.sectors[scan.live];
  if (live.generation >= kMaxGeneration) return StatusCode::kResourceExhausted;
  StoreState next = scan.state;
  const size_t c = static_cast<size_t>(component);
  if (value > next.values[c]) next.values[c] = value;
  next.present[c] = true;
  BASTION_TRY(WriteSector(flash, area,
                          area.offset + static_cast<uint32_t>(1 - scan.live) * g.sector_size,
                          live.generation + 1, next.values, next.present));
  const SectorMarker obsolete = Marker(kObsoleteMagic, live.generation);
  const Status retired = ProgramUnit(flash, live.address + ObsoleteOffset(g.program_unit),
                                     &obsolete, sizeof(obsolete));
  // Already programmed (a torn earlier attempt) retires it just as well.
  if (!retired.ok() && retired.code() != StatusCode::kFailedPrecondition) return retired;
  return StatusCode::kOk;
}

}  // namespace

CounterRecord MakeRecord(otp::Component component, uint32_t value) {
  CounterRecord r{};
  r.value = value;
  r.component = static_cast<uint8_t>(kRecordTag | static_cast<uint8_t>(component));
  r.zeros = ZeroBits(reinterpret_cast<const uint8_t*>(&r), offsetof(CounterRecord, zeros));
  r.check = RecordCrc(r);
  return r;
}

bool RecordValid(const CounterRecord& r) {
  if ((r.component & 0xf0u) != kRecordTag || (r.component & 0x0fu) >= otp::kComponentCount) {
    return false;
  }
  // Valid exactly when it is the record MakeRecord writes for its value.
  const CounterRecord expected =
      MakeRecord(static_cast<otp::Component>(r.component & 0x0fu), r.value);
  return r.zeros == expected.zeros && r.check == expected.check;
}

Status ReadStore(platform::Flash& flash, const otp::FlashRegion& area, StoreState* out) {
  Scan scan;
  BASTION_TRY(ScanStore(flash, area, &scan));
  *out = scan.state;
  return StatusCode::kOk;
}

uint64_t RaisesLeft(const StoreState& st) {
  uint32_t components = 0;
  for (const bool p : st.present) components += p ? 1 : 0;
  if (components == 0) components = 1;
  const uint64_t compactions = st.generation < kMaxGeneration ? kMaxGeneration - st.generation : 0;
  const uint64_t per_compaction =
      st.records_per_sector > components ? st.records_per_sector - components : 0;
  return (st.records_per_sector - st.records_used) + compactions * per_compaction;
}

Status ReadCounter(platform::Flash& flash, const otp::FlashRegion& area, otp::Component component,
                   uint32_t* value) {
  if (static_cast<size_t>(component) >= otp::kComponentCount) return StatusCode::kInvalidArgument;
  StoreState state;
  BASTION_TRY(ReadStore(flash, area, &state));
  *value = state.values[static_cast<size_t>(component)];
  return StatusCode::kOk;
}

Status RaiseCounter(platform::Flash& flash, const otp::FlashRegion& area, otp::Component component,
                    uint32_t value) {
  const size_t c = static_cast<size_t>(component);
  if (c >= otp::kComponentCount) return StatusCode::kInvalidArgument;
  Scan scan;
  BASTION_TRY(ScanStore(flash, area, &scan));
  if (value <= scan.state.values[c]) return StatusCode::kOk;
  const platform::FlashGeometry g = flash.geometry();
  if (scan.older >= 0) {
    // A compaction whose retire step a power loss cut: finish it first.
    const SectorView& old = scan.sectors[scan.older];
    const SectorMarker obsolete = Marker(kObsoleteMagic, old.generation);
    const Status s = ProgramUnit(flash, old.address + ObsoleteOffset(g.program_unit), &obsolete,
                                 sizeof(obsolete));
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
  }
  const SectorView& live = scan.sectors[scan.live];
  const Status appended = Append(flash, live.address, live.used, MakeRecord(component, value));
  if (appended.code() != StatusCode::kResourceExhausted) return appended;
  return Compact(flash, area, scan, component, value);
}

Status RebuildStore(platform::Flash& flash, const otp::FlashRegion& area,
                    const uint32_t (&floors)[otp::kComponentCount],
                    const bool (&components)[otp::kComponentCount], StoreState* out) {
  const platform::FlashGeometry g = flash.geometry();
  Scan scan;
  const Status read = ScanStore(flash, area, &scan);
  if (read.code() != StatusCode::kDataLoss)
    return read.ok() ? StatusCode::kFailedPrecondition : read;
  // Salvage: every record of every sector whose header still checks.
  StoreState salvaged;
  SectorView views[kStoreSectors];
  uint32_t generation = 0;
  for (uint32_t s = 0; s < kStoreSectors; ++s) {
    BASTION_TRY(ReadSector(flash, area, area.offset + s * g.sector_size, /*salvage=*/true,
                           &salvaged, &views[s]));
    if (views[s].header_valid && views[s].generation > generation) {
      generation = views[s].generation;
    }
  }
  if (generation >= kMaxGeneration) return StatusCode::kResourceExhausted;
  // Into a sector without a valid header if there is one, else the older
  // one: the newer keeps what could be salvaged should this rebuild be cut.
  const bool into_second = views[0].header_valid &&
                           (!views[1].header_valid || views[1].generation < views[0].generation);
  const uint32_t target = area.offset + (into_second ? g.sector_size : 0);
  for (size_t c = 0; c < otp::kComponentCount; ++c) {
    if (floors[c] > salvaged.values[c]) salvaged.values[c] = floors[c];
    salvaged.present[c] = salvaged.present[c] || components[c];
  }
  BASTION_TRY(WriteSector(flash, area, target, generation + 1, salvaged.values, salvaged.present));
  // The other sector is erased by the next compaction (it is not live).
  return ReadStore(flash, area, out);
}

Status FormatSector(const platform::FlashGeometry& g, uint32_t store_offset,
                    const otp::Component* components, const uint32_t* floors, size_t count,
                    ByteSpan out) {
  if (!otp::GeometrySupported(g) || out.size() != g.sector_size ||
      RecordsOffset(g.program_unit) >= g.sector_size || count > otp::kComponentCount ||
      count > RecordsPerSector(g)) {
    return StatusCode::kInvalidArgument;
  }
  std::memset(out.data(), g.erased_value, out.size());
  SectorHeader h{kStoreMagic, 1, store_offset, 0};
  h.crc = HeaderCrc(h);
  std::memcpy(out.data(), &h, sizeof(h));
  const SectorMarker complete = Marker(kCompleteMagic, h.generation);
  std::memcpy(out.data() + CompleteOffset(g.program_unit), &complete, sizeof(complete));
  for (size_t i = 0; i < count; ++i) {
    if (static_cast<size_t>(components[i]) >= otp::kComponentCount) {
      return StatusCode::kInvalidArgument;
    }
    const CounterRecord r = MakeRecord(components[i], floors[i]);
    std::memcpy(out.data() + RecordsOffset(g.program_unit) + i * g.program_unit, &r, sizeof(r));
  }
  return StatusCode::kOk;
}

}  // namespace bastion::counters
