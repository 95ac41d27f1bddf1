#include "update/slot_trailer.h"

#include <cstring>

#include "platform/flash_ops.h"

namespace bastion::update {
namespace {

constexpr uint32_t kMaxAlign = 256;

Status CheckSlot(const platform::FlashGeometry& g, const otp::FlashRegion& slot) {
  if (g.program_unit == 0 || g.program_unit > kMaxAlign || slot.size < g.sector_size ||
      slot.size < TrailerLayoutFor(slot, g.program_unit).size) {
    return StatusCode::kInvalidArgument;
  }
  return StatusCode::kOk;
}

// The magic field's bytes for alignment `a` (M bytes: erased, then 16 magic bytes).
void MagicBytes(uint32_t a, uint8_t erased, uint8_t* out, uint32_t m) {
  std::memset(out, erased, m);
  uint8_t* tail = out + m - 16;
  if (a <= 16) {
    std::memcpy(tail, kBootMagic.data(), kBootMagic.size());
  } else {
    tail[0] = static_cast<uint8_t>(a);
    tail[1] = static_cast<uint8_t>(a >> 8);
    std::memcpy(tail + 2, kBootMagicTail.data(), kBootMagicTail.size());
  }
}

// A flag with a spare unit (image_ok, copy_done): a written spare takes
// precedence over the field.
Status ReadFlag(platform::Flash& flash, uint32_t field, uint32_t spare, uint8_t erased,
                uint8_t* value) {
  uint8_t bytes[2] = {erased, erased};
  BASTION_TRY(flash.Read(field, ByteSpan(&bytes[0], 1)));
  BASTION_TRY(flash.Read(spare, ByteSpan(&bytes[1], 1)));
  *value = bytes[1] != erased ? bytes[1] : bytes[0];
  return StatusCode::kOk;
}

}  // namespace

Status ReadTrailer(platform::Flash& flash, const otp::FlashRegion& slot, Trailer* out) {
  const platform::FlashGeometry g = flash.geometry();
  BASTION_TRY(CheckSlot(g, slot));
  const TrailerLayout t = TrailerLayoutFor(slot, g.program_unit);
  *out = Trailer{};
  uint8_t magic[kMaxAlign];
  uint8_t expected[kMaxAlign];
  const uint32_t m = slot.offset + slot.size - t.magic;
  BASTION_TRY(flash.Read(t.magic, ByteSpan(magic, m)));
  MagicBytes(t.align, g.erased_value, expected, m);
  out->magic_good = std::memcmp(magic + m - 16, expected + m - 16, 16) == 0;
  out->magic_erased = true;
  for (uint32_t i = 0; i < m; ++i)
    out->magic_erased = out->magic_erased && magic[i] == g.erased_value;
  BASTION_TRY(ReadFlag(flash, t.image_ok, t.image_ok_spare, g.erased_value, &out->image_ok));
  BASTION_TRY(ReadFlag(flash, t.copy_done, t.copy_done_spare, g.erased_value, &out->copy_done));
  BASTION_TRY(flash.Read(t.swap_info, ByteSpan(&out->swap_info, 1)));
  return StatusCode::kOk;
}

Status WriteTrailerMagic(platform::Flash& flash, const otp::FlashRegion& slot) {
  const platform::FlashGeometry g = flash.geometry();
  BASTION_TRY(CheckSlot(g, slot));
  const TrailerLayout t = TrailerLayoutFor(slot, g.program_unit);
  uint8_t bytes[kMaxAlign];
  const uint32_t m = slot.offset + slot.size - t.magic;
  MagicBytes(t.align, g.erased_value, bytes, m);
  return flash.Program(t.magic, ConstByteSpan(bytes, m));
}

Status WriteTrailerField(platform::Flash& flash, const otp::FlashRegion& slot, TrailerField field,
                         uint8_t value) {
  const platform::FlashGeometry g = flash.geometry();
  BASTION_TRY(CheckSlot(g, slot));
  const TrailerLayout t = TrailerLayoutFor(slot, g.program_unit);
  const uint32_t address = field == TrailerField::kImageOk    ? t.image_ok
                           : field == TrailerField::kCopyDone ? t.copy_done
                                                              : t.swap_info;
  const ConstByteSpan bytes(&value, 1);
  if (field == TrailerField::kSwapInfo)
    return platform::ProgramPadded(flash, address, bytes, t.align);
  const uint32_t spare = field == TrailerField::kImageOk ? t.image_ok_spare : t.copy_done_spare;
  uint8_t current = g.erased_value;
  BASTION_TRY(ReadFlag(flash, address, spare, g.erased_value, &current));
  if (current == value) return StatusCode::kOk;
  const Status written = platform::ProgramPadded(flash, address, bytes, t.align);
  if (written.ok()) {
    uint8_t back = g.erased_value;
    BASTION_TRY(flash.Read(address, ByteSpan(&back, 1)));
    if (back == value) return StatusCode::kOk;
  } else if (written.code() != StatusCode::kFailedPrecondition) {
    return written;
  }
  // The field's unit was torn by an earlier power loss: use the spare.
  return platform::ProgramPadded(flash, spare, bytes, t.align);
}

}  // namespace bastion::update
