// The gateway's SM side: every operation round-trips through the frame
// codec into an Spm with the test partitions, and every hostile frame —
// truncated at each byte, oversized, with counts and lengths near
// UINT32_MAX, unknown operations, a foreign magic or version, trailing
// bytes — gets an error response and leaves the Spm exactly as it was.
#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "gateway/frames.h"
#include "sm/test_partitions.h"

namespace bastion::gateway {
namespace {

using sm::test::kApp;
using sm::test::kEchoConnSid;
using sm::test::kEchoHandle;
using sm::test::kEchoSid;
using sm::test::kFaultySid;
using sm::test::kOtherApp;
using sm::test::kVaultHandle;
using sm::test::kVaultSid;
using test::Bytes;
using test::CallFrame;
using test::CloseFrame;
using test::ConnectFrame;
using test::Frame;
using test::FrameworkVersionFrame;
using test::ParseResponse;
using test::Response;
using test::ToBytes;
using test::VersionFrame;

constexpr uint32_t kRefused = static_cast<uint32_t>(PSA_ERROR_PROGRAMMER_ERROR);

// What a hostile frame must not change.
struct SpmState {
  uint32_t echo_calls;
  uint32_t faulty_served;
  int32_t faulty_connections;
  uint32_t faulty_restarts;
  size_t connections;
  uint32_t faults[3];
  bool operator==(const SpmState&) const = default;
};

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(spm_.Start().ok()); }

  // Runs `request` for `client`; the response's disposition in `*disposition`.
  Response Run(const Bytes& request, Disposition* disposition = nullptr,
               sm::ClientId client = kApp) {
    std::memset(response_.data(), 0xA5, response_.size());  // stale bytes must never be sent
    const Result<Execution> result = gateway_.Execute(client, request, response_);
    EXPECT_TRUE(result.ok());
    if (!result.ok()) return Response{};
    if (disposition != nullptr) *disposition = result->disposition;
    EXPECT_FALSE(memory_.window_open());
    EXPECT_LE(result->response_length, kMaxFrameSize);
    return ParseResponse(std::span<const uint8_t>(response_.data(), result->response_length));
  }

  // Expects `request` to be refused with an error response and no effect.
  void ExpectRefused(const Bytes& request, Disposition expected, const char* what) {
    SCOPED_TRACE(what);
    const SpmState before = State();
    Disposition disposition = Disposition::kExecuted;
    const Response r = Run(request, &disposition);
    EXPECT_EQ(disposition, expected);
    EXPECT_TRUE(r.well_formed);
    EXPECT_FALSE(r.has_outputs);
    EXPECT_EQ(r.result, kRefused);
    EXPECT_EQ(r.magic, BASTION_GW_RESPONSE_MAGIC);
    EXPECT_EQ(r.length, BASTION_GW_HEADER_SIZE + 4);
    EXPECT_TRUE(State() == before);
  }

  SpmState State() const {
    return {echo_.calls(),           faulty_.served(),
            faulty_.connections(),   faulty_.restarts(),
            spm_.ConnectionsInUse(), {spm_.FaultCount(1), spm_.FaultCount(2), spm_.FaultCount(3)}};
  }

  sm::test::EchoPartition echo_;
  sm::test::FaultyPartition faulty_;
  sm::test::VaultPartition vault_;
  std::array<sm::Partition*, 3> partitions_ = {&echo_, &faulty_, &vault_};
  GatewayMemory memory_;
  sm::SpmBuffer<3, 4> spm_{sm::test::kTestPartitions, partitions_, memory_};
  Gateway gateway_{spm_, memory_};
  std::vector<uint8_t> response_ = std::vector<uint8_t>(kMaxFrameSize);
};

// ---- the caps ----

