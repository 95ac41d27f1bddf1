// Minimal Arm semihosting (QEMU -semihosting): console output and exit.
#pragma once

#include <cstdint>

namespace bastion::an505 {

void SemihostWrite(const char* text);
// Writes `value` in decimal.
void SemihostNumber(uint32_t value);
// Ends the QEMU run: exit status 0 when `success`, 1 otherwise.
[[noreturn]] void SemihostExit(bool success);

}  // namespace bastion::an505
