// Hardened values for security decisions (boot, isolation, key policy).
//
// A decision is a HardenedBool whose true and false are far apart in Hamming
// distance (0x739 / 0x1d4), so a single glitched bit or a zeroed register
// never reads as "true". Decisions are checked twice with the value laundered
// through an empty asm statement, so the compiler cannot merge the checks.
// Keep hardening inside these helpers; logic code calls them.
#pragma once

#include <cstdint>

namespace bastion {

enum class HardenedBool : uint32_t {
  kTrue = 0x739,
  kFalse = 0x1d4,
};

// Hides a value from the optimiser: it cannot assume anything about the
// result, so two checks of the same value stay two checks.
template <typename T>
inline T Launder(T value) {
  static_assert(sizeof(T) <= sizeof(uint32_t));
  uint32_t raw = static_cast<uint32_t>(value);
  asm volatile("" : "+r"(raw));
  return static_cast<T>(raw);
}

constexpr HardenedBool ToHardened(bool b) { return b ? HardenedBool::kTrue : HardenedBool::kFalse; }

// Called when a hardened check sees an impossible value or the two reads of
// a decision disagree: a fault-injection attempt or a bug. Never returns:
// it calls the installed trap handler (the boot chain installs one that goes
// through its single failure exit), and stops the core if that returns.
[[noreturn]] void HardenedTrap(const char* what);

// A trap handler must not return. nullptr restores the default (stop).
using HardenedTrapHandler = void (*)(const char* what);
void SetHardenedTrapHandler(HardenedTrapHandler handler);

// True only when `value` is kTrue on two laundered reads; traps on values
// that are neither kTrue nor kFalse.
inline bool HardenedIsTrue(HardenedBool value) {
  const uint32_t first = static_cast<uint32_t>(Launder(value));
  if (first != static_cast<uint32_t>(HardenedBool::kTrue)) {
    if (first != static_cast<uint32_t>(HardenedBool::kFalse)) HardenedTrap("hardened bool value");
    return false;
  }
  if (static_cast<uint32_t>(Launder(value)) != static_cast<uint32_t>(HardenedBool::kTrue)) {
    HardenedTrap("hardened bool re-check");
  }
  return true;
}

// Constant-time equality of two byte ranges of equal length; hardened result.
HardenedBool HardenedEqual(const uint8_t* a, const uint8_t* b, uint32_t length);

}  // namespace bastion
