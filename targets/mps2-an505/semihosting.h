// Minimal Arm semihosting (QEMU -semihosting): console output and exit.
#pragma once

namespace bastion::an505 {

void SemihostWrite(const char* text);
// Ends the QEMU run: exit status 0 when `success`, 1 otherwise.
[[noreturn]] void SemihostExit(bool success);

}  // namespace bastion::an505
