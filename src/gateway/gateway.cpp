#include "gateway/gateway.h"

#include <cstring>

namespace bastion::gateway {
namespace {

constexpr size_t kResultSize = BASTION_GW_RESULT_SIZE;
constexpr size_t kLengthFieldSize = BASTION_GW_LENGTH_FIELD_SIZE;
constexpr size_t kCallOutputsOffset = kHeaderSize + kResultSize + BASTION_GW_OUT_COUNT_SIZE;

// Reads a body front to back; every read is checked against what is left.
class BodyReader {
 public:
  explicit BodyReader(ConstByteSpan body) : body_(body) {}

  bool U32(uint32_t* value) {
    if (remaining() < 4) return false;
    *value = LoadLe32(body_.data() + position_);
    position_ += 4;
    return true;
  }
  bool I32(int32_t* value) {
    uint32_t raw = 0;
    if (!U32(&raw)) return false;
    *value = static_cast<int32_t>(raw);
    return true;
  }
  // Points `*bytes` at the next `length` bytes.
  bool Bytes(size_t length, const uint8_t** bytes) {
    if (length > remaining()) return false;
    *bytes = body_.data() + position_;
    position_ += length;
    return true;
  }
  bool AtEnd() const { return position_ == body_.size(); }

 private:
  size_t remaining() const { return body_.size() - position_; }

