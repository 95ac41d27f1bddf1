// Test helpers: build gateway request frames field by field (well-formed or
// not) and take response frames apart (include/bastion/gateway_frame.h).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "bastion/gateway_frame.h"

namespace bastion::gateway::test {

using Bytes = std::vector<uint8_t>;

inline void PutLe32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void PutLe16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
inline uint32_t GetLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint16_t GetLe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline void SetLe32(Bytes& frame, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) frame[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

inline Bytes ToBytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

// A request frame: a header whose length field is the frame's size (unless
// overridden), then the body as appended.
class Frame {
 public:
  explicit Frame(uint16_t operation, uint32_t sequence = 7)
      : operation_(operation), sequence_(sequence) {}
  Frame& U32(uint32_t v) {
    PutLe32(body_, v);
    return *this;
  }
  Frame& I32(int32_t v) { return U32(static_cast<uint32_t>(v)); }
  Frame& Raw(const Bytes& bytes) {
    body_.insert(body_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  Frame& Magic(uint32_t magic) {
    magic_ = magic;
    return *this;
  }
  Frame& Version(uint16_t version) {
    version_ = version;
    return *this;
  }
  Frame& Length(uint32_t length) {
    length_ = length;
    length_set_ = true;
    return *this;
  }
  Bytes Build() const {
    Bytes out;
    PutLe32(out, magic_);
    PutLe16(out, version_);
    PutLe16(out, operation_);
    PutLe32(out,
            length_set_ ? length_ : static_cast<uint32_t>(BASTION_GW_HEADER_SIZE + body_.size()));
    PutLe32(out, sequence_);
    out.insert(out.end(), body_.begin(), body_.end());
    return out;
  }

 private:
  uint16_t operation_;
  uint32_t sequence_;
  uint32_t magic_ = BASTION_GW_REQUEST_MAGIC;
  uint16_t version_ = BASTION_GW_PROTOCOL_VERSION;
  uint32_t length_ = 0;
  bool length_set_ = false;
  Bytes body_;
};

inline Bytes FrameworkVersionFrame() { return Frame(BASTION_GW_OP_FRAMEWORK_VERSION).Build(); }
inline Bytes VersionFrame(uint32_t sid) { return Frame(BASTION_GW_OP_VERSION).U32(sid).Build(); }
inline Bytes ConnectFrame(uint32_t sid, uint32_t version) {
  return Frame(BASTION_GW_OP_CONNECT).U32(sid).U32(version).Build();
}
inline Bytes CloseFrame(int32_t handle) { return Frame(BASTION_GW_OP_CLOSE).I32(handle).Build(); }
inline Bytes CallFrame(int32_t handle, int32_t type, const std::vector<Bytes>& in,
                       const std::vector<uint32_t>& out_capacities) {
  Frame f(BASTION_GW_OP_CALL);
  f.I32(handle).I32(type);
  f.U32(static_cast<uint32_t>(in.size())).U32(static_cast<uint32_t>(out_capacities.size()));
  for (const Bytes& v : in) f.U32(static_cast<uint32_t>(v.size())).Raw(v);
  for (uint32_t c : out_capacities) f.U32(c);
  return f.Build();
}

// A response frame taken apart; `well_formed` is false when its layout is
// not that of gateway_frame.h (then the other fields are partial).
struct Response {
  bool well_formed = false;
  uint32_t magic = 0;
  uint16_t version = 0;
  uint16_t operation = 0;
  uint32_t length = 0;
  uint32_t sequence = 0;
  uint32_t result = 0;
  bool has_outputs = false;
  std::vector<Bytes> outputs;

  int32_t status() const { return static_cast<int32_t>(result); }
};

inline Response ParseResponse(std::span<const uint8_t> frame) {
  Response r;
  if (frame.size() < BASTION_GW_HEADER_SIZE + 4) return r;
  const uint8_t* p = frame.data();
  r.magic = GetLe32(p);
  r.version = GetLe16(p + 4);
  r.operation = GetLe16(p + 6);
  r.length = GetLe32(p + 8);
  r.sequence = GetLe32(p + 12);
  r.result = GetLe32(p + 16);
  if (r.length != frame.size() || r.magic != BASTION_GW_RESPONSE_MAGIC ||
      r.version != BASTION_GW_PROTOCOL_VERSION) {
    return r;
  }
  size_t pos = BASTION_GW_HEADER_SIZE + 4;
  if (pos == frame.size()) {
    r.well_formed = true;
    return r;
  }
  if (frame.size() - pos < 4) return r;
  const uint32_t count = GetLe32(p + pos);
  pos += 4;
  if (count > BASTION_GW_MAX_IOVEC) return r;
  for (uint32_t i = 0; i < count; ++i) {
    if (frame.size() - pos < 4) return r;
    const uint32_t written = GetLe32(p + pos);
    pos += 4;
    if (written > frame.size() - pos) return r;
    r.outputs.emplace_back(p + pos, p + pos + written);
    pos += written;
  }
  r.has_outputs = true;
  r.well_formed = pos == frame.size();
  return r;
}

}  // namespace bastion::gateway::test
