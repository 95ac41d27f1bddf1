#include "platform/flash_ops.h"

#include <cstring>

namespace bastion::platform {

Status ProgramPadded(Flash& flash, uint32_t address, ConstByteSpan data, uint32_t span) {
  if (span > kMaxProgramSpan || data.size() > span) return StatusCode::kInvalidArgument;
  uint8_t bytes[kMaxProgramSpan];
  std::memset(bytes, flash.geometry().erased_value, span);
  if (!data.empty()) std::memcpy(bytes, data.data(), data.size());
  return flash.Program(address, ConstByteSpan(bytes, span));
}

bool AllErased(ConstByteSpan bytes, uint8_t erased) {
  for (const uint8_t b : bytes) {
    if (b != erased) return false;
  }
  return true;
}

}  // namespace bastion::platform