TEST(GatewayFrame, CapsFitTheirUses) {
  static_assert(BASTION_GW_MAX_VECTOR_SIZE >= 16 * 1024 + 256);  // bulk crypto + expansion
  static_assert(BASTION_GW_MAX_VECTOR_SIZE >= 1024);             // an ITS / PS object
  static_assert(BASTION_GW_MAX_VECTOR_SIZE >= 1000);             // a revocation command
  static_assert(BASTION_GW_MAX_CALL_REQUEST_SIZE <= BASTION_GW_MAX_FRAME_SIZE);
  static_assert(BASTION_GW_MAX_CALL_RESPONSE_SIZE <= BASTION_GW_MAX_FRAME_SIZE);
  static_assert(BASTION_GW_MAX_IOVEC == PSA_MAX_IOVEC);
  EXPECT_EQ(BASTION_GW_MAX_FRAME_SIZE, 73728u);
}

TEST(GatewayFrame, RequestFrameLength) {
  Bytes frame = ConnectFrame(kEchoConnSid, 1);
  const Result<size_t> whole = RequestFrameLength(frame);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole.value(), frame.size());
  // Only the header is needed.
  const Result<size_t> from_header =
      RequestFrameLength(std::span<const uint8_t>(frame.data(), kHeaderSize));
  ASSERT_TRUE(from_header.ok());
  EXPECT_EQ(from_header.value(), 24u);
  EXPECT_EQ(
      RequestFrameLength(std::span<const uint8_t>(frame.data(), kHeaderSize - 1)).status().code(),
      StatusCode::kOutOfRange);
  for (uint32_t bad : {0u, 15u, static_cast<uint32_t>(kMaxFrameSize) + 1, UINT32_MAX}) {
    EXPECT_EQ(RequestFrameLength(Frame(BASTION_GW_OP_CALL).Length(bad).Build()).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(RequestFrameLength(Frame(BASTION_GW_OP_CALL).Length(16).Build()).ok());
  EXPECT_TRUE(
      RequestFrameLength(Frame(BASTION_GW_OP_CALL).Length(uint32_t{kMaxFrameSize}).Build()).ok());
  EXPECT_FALSE(RequestFrameLength(Frame(1).Magic(BASTION_GW_RESPONSE_MAGIC).Build()).ok());
  EXPECT_FALSE(RequestFrameLength(Frame(1).Version(2).Build()).ok());
}

// ---- round trips ----

TEST_F(GatewayTest, FrameworkVersion) {
  Disposition d{};
  const Response r = Run(FrameworkVersionFrame(), &d);
  EXPECT_EQ(d, Disposition::kExecuted);
  ASSERT_TRUE(r.well_formed);
  EXPECT_EQ(r.magic, BASTION_GW_RESPONSE_MAGIC);
  EXPECT_EQ(r.version, BASTION_GW_PROTOCOL_VERSION);
  EXPECT_EQ(r.operation, BASTION_GW_OP_FRAMEWORK_VERSION);
  EXPECT_EQ(r.sequence, 7u);
  EXPECT_EQ(r.result, PSA_FRAMEWORK_VERSION);
  EXPECT_FALSE(r.has_outputs);
}

TEST_F(GatewayTest, SequenceIsRepeated) {
  const Response r = Run(Frame(BASTION_GW_OP_VERSION, 0xDEADBEEF).U32(kEchoSid).Build());
  EXPECT_EQ(r.sequence, 0xDEADBEEFu);
  EXPECT_EQ(r.operation, BASTION_GW_OP_VERSION);
}

TEST_F(GatewayTest, Version) {
  EXPECT_EQ(Run(VersionFrame(kEchoSid)).result, 1u);
  EXPECT_EQ(Run(VersionFrame(kEchoConnSid)).result, 2u);
  EXPECT_EQ(Run(VersionFrame(kVaultSid)).result, PSA_VERSION_NONE);  // not for NS clients
  EXPECT_EQ(Run(VersionFrame(0xBADu)).result, PSA_VERSION_NONE);
  // The client id is the gateway's, never the frame's: -7 may not use echo-conn.
  Disposition d{};
  EXPECT_EQ(Run(VersionFrame(kEchoConnSid), &d, sm::test::kStranger).result, PSA_VERSION_NONE);
  EXPECT_EQ(d, Disposition::kExecuted);
}

TEST_F(GatewayTest, ConnectCallClose) {
  const Response connected = Run(ConnectFrame(kEchoConnSid, 2));
  ASSERT_TRUE(connected.well_formed);
  const auto handle = static_cast<psa_handle_t>(connected.result);
  ASSERT_GT(handle, 0);
  EXPECT_EQ(spm_.ConnectionsInUse(), 1u);

  const Response echoed = Run(CallFrame(handle, PSA_IPC_CALL, {ToBytes("hello")}, {32}));
  ASSERT_TRUE(echoed.well_formed);
  EXPECT_EQ(echoed.status(), PSA_SUCCESS);
  ASSERT_TRUE(echoed.has_outputs);
  ASSERT_EQ(echoed.outputs.size(), 1u);
  EXPECT_EQ(echoed.outputs[0], ToBytes("hello"));
  EXPECT_EQ(echoed.length, BASTION_GW_HEADER_SIZE + 4 + 4 + 4 + 5);

  // Another client cannot use the handle.
  EXPECT_EQ(Run(CallFrame(handle, PSA_IPC_CALL, {ToBytes("x")}, {4}), nullptr, kOtherApp).status(),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Run(CloseFrame(handle), nullptr, kOtherApp).status(), PSA_ERROR_PROGRAMMER_ERROR);

  const Response closed = Run(CloseFrame(handle));
  EXPECT_EQ(closed.status(), PSA_SUCCESS);
  EXPECT_EQ(closed.operation, BASTION_GW_OP_CLOSE);
  EXPECT_EQ(spm_.ConnectionsInUse(), 0u);
  EXPECT_EQ(Run(CloseFrame(PSA_NULL_HANDLE)).status(), PSA_SUCCESS);
  // Calls on the closed handle are refused by the Spm: no outputs come back.
  const Response stale = Run(CallFrame(handle, PSA_IPC_CALL, {ToBytes("x")}, {4}));
  EXPECT_EQ(stale.status(), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_FALSE(stale.has_outputs);
}

TEST_F(GatewayTest, ConnectRefusals) {
  EXPECT_EQ(Run(ConnectFrame(kEchoSid, 1)).status(), PSA_ERROR_PROGRAMMER_ERROR);  // stateless
  EXPECT_EQ(Run(ConnectFrame(kEchoConnSid, 3)).status(), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Run(ConnectFrame(0xBADu, 1)).status(), PSA_ERROR_PROGRAMMER_ERROR);
  for (int i = 0; i < 4; ++i) EXPECT_GT(Run(ConnectFrame(kFaultySid, 1)).status(), 0);
  EXPECT_EQ(Run(ConnectFrame(kFaultySid, 1)).status(), PSA_ERROR_CONNECTION_BUSY);
}

TEST_F(GatewayTest, StatelessCallWithSeveralOutputs) {
  // Echo copies input 0 into output 0 as far as it fits; outputs 1 and 2
  // stay empty, and only written bytes travel.
  const Response r = Run(CallFrame(kEchoHandle, PSA_IPC_CALL, {ToBytes("abcdefgh")}, {3, 100, 0}));
  ASSERT_TRUE(r.well_formed);
  EXPECT_EQ(r.status(), PSA_SUCCESS);
  ASSERT_EQ(r.outputs.size(), 3u);
  EXPECT_EQ(r.outputs[0], ToBytes("abc"));
  EXPECT_TRUE(r.outputs[1].empty());
  EXPECT_TRUE(r.outputs[2].empty());
  EXPECT_EQ(r.length, BASTION_GW_HEADER_SIZE + 4 + 4 + (4 + 3) + 4 + 4);
  EXPECT_EQ(echo_.calls(), 1u);
}

TEST_F(GatewayTest, CallTypesAndEmptyVectors) {
  EXPECT_EQ(Run(CallFrame(kEchoHandle, PSA_IPC_CALL, {}, {})).status(), PSA_SUCCESS);
  const Response count = Run(CallFrame(kEchoHandle, 1, {}, {4}));
  ASSERT_EQ(count.outputs.size(), 1u);
  EXPECT_EQ(test::GetLe32(count.outputs[0].data()), 2u);
  // Inputs may be empty; four inputs are allowed.
  const Response four = Run(CallFrame(kEchoHandle, PSA_IPC_CALL,
                                      {Bytes{}, ToBytes("b"), ToBytes("c"), ToBytes("d")}, {}));
  EXPECT_EQ(four.status(), PSA_SUCCESS);
  ASSERT_TRUE(four.has_outputs);
  EXPECT_TRUE(four.outputs.empty());
}

TEST_F(GatewayTest, LargestVectors) {
  Bytes big(kMaxVectorSize);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  const Bytes frame = CallFrame(kEchoHandle, PSA_IPC_CALL, {big}, {uint32_t{kMaxVectorSize}});
  const Response r = Run(frame);
  ASSERT_TRUE(r.well_formed);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0], big);
  // Four vectors at the cap still fit a frame, both ways.
  const Bytes most = CallFrame(kEchoHandle, PSA_IPC_CALL, {big, big},
                               {uint32_t{kMaxVectorSize}, uint32_t{kMaxVectorSize}});
  EXPECT_LE(most.size(), kMaxFrameSize);
  const Response r2 = Run(most);
  ASSERT_EQ(r2.outputs.size(), 2u);
  EXPECT_EQ(r2.outputs[0], big);
}

