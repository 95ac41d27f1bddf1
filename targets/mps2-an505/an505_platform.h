// The platform interfaces on the MPS2+ AN505 under QEMU: flash, OTP and HUK
// are memory regions preloaded from a virtual device's files (memory_map.h);
// the HDPL is a word in RAM that only rises; access rules are the shared
// platform::access_policy. Halt ends the QEMU run with a failure status.
#pragma once

#include <cstdint>

#include "platform/platform.h"

namespace bastion::an505 {

// The platform shared by every stage; the HDPL word persists across stages.
platform::Platform& GetPlatform();

// The deepest stack use of the running stage so far, in bytes (the reset
// handler paints the stack; startup.cpp).
uint32_t StackPeakBytes();

}  // namespace bastion::an505
