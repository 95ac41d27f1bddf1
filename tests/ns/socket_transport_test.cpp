// The socket transport of libbastion_ns against a hand-written Secure
// Manager: the exact request bytes it sends, what it refuses before sending,
// and hostile responses — each a clear error with the caller's buffers and
// lengths untouched, the transport stopping when the stream may be out of
// step, and never waiting past its timeout.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "bastion_ns_socket.h"
#include "gateway/frames.h"
#include "psa/client.h"

namespace {

using bastion::gateway::test::Bytes;
using bastion::gateway::test::Frame;
using bastion::gateway::test::GetLe32;
using bastion::gateway::test::PutLe32;
using Clock = std::chrono::steady_clock;

constexpr psa_handle_t kHandle = 0x40000100;

class SocketTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
    ASSERT_EQ(bastion_ns_socket_init(state_.get(), fds_[1], 500, &transport_), PSA_SUCCESS);
  }
  void TearDown() override {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }

  // A response frame for the next request (sequence as the transport will number it).
  Frame Response(uint16_t operation) {
    return Frame(operation, state_->sequence + 1).Magic(BASTION_GW_RESPONSE_MAGIC);
  }
  void Queue(const Bytes& bytes) {
    ASSERT_EQ(send(fds_[0], bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  }
  // Everything the transport has sent so far.
  Bytes Sent() {
    Bytes all;
    uint8_t chunk[4096];
    for (;;) {
      const ssize_t n = recv(fds_[0], chunk, sizeof chunk, MSG_DONTWAIT);
      if (n <= 0) break;
      all.insert(all.end(), chunk, chunk + n);
    }
    return all;
  }

  psa_status_t Call(int32_t type, const psa_invec* in, size_t in_len, psa_outvec* out,
                    size_t out_len, psa_handle_t handle = kHandle) {
    return transport_.call(transport_.context, handle, type, in, in_len, out, out_len);
  }

  // One call with one input and two outputs whose buffers hold 0x5A, and the
  // response `response` queued; checks the outcome left them untouched.
  void ExpectRefusedResponse(const Bytes& response, psa_status_t expected, bool breaks,
                             const char* what) {
    SCOPED_TRACE(what);
    Queue(response);
    uint8_t a[8], b[8];
    std::memset(a, 0x5A, sizeof a);
    std::memset(b, 0x5A, sizeof b);
    psa_invec in[1] = {{"in", 2}};
    psa_outvec out[2] = {{a, sizeof a}, {b, sizeof b}};
    EXPECT_EQ(Call(0, in, 1, out, 2), expected);
    EXPECT_EQ(out[0].len, sizeof a);
    EXPECT_EQ(out[1].len, sizeof b);
    for (uint8_t byte : a) EXPECT_EQ(byte, 0x5A);
    for (uint8_t byte : b) EXPECT_EQ(byte, 0x5A);
    EXPECT_EQ(state_->broken != 0, breaks);
  }

  // A well-formed answered CALL response body for two outputs.
  Frame Answered(const Bytes& first, const Bytes& second) {
    Frame f = Response(BASTION_GW_OP_CALL);
    f.U32(0).U32(2).U32(static_cast<uint32_t>(first.size())).Raw(first);
    f.U32(static_cast<uint32_t>(second.size())).Raw(second);
    return f;
  }

  int fds_[2] = {-1, -1};
  std::unique_ptr<bastion_ns_socket_t> state_ = std::make_unique<bastion_ns_socket_t>();
  bastion_ns_transport_t transport_{};
};

TEST_F(SocketTransportTest, InitArguments) {
  bastion_ns_transport_t t;
  EXPECT_EQ(bastion_ns_socket_init(nullptr, fds_[1], 0, &t), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(bastion_ns_socket_init(state_.get(), fds_[1], 0, nullptr), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(bastion_ns_socket_init(state_.get(), -1, 0, &t), PSA_ERROR_INVALID_ARGUMENT);
  int spare[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, spare), 0);
  close(spare[0]);
  close(spare[1]);
  EXPECT_EQ(bastion_ns_socket_init(state_.get(), spare[0], 0, &t), PSA_ERROR_COMMUNICATION_FAILURE);
}

TEST_F(SocketTransportTest, CallRequestBytesAndAnswer) {
  Queue(Answered({'o', 'k'}, {}).Build());
  uint8_t small[4] = {};
  std::vector<uint8_t> huge(BASTION_GW_MAX_VECTOR_SIZE + 1000);
  psa_invec in[2] = {{"abc", 3}, {nullptr, 0}};
  psa_outvec out[2] = {{small, sizeof small}, {huge.data(), huge.size()}};
  ASSERT_EQ(Call(7, in, 2, out, 2), PSA_SUCCESS);
  EXPECT_EQ(out[0].len, 2u);
  EXPECT_EQ(std::memcmp(small, "ok", 2), 0);
  EXPECT_EQ(out[1].len, 0u);

  const Bytes sent = Sent();
  Bytes expected;
  PutLe32(expected, BASTION_GW_REQUEST_MAGIC);
  expected.push_back(1);  // version
  expected.push_back(0);
  expected.push_back(BASTION_GW_OP_CALL);
  expected.push_back(0);
  PutLe32(expected, 16 + 16 + 4 + 3 + 4 + 4 + 4);
  PutLe32(expected, 1);  // the first sequence number
  PutLe32(expected, static_cast<uint32_t>(kHandle));
  PutLe32(expected, 7);
  PutLe32(expected, 2);
  PutLe32(expected, 2);
  PutLe32(expected, 3);
  expected.insert(expected.end(), {'a', 'b', 'c'});
  PutLe32(expected, 0);
  PutLe32(expected, 4);
  PutLe32(expected, BASTION_GW_MAX_VECTOR_SIZE);  // offered at the cap
  EXPECT_EQ(sent, expected);
}

TEST_F(SocketTransportTest, VersionConnectClose) {
  Queue(Response(BASTION_GW_OP_FRAMEWORK_VERSION).U32(0x0101).Build());
  EXPECT_EQ(transport_.framework_version(transport_.context), 0x0101u);
  Queue(Response(BASTION_GW_OP_VERSION).U32(3).Build());
  EXPECT_EQ(transport_.version(transport_.context, 0x1234), 3u);
  Queue(Response(BASTION_GW_OP_CONNECT).U32(0x10002).Build());
  EXPECT_EQ(transport_.connect(transport_.context, 0x99, 2), 0x10002);
  Queue(Response(BASTION_GW_OP_CLOSE).U32(0).Build());
  transport_.close(transport_.context, 0x10002);
  const Bytes sent = Sent();
  ASSERT_EQ(sent.size(), 16u + 20u + 24u + 20u);
  EXPECT_EQ(GetLe32(sent.data() + 16 + 16), 0x1234u);
  EXPECT_EQ(GetLe32(sent.data() + 36 + 16), 0x99u);
  EXPECT_EQ(GetLe32(sent.data() + 36 + 20), 2u);
  EXPECT_EQ(GetLe32(sent.data() + 60 + 16), 0x10002u);
  // The null handle needs no exchange.
  transport_.close(transport_.context, PSA_NULL_HANDLE);
  EXPECT_TRUE(Sent().empty());
  // A result of the wrong size: no version, the stream still in step.
  Queue(Response(BASTION_GW_OP_VERSION).U32(3).U32(0).Build());
  EXPECT_EQ(transport_.version(transport_.context, 1), PSA_VERSION_NONE);
  Queue(Response(BASTION_GW_OP_CONNECT).U32(1).U32(2).Build());
  EXPECT_EQ(transport_.connect(transport_.context, 1, 1), PSA_ERROR_COMMUNICATION_FAILURE);
  EXPECT_EQ(state_->broken, 0);
}

TEST_F(SocketTransportTest, RefusedBeforeAnythingIsSent) {
  uint8_t buffer[16];
  std::vector<uint8_t> big(BASTION_GW_MAX_VECTOR_SIZE + 1);
  psa_invec in[5] = {{buffer, 4}, {buffer, 4}, {buffer, 4}, {buffer, 4}, {buffer, 4}};
  psa_outvec out[5] = {{buffer + 8, 4}, {buffer + 12, 4}, {nullptr, 0}, {nullptr, 0}, {nullptr, 0}};
  EXPECT_EQ(Call(0, in, 5, nullptr, 0), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(0, nullptr, 0, out, 5), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(0, in, 3, out, 2), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(0, nullptr, 1, nullptr, 0), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(0, nullptr, 0, nullptr, 1), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(-1, nullptr, 0, nullptr, 0), PSA_ERROR_PROGRAMMER_ERROR);
  psa_invec null_in[1] = {{nullptr, 1}};
  EXPECT_EQ(Call(0, null_in, 1, nullptr, 0), PSA_ERROR_PROGRAMMER_ERROR);
  psa_outvec null_out[1] = {{nullptr, 1}};
  EXPECT_EQ(Call(0, nullptr, 0, null_out, 1), PSA_ERROR_PROGRAMMER_ERROR);
  psa_invec too_big[1] = {{big.data(), big.size()}};
  EXPECT_EQ(Call(0, too_big, 1, nullptr, 0), PSA_ERROR_PROGRAMMER_ERROR);
  psa_invec wraps[1] = {{reinterpret_cast<void*>(UINTPTR_MAX - 2), 8}};
  EXPECT_EQ(Call(0, wraps, 1, nullptr, 0), PSA_ERROR_PROGRAMMER_ERROR);
  psa_invec near_max[1] = {{buffer, SIZE_MAX}};
  EXPECT_EQ(Call(0, near_max, 1, nullptr, 0), PSA_ERROR_PROGRAMMER_ERROR);
  // Outputs may not overlap an input or each other.
  psa_invec in_one[1] = {{buffer, 8}};
  psa_outvec over_in[1] = {{buffer + 7, 4}};
  EXPECT_EQ(Call(0, in_one, 1, over_in, 1), PSA_ERROR_PROGRAMMER_ERROR);
  psa_outvec over_out[2] = {{buffer, 8}, {buffer + 4, 8}};
  EXPECT_EQ(Call(0, nullptr, 0, over_out, 2), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(state_->broken, 0);
  EXPECT_EQ(state_->sequence, 0u);
}

TEST_F(SocketTransportTest, HostileResponsesThatKeepTheStreamInStep) {
  // Each response is whole, so the next exchange can still work.
  ExpectRefusedResponse(Answered(Bytes(9, 1), {}).Build(), PSA_ERROR_COMMUNICATION_FAILURE, false,
                        "more written than the capacity");
  {
    Frame f = Response(BASTION_GW_OP_CALL);
    f.U32(0).U32(1).U32(2).Raw({1, 2});
    ExpectRefusedResponse(f.Build(), PSA_ERROR_COMMUNICATION_FAILURE, false, "one output of two");
  }
  {
    Frame f = Response(BASTION_GW_OP_CALL);
    f.U32(0).U32(3).U32(0).U32(0).U32(0);
    ExpectRefusedResponse(f.Build(), PSA_ERROR_COMMUNICATION_FAILURE, false, "three outputs");
  }
  {
    Frame f = Answered({1}, {2});
    f.Raw({0});
    ExpectRefusedResponse(f.Build(), PSA_ERROR_COMMUNICATION_FAILURE, false, "a trailing byte");
  }
  {
    Frame f = Response(BASTION_GW_OP_CALL);
    f.U32(0).U32(2).U32(1).Raw({1}).U32(UINT32_MAX);
    ExpectRefusedResponse(f.Build(), PSA_ERROR_COMMUNICATION_FAILURE, false,
                          "a written length past the end");
  }
  {
    Frame f = Response(BASTION_GW_OP_CALL);
    f.U32(0).U32(2).U32(1).Raw({1});
    ExpectRefusedResponse(f.Build(), PSA_ERROR_COMMUNICATION_FAILURE, false,
                          "the second length missing");
  }
  {
    Frame f = Response(BASTION_GW_OP_CALL);
    f.U32(0).Raw({0, 0});
    ExpectRefusedResponse(f.Build(), PSA_ERROR_COMMUNICATION_FAILURE, false, "half a count");
  }
  ExpectRefusedResponse(Response(BASTION_GW_OP_CALL).U32(PSA_SUCCESS).Build(),
                        PSA_ERROR_COMMUNICATION_FAILURE, false, "success without outputs");
  ExpectRefusedResponse(Response(BASTION_GW_OP_CALL).U32(PSA_ERROR_INVALID_ARGUMENT).Build(),
                        PSA_ERROR_COMMUNICATION_FAILURE, false, "a service error without outputs");
  // The Secure Manager's own refusals come without outputs.
  for (psa_status_t status : {PSA_ERROR_PROGRAMMER_ERROR, PSA_ERROR_CONNECTION_REFUSED,
                              PSA_ERROR_SERVICE_FAILURE, PSA_ERROR_BAD_STATE}) {
    ExpectRefusedResponse(Response(BASTION_GW_OP_CALL).I32(status).Build(), status, false,
                          "refused by the SPM");
  }
  // And the stream still works.
  Queue(Answered({'h', 'i'}, {'!'}).Build());
  uint8_t a[8], b[8];
  psa_outvec out[2] = {{a, sizeof a}, {b, sizeof b}};
  EXPECT_EQ(Call(0, nullptr, 0, out, 2), PSA_SUCCESS);
  EXPECT_EQ(out[0].len, 2u);
  EXPECT_EQ(out[1].len, 1u);
}

TEST_F(SocketTransportTest, ResponseHeadersThatBreakTheStream) {
  struct Case {
    const char* what;
    Bytes frame;
  };
  const auto fresh = [this]() {
    TearDown();
    fds_[0] = fds_[1] = -1;
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
    ASSERT_EQ(bastion_ns_socket_init(state_.get(), fds_[1], 500, &transport_), PSA_SUCCESS);
  };
  std::vector<Case> cases;
  cases.push_back({"a request's magic", Answered({}, {}).Magic(BASTION_GW_REQUEST_MAGIC).Build()});
  cases.push_back({"another version", Answered({}, {}).Version(2).Build()});
  cases.push_back({"another operation", Frame(BASTION_GW_OP_CONNECT, 1)
                                            .Magic(BASTION_GW_RESPONSE_MAGIC)
                                            .U32(0)
                                            .U32(2)
                                            .U32(0)
                                            .U32(0)
                                            .Build()});
  cases.push_back({"another sequence", Frame(BASTION_GW_OP_CALL, 77)
                                           .Magic(BASTION_GW_RESPONSE_MAGIC)
                                           .U32(0)
                                           .U32(2)
                                           .U32(0)
                                           .U32(0)
                                           .Build()});
  cases.push_back({"shorter than a result", Response(BASTION_GW_OP_CALL).Build()});
  cases.push_back(
      {"longer than a frame",
       Response(BASTION_GW_OP_CALL).Length(BASTION_GW_MAX_FRAME_SIZE + 1).U32(0).Build()});
  cases.push_back({"length UINT32_MAX", Response(BASTION_GW_OP_CALL).Length(UINT32_MAX).Build()});
  Bytes cut = Answered({}, {}).Build();
  cut.resize(cut.size() - 3);
  cases.push_back({"cut short", cut});
  for (const Case& c : cases) {
    fresh();
    const Clock::time_point start = Clock::now();
    ExpectRefusedResponse(c.frame, PSA_ERROR_COMMUNICATION_FAILURE, true, c.what);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3000));
    // Broken: every later call fails at once, and nothing more is sent.
    (void)Sent();
    EXPECT_EQ(Call(0, nullptr, 0, nullptr, 0), PSA_ERROR_COMMUNICATION_FAILURE);
    EXPECT_EQ(transport_.framework_version(transport_.context), PSA_VERSION_NONE);
    EXPECT_EQ(transport_.connect(transport_.context, 1, 1), PSA_ERROR_COMMUNICATION_FAILURE);
    EXPECT_TRUE(Sent().empty());
  }
}

TEST_F(SocketTransportTest, SilentSecureManagerCostsOnlyTheTimeout) {
  uint8_t a[8];
  psa_outvec out[1] = {{a, sizeof a}};
  const Clock::time_point start = Clock::now();
  EXPECT_EQ(Call(0, nullptr, 0, out, 1), PSA_ERROR_COMMUNICATION_FAILURE);
  const auto elapsed = Clock::now() - start;
  // The transport counts its deadline in whole milliseconds of its own
  // clock: it may end up to 1 ms before this clock's 500 ms.
  EXPECT_GE(elapsed, std::chrono::milliseconds(498));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
  EXPECT_EQ(out[0].len, sizeof a);
  EXPECT_NE(state_->broken, 0);
}

TEST_F(SocketTransportTest, SecureManagerGone) {
  close(fds_[0]);
  fds_[0] = -1;
  EXPECT_EQ(Call(0, nullptr, 0, nullptr, 0), PSA_ERROR_COMMUNICATION_FAILURE);  // no SIGPIPE
  EXPECT_EQ(transport_.version(transport_.context, 1), PSA_VERSION_NONE);
}

}  // namespace