TEST_F(GatewayTest, ServiceStatusesAndFaults) {
  const auto handle = static_cast<psa_handle_t>(Run(ConnectFrame(kFaultySid, 1)).result);
  ASSERT_GT(handle, 0);
  // A service's own error still carries its (empty) outputs.
  const Response refused = Run(CallFrame(handle, PSA_IPC_CALL, {Bytes{0xFC}}, {4}));
  EXPECT_EQ(refused.status(), PSA_ERROR_NOT_PERMITTED);
  ASSERT_TRUE(refused.has_outputs);
  EXPECT_TRUE(refused.outputs[0].empty());
  // A fault: no outputs, the fault counted, the connection lost.
  const Response fault = Run(CallFrame(handle, PSA_IPC_CALL, {Bytes{0xFF}}, {4}));
  EXPECT_EQ(fault.status(), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_FALSE(fault.has_outputs);
  EXPECT_EQ(spm_.FaultCount(2), 1u);
  EXPECT_EQ(Run(CallFrame(handle, PSA_IPC_CALL, {Bytes{1}}, {4})).status(),
            PSA_ERROR_CONNECTION_REFUSED);
  // Writing past its output is the partition's fault, not the client's.
  const auto again = static_cast<psa_handle_t>(Run(ConnectFrame(kFaultySid, 1)).result);
  EXPECT_EQ(Run(CallFrame(again, PSA_IPC_CALL, {Bytes{0xFD}}, {4})).status(),
            PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(spm_.FaultCount(2), 2u);
}

TEST_F(GatewayTest, VaultIsNotForTheApplication) {
  EXPECT_EQ(Run(CallFrame(kVaultHandle, PSA_IPC_CALL, {}, {})).status(),
            PSA_ERROR_PROGRAMMER_ERROR);
}

TEST_F(GatewayTest, ArgumentsTheGatewayRefuses) {
  const Bytes frame = FrameworkVersionFrame();
  EXPECT_FALSE(gateway_.Execute(1, frame, response_).ok());  // a secure id
  EXPECT_FALSE(gateway_.Execute(0, frame, response_).ok());
  std::vector<uint8_t> small(kMaxFrameSize - 1);
  EXPECT_FALSE(gateway_.Execute(kApp, frame, small).ok());
  // Overlapping buffers.
  std::vector<uint8_t> both(2 * kMaxFrameSize);
  std::memcpy(both.data() + 8, frame.data(), frame.size());
  EXPECT_FALSE(gateway_
                   .Execute(kApp, std::span<const uint8_t>(both.data() + 8, frame.size()),
                            std::span<uint8_t>(both.data(), kMaxFrameSize))
                   .ok());
}

// ---- the caller memory window ----

TEST(GatewayMemoryTest, WindowCoversExactlyTheCallsBuffers) {
  uint8_t request[64] = {};
  uint8_t response[64] = {};
  psa_invec in[2] = {{request + 8, 8}, {request + 20, 0}};
  psa_outvec out[1] = {{response + 4, 16}};
  sm::AllowedRanges<1> others;
  uint8_t partition_memory[8] = {};
  ASSERT_TRUE(others.Add(3, partition_memory, sizeof partition_memory, true));
  GatewayMemory memory(&others);
  const auto at = [](const void* p) { return reinterpret_cast<uintptr_t>(p); };

  EXPECT_FALSE(memory.MayRead(kApp, at(request + 8), 8));  // no window yet
  memory.OpenWindow(kApp, in, 2, out, 1);
  EXPECT_TRUE(memory.window_open());
  EXPECT_TRUE(memory.MayRead(kApp, at(request + 8), 8));
  EXPECT_FALSE(memory.MayRead(kApp, at(request + 8), 9));
  EXPECT_FALSE(memory.MayRead(kApp, at(request + 7), 2));
  EXPECT_FALSE(memory.MayWrite(kApp, at(request + 8), 1));  // inputs are read-only
  EXPECT_TRUE(memory.MayWrite(kApp, at(response + 4), 16));
  EXPECT_TRUE(memory.MayRead(kApp, at(response + 10), 2));
  EXPECT_FALSE(memory.MayWrite(kApp, at(response + 4), 17));
  EXPECT_FALSE(memory.MayWrite(kApp, at(response), 4));
  EXPECT_TRUE(memory.MayRead(kApp, at(in), sizeof in));
  EXPECT_FALSE(memory.MayWrite(kApp, at(in), sizeof in));
  EXPECT_TRUE(memory.MayWrite(kApp, at(out), sizeof out));
  EXPECT_FALSE(memory.MayRead(kOtherApp, at(request + 8), 8));  // only the window's client
  EXPECT_TRUE(memory.MayWrite(3, at(partition_memory), 8));     // others answer for the rest
  EXPECT_FALSE(memory.MayWrite(kApp, at(partition_memory), 8));
  memory.CloseWindow();
  EXPECT_FALSE(memory.window_open());
  EXPECT_FALSE(memory.MayRead(kApp, at(request + 8), 8));
  EXPECT_FALSE(memory.MayWrite(kApp, at(response + 4), 1));
  // Too many vectors: nothing is granted.
  psa_invec five[5] = {};
  memory.OpenWindow(kApp, five, 5, nullptr, 0);
  EXPECT_FALSE(memory.MayRead(kApp, at(five), sizeof(psa_invec)));
  GatewayMemory alone;
  EXPECT_FALSE(alone.MayRead(3, at(partition_memory), 1));
}

// ---- hostile frames ----

// Every valid frame kind, cut at every byte: with the header's length left
// as it was (the bytes do not match it: kUnframed), and with the length
// fixed up to the cut (a truncated body: kRefused).
TEST_F(GatewayTest, TruncatedAtEveryByte) {
  const std::vector<Bytes> frames = {
      FrameworkVersionFrame(),
      VersionFrame(kEchoSid),
      ConnectFrame(kEchoConnSid, 1),
      CloseFrame(1),
      CallFrame(kEchoHandle, PSA_IPC_CALL, {ToBytes("abc"), ToBytes("de")}, {8, 2}),
      CallFrame(kEchoHandle, 1, {}, {4}),
  };
  for (const Bytes& frame : frames) {
    for (size_t cut = 0; cut < frame.size(); ++cut) {
      const Bytes prefix(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(cut));
      ExpectRefused(prefix, Disposition::kUnframed, "length left as it was");
      if (cut >= kHeaderSize) {
        Bytes fixed = prefix;
        test::SetLe32(fixed, BASTION_GW_OFFSET_LENGTH, static_cast<uint32_t>(cut));
        ExpectRefused(fixed, Disposition::kRefused, "length fixed up to the cut");
      }
    }
  }
}

TEST_F(GatewayTest, TrailingBytes) {
  for (Bytes frame :
       {FrameworkVersionFrame(), VersionFrame(kEchoSid), ConnectFrame(kEchoConnSid, 1),
        CloseFrame(1), CallFrame(kEchoHandle, PSA_IPC_CALL, {ToBytes("ab")}, {4})}) {
    frame.push_back(0);
    test::SetLe32(frame, BASTION_GW_OFFSET_LENGTH, static_cast<uint32_t>(frame.size()));
    ExpectRefused(frame, Disposition::kRefused, "one byte more");
    // Bytes beyond the header's length.
    frame.pop_back();
    test::SetLe32(frame, BASTION_GW_OFFSET_LENGTH, static_cast<uint32_t>(frame.size() - 1));
    ExpectRefused(frame, Disposition::kUnframed, "bytes past the length");
  }
}

TEST_F(GatewayTest, ForeignHeaders) {
  ExpectRefused(Frame(BASTION_GW_OP_FRAMEWORK_VERSION).Magic(BASTION_GW_RESPONSE_MAGIC).Build(),
                Disposition::kUnframed, "a response's magic");
  ExpectRefused(Frame(BASTION_GW_OP_FRAMEWORK_VERSION).Magic(0).Build(), Disposition::kUnframed,
                "zero magic");
  ExpectRefused(Frame(BASTION_GW_OP_FRAMEWORK_VERSION).Magic(~BASTION_GW_REQUEST_MAGIC).Build(),
                Disposition::kUnframed, "flipped magic");
  ExpectRefused(Frame(BASTION_GW_OP_FRAMEWORK_VERSION).Version(0).Build(), Disposition::kUnframed,
                "version 0");
  ExpectRefused(Frame(BASTION_GW_OP_FRAMEWORK_VERSION).Version(2).Build(), Disposition::kUnframed,
                "version 2");
  ExpectRefused(Bytes{}, Disposition::kUnframed, "nothing");
  // The error response repeats what it could read of the header.
  const Response r = Run(Frame(BASTION_GW_OP_CALL, 99).Magic(0x12345678).Build());
  EXPECT_EQ(r.operation, BASTION_GW_OP_CALL);
  EXPECT_EQ(r.sequence, 99u);
}

TEST_F(GatewayTest, Oversized) {
  for (uint32_t length : {static_cast<uint32_t>(kMaxFrameSize) + 1, UINT32_MAX, UINT32_MAX - 15,
                          0x80000000u, 15u, 0u}) {
    ExpectRefused(Frame(BASTION_GW_OP_CALL).Length(length).Build(), Disposition::kUnframed,
                  "length field out of range");
  }
  // A real frame one byte over the cap.
  Frame f(BASTION_GW_OP_CALL);
  f.I32(kEchoHandle).I32(0).U32(1).U32(0).U32(static_cast<uint32_t>(kMaxFrameSize));
  Bytes frame = f.Build();
  frame.resize(kMaxFrameSize + 1);
  test::SetLe32(frame, BASTION_GW_OFFSET_LENGTH, static_cast<uint32_t>(frame.size()));
  ExpectRefused(frame, Disposition::kUnframed, "one byte over the frame cap");
}

TEST_F(GatewayTest, UnknownOperations) {
  for (uint16_t op : {uint16_t{0}, uint16_t{6}, uint16_t{0x100}, uint16_t{0xFFFF}}) {
    ExpectRefused(Frame(op).Build(), Disposition::kRefused, "unknown operation");
    ExpectRefused(Frame(op).U32(kEchoSid).Build(), Disposition::kRefused, "unknown operation");
  }
}

TEST_F(GatewayTest, UnknownSidsAndHandles) {
  const SpmState before = State();
  EXPECT_EQ(Run(VersionFrame(UINT32_MAX)).result, PSA_VERSION_NONE);
  EXPECT_EQ(Run(ConnectFrame(UINT32_MAX, UINT32_MAX)).status(), PSA_ERROR_PROGRAMMER_ERROR);
  for (int32_t handle : {0, -1, INT32_MIN, INT32_MAX, 0x40000000 | 0x1F, 0x40000000 | 0xFF01}) {
    EXPECT_EQ(Run(CallFrame(handle, PSA_IPC_CALL, {}, {})).status(), PSA_ERROR_PROGRAMMER_ERROR)
        << handle;
    EXPECT_EQ(Run(CloseFrame(handle)).status(),
              handle == 0 ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR)
        << handle;
  }
  EXPECT_TRUE(State() == before);
}

TEST_F(GatewayTest, VectorCounts) {
  const std::pair<uint32_t, uint32_t> counts[] = {{5, 0},
                                                  {0, 5},
                                                  {3, 2},
                                                  {4, 1},
                                                  {2, 3},
                                                  {UINT32_MAX, 0},
                                                  {0, UINT32_MAX},
                                                  {UINT32_MAX, 1},
                                                  {1, UINT32_MAX},
                                                  {0x80000000u, 0x80000000u},
                                                  {UINT32_MAX - 3, 5}};
  for (const auto& [in_len, out_len] : counts) {
    Frame f(BASTION_GW_OP_CALL);
    f.I32(kEchoHandle).I32(PSA_IPC_CALL).U32(in_len).U32(out_len);
    // Enough well-formed vector fields after the counts that only the counts are wrong.
    for (int i = 0; i < 8; ++i) f.U32(0);
    ExpectRefused(f.Build(), Disposition::kRefused, "vector counts");
  }
}

TEST_F(GatewayTest, VectorLengths) {
  const uint32_t lengths[] = {UINT32_MAX, UINT32_MAX - 3, 0x80000000u,
                              static_cast<uint32_t>(kMaxVectorSize) + 1, 0x10000u};
  for (uint32_t length : lengths) {
    // An input whose length is beyond the cap or the frame.
    Frame in(BASTION_GW_OP_CALL);
    in.I32(kEchoHandle).I32(PSA_IPC_CALL).U32(1).U32(0).U32(length).Raw(Bytes(16, 0x11));
    ExpectRefused(in.Build(), Disposition::kRefused, "input length");
    // An output capacity beyond the cap.
    Frame out(BASTION_GW_OP_CALL);
    out.I32(kEchoHandle).I32(PSA_IPC_CALL).U32(0).U32(1).U32(length);
    ExpectRefused(out.Build(), Disposition::kRefused, "output capacity");
  }
  // An input a byte longer than what is left.
  Frame short_in(BASTION_GW_OP_CALL);
  short_in.I32(kEchoHandle).I32(PSA_IPC_CALL).U32(1).U32(0).U32(5).Raw(ToBytes("abcd"));
  ExpectRefused(short_in.Build(), Disposition::kRefused, "input past the end");
  // A second input whose length runs past the end, after a valid first.
  Frame second(BASTION_GW_OP_CALL);
  second.I32(kEchoHandle).I32(PSA_IPC_CALL).U32(2).U32(0).U32(1).Raw({1}).U32(UINT32_MAX);
  ExpectRefused(second.Build(), Disposition::kRefused, "second input");
  // An output capacity field missing.
  Frame no_cap(BASTION_GW_OP_CALL);
  no_cap.I32(kEchoHandle).I32(PSA_IPC_CALL).U32(0).U32(2).U32(4);
  ExpectRefused(no_cap.Build(), Disposition::kRefused, "missing capacity");
}

TEST_F(GatewayTest, NegativeTypesNeverReachTheSpm) {
  for (int32_t type : {-1, -2, INT32_MIN}) {
    ExpectRefused(CallFrame(kEchoHandle, type, {}, {}), Disposition::kRefused, "negative type");
  }
}

TEST_F(GatewayTest, ServesOnAfterHostileFrames) {
  ExpectRefused(Frame(77).Build(), Disposition::kRefused, "unknown");
  ExpectRefused(CallFrame(kEchoHandle, -1, {}, {}), Disposition::kRefused, "negative");
  const Response r = Run(CallFrame(kEchoHandle, PSA_IPC_CALL, {ToBytes("ok")}, {2}));
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0], ToBytes("ok"));
}

}  // namespace
}  // namespace bastion::gateway
