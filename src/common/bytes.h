// Explicit little-endian helpers and a fixed-capacity byte buffer.
// All on-flash, OTP and wire formats are little-endian and read through these.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace bastion {

using ByteSpan = std::span<uint8_t>;
using ConstByteSpan = std::span<const uint8_t>;

inline uint16_t LoadLe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline void StoreLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void StoreLe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

// Overwrites memory with zeros in a way the optimiser keeps (secret wiping).
void SecureWipe(void* data, size_t length);

// a + b without wrap-around; false when the sum overflows 32 bits.
inline bool AddNoOverflow(uint32_t a, uint32_t b, uint32_t* sum) {
  return !__builtin_add_overflow(a, b, sum);
}

// A fixed-capacity byte buffer: storage owned inline, a length in use.
template <size_t kCapacity>
struct ByteBuffer {
  std::array<uint8_t, kCapacity> bytes{};
  size_t size = 0;

  std::span<const uint8_t> view() const { return {bytes.data(), size}; }
  std::span<uint8_t> storage() { return {bytes.data(), bytes.size()}; }
  bool Assign(std::span<const uint8_t> data) {
    if (data.size() > kCapacity) return false;
    if (!data.empty()) std::memcpy(bytes.data(), data.data(), data.size());
    size = data.size();
    return true;
  }
};

}  // namespace bastion
