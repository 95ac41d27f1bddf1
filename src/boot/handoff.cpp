#include "boot/handoff.h"

#include <cstddef>
#include <cstring>

#include "common/crc32.h"

namespace bastion::boot {
namespace {

template <typename T>
uint32_t CrcOf(const T& value) {
  return Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&value), offsetof(T, crc)));
}

template <typename T>
Status WriteRegion(platform::SharedRam& ram, platform::RamRegion region, T* value) {
  ByteSpan bytes;
  BASTION_TRY(ram.Region(region, &bytes));
  if (bytes.size() < sizeof(T)) return StatusCode::kResourceExhausted;
  value->crc = CrcOf(*value);
  std::memcpy(bytes.data(), value, sizeof(T));
  return StatusCode::kOk;
}

template <typename T>
Status ReadRegion(platform::SharedRam& ram, platform::RamRegion region, uint32_t magic, T* value) {
  ByteSpan bytes;
  BASTION_TRY(ram.Region(region, &bytes));
  if (bytes.size() < sizeof(T)) return StatusCode::kResourceExhausted;
  std::memcpy(value, bytes.data(), sizeof(T));
  if (value->magic != magic || value->crc != CrcOf(*value)) {
    SecureWipe(value, sizeof(T));
    return StatusCode::kDataLoss;
  }
  return StatusCode::kOk;
}

}  // namespace

Status WriteUrotHandoff(platform::SharedRam& ram, UrotHandoff* handoff) {
  handoff->magic = kUrotHandoffMagic;
  return WriteRegion(ram, platform::RamRegion::kHandoff, handoff);
}
Status ReadUrotHandoff(platform::SharedRam& ram, UrotHandoff* handoff) {
  return ReadRegion(ram, platform::RamRegion::kHandoff, kUrotHandoffMagic, handoff);
}
Status WriteSmHandoff(platform::SharedRam& ram, SmHandoff* handoff) {
  handoff->magic = kSmHandoffMagic;
  return WriteRegion(ram, platform::RamRegion::kSmHandoff, handoff);
}
Status ReadSmHandoff(platform::SharedRam& ram, SmHandoff* handoff) {
  return ReadRegion(ram, platform::RamRegion::kSmHandoff, kSmHandoffMagic, handoff);
}

void WipeHandoff(platform::SharedRam& ram, platform::RamRegion region) {
  ByteSpan bytes;
  if (ram.Region(region, &bytes).ok()) SecureWipe(bytes.data(), bytes.size());
}

}  // namespace bastion::boot
