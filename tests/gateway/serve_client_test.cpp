// The host server loop over a real socket pair: a client thread using the C
// library's socket transport (libbastion_ns), hostile peers written by hand,
// and the ways the loop stops: the peer closes, the deadline (idle, half a
// frame, a peer that stops reading), an unusable header, an I/O error.
#include "gateway/serve_client.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bastion_ns_socket.h"
#include "bastion_ns_transport.h"
#include "gateway/frames.h"
#include "psa/client.h"
#include "sm/test_partitions.h"

namespace bastion::host {
namespace {

using gateway::test::Bytes;
using gateway::test::CallFrame;
using gateway::test::Frame;
using gateway::test::FrameworkVersionFrame;
using gateway::test::ParseResponse;
using gateway::test::Response;
using sm::test::kApp;
using sm::test::kEchoConnSid;
using sm::test::kEchoHandle;
using sm::test::kEchoSid;
using sm::test::kVaultSid;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

void WriteAllBlocking(int fd, const Bytes& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<size_t>(n);
  }
}

// Reads one response frame from `fd` (blocking, bounded by a 5 s poll).
Response ReadResponse(int fd) {
  Bytes frame(BASTION_GW_HEADER_SIZE);
  auto read_exactly = [fd](uint8_t* p, size_t n) {
    size_t got = 0;
    while (got < n) {
      pollfd entry{fd, POLLIN, 0};
      if (poll(&entry, 1, 5000) <= 0) return false;
      const ssize_t r = recv(fd, p + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  };
  if (!read_exactly(frame.data(), frame.size())) return Response{};
  const uint32_t length = gateway::test::GetLe32(frame.data() + BASTION_GW_OFFSET_LENGTH);
  if (length < BASTION_GW_HEADER_SIZE || length > BASTION_GW_MAX_FRAME_SIZE) return Response{};
  frame.resize(length);
  if (!read_exactly(frame.data() + BASTION_GW_HEADER_SIZE, length - BASTION_GW_HEADER_SIZE)) {
    return Response{};
  }
  return ParseResponse(frame);
}

class ServeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(spm_.Start().ok());
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }
  void TearDown() override {
    for (int& fd : fds_) {
      if (fd >= 0) close(fd);
      fd = -1;
    }
    (void)bastion_ns_set_transport(nullptr);
    unsetenv(BASTION_GATEWAY_FD_ENV);
  }

  ServeReport Serve(milliseconds budget) {
    return ServeClient(fds_[0], gateway_, kApp, Clock::now() + budget);
  }
  void CloseClient() {
    close(fds_[1]);
    fds_[1] = -1;
  }

  sm::test::EchoPartition echo_;
  sm::test::FaultyPartition faulty_;
  sm::test::VaultPartition vault_;
  std::array<sm::Partition*, 3> partitions_ = {&echo_, &faulty_, &vault_};
  gateway::GatewayMemory memory_;
  sm::SpmBuffer<3, 4> spm_{sm::test::kTestPartitions, partitions_, memory_};
  gateway::Gateway gateway_{spm_, memory_};
  int fds_[2] = {-1, -1};
  // The socket transport's state holds a whole frame: keep it off the stack.
  std::unique_ptr<bastion_ns_socket_t> socket_ = std::make_unique<bastion_ns_socket_t>();
};

TEST_F(ServeClientTest, EveryOperationThroughTheClientLibrary) {
  struct Seen {
    uint32_t framework = 0, echo_version = 0, vault_version = 0;
    psa_handle_t handle = 0;
    psa_status_t call = 1, stateless = 1, bad_handle = 1, busy_or_ok = 1;
    size_t echoed = 0, first = 99, second = 99;
    char reply[16] = {};
  } seen;
  std::thread client([&] {
    bastion_ns_transport_t transport;
    ASSERT_EQ(bastion_ns_socket_init(socket_.get(), fds_[1], 5000, &transport), PSA_SUCCESS);
    ASSERT_EQ(bastion_ns_set_transport(&transport), PSA_SUCCESS);
    seen.framework = psa_framework_version();
    seen.echo_version = psa_version(kEchoSid);
    seen.vault_version = psa_version(kVaultSid);
    seen.handle = psa_connect(kEchoConnSid, 2);
    psa_invec in[1] = {{"hello", 5}};
    psa_outvec out[1] = {{seen.reply, sizeof seen.reply}};
    seen.call = psa_call(seen.handle, PSA_IPC_CALL, in, 1, out, 1);
    seen.echoed = out[0].len;
    psa_close(seen.handle);
    // A stateless call with two outputs, the first too small for the input.
    char a[3] = {}, b[8] = {};
    psa_outvec outs[2] = {{a, sizeof a}, {b, sizeof b}};
    seen.stateless = psa_call(kEchoHandle, PSA_IPC_CALL, in, 1, outs, 2);
    seen.first = outs[0].len;
    seen.second = outs[1].len;
    // The closed handle: the Spm refuses it, lengths stay as they were.
    psa_outvec kept[1] = {{b, sizeof b}};
    seen.bad_handle = psa_call(seen.handle, PSA_IPC_CALL, in, 1, kept, 1);
    EXPECT_EQ(kept[0].len, sizeof b);
    CloseClient();
  });
  const ServeReport report = Serve(milliseconds(10000));
  client.join();
  EXPECT_EQ(report.reason, StopReason::kPeerClosed) << StopReasonName(report.reason);
  EXPECT_EQ(report.frames_executed, 8u);
  EXPECT_EQ(report.frames_refused, 0u);
  EXPECT_EQ(seen.framework, PSA_FRAMEWORK_VERSION);
  EXPECT_EQ(seen.echo_version, 1u);
  EXPECT_EQ(seen.vault_version, PSA_VERSION_NONE);
  EXPECT_GT(seen.handle, 0);
  EXPECT_EQ(seen.call, PSA_SUCCESS);
  EXPECT_EQ(seen.echoed, 5u);
  EXPECT_EQ(std::string(seen.reply, 5), "hello");
  EXPECT_EQ(seen.stateless, PSA_SUCCESS);
  EXPECT_EQ(seen.first, 3u);
  EXPECT_EQ(seen.second, 0u);
  EXPECT_EQ(seen.bad_handle, PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.ConnectionsInUse(), 0u);
}

TEST_F(ServeClientTest, DefaultTransportFromTheEnvironment) {
  ASSERT_EQ(setenv(BASTION_GATEWAY_FD_ENV, std::to_string(fds_[1]).c_str(), 1), 0);
  (void)bastion_ns_set_transport(nullptr);
  uint32_t framework = 0, version = 0;
  std::thread client([&] {
    framework = psa_framework_version();
    version = psa_version(kEchoConnSid);
    CloseClient();
  });
  const ServeReport report = Serve(milliseconds(10000));
  client.join();
  EXPECT_EQ(report.reason, StopReason::kPeerClosed);
  EXPECT_EQ(report.frames_executed, 2u);
  EXPECT_EQ(framework, PSA_FRAMEWORK_VERSION);
  EXPECT_EQ(version, 2u);
}

TEST_F(ServeClientTest, NoGatewayInTheEnvironment) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const std::string not_a_socket = std::to_string(pipe_fds[0]);
  const char* values[] = {nullptr, "",   "abc",         "-1",     "+3",
                          "12x",   " 3", "99999999999", "987654", not_a_socket.c_str()};
  for (const char* value : values) {
    SCOPED_TRACE(value == nullptr ? "(unset)" : value);
    if (value == nullptr) {
      unsetenv(BASTION_GATEWAY_FD_ENV);
    } else {
      setenv(BASTION_GATEWAY_FD_ENV, value, 1);
    }
    (void)bastion_ns_set_transport(nullptr);
    bastion_ns_transport_t ignored;
    EXPECT_EQ(bastion_ns_default_transport(&ignored), PSA_ERROR_COMMUNICATION_FAILURE);
    EXPECT_EQ(psa_framework_version(), PSA_VERSION_NONE);
    EXPECT_EQ(psa_version(kEchoSid), PSA_VERSION_NONE);
    EXPECT_EQ(psa_connect(kEchoConnSid, 1), PSA_ERROR_COMMUNICATION_FAILURE);
    EXPECT_EQ(psa_call(kEchoHandle, PSA_IPC_CALL, nullptr, 0, nullptr, 0),
              PSA_ERROR_COMMUNICATION_FAILURE);
    psa_close(1);
  }
  // The default is tried on first use only: a later, valid variable changes
  // nothing until the transport is reset.
  setenv(BASTION_GATEWAY_FD_ENV, std::to_string(fds_[1]).c_str(), 1);
  EXPECT_EQ(psa_framework_version(), PSA_VERSION_NONE);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_F(ServeClientTest, IdleClientReachesTheDeadline) {
  const Clock::time_point start = Clock::now();
  const ServeReport report = Serve(milliseconds(200));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(report.reason, StopReason::kDeadline);
  EXPECT_GE(elapsed, milliseconds(200));
  EXPECT_LT(elapsed, milliseconds(3000));
}

TEST_F(ServeClientTest, HalfAFrameThenSilenceReachesTheDeadline) {
  const Bytes frame = CallFrame(kEchoHandle, PSA_IPC_CALL, {Bytes(100, 1)}, {100});
  for (size_t sent : {size_t{5}, size_t{BASTION_GW_HEADER_SIZE}, frame.size() - 1}) {
    SCOPED_TRACE(sent);
    WriteAllBlocking(fds_[1], Bytes(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(sent)));
    const Clock::time_point start = Clock::now();
    const ServeReport report = Serve(milliseconds(300));
    const auto elapsed = Clock::now() - start;
    EXPECT_EQ(report.reason, StopReason::kDeadline) << StopReasonName(report.reason);
    EXPECT_GE(elapsed, milliseconds(300));
    EXPECT_LT(elapsed, milliseconds(3000));
    EXPECT_EQ(report.frames_executed + report.frames_refused, 0u);
    EXPECT_EQ(echo_.calls(), 0u);
    // Start the next round on a fresh pair.
    TearDown();
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }
}

TEST_F(ServeClientTest, PeerClosesBetweenFrames) {
  WriteAllBlocking(fds_[1], FrameworkVersionFrame());
  ASSERT_EQ(shutdown(fds_[1], SHUT_WR), 0);  // still reads the response
  const ServeReport report = Serve(milliseconds(5000));
  EXPECT_EQ(report.reason, StopReason::kPeerClosed);
  EXPECT_EQ(report.frames_executed, 1u);
  const Response r = ReadResponse(fds_[1]);
  ASSERT_TRUE(r.well_formed);
  EXPECT_EQ(r.result, PSA_FRAMEWORK_VERSION);
}

TEST_F(ServeClientTest, PeerClosesMidFrame) {
  const Bytes frame = CallFrame(kEchoHandle, PSA_IPC_CALL, {Bytes(10, 1)}, {10});
  for (size_t sent : {size_t{3}, frame.size() - 2}) {
    SCOPED_TRACE(sent);
    WriteAllBlocking(fds_[1], Bytes(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(sent)));
    CloseClient();
    const ServeReport report = Serve(milliseconds(5000));
    EXPECT_EQ(report.reason, StopReason::kProtocolViolation) << StopReasonName(report.reason);
    EXPECT_EQ(echo_.calls(), 0u);
    TearDown();
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }
}

TEST_F(ServeClientTest, MalformedBodyIsAnsweredAndServingGoesOn) {
  WriteAllBlocking(fds_[1], Frame(42).U32(1).Build());  // unknown operation
  WriteAllBlocking(fds_[1], CallFrame(kEchoHandle, PSA_IPC_CALL, {}, {UINT32_MAX}));  // cap
  WriteAllBlocking(fds_[1], FrameworkVersionFrame());
  ASSERT_EQ(shutdown(fds_[1], SHUT_WR), 0);
  const ServeReport report = Serve(milliseconds(5000));
  EXPECT_EQ(report.reason, StopReason::kPeerClosed);
  EXPECT_EQ(report.frames_refused, 2u);
  EXPECT_EQ(report.frames_executed, 1u);
  EXPECT_EQ(ReadResponse(fds_[1]).status(), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(ReadResponse(fds_[1]).status(), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(ReadResponse(fds_[1]).result, PSA_FRAMEWORK_VERSION);
  EXPECT_EQ(echo_.calls(), 0u);
}

TEST_F(ServeClientTest, UnusableHeaderIsAnsweredThenTheLoopStops) {
  // A length far beyond the cap: answered at once, never waited for.
  WriteAllBlocking(fds_[1], Frame(BASTION_GW_OP_CALL).Length(UINT32_MAX).Build());
  WriteAllBlocking(fds_[1], FrameworkVersionFrame());  // never served
  const Clock::time_point start = Clock::now();
  const ServeReport report = Serve(milliseconds(10000));
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
  EXPECT_EQ(report.reason, StopReason::kProtocolViolation);
  EXPECT_EQ(report.frames_refused, 1u);
  EXPECT_EQ(report.frames_executed, 0u);
  EXPECT_EQ(ReadResponse(fds_[1]).status(), PSA_ERROR_PROGRAMMER_ERROR);

  // Garbage.
  TearDown();
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  WriteAllBlocking(fds_[1], Bytes(64, 0x41));
  const ServeReport garbage = Serve(milliseconds(5000));
  EXPECT_EQ(garbage.reason, StopReason::kProtocolViolation);
  const Response r = ReadResponse(fds_[1]);
  EXPECT_TRUE(r.well_formed);
  EXPECT_EQ(r.status(), PSA_ERROR_PROGRAMMER_ERROR);
}

TEST_F(ServeClientTest, PeerThatStopsReadingCostsOnlyTheDeadline) {
  // Requests whose responses are large, sent without ever reading one: the
  // socket fills up and the loop's writes can no longer complete.
  const Bytes frame = CallFrame(kEchoHandle, PSA_IPC_CALL, {Bytes(BASTION_GW_MAX_VECTOR_SIZE, 7)},
                                {BASTION_GW_MAX_VECTOR_SIZE});
  std::atomic<bool> stop{false};
  std::thread flooder([&] {
    size_t sent = 0;
    while (!stop) {
      pollfd entry{fds_[1], POLLOUT, 0};
      if (poll(&entry, 1, 50) <= 0) continue;
      const ssize_t n =
          send(fds_[1], frame.data() + sent, frame.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) sent = (sent + static_cast<size_t>(n)) % frame.size();
    }
  });
  const Clock::time_point start = Clock::now();
  const ServeReport report = Serve(milliseconds(1000));
  const auto elapsed = Clock::now() - start;
  stop = true;
  flooder.join();
  EXPECT_EQ(report.reason, StopReason::kDeadline) << StopReasonName(report.reason);
  EXPECT_GE(elapsed, milliseconds(1000));
  EXPECT_LT(elapsed, milliseconds(4000));
  EXPECT_GT(report.frames_executed, 0u);
}

TEST_F(ServeClientTest, ArgumentsAndBrokenSockets) {
  EXPECT_EQ(ServeClient(fds_[0], gateway_, 3, Clock::now() + milliseconds(100)).reason,
            StopReason::kBadArguments);  // a secure client id
  const int closed = fds_[0];
  close(fds_[0]);
  fds_[0] = -1;
  const ServeReport report = ServeClient(closed, gateway_, kApp, Clock::now() + milliseconds(100));
  EXPECT_EQ(report.reason, StopReason::kIoError);
  EXPECT_EQ(report.error, EBADF);
}

}  // namespace
}  // namespace bastion::host
