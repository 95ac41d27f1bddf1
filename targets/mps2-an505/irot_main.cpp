// iROT on the AN505: the immutable first stage. Verifies uROT, then jumps to
// it (uROT runs in place from its primary slot).
#include <cstdint>

#include "an505_platform.h"
#include "boot/boot_stages.h"
#include "memory_map.h"
#include "semihosting.h"

namespace {

[[noreturn]] void JumpTo(uintptr_t vector_table) {
  const auto* vectors = reinterpret_cast<const uint32_t*>(vector_table);
  volatile uint32_t* vtor = reinterpret_cast<volatile uint32_t*>(0xE000ED08);
  *vtor = static_cast<uint32_t>(vector_table);
  asm volatile(
      "msr msp, %0\n"
      "dsb\n"
      "isb\n"
      "bx %1\n"
      :
      : "r"(vectors[0]), "r"(vectors[1])
      : "memory");
  __builtin_unreachable();
}

}  // namespace

int main() {
  using namespace bastion;
  *reinterpret_cast<volatile uint32_t*>(an505::kHdplRegister) = 0;  // reset value
  an505::SemihostWrite("iROT: verifying uROT\n");
  boot::RunIrot(an505::GetPlatform());
  an505::SemihostWrite("iROT: uROT verified, HDPL raised to 1, jumping to uROT\n");
  JumpTo(an505::kUrotEntryBase);
}
