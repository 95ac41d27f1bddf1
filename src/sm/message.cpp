#include "sm/message.h"

#include <cstring>

namespace bastion::sm {

Message::Message(int32_t type, ClientId client, uint32_t sid, std::span<const Vector> in,
                 std::span<const Vector> out)
    : type_(type), client_(client), sid_(sid) {
  // The SPM never builds more than PSA_MAX_IOVEC of each; clamp regardless.
  for (size_t i = 0; i < in.size() && i < PSA_MAX_IOVEC; ++i) in_[i] = in[i];
  for (size_t i = 0; i < out.size() && i < PSA_MAX_IOVEC; ++i) out_[i] = out[i];
}

size_t Message::in_size(size_t index) const {
  return index < PSA_MAX_IOVEC ? in_[index].length : 0;
}

size_t Message::out_size(size_t index) const {
  return index < PSA_MAX_IOVEC ? out_[index].length : 0;
}

size_t Message::Read(size_t index, std::span<uint8_t> dest) {
  if (index >= PSA_MAX_IOVEC) {
    misused_ = true;
    return 0;
  }
  const size_t left = in_[index].length - in_offset_[index];
  const size_t n = dest.size() < left ? dest.size() : left;
  if (n != 0) {
    std::memcpy(dest.data(), reinterpret_cast<const uint8_t*>(in_[index].base) + in_offset_[index],
                n);
  }
  in_offset_[index] += n;
  return n;
}

size_t Message::Skip(size_t index, size_t count) {
  if (index >= PSA_MAX_IOVEC) {
    misused_ = true;
    return 0;
  }
  const size_t left = in_[index].length - in_offset_[index];
  const size_t n = count < left ? count : left;
  in_offset_[index] += n;
  return n;
}

bool Message::Write(size_t index, std::span<const uint8_t> data) {
  if (index >= PSA_MAX_IOVEC || data.size() > out_[index].length - out_offset_[index]) {
    misused_ = true;
    return false;
  }
  if (!data.empty()) {
    std::memcpy(reinterpret_cast<uint8_t*>(out_[index].base) + out_offset_[index], data.data(),
                data.size());
  }
  out_offset_[index] += data.size();
  return true;
}

size_t Message::written(size_t index) const {
  return index < PSA_MAX_IOVEC ? out_offset_[index] : 0;
}

}  // namespace bastion::sm
