#include "gateway/gateway_memory.h"

namespace bastion::gateway {

bool GatewayMemory::MayRead(sm::ClientId client, uintptr_t address, size_t length) const {
  if (window_client_ != 0 && client == window_client_) return Covered(address, length, false);
  return others_ != nullptr && others_->MayRead(client, address, length);
}

bool GatewayMemory::MayWrite(sm::ClientId client, uintptr_t address, size_t length) const {
  if (window_client_ != 0 && client == window_client_) return Covered(address, length, true);
  return others_ != nullptr && others_->MayWrite(client, address, length);
}

void GatewayMemory::OpenWindow(sm::ClientId client, const psa_invec* in, size_t in_len,
                               const psa_outvec* out, size_t out_len) {
  CloseWindow();
  if (client == 0 || in_len > BASTION_GW_MAX_IOVEC || out_len > BASTION_GW_MAX_IOVEC ||
      in_len + out_len > BASTION_GW_MAX_IOVEC) {
    return;  // nothing granted
  }
  window_client_ = client;
  if (in_len != 0) Add(in, in_len * sizeof(psa_invec), false);
  if (out_len != 0) Add(out, out_len * sizeof(psa_outvec), true);
  for (size_t i = 0; i < in_len; ++i) Add(in[i].base, in[i].len, false);
  for (size_t i = 0; i < out_len; ++i) Add(out[i].base, out[i].len, true);
}

void GatewayMemory::CloseWindow() {
  window_client_ = 0;
  range_count_ = 0;
}

void GatewayMemory::Add(const void* base, size_t length, bool writable) {
  if (length == 0 || base == nullptr || range_count_ == kMaxRanges) return;
  ranges_[range_count_++] = {reinterpret_cast<uintptr_t>(base), length, writable};
}

bool GatewayMemory::Covered(uintptr_t address, size_t length, bool write) const {
  for (size_t i = 0; i < range_count_; ++i) {
    const Range& r = ranges_[i];
    if (write && !r.writable) continue;
    if (address >= r.base && address - r.base <= r.length &&
        length <= r.length - (address - r.base)) {
      return true;
    }
  }
  return false;
}

}  // namespace bastion::gateway
