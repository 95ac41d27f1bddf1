#include "semihosting.h"

#include <cstddef>
#include <cstdint>

namespace bastion::an505 {
namespace {

constexpr uint32_t kSysWrite0 = 0x04;
constexpr uint32_t kSysExit = 0x18;
constexpr uint32_t kAdpStoppedApplicationExit = 0x20026;
constexpr uint32_t kAdpStoppedRunTimeError = 0x20023;

uint32_t Semihost(uint32_t op, const void* arg) {
  register uint32_t r0 asm("r0") = op;
  register const void* r1 asm("r1") = arg;
  asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

}  // namespace

void SemihostWrite(const char* text) { (void)Semihost(kSysWrite0, text); }

void SemihostNumber(uint32_t value) {
  char text[11];
  size_t i = sizeof(text) - 1;
  text[i] = 0;
  do {
    text[--i] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && i > 0);
  SemihostWrite(&text[i]);
}

void SemihostExit(bool success) {
  const uint32_t reason = success ? kAdpStoppedApplicationExit : kAdpStoppedRunTimeError;
  (void)Semihost(kSysExit, reinterpret_cast<const void*>(static_cast<uintptr_t>(reason)));
  for (;;) {
  }
}

}  // namespace bastion::an505
