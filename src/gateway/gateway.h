// Gateway: the Secure Manager's side of the framed request/response protocol
// (include/bastion/gateway_frame.h) that carries a non-secure client's
// psa/client.h calls into the Spm.
//
// Every request byte comes from the client and is hostile. Execute() decodes
// a whole request frame and checks all of it — header, operation, body size,
// vector counts, each vector's length against the caps and against the bytes
// left, the absence of trailing bytes — before it calls the Spm. A frame that
// fails any check gets an error response (PSA_ERROR_PROGRAMMER_ERROR) and the
// Spm is not called, so its state is exactly as before.
//
// A CALL's input vectors point into the request frame and its output vectors
// into the response buffer, where the service writes the reply in place; the
// GatewayMemory grants the client exactly those buffers for the call (inputs
// read-only, outputs writable) and nothing afterwards.
//
// The server loop (host/gateway) reads a frame's header, asks
// RequestFrameLength() how long the frame is, reads that many bytes, and
// hands them to Execute(). Freestanding: no heap, no exceptions; the caller
// owns both buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bastion/gateway_frame.h"
#include "common/bytes.h"
#include "common/status.h"
#include "gateway/gateway_memory.h"
#include "sm/partition_table.h"
#include "sm/spm.h"

namespace bastion::gateway {

inline constexpr size_t kHeaderSize = BASTION_GW_HEADER_SIZE;
inline constexpr size_t kMaxFrameSize = BASTION_GW_MAX_FRAME_SIZE;
inline constexpr size_t kMaxVectorSize = BASTION_GW_MAX_VECTOR_SIZE;
inline constexpr size_t kMaxVectors = BASTION_GW_MAX_IOVEC;
static_assert(kMaxVectors == PSA_MAX_IOVEC, "the gateway carries FF-M's vector count");
static_assert(BASTION_GW_MAX_CALL_REQUEST_SIZE <= kMaxFrameSize);
static_assert(BASTION_GW_MAX_CALL_RESPONSE_SIZE <= kMaxFrameSize);
// Frame lengths travel in 32 bits and every size is computed in size_t.
static_assert(kMaxFrameSize <= UINT32_MAX && kMaxFrameSize <= SIZE_MAX / 2);

// The header fields of a frame, as they came.
struct FrameHeader {
  uint32_t magic = 0;
  uint16_t version = 0;
  uint16_t operation = 0;
  uint32_t length = 0;
  uint32_t sequence = 0;
};

// Reads the header fields from the first kHeaderSize bytes of `bytes`.
// kOutOfRange when fewer bytes are given.
Result<FrameHeader> ReadFrameHeader(ConstByteSpan bytes);

// The stream framing helper: given at least the first kHeaderSize bytes of
// a request, the length of the whole frame (kHeaderSize..kMaxFrameSize).
// kOutOfRange when fewer than kHeaderSize bytes are given; kInvalidArgument
// when the header cannot start a request (wrong magic or version, a length
// outside kHeaderSize..kMaxFrameSize): the stream cannot be trusted further,
// but Execute() on the header bytes still builds the error response.
Result<size_t> RequestFrameLength(ConstByteSpan header);

// What Execute() did with a frame.
enum class Disposition : uint8_t {
  kExecuted,  // decoded and handed to the Spm; the response carries its answer
  kRefused,   // the body is malformed or the operation unknown: error
              // response, Spm not called; the stream is still in step
  kUnframed,  // the header is unusable or does not match the bytes given:
              // error response, Spm not called; close the stream after it
};

struct Execution {
  Disposition disposition = Disposition::kRefused;
  size_t response_length = 0;  // bytes of the response buffer to send
};

class Gateway {
 public:
  // `spm` must have been built with `memory` as its CallerMemory.
  Gateway(sm::Spm& spm, GatewayMemory& memory) : spm_(spm), memory_(memory) {}
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Executes one request frame (exactly the frame's bytes) for `client`, the
  // non-secure client id the gateway established for this peer (never taken
  // from the frame), and writes the response frame to the start of
  // `response`.
  //
  // kInvalidArgument, with nothing written and the Spm not called, when
  // `client` is not a non-secure id, `response` is smaller than
  // kMaxFrameSize, or the two buffers overlap. Otherwise an Execution: every
  // frame, however malformed, gets a response (see Disposition).
  Result<Execution> Execute(sm::ClientId client, ConstByteSpan request, ByteSpan response);

 private:
  sm::Spm& spm_;
  GatewayMemory& memory_;
};

}  // namespace bastion::gateway
