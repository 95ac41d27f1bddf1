// Helpers shared by the fuzzers that drive the Secure Manager with a
// sequence of calls: a reader over the fuzzer's input that never reads past
// its end, a trap on a broken expectation, and a deterministic RNG (the
// same input always runs the same way).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/status.h"
#include "platform/platform.h"

namespace bastion::fuzz {

// Stops the fuzzer on the spot (a crash libFuzzer reports with the input).
inline void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// The fuzzer's bytes, read in order; past the end every read gives zeros.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{U8()} << (8 * i);
    return v;
  }
  // Up to `n` bytes (fewer at the end of the input).
  std::vector<uint8_t> Bytes(size_t n) {
    const size_t take = n < size_ - pos_ ? n : size_ - pos_;
    std::vector<uint8_t> out(data_ + pos_, data_ + pos_ + take);
    pos_ += take;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// A linear congruential generator: deterministic, not random.
class DeterministicRng final : public platform::Rng {
 public:
  explicit DeterministicRng(uint32_t seed) : state_(seed) {}
  Status Fill(ByteSpan out) override {
    for (auto& b : out) b = static_cast<uint8_t>((state_ = state_ * 1103515245u + 12345u) >> 16);
    return StatusCode::kOk;
  }

 private:
  uint32_t state_;
};

}  // namespace bastion::fuzz
