// The swap journal: the on-flash record of a slot swap in progress
// (docs/update-swap.md). It lets the next boot finish a swap that a power
// loss interrupted.
//
// Where: the status area (FlashLayout::scratch), whose first two sectors are
// journal sectors used alternately (ping-pong). A new swap erases the sector
// that does NOT hold the newest valid journal, so the journal of the last
// swap is never erased while it is the newest one: a torn erase can only
// damage an older journal, which is ignored.
//
// Layout of a journal sector (little-endian, program unit U = 8..256 bytes;
// smaller units are refused: a record would not fit one unit):
//
//   offset 0                 JournalHeader (32 bytes, padded with 0xff to a
//                            whole number of program units, written in one
//                            Program call; CRC-32 protected)
//   offset RoundUp(32, U)    log: one program unit per record, appended in
//                            order; each record is a JournalRecord (8 bytes)
//                            followed by erased bytes to the end of its unit.
//
// Every unit is programmed at most once between erases. A record whose unit
// does not hold a well-formed JournalRecord (a torn program) is skipped and
// counts as "not written": the step it would have recorded is redone, which
// is safe because every step is idempotent (it erases its destination first
// and its source is intact until the next step starts). The log ends after
// the last unit that is not fully erased (the whole sector is scanned, so a
// unit left programmed-but-erased-looking by a torn program is skipped too).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::update {

// What a swap does. Unusual byte patterns: a corrupt byte never reads as a
// valid kind.
enum class SwapKind : uint8_t {
  // Install: the new image sits in the secondary slot one sector in
  // (secondary sector 1..N); afterwards the primary holds it (sectors 0..N-1)
  // and the secondary holds the old image from sector 0.
  kInstall = 0x3c,
  // Revert: the image to restore sits in the secondary slot from sector 0
  // (where an install left the old one); afterwards the primary holds it and
  // the secondary holds the image it replaced, one sector in again.
  kRevert = 0xa5,
};

constexpr uint32_t kJournalMagic = 0x7c3e91d5;
constexpr uint32_t kJournalRecordMagic = 0xb26a0f4d;
constexpr uint8_t kJournalVersion = 1;
constexpr uint32_t kJournalSectors = 2;  // sectors of the status area used by the journal

struct JournalHeader {
  uint32_t magic;                    // kJournalMagic
  uint8_t version;                   // kJournalVersion
  uint8_t kind;                      // SwapKind
  uint16_t sectors;                  // N: sectors swapped = max(primary_image, secondary_image)
  uint32_t sequence;                 // newer journals have larger numbers
  uint32_t primary_offset;           // flash address of the primary slot
  uint32_t secondary_offset;         // flash address of the secondary slot
  uint16_t primary_image_sectors;    // image in the primary slot before the swap
  uint16_t secondary_image_sectors;  // image in the secondary slot before the swap
  uint32_t sector_size;              // geometry the journal was written for
  uint32_t crc;                      // CRC-32 of the 28 bytes above
};
static_assert(sizeof(JournalHeader) == 32);
static_assert(offsetof(JournalHeader, kind) == 5);
static_assert(offsetof(JournalHeader, sequence) == 8);
static_assert(offsetof(JournalHeader, primary_offset) == 12);
static_assert(offsetof(JournalHeader, secondary_offset) == 16);
static_assert(offsetof(JournalHeader, primary_image_sectors) == 20);
static_assert(offsetof(JournalHeader, sector_size) == 24);
static_assert(offsetof(JournalHeader, crc) == 28);

// One completed step. Step s (0-based) of a swap of N sectors:
//   install: s = 2i   copied primary[i]     -> secondary[i]
//            s = 2i+1 copied secondary[i+1] -> primary[i]
//   revert:  i = N-1-s/2;
//            s even   copied primary[i]     -> secondary[i+1]
//            s odd    copied secondary[i]   -> primary[i]
// A swap is complete when steps 0 .. 2N-1 are recorded.
struct JournalRecord {
  uint32_t magic;       // kJournalRecordMagic ^ sequence (binds the record to its journal)
  uint16_t step;        // s
  uint16_t step_check;  // ~s
};
static_assert(sizeof(JournalRecord) == 8);
static_assert(offsetof(JournalRecord, step) == 4);
static_assert(offsetof(JournalRecord, step_check) == 6);

// Bytes the header occupies in a journal sector for a program unit.
constexpr uint32_t JournalHeaderSpan(uint32_t program_unit) {
  return (static_cast<uint32_t>(sizeof(JournalHeader)) + program_unit - 1) / program_unit *
         program_unit;
}

// Spare log units beyond the 2N step records, for records lost to torn
// programs (at most one per power loss).
constexpr uint32_t kJournalSpareUnits = 32;

// A journal as read from flash.
struct Journal {
  bool valid = false;  // a header with a good CRC was found
  uint32_t sector_address = 0;
  JournalHeader header{};
  uint32_t steps_done = 0;  // records 0 .. steps_done-1 are present, in order
  uint32_t next_unit = 0;   // log unit index after the last non-erased unit
  uint32_t units = 0;       // log capacity in program units
  bool Complete() const { return valid && steps_done >= 2u * header.sectors; }
};

// Reads the newest valid journal of the status area. `out->valid` is false
// when neither journal sector holds a valid header (no swap ever, or only a
// torn header). Returns kOk; kInvalidArgument when the status area is not
// two whole sectors or larger, or the geometry is not otp::GeometrySupported
// (a program unit below 8 bytes); kDataLoss when the newest header is valid but
// its log is not in order (a record for a step out of sequence); flash
// errors (kOutOfRange, kPermissionDenied, kUnavailable) from Read.
[[nodiscard]] Status ReadJournal(platform::Flash& flash, const otp::FlashRegion& status_area,
                                 Journal* out);

// Starts a new journal: erases the journal sector that does not hold the
// newest valid journal and programs `header` there (sequence and CRC are
// filled in). Returns kOk; kResourceExhausted when 2N records plus the spare
// units do not fit one sector or the sequence number is used up; the codes of ReadJournal; flash
// errors from EraseSector / Program (kUnavailable: power lost, nothing written that a later
// ReadJournal would take for the new journal).
[[nodiscard]] Status BeginJournal(platform::Flash& flash, const otp::FlashRegion& status_area,
                                  const JournalHeader& header, Journal* out);

// Appends the record for step `journal->steps_done` into the next fresh unit
// and advances `journal`. A unit that refuses programming (left programmed by
// an interrupted program that wrote erased-looking bytes) is skipped.
// Returns kOk; kResourceExhausted when the log is full; flash errors.
[[nodiscard]] Status AppendStep(platform::Flash& flash, Journal* journal);

}  // namespace bastion::update
