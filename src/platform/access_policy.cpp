#include "platform/access_policy.h"

namespace bastion::platform {

bool FlashAccessAllowed(const otp::FlashLayout& l, Hdpl hdpl, uint32_t address, size_t size,
                        bool write) {
  const auto level = static_cast<unsigned>(hdpl);
  auto inside = [&](const otp::FlashRegion& r) {
    return r.size != 0 && address >= r.offset && size <= r.size &&
           address - r.offset <= r.size - size;
  };
  if (inside(l.key_store)) return !write && level <= 2;
  for (size_t c = 0; c < otp::kComponentCount; ++c) {
    const unsigned owner = c == static_cast<size_t>(otp::Component::kUrot) ? 1 : 2;
    if (inside(l.primary[c]) || inside(l.secondary[c])) return level <= owner;
  }
  // Boot state a stage acts on is writable only by that stage or a lower
  // one, never by a later stage that could forge it.
  if (inside(l.urot_scratch) || inside(l.urot_counters)) return level == 0;
  if (inside(l.scratch) || inside(l.counters)) return level <= 1;
  if (inside(l.storage)) return level <= 2;
  return false;
}

bool OtpAccessAllowed(Hdpl hdpl, uint32_t offset, size_t size, bool write) {
  const auto level = static_cast<unsigned>(hdpl);
  const uint64_t end = uint64_t{offset} + size;
  if (end > otp::kOtpSize) return false;
  if (end <= otp::kHdpl0AreaOffset) return write ? level == 0 : true;
  if (offset >= otp::kHdpl0AreaOffset && end <= otp::kHdpl1AreaOffset) return level == 0;
  if (offset >= otp::kHdpl1AreaOffset && end <= otp::kHdpl1AreaEnd) return level <= 1;
  return false;  // an access may not straddle areas
}

Hdpl RamRegionOwner(RamRegion region) {
  switch (region) {
    case RamRegion::kMailbox:
    case RamRegion::kBootReport:
      return Hdpl::kApplication;
    case RamRegion::kHandoff:
      return Hdpl::kUrot;
    case RamRegion::kSmHandoff:
      return Hdpl::kSecureManager;
  }
  return Hdpl::kIrot;
}

}  // namespace bastion::platform
