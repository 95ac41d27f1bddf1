// The image-state trailer at the end of a slot, laid out as MCUboot's
// (magic, image_ok, copy_done, swap_info, swap_size), so `imgtool sign --pad
// [--confirm]` output and MCUboot-aware tools read and write it. Bastion keeps
// the swap progress in its own journal (swap_journal.h), not in the trailer.
//
// With A = max(8, program_unit) ("max align"), offsets from the slot's end:
//
//   end - M            magic      M = RoundUp(16, A); the 16 magic bytes end
//                                 the slot (A <= 16: kBootMagic; A > 16: the
//                                 2-byte LE alignment then kBootMagicTail)
//   end - M - A        image_ok   1 byte, kFlagSet once confirmed
//   end - M - 2A       copy_done  1 byte, kFlagSet once the swap finished
//   end - M - 3A       swap_info  1 byte: low nibble SwapType, high nibble image number
//   end - M - 4A       swap_size  uint32 LE (MCUboot's; Bastion: the install's journal sequence)
//   end - M - 5A       image_ok spare   Bastion's: where image_ok goes when its
//   end - M - 6A       copy_done spare  unit cannot take it (below)
//
// Every field lies in its own program unit(s), so each is programmed once
// between erases. A power loss while image_ok or copy_done is programmed can
// leave its unit unprogrammable until the next erase (ECC) yet not holding
// the value; the write then goes to the field's spare unit, and a written
// spare takes precedence when the field is read. The trailer's sector is not
// erased for that (an erased primary trailer reads READY: an unconfirmed
// image would pass for a confirmed one). The trailer occupies the slot's last sector: callers keep
// it out of swaps (MaxSwapSectors(..., 1)).
#pragma once

#include <array>
#include <cstdint>

#include "common/status.h"
#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::update {

inline constexpr std::array<uint8_t, 16> kBootMagic = {
    0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};
// The last 14 magic bytes when the max align exceeds 16 (MCUboot >= 1.8).
inline constexpr std::array<uint8_t, 14> kBootMagicTail = {
    0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d, 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};
constexpr uint8_t kFlagSet = 0x01;

// MCUboot's swap types (swap_info low nibble).
enum class SwapType : uint8_t {
  kNone = 1,
  kTest = 2,    // install for a trial boot
  kPerm = 3,    // install permanently
  kRevert = 4,  // swap back
  kFail = 5,
};

enum class TrailerField : uint8_t { kImageOk, kCopyDone, kSwapInfo };

struct TrailerLayout {
  uint32_t align;     // A
  uint32_t magic;     // address of the magic field (M bytes)
  uint32_t image_ok;  // addresses of A-byte fields
  uint32_t copy_done;
  uint32_t swap_info;
  uint32_t swap_size;
  uint32_t image_ok_spare;
  uint32_t copy_done_spare;
  uint32_t size;  // M + 6A: bytes from copy_done_spare to the slot end
};

constexpr TrailerLayout TrailerLayoutFor(const otp::FlashRegion& slot, uint32_t program_unit) {
  const uint32_t a = program_unit > 8 ? program_unit : 8;
  const uint32_t m = (16 + a - 1) / a * a;
  const uint32_t end = slot.offset + slot.size;
  return TrailerLayout{a,
                       end - m,
                       end - m - a,
                       end - m - 2 * a,
                       end - m - 3 * a,
                       end - m - 4 * a,
                       end - m - 5 * a,
                       end - m - 6 * a,
                       m + 6 * a};
}
static_assert(TrailerLayoutFor({0, 0x1000}, 8).magic == 0x1000 - 16);
static_assert(TrailerLayoutFor({0, 0x1000}, 8).image_ok == 0x1000 - 24);
static_assert(TrailerLayoutFor({0, 0x1000}, 8).copy_done == 0x1000 - 32);
static_assert(TrailerLayoutFor({0, 0x1000}, 8).swap_info == 0x1000 - 40);
static_assert(TrailerLayoutFor({0, 0x2000}, 16).swap_info == 0x2000 - 64);
static_assert(TrailerLayoutFor({0, 0x20000}, 32).magic == 0x20000 - 32);
static_assert(TrailerLayoutFor({0, 0x20000}, 32).image_ok == 0x20000 - 64);

struct Trailer {
  bool magic_good = false;    // the magic for this alignment is present
  bool magic_erased = false;  // the magic field is fully erased
  uint8_t image_ok = 0xff;    // kFlagSet = set, erased = unset, else corrupt (the
  uint8_t copy_done = 0xff;   // spare unit's byte when that is written, else the field's)
  uint8_t swap_info = 0xff;
};

// Reads the trailer of `slot`. Returns kOk; kInvalidArgument when the slot
// is smaller than one sector or the trailer; flash errors from Read.
[[nodiscard]] Status ReadTrailer(platform::Flash& flash, const otp::FlashRegion& slot,
                                 Trailer* out);

// Programs the magic. Returns kOk; kInvalidArgument (as ReadTrailer);
// kFailedPrecondition when its unit was already programmed since the last
// erase; kPermissionDenied, kOutOfRange, kUnavailable from Program.
[[nodiscard]] Status WriteTrailerMagic(platform::Flash& flash, const otp::FlashRegion& slot);

// Programs one 1-byte field (`value` then erased bytes to the field's end).
// image_ok and copy_done (callers write them only while they read unset):
// kOk at once when the field already reads `value`; when the unit
// refuses the program (kFailedPrecondition: a torn earlier program) or does
// not read back `value`, the spare unit is programmed instead. Same codes as
// WriteTrailerMagic (for the spare, when it was used).
[[nodiscard]] Status WriteTrailerField(platform::Flash& flash, const otp::FlashRegion& slot,
                                       TrailerField field, uint8_t value);

}  // namespace bastion::update
