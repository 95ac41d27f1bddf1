// The slot swap at the heart of the update engine (docs/update-swap.md).
//
// Owns: exchanging the contents of a primary and a secondary slot, power-fail
// safe, with the old image kept for revert. Revert is the same engine
// swapping back. Knows nothing of image formats or states: the caller (the
// update engine in uROT/iROT) decides what to swap and when, and keeps image
// states (trailers) out of the swapped sectors.
//
// Algorithm: "swap with offset". The image to install is downloaded one
// sector into the secondary slot; sector i of the swap does
//   1. erase secondary[i],  copy primary[i]     -> secondary[i]
//   2. erase primary[i],    copy secondary[i+1] -> primary[i]
// so each of the 2N sectors touched is erased and written exactly once (the
// minimum, see the doc) and no sector takes more wear than another. Revert
// runs the same two copies backwards (i = N-1 .. 0, secondary[i+1] <->
// primary[i] <-> secondary[i]), leaving the replaced image one sector in again.
//
// Every step is recorded in the swap journal (swap_journal.h) in the status
// area; interrupted at any flash operation, ResumeIfInterrupted at the next
// boot redoes the step that was cut and finishes the swap (roll forward).
//
// Slot requirements: sector-aligned regions; the primary has >= N sectors and
// the secondary >= N+1 (the sector of offset); the status area has >= 2
// sectors; none overlap. Sectors beyond N (e.g. a trailer sector at a slot's
// end) are never touched.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "otp/otp_map.h"
#include "platform/platform.h"
#include "update/swap_journal.h"

namespace bastion::update {

struct SlotSet {
  otp::FlashRegion primary;    // the run slot
  otp::FlashRegion secondary;  // the download slot (one sector larger than what is swapped)
  otp::FlashRegion scratch;    // the status area holding the journal (FlashLayout::scratch)
};

// Bytes copied per Read/Program when moving a sector (stack buffer).
constexpr uint32_t kCopyChunk = 512;

// Sectors needed to hold `bytes` (header + payload + TLVs, rounded up).
constexpr uint32_t SectorsFor(uint32_t bytes, uint32_t sector_size) {
  return sector_size == 0 ? 0 : bytes / sector_size + (bytes % sector_size != 0 ? 1 : 0);
}

// The largest N a slot set can swap, excluding `reserved_tail_sectors` at
// the end of each slot (e.g. 1 for an image-state trailer sector).
uint32_t MaxSwapSectors(const platform::FlashGeometry& geometry, const SlotSet& slots,
                        uint32_t reserved_tail_sectors);

// Where the image to be placed in the primary starts in the secondary slot
// for a swap of `kind`: one sector in for kInstall, at its start for kRevert.
uint32_t SecondaryImageAddress(const platform::FlashGeometry& geometry, const SlotSet& slots,
                               SwapKind kind);

// Swaps `sectors_used` = max(primary_image_sectors, secondary_image_sectors)
// sectors of the primary and the secondary slot, journaled, to completion.
// The images' sizes are recorded in the journal (sectors of each).
// Returns:
//   kOk                  the swap is complete;
//   kInvalidArgument     bad slot set (alignment, overlap, a slot too small
//                        for N, status area < 2 sectors) or N == 0 or > 0xffff;
//   kFailedPrecondition  an earlier swap is still unfinished (run
//                        ResumeIfInterrupted first);
//   kResourceExhausted   2N journal records do not fit a sector;
//   kDataLoss            the existing journal is corrupt;
//   kUnavailable         power lost: the next boot's ResumeIfInterrupted
//                        finishes the swap (or, if the journal header was
//                        not yet written, nothing has changed);
//   kOutOfRange, kPermissionDenied from the flash.
[[nodiscard]] Status StartSwap(platform::Flash& flash, const SlotSet& slots, SwapKind kind,
                               uint32_t primary_image_sectors, uint32_t secondary_image_sectors);

enum class ResumeResult : uint8_t {
  kNothingToDo = 0,  // no journal, or the newest one is complete
  kCompleted = 1,    // an interrupted swap of these slots was finished now
  kOtherSlots = 2,   // an unfinished swap belongs to another slot set: call again with it
};

struct SwapOutcome {
  ResumeResult result = ResumeResult::kNothingToDo;
  SwapKind kind = SwapKind::kInstall;  // of the journal, when one was found
  uint32_t sectors = 0;                // N of the journal
  uint32_t resumed_at_step = 0;        // first step redone (of 2N)
};

// Called at every boot before anything reads `slots.primary`: finishes an
// interrupted swap of these slots. Returns:
//   kOk                  see outcome->result;
//   kDataLoss            the journal is corrupt or names these slots with a
//                        geometry/size that does not fit them (do not boot
//                        the primary without verifying it);
//   kResourceExhausted   the journal log is full (more torn records than the
//                        spare units allow);
//   kInvalidArgument     bad slot set (as StartSwap);
//   kUnavailable         power lost again: call again at the next boot;
//   kOutOfRange, kPermissionDenied from the flash.
[[nodiscard]] Status ResumeIfInterrupted(platform::Flash& flash, const SlotSet& slots,
                                         SwapOutcome* outcome);

// The journal state, for the boot report and `bastion device status`.
enum class SwapState : uint8_t {
  kNone = 0,        // no journal ever written (or only a torn header)
  kInProgress = 1,  // the newest swap is not finished
  kComplete = 2,    // the newest swap finished
};

struct SwapStatus {
  SwapState state = SwapState::kNone;
  SwapKind kind = SwapKind::kInstall;
  uint32_t sequence = 0;  // swaps started since the status area was first used
  uint32_t primary_offset = 0;
  uint32_t secondary_offset = 0;
  uint32_t primary_image_sectors = 0;
  uint32_t secondary_image_sectors = 0;
  uint32_t sectors = 0;
  uint32_t steps_done = 0;
  uint32_t steps_total = 0;  // 2N
};

// Reads the journal state. Returns kOk; kInvalidArgument (status area < 2
// sectors); kDataLoss (corrupt log); flash errors from Read.
[[nodiscard]] Status QuerySwap(platform::Flash& flash, const otp::FlashRegion& status_area,
                               SwapStatus* out);

}  // namespace bastion::update
