#include "otp/otp_map.h"

namespace bastion::otp {

const char* ComponentName(Component c) {
  switch (c) {
    case Component::kUrot:
      return "urot";
    case Component::kSm:
      return "sm";
    case Component::kApp:
      return "app";
  }
  return "unknown";
}

const char* LifecycleName(Lifecycle lc) {
  switch (lc) {
    case Lifecycle::kUnknown:
      return "unknown";
    case Lifecycle::kAssemblyAndTest:
      return "assembly-and-test";
    case Lifecycle::kPsaRotProvisioning:
      return "psa-rot-provisioning";
    case Lifecycle::kSecured:
      return "secured";
    case Lifecycle::kNonPsaRotDebug:
      return "non-psa-rot-debug";
    case Lifecycle::kRecoverablePsaRotDebug:
      return "recoverable-psa-rot-debug";
    case Lifecycle::kDecommissioned:
      return "decommissioned";
  }
  return "unknown";
}

bool ReadLog(const uint32_t (&entries)[kLogEntries], uint32_t* value, size_t* used) {
  uint32_t current = 0;
  size_t count = 0;
  for (size_t i = 0; i < kLogEntries; ++i) {
    if (entries[i] == 0) {
      // Entries are written in order: a gap followed by a value is corrupt.
      for (size_t j = i + 1; j < kLogEntries; ++j) {
        if (entries[j] != 0) return false;
      }
      break;
    }
    const uint32_t v = entries[i] - 1;
    if (count > 0 && v < current) return false;
    current = v;
    ++count;
  }
  *value = current;
  *used = count;
  return true;
}

Lifecycle LifecycleFromMarks(const uint32_t (&marks)[kLifecycleStates]) {
  Lifecycle lc = Lifecycle::kUnknown;
  for (size_t i = 0; i < kLifecycleStates; ++i) {
    if (marks[i] == kLifecycleMark) {
      lc = static_cast<Lifecycle>(static_cast<uint32_t>(i + 1) * 0x1000u);
    } else if (marks[i] != 0) {
      // A torn mark: the transition was under way; the later state is the
      // safe reading (states only move forward, toward less trust).
      lc = static_cast<Lifecycle>(static_cast<uint32_t>(i + 1) * 0x1000u);
    }
  }
  return lc;
}

}  // namespace bastion::otp

namespace bastion::otp {

bool LayoutValid(const FlashLayout& layout, uint32_t flash_size, uint32_t sector_size) {
  if (sector_size == 0) return false;
  const FlashRegion* regions = &layout.key_store;
  constexpr size_t kCount = sizeof(FlashLayout) / sizeof(FlashRegion);
  for (size_t i = 0; i < kCount; ++i) {
    const FlashRegion& r = regions[i];
    const bool optional = &r == &layout.scratch || &r == &layout.storage;
    if (r.size == 0) {
      if (!optional) return false;
      continue;
    }
    if (r.offset % sector_size != 0 || r.size % sector_size != 0) return false;
    if (r.offset > flash_size || r.size > flash_size - r.offset) return false;
    for (size_t j = 0; j < i; ++j) {
      const FlashRegion& o = regions[j];
      if (o.size == 0) continue;
      if (r.offset < o.offset + o.size && o.offset < r.offset + r.size) return false;
    }
  }
  // The swap with offset (docs/update-swap.md): the secondary slot is one
  // sector larger than the primary; the journal needs two status sectors.
  for (size_t c = 0; c < kComponentCount; ++c) {
    if (layout.secondary[c].size != layout.primary[c].size + sector_size) return false;
  }
  if (layout.scratch.size < 2 * sector_size) return false;
  return layout.key_store.size >= kKeyStoreSize;
}

}  // namespace bastion::otp
