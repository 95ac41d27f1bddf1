#include "otp/otp_map.h"

#include <bit>

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

namespace {
uint32_t RecordSlotsWord(uint32_t sequence_word, uint8_t mask) {
  const auto zeros = static_cast<uint32_t>(32 - std::popcount(sequence_word) + 8 -
                                           std::popcount(static_cast<uint32_t>(mask)));
  return static_cast<uint32_t>(mask) | zeros << 8 | kRevocationRecordTag << 16;
}
}  // namespace

OtpRevocationRecord MakeRevocationRecord(uint32_t sequence, uint8_t slot_mask) {
  return OtpRevocationRecord{sequence + 1, RecordSlotsWord(sequence + 1, slot_mask)};
}

bool RevocationRecordValid(const OtpRevocationRecord& record) {
  const auto mask = static_cast<uint8_t>(record.slots & 0xffu);
  constexpr uint32_t kValidSlots = (1u << kSigningSlots) - 1u;
  return record.sequence != 0 && mask != 0 && (mask & ~kValidSlots) == 0 &&
         record.slots == RecordSlotsWord(record.sequence, mask);
}

bool ReadRevocationLog(const OtpRevocationRecord (&records)[kLogEntries], RevocationLog* out) {
  RevocationLog log;
  for (size_t i = 0; i < kLogEntries; ++i) {
    const OtpRevocationRecord& r = records[i];
    if (r.sequence == 0 && r.slots == 0) {
      // Records are written in order: a gap followed by anything is corrupt.
      for (size_t j = i + 1; j < kLogEntries; ++j) {
        if (records[j].sequence != 0 || records[j].slots != 0) return false;
      }
      break;
    }
    if (!RevocationRecordValid(r)) {
      // A commit a power loss tore (only the owning stage writes here): it
      // never happened. Its entry stays used; the next record goes after it.
      ++log.used;
      ++log.abandoned;
      continue;
    }
    const uint32_t sequence = r.sequence - 1;
    if (log.used > 0 && sequence <= log.sequence) return false;
    log.sequence = sequence;
    log.revoked = static_cast<uint8_t>(log.revoked | (r.slots & 0xffu));
    ++log.used;
  }
  *out = log;
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

bool GeometrySupported(const platform::FlashGeometry& g) {
  auto pow2 = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
  return pow2(g.sector_size) && pow2(g.program_unit) && g.program_unit >= kMinProgramUnit &&
         g.program_unit <= kMaxProgramUnit && g.program_unit <= g.sector_size && g.size != 0 &&
         g.size % g.sector_size == 0;
}

bool LayoutValid(const FlashLayout& layout, const platform::FlashGeometry& geometry) {
  if (!GeometrySupported(geometry)) return false;
  const uint32_t flash_size = geometry.size;
  const uint32_t sector_size = geometry.sector_size;
  const FlashRegion* regions = &layout.key_store;
  constexpr size_t kCount = sizeof(FlashLayout) / sizeof(FlashRegion);
  for (size_t i = 0; i < kCount; ++i) {
    const FlashRegion& r = regions[i];
    if (r.size == 0) {
      if (&r != &layout.storage) return false;
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
  // sector larger than the primary; each journal needs two status sectors,
  // each counter store two sectors (one to compact into).
  for (size_t c = 0; c < kComponentCount; ++c) {
    if (layout.secondary[c].size != layout.primary[c].size + sector_size) return false;
  }
  for (const FlashRegion* r :
       {&layout.scratch, &layout.urot_scratch, &layout.urot_counters, &layout.counters}) {
    if (r->size < 2 * sector_size) return false;
  }
  return layout.key_store.size >= kKeyStoreSize;
}

}  // namespace bastion::otp
