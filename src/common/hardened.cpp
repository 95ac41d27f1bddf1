#include "common/hardened.h"

namespace bastion {

HardenedBool HardenedEqual(const uint8_t* a, const uint8_t* b, uint32_t length) {
  uint32_t diff = 0;
  uint32_t counted = 0;
  for (uint32_t i = 0; i < length; ++i) {
    diff |= static_cast<uint32_t>(a[i] ^ b[i]);
    ++counted;
  }
  diff = Launder(diff);
  if (Launder(counted) != length) HardenedTrap("hardened compare loop");
  // Branch-free mapping: diff == 0 -> kTrue, else kFalse.
  const uint32_t is_zero = ((diff | (0u - diff)) >> 31) ^ 1u;  // 1 when diff == 0
  const uint32_t mask = 0u - is_zero;
  return static_cast<HardenedBool>((static_cast<uint32_t>(HardenedBool::kTrue) & mask) |
                                   (static_cast<uint32_t>(HardenedBool::kFalse) & ~mask));
}

}  // namespace bastion

namespace bastion {

namespace {
HardenedTrapHandler g_trap_handler = nullptr;
}  // namespace

void SetHardenedTrapHandler(HardenedTrapHandler handler) { g_trap_handler = handler; }

// Without a handler (or if one returns) the core stops; host tests observe
// it as a death (SIGILL).
[[noreturn]] void HardenedTrap(const char* what) {
  const HardenedTrapHandler handler = g_trap_handler;
  g_trap_handler = nullptr;  // a trap inside the handler stops the core
  if (handler != nullptr) handler(what);
  __builtin_trap();
}

}  // namespace bastion
