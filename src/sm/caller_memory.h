// CallerMemory: may this client read or write these bytes?
//
// The SPM asks before it touches any buffer a client names, including the
// vector descriptor arrays themselves. The gateway implements it (TT checks
// on Cortex-M33, the frame's buffers on the host); AllowedRanges below is
// the simple implementation for tests and the host gateway.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sm/partition_table.h"

namespace bastion::sm {

class CallerMemory {
 public:
  // True when `client` may read (write) every byte of [address, address + length).
  // Only called with length > 0 and a range that does not wrap.
  virtual bool MayRead(ClientId client, uintptr_t address, size_t length) const = 0;
  virtual bool MayWrite(ClientId client, uintptr_t address, size_t length) const = 0;

 protected:
  ~CallerMemory() = default;
};

// A fixed list of ranges, each readable or read-write, for one client or for
// every client. Add() returns false when the list is full.
template <size_t kCapacity>
class AllowedRanges final : public CallerMemory {
 public:
  static constexpr ClientId kAnyClient = 0;

  bool Add(ClientId client, const void* base, size_t length, bool writable) {
    if (count_ == kCapacity) return false;
    ranges_[count_++] = {client, reinterpret_cast<uintptr_t>(base), length, writable};
    return true;
  }
  void Clear() { count_ = 0; }

  bool MayRead(ClientId client, uintptr_t address, size_t length) const override {
    return Covered(client, address, length, false);
  }
  bool MayWrite(ClientId client, uintptr_t address, size_t length) const override {
    return Covered(client, address, length, true);
  }

 private:
  struct Range {
    ClientId client;
    uintptr_t base;
    size_t length;
    bool writable;
  };

  bool Covered(ClientId client, uintptr_t address, size_t length, bool write) const {
    for (size_t i = 0; i < count_; ++i) {
      const Range& r = ranges_[i];
      if (r.client != kAnyClient && r.client != client) continue;
      if (write && !r.writable) continue;
      if (address >= r.base && address - r.base <= r.length &&
          length <= r.length - (address - r.base)) {
        return true;
      }
    }
    return false;
  }

  Range ranges_[kCapacity] = {};
  size_t count_ = 0;
};

}  // namespace bastion::sm
