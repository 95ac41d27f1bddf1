// ServeClient: the host gateway's server loop.
//
// Serves one non-secure client (the application process) over a connected
// stream socket: reads whole request frames (include/bastion/gateway_frame.h),
// runs each through the Gateway for the client id the caller established,
// and writes the responses, until the peer closes, the deadline passes, the
// peer breaks the framing, or the socket fails.
//
// It never blocks past the deadline: every read and write waits with poll()
// and the socket is used with MSG_DONTWAIT, so a peer that sends half a
// frame and goes silent, or stops reading its responses, costs at most the
// time left. Per the protocol, a malformed body gets an error response and
// the loop goes on; an unusable header gets an error response and the loop
// stops (kProtocolViolation); a frame cut short by the peer closing is not
// answered.
//
// The caller owns the socket (ServeClient never closes it; close it after
// any return: a frame may have been cut short) and the deadline (the
// watchdog). The caller spawns the application; this is only the loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "gateway/gateway.h"
#include "sm/partition_table.h"

namespace bastion::host {

enum class StopReason : uint8_t {
  kPeerClosed,         // the peer closed (or reset) the connection between frames
  kDeadline,           // the deadline passed (idle, mid-frame, or mid-response)
  kProtocolViolation,  // an unusable header (answered, then stopped), or a
                       // frame cut short by the peer closing
  kIoError,            // poll / recv / send failed (errno in `error`)
  kBadArguments,       // the Gateway refused the call (a client id that is not
                       // non-secure): nothing was read
};

const char* StopReasonName(StopReason reason);

struct ServeReport {
  StopReason reason = StopReason::kPeerClosed;
  size_t frames_executed = 0;  // frames handed to the Spm
  size_t frames_refused = 0;   // frames answered with an error, Spm not called
  int error = 0;               // errno for kIoError
};

// Serves `client` on `fd` until one of the StopReasons. `client` must be a
// non-secure client id (negative).
ServeReport ServeClient(int fd, gateway::Gateway& gateway, sm::ClientId client,
                        std::chrono::steady_clock::time_point deadline);

}  // namespace bastion::host
