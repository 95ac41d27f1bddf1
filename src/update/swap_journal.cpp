#include "update/swap_journal.h"

#include <cstring>

#include "common/crc32.h"
#include "platform/flash_ops.h"

namespace bastion::update {
namespace {

constexpr uint32_t kScanChunk = 512;

uint32_t HeaderCrc(const JournalHeader& h) {
  return Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&h), offsetof(JournalHeader, crc)));
}

// Every record is one program unit holding a whole JournalRecord: a unit
// below otp::kMinProgramUnit is refused (otp::GeometrySupported).
Status CheckArea(const platform::FlashGeometry& g, const otp::FlashRegion& area) {
  static_assert(sizeof(JournalRecord) <= otp::kMinProgramUnit);
  if (!otp::GeometrySupported(g) || area.offset % g.sector_size != 0 ||
      area.size / g.sector_size < kJournalSectors) {
    return StatusCode::kInvalidArgument;
  }
  return StatusCode::kOk;
}

// Reads the header at `address`; true when it is well-formed.
Status ReadHeader(platform::Flash& flash, uint32_t address, JournalHeader* h, bool* valid) {
  BASTION_TRY(flash.Read(address, ByteSpan(reinterpret_cast<uint8_t*>(h), sizeof(*h))));
  *valid = h->magic == kJournalMagic && h->version == kJournalVersion && h->crc == HeaderCrc(*h);
  return StatusCode::kOk;
}

// Scans the log of the journal in `j->sector_address`.
Status ScanLog(platform::Flash& flash, const platform::FlashGeometry& g, Journal* j) {
  const uint32_t unit = g.program_unit;
  const uint32_t base = j->sector_address + JournalHeaderSpan(unit);
  j->units = (g.sector_size - JournalHeaderSpan(unit)) / unit;
  j->steps_done = 0;
  j->next_unit = 0;
  const uint32_t expected_magic = kJournalRecordMagic ^ j->header.sequence;
  uint8_t buffer[kScanChunk];  // a whole number of units: unit is a power of two <= 256
  const uint32_t log_bytes = j->units * unit;
  for (uint32_t done = 0; done < log_bytes; done += kScanChunk) {
    const uint32_t n = log_bytes - done < kScanChunk ? log_bytes - done : kScanChunk;
    BASTION_TRY(flash.Read(base + done, ByteSpan(buffer, n)));
    for (uint32_t off = 0; off < n; off += unit) {
      const uint32_t index = (done + off) / unit;
      const uint8_t* p = buffer + off;
      if (platform::AllErased(ConstByteSpan(p, unit), g.erased_value)) continue;
      j->next_unit = index + 1;
      JournalRecord r;
      std::memcpy(&r, p, sizeof(r));
      const bool well_formed =
          r.magic == expected_magic && r.step_check == static_cast<uint16_t>(~r.step);
      if (!well_formed) continue;  // torn program: the step it meant is not recorded
      if (r.step != j->steps_done) return StatusCode::kDataLoss;
      ++j->steps_done;
    }
  }
  return StatusCode::kOk;
}

}  // namespace

Status ReadJournal(platform::Flash& flash, const otp::FlashRegion& status_area, Journal* out) {
  const platform::FlashGeometry g = flash.geometry();
  BASTION_TRY(CheckArea(g, status_area));
  *out = Journal{};
  for (uint32_t s = 0; s < kJournalSectors; ++s) {
    const uint32_t address = status_area.offset + s * g.sector_size;
    JournalHeader h;
    bool valid = false;
    BASTION_TRY(ReadHeader(flash, address, &h, &valid));
    if (valid && (!out->valid || h.sequence > out->header.sequence)) {
      out->valid = true;
      out->sector_address = address;
      out->header = h;
    }
  }
  if (!out->valid) return StatusCode::kOk;
  return ScanLog(flash, g, out);
}

Status BeginJournal(platform::Flash& flash, const otp::FlashRegion& status_area,
                    const JournalHeader& header, Journal* out) {
  const platform::FlashGeometry g = flash.geometry();
  BASTION_TRY(CheckArea(g, status_area));
  const uint32_t span = JournalHeaderSpan(g.program_unit);
  if (span > platform::kMaxProgramSpan || span >= g.sector_size) {
    return StatusCode::kResourceExhausted;
  }
  const uint32_t units = (g.sector_size - span) / g.program_unit;
  if (2u * header.sectors + kJournalSpareUnits > units) return StatusCode::kResourceExhausted;

  Journal newest;
  BASTION_TRY(ReadJournal(flash, status_area, &newest));
  if (newest.valid && newest.header.sequence == UINT32_MAX) return StatusCode::kResourceExhausted;
  uint32_t address = status_area.offset;
  if (newest.valid && newest.sector_address == status_area.offset) address += g.sector_size;

  JournalHeader h = header;
  h.magic = kJournalMagic;
  h.version = kJournalVersion;
  h.sequence = newest.valid ? newest.header.sequence + 1 : 1;
  h.crc = HeaderCrc(h);

  BASTION_TRY(flash.EraseSector(address));
  BASTION_TRY(platform::ProgramPadded(
      flash, address, ConstByteSpan(reinterpret_cast<const uint8_t*>(&h), sizeof(h)), span));

  *out = Journal{};
  out->valid = true;
  out->sector_address = address;
  out->header = h;
  out->units = units;
  return StatusCode::kOk;
}

Status AppendStep(platform::Flash& flash, Journal* journal) {
  const platform::FlashGeometry g = flash.geometry();
  const uint32_t unit = g.program_unit;
  if (!journal->valid || unit > platform::kMaxProgramSpan) return StatusCode::kFailedPrecondition;
  JournalRecord r;
  r.magic = kJournalRecordMagic ^ journal->header.sequence;
  r.step = static_cast<uint16_t>(journal->steps_done);
  r.step_check = static_cast<uint16_t>(~r.step);
  const ConstByteSpan record(reinterpret_cast<const uint8_t*>(&r), sizeof(r));
  const uint32_t base = journal->sector_address + JournalHeaderSpan(unit);
  while (journal->next_unit < journal->units) {
    const Status s = platform::ProgramPadded(flash, base + journal->next_unit * unit, record, unit);
    ++journal->next_unit;
    if (s.ok()) {
      ++journal->steps_done;
      return StatusCode::kOk;
    }
    // A unit left programmed by an interrupted program that wrote nothing
    // visible: skip it. Anything else is a real error.
    if (s.code() != StatusCode::kFailedPrecondition) return s;
  }
  return StatusCode::kResourceExhausted;
}

}  // namespace bastion::update
