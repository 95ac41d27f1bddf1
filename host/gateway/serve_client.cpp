#include "gateway/serve_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

namespace bastion::host {
namespace {

using Clock = std::chrono::steady_clock;

enum class Io : uint8_t { kDone, kClosed, kDeadline, kError };

// Milliseconds poll() may wait before `deadline` (rounded up), or -1 once
// it has passed.
int RemainingMs(Clock::time_point deadline) {
  const Clock::time_point now = Clock::now();
  if (now >= deadline) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<int>(std::min<decltype(left)>(left, INT_MAX));
}

// Waits until `fd` reports `events` (or a hang-up / error, which the next
// recv / send turns into its own result) or the deadline passes.
Io Wait(int fd, short events, Clock::time_point deadline, int* error) {
  for (;;) {
    const int ms = RemainingMs(deadline);
    if (ms < 0) return Io::kDeadline;
    pollfd entry{fd, events, 0};
    const int n = poll(&entry, 1, ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = errno;
      return Io::kError;
    }
    if (n == 0) continue;  // timed out: the next turn sees the deadline
    if ((entry.revents & POLLNVAL) != 0) {
      *error = EBADF;
      return Io::kError;
    }
    return Io::kDone;
  }
}

// Reads exactly `length` bytes into `buffer`; `*got` is how many arrived.
Io ReadExactly(int fd, uint8_t* buffer, size_t length, Clock::time_point deadline, size_t* got,
               int* error) {
  *got = 0;
  while (*got < length) {
    const Io ready = Wait(fd, POLLIN, deadline, error);
    if (ready != Io::kDone) return ready;
    const ssize_t n = recv(fd, buffer + *got, length - *got, MSG_DONTWAIT);
    if (n > 0) {
      *got += static_cast<size_t>(n);
    } else if (n == 0) {
      return Io::kClosed;
    } else if (errno == ECONNRESET) {
      return Io::kClosed;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      *error = errno;
      return Io::kError;
    }
  }
  return Io::kDone;
}

// Writes all `length` bytes of `buffer`.
Io WriteAll(int fd, const uint8_t* buffer, size_t length, Clock::time_point deadline, int* error) {
  size_t sent = 0;
  while (sent < length) {
    const Io ready = Wait(fd, POLLOUT, deadline, error);
    if (ready != Io::kDone) return ready;
    const ssize_t n = send(fd, buffer + sent, length - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
    } else if (errno == EPIPE || errno == ECONNRESET) {
      return Io::kClosed;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      *error = errno;
      return Io::kError;
    }
  }
  return Io::kDone;
}

ServeReport Stop(ServeReport report, StopReason reason) {
  report.reason = reason;
  return report;
}

// The StopReason for an I/O result other than kDone; `closed` is the reason
// to give when the peer closed.
ServeReport StopOn(ServeReport report, Io io, StopReason closed, int error) {
  switch (io) {
    case Io::kClosed:
      return Stop(report, closed);
    case Io::kDeadline:
      return Stop(report, StopReason::kDeadline);
    case Io::kError:
    case Io::kDone:
      break;
  }
  report.error = error;
  return Stop(report, StopReason::kIoError);
}

}  // namespace

const char* StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kPeerClosed:
      return "peer-closed";
    case StopReason::kDeadline:
      return "deadline";
    case StopReason::kProtocolViolation:
      return "protocol-violation";
    case StopReason::kIoError:
      return "io-error";
    case StopReason::kBadArguments:
      return "bad-arguments";
  }
  return "unknown";
}

ServeReport ServeClient(int fd, gateway::Gateway& gateway, sm::ClientId client,
                        std::chrono::steady_clock::time_point deadline) {
  ServeReport report;
  if (!sm::IsNonSecureClient(client)) return Stop(report, StopReason::kBadArguments);
  std::vector<uint8_t> request(gateway::kMaxFrameSize);
  std::vector<uint8_t> response(gateway::kMaxFrameSize);

  for (;;) {
    int error = 0;
    size_t got = 0;
    Io io = ReadExactly(fd, request.data(), gateway::kHeaderSize, deadline, &got, &error);
    if (io != Io::kDone) {
      // A close between frames ends the session; inside a header it cuts a frame short.
      return StopOn(report, io, got == 0 ? StopReason::kPeerClosed : StopReason::kProtocolViolation,
                    error);
    }
    // An unusable header is answered on its own (Execute says kUnframed):
    // never wait for a length it gave.
    const Result<size_t> length =
        gateway::RequestFrameLength(ConstByteSpan(request.data(), gateway::kHeaderSize));
    const size_t frame_length = length.ok() ? length.value() : gateway::kHeaderSize;
    if (frame_length > gateway::kHeaderSize) {
      io = ReadExactly(fd, request.data() + gateway::kHeaderSize,
                       frame_length - gateway::kHeaderSize, deadline, &got, &error);
      if (io != Io::kDone) return StopOn(report, io, StopReason::kProtocolViolation, error);
    }

    const Result<gateway::Execution> execution =
        gateway.Execute(client, ConstByteSpan(request.data(), frame_length), response);
    if (!execution.ok()) return Stop(report, StopReason::kBadArguments);
    if (execution->disposition == gateway::Disposition::kExecuted) {
      ++report.frames_executed;
    } else {
      ++report.frames_refused;
    }
    io = WriteAll(fd, response.data(), execution->response_length, deadline, &error);
    if (io != Io::kDone) return StopOn(report, io, StopReason::kPeerClosed, error);
    if (execution->disposition == gateway::Disposition::kUnframed) {
      return Stop(report, StopReason::kProtocolViolation);
    }
  }
}

}  // namespace bastion::host
