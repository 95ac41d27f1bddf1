// A NOR flash in RAM for the fuzzers: a unit is programmable only while
// erased; out-of-range and misaligned operations are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "platform/platform.h"

namespace bastion::fuzz {

class RamFlash final : public platform::Flash {
 public:
  explicit RamFlash(const platform::FlashGeometry& g) : g_(g), bytes_(g.size, g.erased_value) {}
  platform::FlashGeometry geometry() const override { return g_; }
  Status Read(uint32_t address, ByteSpan out) override {
    if (address > bytes_.size() || out.size() > bytes_.size() - address) {
      return StatusCode::kOutOfRange;
    }
    std::memcpy(out.data(), bytes_.data() + address, out.size());
    return StatusCode::kOk;
  }
  Status Program(uint32_t address, ConstByteSpan data) override {
    if (address % g_.program_unit != 0 || data.size() % g_.program_unit != 0) {
      return StatusCode::kInvalidArgument;
    }
    if (address > bytes_.size() || data.size() > bytes_.size() - address) {
      return StatusCode::kOutOfRange;
    }
    for (size_t i = 0; i < data.size(); ++i) {
      if (bytes_[address + i] != g_.erased_value) return StatusCode::kFailedPrecondition;
    }
    std::memcpy(bytes_.data() + address, data.data(), data.size());
    return StatusCode::kOk;
  }
  Status EraseSector(uint32_t address) override {
    if (address % g_.sector_size != 0 || address >= bytes_.size()) {
      return StatusCode::kInvalidArgument;
    }
    std::memset(bytes_.data() + address, g_.erased_value, g_.sector_size);
    return StatusCode::kOk;
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  platform::FlashGeometry g_;
  std::vector<uint8_t> bytes_;
};

}  // namespace bastion::fuzz
