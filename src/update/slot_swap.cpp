#include "update/slot_swap.h"

namespace bastion::update {
namespace {

bool Overlap(const otp::FlashRegion& a, const otp::FlashRegion& b) {
  return a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

bool KindValid(uint8_t kind) {
  return kind == static_cast<uint8_t>(SwapKind::kInstall) ||
         kind == static_cast<uint8_t>(SwapKind::kRevert);
}

Status CheckSlots(const platform::FlashGeometry& g, const SlotSet& slots, uint32_t sectors) {
  const uint32_t ss = g.sector_size;
  if (ss == 0 || sectors == 0 || sectors > 0xffff) return StatusCode::kInvalidArgument;
  for (const otp::FlashRegion* r : {&slots.primary, &slots.secondary, &slots.scratch}) {
    if (r->offset % ss != 0 || r->size % ss != 0 || r->size == 0 || r->offset > g.size ||
        r->size > g.size - r->offset) {
      return StatusCode::kInvalidArgument;
    }
  }
  if (Overlap(slots.primary, slots.secondary) || Overlap(slots.primary, slots.scratch) ||
      Overlap(slots.secondary, slots.scratch)) {
    return StatusCode::kInvalidArgument;
  }
  if (slots.primary.size / ss < sectors || slots.secondary.size / ss < sectors + 1u ||
      slots.scratch.size / ss < kJournalSectors) {
    return StatusCode::kInvalidArgument;
  }
  return StatusCode::kOk;
}

// Copies one sector: erases `to`, then programs every chunk of `from` that
// is not fully erased (an erased chunk is already right after the erase).
Status CopySector(platform::Flash& flash, const platform::FlashGeometry& g, uint32_t from,
                  uint32_t to) {
  BASTION_TRY(flash.EraseSector(to));
  uint8_t buffer[kCopyChunk];
  const uint32_t chunk = g.sector_size < kCopyChunk ? g.sector_size : kCopyChunk;
  for (uint32_t off = 0; off < g.sector_size; off += chunk) {
    const ByteSpan data(buffer, chunk);
    BASTION_TRY(flash.Read(from + off, data));
    bool erased = true;
    for (uint32_t i = 0; i < chunk && erased; ++i) erased = buffer[i] == g.erased_value;
    if (!erased) BASTION_TRY(flash.Program(to + off, data));
  }
  return StatusCode::kOk;
}

// Source and destination of step `s` (see JournalRecord).
void StepAddresses(const JournalHeader& h, uint32_t sector_size, uint32_t s, uint32_t* from,
                   uint32_t* to) {
  const uint32_t n = h.sectors;
  auto primary = [&](uint32_t i) { return h.primary_offset + i * sector_size; };
  auto secondary = [&](uint32_t i) { return h.secondary_offset + i * sector_size; };
  if (h.kind == static_cast<uint8_t>(SwapKind::kInstall)) {
    const uint32_t i = s / 2;
    if (s % 2 == 0) {
      *from = primary(i);
      *to = secondary(i);
    } else {
      *from = secondary(i + 1);
      *to = primary(i);
    }
  } else {
    const uint32_t i = n - 1 - s / 2;
    if (s % 2 == 0) {
      *from = primary(i);
      *to = secondary(i + 1);
    } else {
      *from = secondary(i);
      *to = primary(i);
    }
  }
}

Status RunSteps(platform::Flash& flash, const platform::FlashGeometry& g, Journal* journal) {
  const uint32_t total = 2u * journal->header.sectors;
  while (journal->steps_done < total) {
    uint32_t from = 0;
    uint32_t to = 0;
    StepAddresses(journal->header, g.sector_size, journal->steps_done, &from, &to);
    BASTION_TRY(CopySector(flash, g, from, to));
    BASTION_TRY(AppendStep(flash, journal));
  }
  return StatusCode::kOk;
}

}  // namespace

uint32_t MaxSwapSectors(const platform::FlashGeometry& g, const SlotSet& slots,
                        uint32_t reserved_tail_sectors) {
  if (g.sector_size == 0) return 0;
  const uint32_t p = slots.primary.size / g.sector_size;
  const uint32_t s = slots.secondary.size / g.sector_size;
  if (p <= reserved_tail_sectors || s <= reserved_tail_sectors + 1) return 0;
  const uint32_t from_primary = p - reserved_tail_sectors;
  const uint32_t from_secondary = s - reserved_tail_sectors - 1;
  return from_primary < from_secondary ? from_primary : from_secondary;
}

uint32_t SecondaryImageAddress(const platform::FlashGeometry& g, const SlotSet& slots,
                               SwapKind kind) {
  return kind == SwapKind::kInstall ? slots.secondary.offset + g.sector_size
                                    : slots.secondary.offset;
}

Status StartSwap(platform::Flash& flash, const SlotSet& slots, SwapKind kind,
                 uint32_t primary_image_sectors, uint32_t secondary_image_sectors) {
  const platform::FlashGeometry g = flash.geometry();
  const uint32_t n = primary_image_sectors > secondary_image_sectors ? primary_image_sectors
                                                                     : secondary_image_sectors;
  if (!KindValid(static_cast<uint8_t>(kind))) return StatusCode::kInvalidArgument;
  BASTION_TRY(CheckSlots(g, slots, n));

  Journal current;
  BASTION_TRY(ReadJournal(flash, slots.scratch, &current));
  if (current.valid && !current.Complete()) return StatusCode::kFailedPrecondition;

  JournalHeader h{};
  h.kind = static_cast<uint8_t>(kind);
  h.sectors = static_cast<uint16_t>(n);
  h.primary_offset = slots.primary.offset;
  h.secondary_offset = slots.secondary.offset;
  h.primary_image_sectors = static_cast<uint16_t>(primary_image_sectors);
  h.secondary_image_sectors = static_cast<uint16_t>(secondary_image_sectors);
  h.sector_size = g.sector_size;
  Journal journal;
  BASTION_TRY(BeginJournal(flash, slots.scratch, h, &journal));
  return RunSteps(flash, g, &journal);
}

Status ResumeIfInterrupted(platform::Flash& flash, const SlotSet& slots, SwapOutcome* outcome) {
  const platform::FlashGeometry g = flash.geometry();
  *outcome = SwapOutcome{};
  Journal journal;
  BASTION_TRY(ReadJournal(flash, slots.scratch, &journal));
  if (!journal.valid) return StatusCode::kOk;
  const JournalHeader& h = journal.header;
  outcome->kind = static_cast<SwapKind>(h.kind);
  outcome->sectors = h.sectors;
  if (journal.Complete()) return StatusCode::kOk;
  if (h.primary_offset != slots.primary.offset || h.secondary_offset != slots.secondary.offset) {
    outcome->result = ResumeResult::kOtherSlots;
    return StatusCode::kOk;
  }
  const uint32_t larger = h.primary_image_sectors > h.secondary_image_sectors
                              ? h.primary_image_sectors
                              : h.secondary_image_sectors;
  if (!KindValid(h.kind) || h.sector_size != g.sector_size || h.sectors != larger) {
    return StatusCode::kDataLoss;
  }
  const Status fits = CheckSlots(g, slots, h.sectors);
  if (!fits.ok()) return StatusCode::kDataLoss;
  outcome->resumed_at_step = journal.steps_done;
  BASTION_TRY(RunSteps(flash, g, &journal));
  outcome->result = ResumeResult::kCompleted;
  return StatusCode::kOk;
}

Status QuerySwap(platform::Flash& flash, const otp::FlashRegion& status_area, SwapStatus* out) {
  *out = SwapStatus{};
  Journal journal;
  BASTION_TRY(ReadJournal(flash, status_area, &journal));
  if (!journal.valid) return StatusCode::kOk;
  const JournalHeader& h = journal.header;
  out->state = journal.Complete() ? SwapState::kComplete : SwapState::kInProgress;
  out->kind = static_cast<SwapKind>(h.kind);
  out->sequence = h.sequence;
  out->primary_offset = h.primary_offset;
  out->secondary_offset = h.secondary_offset;
  out->primary_image_sectors = h.primary_image_sectors;
  out->secondary_image_sectors = h.secondary_image_sectors;
  out->sectors = h.sectors;
  out->steps_done = journal.steps_done;
  out->steps_total = 2u * h.sectors;
  return StatusCode::kOk;
}

}  // namespace bastion::update
