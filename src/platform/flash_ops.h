// Small operations over the Flash interface shared by the records Bastion
// keeps in flash (the swap journal, the slot trailers, the counter stores).
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "platform/platform.h"

namespace bastion::platform {

// The largest span ProgramPadded writes: the largest program unit.
constexpr uint32_t kMaxProgramSpan = 256;

// Programs `data` at `address`, followed by erased bytes up to `span` bytes
// (a whole number of program units). Returns what Flash::Program returns, or
// kInvalidArgument when `data` is longer than `span` or `span` is above
// kMaxProgramSpan.
Status ProgramPadded(Flash& flash, uint32_t address, ConstByteSpan data, uint32_t span);

// True when every byte of `bytes` is `erased`.
bool AllErased(ConstByteSpan bytes, uint8_t erased);

}  // namespace bastion::platform