  ConstByteSpan body_;
  size_t position_ = 0;
};

// A CALL request whose body passed every check.
struct CallRequest {
  int32_t handle = 0;
  int32_t type = 0;
  size_t in_len = 0;
  size_t out_len = 0;
  psa_invec in[kMaxVectors] = {};
  size_t out_capacity[kMaxVectors] = {};
};

// Decodes and checks a CALL body; false when anything is wrong with it.
bool DecodeCall(ConstByteSpan body, CallRequest* call) {
  BodyReader reader(body);
  uint32_t in_len = 0;
  uint32_t out_len = 0;
  if (!reader.I32(&call->handle) || !reader.I32(&call->type) || !reader.U32(&in_len) ||
      !reader.U32(&out_len)) {
    return false;
  }
  // Each count alone first, so their sum cannot wrap.
  if (in_len > kMaxVectors || out_len > kMaxVectors || in_len + out_len > kMaxVectors) return false;
  // Negative types are the SPM's own messages (connect, disconnect).
  if (call->type < 0) return false;
  call->in_len = in_len;
  call->out_len = out_len;
  for (size_t i = 0; i < call->in_len; ++i) {
    uint32_t length = 0;
    const uint8_t* bytes = nullptr;
    if (!reader.U32(&length) || length > kMaxVectorSize || !reader.Bytes(length, &bytes)) {
      return false;
    }
    call->in[i] = {bytes, length};
  }
  for (size_t i = 0; i < call->out_len; ++i) {
    uint32_t capacity = 0;
    if (!reader.U32(&capacity) || capacity > kMaxVectorSize) return false;
    call->out_capacity[i] = capacity;
  }
  return reader.AtEnd();
}

void WriteResponseHeader(uint8_t* out, const FrameHeader& request, size_t length) {
  StoreLe32(out + BASTION_GW_OFFSET_MAGIC, BASTION_GW_RESPONSE_MAGIC);
  StoreLe16(out + BASTION_GW_OFFSET_VERSION, BASTION_GW_PROTOCOL_VERSION);
  StoreLe16(out + BASTION_GW_OFFSET_OPERATION, request.operation);
  StoreLe32(out + BASTION_GW_OFFSET_LENGTH, static_cast<uint32_t>(length));
  StoreLe32(out + BASTION_GW_OFFSET_SEQUENCE, request.sequence);
}

// A response that is only the 4-byte result.
size_t ResultResponse(ByteSpan response, const FrameHeader& request, uint32_t result) {
  constexpr size_t kLength = kHeaderSize + kResultSize;
  WriteResponseHeader(response.data(), request, kLength);
  StoreLe32(response.data() + kHeaderSize, result);
  return kLength;
}

uint32_t Raw(psa_status_t status) { return static_cast<uint32_t>(status); }

bool Overlap(ConstByteSpan a, ByteSpan b) {
  if (a.empty() || b.empty()) return false;
  const uintptr_t a_base = reinterpret_cast<uintptr_t>(a.data());
  const uintptr_t b_base = reinterpret_cast<uintptr_t>(b.data());
  return a_base < b_base + b.size() && b_base < a_base + a.size();
}

bool HeaderUsable(const FrameHeader& header) {
  return header.magic == BASTION_GW_REQUEST_MAGIC &&
         header.version == BASTION_GW_PROTOCOL_VERSION && header.length >= kHeaderSize &&
         header.length <= kMaxFrameSize;
}

}  // namespace

Result<FrameHeader> ReadFrameHeader(ConstByteSpan bytes) {
  if (bytes.size() < kHeaderSize) return StatusCode::kOutOfRange;
  const uint8_t* p = bytes.data();
  FrameHeader header;
  header.magic = LoadLe32(p + BASTION_GW_OFFSET_MAGIC);
  header.version = LoadLe16(p + BASTION_GW_OFFSET_VERSION);
  header.operation = LoadLe16(p + BASTION_GW_OFFSET_OPERATION);
  header.length = LoadLe32(p + BASTION_GW_OFFSET_LENGTH);
  header.sequence = LoadLe32(p + BASTION_GW_OFFSET_SEQUENCE);
  return header;
}

Result<size_t> RequestFrameLength(ConstByteSpan header) {
  BASTION_TRY_ASSIGN(const FrameHeader fields, ReadFrameHeader(header));
  if (!HeaderUsable(fields)) return StatusCode::kInvalidArgument;
  return static_cast<size_t>(fields.length);
}

Result<Execution> Gateway::Execute(sm::ClientId client, ConstByteSpan request, ByteSpan response) {
  if (!sm::IsNonSecureClient(client) || response.size() < kMaxFrameSize ||
      Overlap(request, response)) {
    return StatusCode::kInvalidArgument;
  }
  const uint32_t refused = Raw(PSA_ERROR_PROGRAMMER_ERROR);

  // The header: without it (or with one that does not describe exactly
  // these bytes) nothing else can be read.
  Result<FrameHeader> read = ReadFrameHeader(request);
  const FrameHeader header = read.ok() ? read.value() : FrameHeader{};
  if (!read.ok() || !HeaderUsable(header) || header.length != request.size()) {
    return Execution{Disposition::kUnframed, ResultResponse(response, header, refused)};
  }
  const ConstByteSpan body = request.subspan(kHeaderSize);
  const Execution refuse{Disposition::kRefused, ResultResponse(response, header, refused)};

  switch (header.operation) {
    case BASTION_GW_OP_FRAMEWORK_VERSION: {
      if (!body.empty()) return refuse;
      return Execution{Disposition::kExecuted,
                       ResultResponse(response, header, spm_.FrameworkVersion())};
    }
    case BASTION_GW_OP_VERSION: {
      if (body.size() != BASTION_GW_VERSION_BODY_SIZE) return refuse;
      const uint32_t sid = LoadLe32(body.data());
      return Execution{Disposition::kExecuted,
                       ResultResponse(response, header, spm_.Version(client, sid))};
    }
    case BASTION_GW_OP_CONNECT: {
      if (body.size() != BASTION_GW_CONNECT_BODY_SIZE) return refuse;
      const uint32_t sid = LoadLe32(body.data());
      const uint32_t version = LoadLe32(body.data() + 4);
      const psa_handle_t handle = spm_.Connect(client, sid, version);
      return Execution{Disposition::kExecuted, ResultResponse(response, header, Raw(handle))};
    }
    case BASTION_GW_OP_CLOSE: {
      if (body.size() != BASTION_GW_CLOSE_BODY_SIZE) return refuse;
      const auto handle = static_cast<psa_handle_t>(LoadLe32(body.data()));
      return Execution{Disposition::kExecuted,
                       ResultResponse(response, header, Raw(spm_.Close(client, handle)))};
    }
    case BASTION_GW_OP_CALL:
      break;
    default:
      return refuse;
  }

  CallRequest call;
  if (!DecodeCall(body, &call)) return refuse;

  // Each output gets a slot in the response at full capacity: its written
  // length field, then room for the bytes. The caps keep the last slot
  // inside kMaxFrameSize (gateway_frame.h).
  psa_outvec out[kMaxVectors] = {};
  size_t slot = kCallOutputsOffset;
  for (size_t i = 0; i < call.out_len; ++i) {
    out[i] = {response.data() + slot + kLengthFieldSize, call.out_capacity[i]};
    slot += kLengthFieldSize + call.out_capacity[i];
  }

  memory_.OpenWindow(client, call.in, call.in_len, out, call.out_len);
  bool answered = false;
  const psa_status_t status =
      spm_.Call(client, call.handle, call.type, call.in, call.in_len, out, call.out_len, &answered);
  memory_.CloseWindow();

  bool lengths_sound = true;
  for (size_t i = 0; i < call.out_len; ++i) {
    if (out[i].len > call.out_capacity[i]) lengths_sound = false;
  }
  if (!answered) {
    return Execution{Disposition::kExecuted, ResultResponse(response, header, Raw(status))};
  }
  if (!lengths_sound) {  // the Spm never reports more than the capacity
    return Execution{Disposition::kExecuted,
                     ResultResponse(response, header, Raw(PSA_ERROR_SERVICE_FAILURE))};
  }

  // Pack the outputs: each slot moves left to just after the previous
  // output's written bytes (never past its own slot, so nothing unread is
  // overwritten), and only written bytes are sent.
  uint8_t* const base = response.data();
  size_t end = kCallOutputsOffset;
  for (size_t i = 0; i < call.out_len; ++i) {
    const size_t written = out[i].len;
    StoreLe32(base + end, static_cast<uint32_t>(written));
    if (written != 0) std::memmove(base + end + kLengthFieldSize, out[i].base, written);
    end += kLengthFieldSize + written;
  }
  WriteResponseHeader(base, header, end);
  StoreLe32(base + kHeaderSize, Raw(status));
  StoreLe32(base + kHeaderSize + kResultSize, static_cast<uint32_t>(call.out_len));
  return Execution{Disposition::kExecuted, end};
}

}  // namespace bastion::gateway
