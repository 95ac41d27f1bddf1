// The SPM core: version, connect, call, close, handle ownership, vector
// checks, the message object's bounds, and fault containment.
#include "sm/spm.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "sm/test_partitions.h"

namespace bastion::sm {
namespace {

using test::kApp;
using test::kOtherApp;
using test::kStranger;

class SpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(spm_.Start().ok());
    // Every client may use the test's buffers; `readonly_` only for reading.
    ASSERT_TRUE(memory_.Add(AllowedRanges<8>::kAnyClient, buffers_, sizeof buffers_, true));
    ASSERT_TRUE(memory_.Add(AllowedRanges<8>::kAnyClient, readonly_, sizeof readonly_, false));
    ASSERT_TRUE(memory_.Add(AllowedRanges<8>::kAnyClient, &in_, sizeof in_, true));
    ASSERT_TRUE(memory_.Add(AllowedRanges<8>::kAnyClient, &out_, sizeof out_, true));
  }

  // Echoes `text` through `handle`; returns the status, the reply in `reply`.
  psa_status_t Echo(ClientId client, psa_handle_t handle, const char* text, size_t out_size = 32) {
    const size_t n = std::strlen(text);
    std::memcpy(buffers_[0], text, n);
    in_[0] = {buffers_[0], n};
    out_[0] = {buffers_[1], out_size};
    return spm_.Call(client, handle, PSA_IPC_CALL, in_.data(), 1, out_.data(), 1);
  }
  std::string Reply() const {
    return std::string(reinterpret_cast<const char*>(buffers_[1]), out_[0].len);
  }
  psa_status_t Faulty(psa_handle_t handle, uint8_t command) {
    buffers_[0][0] = command;
    in_[0] = {buffers_[0], 1};
    out_[0] = {buffers_[1], 4};
    return spm_.Call(kApp, handle, PSA_IPC_CALL, in_.data(), 1, out_.data(), 1);
  }

  test::EchoPartition echo_;
  test::FaultyPartition faulty_;
  test::VaultPartition vault_;
  std::array<Partition*, 3> partitions_ = {&echo_, &faulty_, &vault_};
  AllowedRanges<8> memory_;
  SpmBuffer<3, 4> spm_{test::kTestPartitions, partitions_, memory_};
  uint8_t buffers_[4][64] = {};
  uint8_t readonly_[64] = {};
  std::array<psa_invec, PSA_MAX_IOVEC> in_ = {};
  std::array<psa_outvec, PSA_MAX_IOVEC> out_ = {};
};

// ---- the table ----

TEST(PartitionTable, TestTableIsValid) {
  static_assert(PartitionTableError(test::kTestPartitions) == TableError::kNone);
  EXPECT_EQ(test::kEchoHandle, 0x40000100);   // index 0, version 1
  EXPECT_EQ(test::kVaultHandle, 0x40000101);  // index 1, version 1
  EXPECT_EQ(StatelessHandle(test::kTestPartitions, test::kFaultySid, 1), 0);
}

constexpr ServiceDecl kOneService[] = {{.name = "s",
                                        .sid = 7,
                                        .version = 1,
                                        .model = ServiceModel::kStateless,
                                        .callers = {.any_non_secure = true}}};
constexpr ServiceDecl kSameSid[] = {{.name = "t",
                                     .sid = 7,
                                     .version = 1,
                                     .model = ServiceModel::kStateless,
                                     .callers = {.any_non_secure = true}}};
constexpr ServiceDecl kNobody[] = {
    {.name = "n", .sid = 9, .version = 1, .model = ServiceModel::kStateless, .callers = {}}};
constexpr ClientId kUnknownPartition[] = {42};
constexpr ServiceDecl kUnknownCaller[] = {{.name = "u",
                                           .sid = 10,
                                           .version = 1,
                                           .model = ServiceModel::kStateless,
                                           .callers = {.clients = kUnknownPartition}}};
constexpr ServiceDecl kVersionZero[] = {{.name = "z",
                                         .sid = 11,
                                         .version = 0,
                                         .model = ServiceModel::kConnectionBased,
                                         .callers = {.any_non_secure = true}}};

constexpr PartitionDecl Decl(PartitionId id, std::span<const ServiceDecl> services) {
  return {.name = "p",
          .id = id,
          .kind = PartitionKind::kApplicationRot,
          .services = services,
          .storage_quota_bytes = 0,
          .key_slots = 0,
          .stack_bytes = 0,
          .memory_bytes = 0};
}

TEST(PartitionTable, InvalidDeclarationsAreRefusedAtCompileTime) {
  constexpr PartitionDecl dup_id[] = {Decl(1, kOneService), Decl(1, {})};
  static_assert(PartitionTableError(dup_id) == TableError::kDuplicatePartitionId);
  constexpr PartitionDecl dup_sid[] = {Decl(1, kOneService), Decl(2, kSameSid)};
  static_assert(PartitionTableError(dup_sid) == TableError::kDuplicateSid);
  constexpr PartitionDecl dup_sid_same_partition[] = {Decl(1, kOneService), Decl(2, {})};
  static_assert(PartitionTableError(dup_sid_same_partition) == TableError::kNone);
  constexpr PartitionDecl nobody[] = {Decl(1, kNobody)};
  static_assert(PartitionTableError(nobody) == TableError::kServiceNobodyMayCall);
  constexpr PartitionDecl zero_id[] = {Decl(0, kOneService)};
  static_assert(PartitionTableError(zero_id) == TableError::kNonPositivePartitionId);
  constexpr PartitionDecl negative_id[] = {Decl(-3, kOneService)};
  static_assert(PartitionTableError(negative_id) == TableError::kNonPositivePartitionId);
  constexpr PartitionDecl unknown_caller[] = {Decl(1, kUnknownCaller)};
  static_assert(PartitionTableError(unknown_caller) == TableError::kUnknownSecureCaller);
  constexpr PartitionDecl version_zero[] = {Decl(1, kVersionZero)};
  static_assert(PartitionTableError(version_zero) == TableError::kInvalidVersion);
  static_assert(PartitionTableError(std::span<const PartitionDecl>{}) == TableError::kEmpty);
  SUCCEED();
}

TEST(PartitionTable, StartRefusesMismatchedPartitions) {
  test::EchoPartition echo;
  std::array<Partition*, 1> one = {&echo};
  AllowedRanges<1> memory;
  SpmBuffer<3, 1> spm(test::kTestPartitions, one, memory);
  EXPECT_EQ(spm.Start(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spm.Connect(kApp, test::kEchoConnSid, 1), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(spm.Version(kApp, test::kEchoSid), PSA_VERSION_NONE);
}

// ---- version ----

TEST_F(SpmTest, FrameworkVersion) { EXPECT_EQ(spm_.FrameworkVersion(), 0x0101u); }

TEST_F(SpmTest, VersionOfKnownUnknownAndForbiddenServices) {
  EXPECT_EQ(spm_.Version(kApp, test::kEchoSid), 1u);
  EXPECT_EQ(spm_.Version(kApp, test::kEchoConnSid), 2u);
  EXPECT_EQ(spm_.Version(kStranger, test::kEchoConnSid), PSA_VERSION_NONE);  // not in its list
  EXPECT_EQ(spm_.Version(kApp, 0xDEAD), PSA_VERSION_NONE);
  EXPECT_EQ(spm_.Version(kApp, test::kVaultSid), PSA_VERSION_NONE);  // partition 1 only
  EXPECT_EQ(spm_.Version(1, test::kVaultSid), 1u);
  EXPECT_EQ(spm_.Version(2, test::kEchoSid), 1u);  // a listed secure caller
  EXPECT_EQ(spm_.Version(3, test::kEchoSid), PSA_VERSION_NONE);
}

// ---- connect / close ----

TEST_F(SpmTest, ConnectCallClose) {
  const psa_handle_t h = spm_.Connect(kApp, test::kEchoConnSid, 2);
  ASSERT_TRUE(PSA_HANDLE_IS_VALID(h));
  EXPECT_FALSE(IsStatelessHandle(h));
  EXPECT_EQ(Echo(kApp, h, "hello"), PSA_SUCCESS);
  EXPECT_EQ(Reply(), "hello");
  EXPECT_EQ(spm_.Close(kApp, h), PSA_SUCCESS);
  EXPECT_EQ(spm_.ConnectionsInUse(), 0u);
  EXPECT_EQ(Echo(kApp, h, "again"), PSA_ERROR_PROGRAMMER_ERROR);  // closed
  EXPECT_EQ(spm_.Close(kApp, h), PSA_ERROR_PROGRAMMER_ERROR);
}

TEST_F(SpmTest, ConnectAcceptsOlderVersionsOnly) {
  const psa_handle_t h = spm_.Connect(kApp, test::kEchoConnSid, 1);
  EXPECT_TRUE(PSA_HANDLE_IS_VALID(h));
  EXPECT_EQ(spm_.Connect(kApp, test::kEchoConnSid, 3), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Connect(kApp, test::kEchoConnSid, 0), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Close(kApp, h), PSA_SUCCESS);
}

TEST_F(SpmTest, ConnectRefusals) {
  EXPECT_EQ(spm_.Connect(kApp, 0xDEAD, 1), PSA_ERROR_PROGRAMMER_ERROR);          // unknown SID
  EXPECT_EQ(spm_.Connect(kApp, test::kEchoSid, 1), PSA_ERROR_PROGRAMMER_ERROR);  // stateless
  EXPECT_EQ(spm_.Connect(kStranger, test::kEchoConnSid, 1), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.ConnectionsInUse(), 0u);
}

TEST_F(SpmTest, PoolExhaustionIsBusyAndRecovers) {
  psa_handle_t handles[4];
  for (psa_handle_t& h : handles) {
    h = spm_.Connect(kApp, test::kEchoConnSid, 2);
    ASSERT_TRUE(PSA_HANDLE_IS_VALID(h));
  }
  EXPECT_EQ(spm_.Connect(kApp, test::kEchoConnSid, 2), PSA_ERROR_CONNECTION_BUSY);
  EXPECT_EQ(spm_.Close(kApp, handles[2]), PSA_SUCCESS);
  const psa_handle_t reused = spm_.Connect(kApp, test::kEchoConnSid, 2);
  ASSERT_TRUE(PSA_HANDLE_IS_VALID(reused));
  EXPECT_NE(reused, handles[2]);  // same slot, new generation: the old handle stays dead
  EXPECT_EQ(Echo(kApp, handles[2], "x"), PSA_ERROR_PROGRAMMER_ERROR);
}

TEST_F(SpmTest, ConnectAndDisconnectMessagesAreDelivered) {
  const psa_handle_t h = spm_.Connect(kApp, test::kFaultySid, 1);
  ASSERT_TRUE(PSA_HANDLE_IS_VALID(h));
  EXPECT_EQ(faulty_.connections(), 1);
  EXPECT_EQ(spm_.Close(kApp, h), PSA_SUCCESS);
  EXPECT_EQ(faulty_.connections(), 0);  // the disconnect message was delivered
}

TEST_F(SpmTest, CloseNullHandleAndStatelessHandle) {
  EXPECT_EQ(spm_.Close(kApp, PSA_NULL_HANDLE), PSA_SUCCESS);
  EXPECT_EQ(spm_.Close(kApp, test::kEchoHandle), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Close(kApp, -5), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Close(kApp, 0x00010001), PSA_ERROR_PROGRAMMER_ERROR);  // never issued
}

// ---- ownership ----

TEST_F(SpmTest, AHandleBelongsToItsClient) {
  const psa_handle_t mine = spm_.Connect(kApp, test::kEchoConnSid, 2);
  ASSERT_TRUE(PSA_HANDLE_IS_VALID(mine));
  EXPECT_EQ(Echo(kOtherApp, mine, "steal"), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Echo(1, mine, "steal"), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Close(kOtherApp, mine), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.ConnectionsInUse(), 1u);  // the refusals changed nothing
  EXPECT_EQ(Echo(kApp, mine, "still mine"), PSA_SUCCESS);
  EXPECT_EQ(Reply(), "still mine");
}

// ---- stateless ----

TEST_F(SpmTest, StatelessCall) {
  EXPECT_EQ(Echo(kApp, test::kEchoHandle, "stateless"), PSA_SUCCESS);
  EXPECT_EQ(Reply(), "stateless");
  EXPECT_EQ(spm_.ConnectionsInUse(), 0u);
}

TEST_F(SpmTest, StatelessRefusals) {
  EXPECT_EQ(Echo(kApp, test::kVaultHandle, "x"), PSA_ERROR_PROGRAMMER_ERROR);  // not allowed
  EXPECT_EQ(Echo(1, test::kVaultHandle, "x"), PSA_SUCCESS);
  const psa_handle_t newer = StatelessHandle(test::kTestPartitions, test::kEchoSid, 2);
  EXPECT_EQ(Echo(kApp, newer, "x"), PSA_ERROR_PROGRAMMER_ERROR);  // version 2 unsupported
  EXPECT_EQ(Echo(kApp, kStatelessHandleFlag | 0x100 | 5, "x"), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Echo(kApp, test::kEchoHandle | 0x10000, "x"), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Echo(kApp, kStatelessHandleFlag, "x"), PSA_ERROR_PROGRAMMER_ERROR);  // version 0
}

// ---- call refusals ----

TEST_F(SpmTest, NegativeTypeIsRefused) {
  in_[0] = {buffers_[0], 1};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, -1, in_.data(), 1, nullptr, 0),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(echo_.calls(), 0u);
}

TEST_F(SpmTest, VectorCounts) {
  for (size_t i = 0; i < PSA_MAX_IOVEC; ++i) {
    in_[i] = {buffers_[0], 1};
    out_[i] = {buffers_[i], 1};
  }
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 5, nullptr, 0),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, nullptr, 0, out_.data(), 5),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 3, out_.data(), 2),
            PSA_ERROR_PROGRAMMER_ERROR);  // 5 together
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), SIZE_MAX, out_.data(), 1),
            PSA_ERROR_PROGRAMMER_ERROR);  // a sum that would wrap
  EXPECT_EQ(echo_.calls(), 0u);
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 4, nullptr, 0), PSA_SUCCESS);
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, nullptr, 0, out_.data(), 4), PSA_SUCCESS);
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 2, out_.data(), 2), PSA_SUCCESS);
}

TEST_F(SpmTest, DescriptorArraysMustBeCallerMemory) {
  psa_invec outside_in[1] = {{buffers_[0], 1}};  // on the stack: not an allowed range
  psa_outvec outside_out[1] = {{buffers_[1], 1}};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, outside_in, 1, nullptr, 0),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, nullptr, 0, outside_out, 1),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, nullptr, 1, nullptr, 0),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(echo_.calls(), 0u);
}

TEST_F(SpmTest, BuffersMustBeCallerMemory) {
  uint8_t secret[8] = {};
  in_[0] = {secret, sizeof secret};
  out_[0] = {buffers_[1], 8};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, out_.data(), 1),
            PSA_ERROR_PROGRAMMER_ERROR);
  // Read-only memory is fine as input, not as output.
  in_[0] = {readonly_, 8};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, out_.data(), 1), PSA_SUCCESS);
  in_[0] = {buffers_[0], 8};
  out_[0] = {readonly_, 8};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, out_.data(), 1),
            PSA_ERROR_PROGRAMMER_ERROR);
  // One byte past the end of an allowed range.
  out_[0] = {buffers_[3], 65};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, out_.data(), 1),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(echo_.calls(), 1u);
}

TEST_F(SpmTest, ClientSpecificRanges) {
  AllowedRanges<2> memory;
  uint8_t app_buffer[16] = {};
  psa_invec in[1] = {{app_buffer, sizeof app_buffer}};
  ASSERT_TRUE(memory.Add(kApp, app_buffer, sizeof app_buffer, false));
  ASSERT_TRUE(memory.Add(AllowedRanges<2>::kAnyClient, in, sizeof in, false));
  EXPECT_TRUE(memory.MayRead(kApp, reinterpret_cast<uintptr_t>(app_buffer), 16));
  EXPECT_FALSE(memory.MayRead(kOtherApp, reinterpret_cast<uintptr_t>(app_buffer), 16));
  EXPECT_FALSE(memory.MayWrite(kApp, reinterpret_cast<uintptr_t>(app_buffer), 1));
  EXPECT_FALSE(memory.MayRead(kApp, reinterpret_cast<uintptr_t>(app_buffer) + 8, 9));
  EXPECT_TRUE(memory.MayRead(kApp, reinterpret_cast<uintptr_t>(app_buffer) + 15, 1));
}

TEST_F(SpmTest, WrappingAndNullBuffersAreRefused) {
  in_[0] = {reinterpret_cast<const void*>(UINTPTR_MAX - 3), 8};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, nullptr, 0),
            PSA_ERROR_PROGRAMMER_ERROR);
  in_[0] = {nullptr, 4};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, nullptr, 0),
            PSA_ERROR_PROGRAMMER_ERROR);
  in_[0] = {buffers_[0], 1};
  in_[1] = {buffers_[0], SIZE_MAX};  // the sum of lengths overflows
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 2, nullptr, 0),
            PSA_ERROR_PROGRAMMER_ERROR);
  in_[0] = {nullptr, 0};  // an empty vector may have no base
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, nullptr, 0), PSA_SUCCESS);
}

TEST_F(SpmTest, OverlapsAreRefused) {
  // Output over input.
  in_[0] = {buffers_[0], 16};
  out_[0] = {buffers_[0] + 15, 8};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, out_.data(), 1),
            PSA_ERROR_PROGRAMMER_ERROR);
  // Output over output.
  out_[0] = {buffers_[1], 16};
  out_[1] = {buffers_[1] + 8, 16};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 1, out_.data(), 2),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(echo_.calls(), 0u);
  // Adjacent is fine; two inputs may share bytes; empty vectors never overlap.
  out_[0] = {buffers_[0] + 16, 8};
  out_[1] = {buffers_[0] + 24, 0};
  in_[1] = {buffers_[0], 16};
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, 0, in_.data(), 2, out_.data(), 2), PSA_SUCCESS);
}

TEST_F(SpmTest, DescriptorsAreCopiedAndLengthsWrittenBack) {
  EXPECT_EQ(Echo(kApp, test::kEchoHandle, "abcdef", 4), PSA_SUCCESS);
  EXPECT_EQ(out_[0].len, 4u);  // only what fitted was written
  EXPECT_EQ(Reply(), "abcd");
  EXPECT_EQ(in_[0].len, 6u);
}

// ---- the message object ----

class MessageTest : public ::testing::Test {
 protected:
  Message Make(std::span<const Message::Vector> in, std::span<const Message::Vector> out) {
    return Message(PSA_IPC_CALL, kApp, 1, in, out);
  }
  uint8_t input_[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  uint8_t output_[8] = {};
};

TEST_F(MessageTest, SizesAndMetadata) {
  const Message::Vector in[] = {{reinterpret_cast<uintptr_t>(input_), 8}, {0, 0}};
  const Message::Vector out[] = {{reinterpret_cast<uintptr_t>(output_), 5}};
  Message m(7, kOtherApp, 0x55, in, out);
  EXPECT_EQ(m.type(), 7);
  EXPECT_EQ(m.client_id(), kOtherApp);
  EXPECT_EQ(m.sid(), 0x55u);
  EXPECT_EQ(m.in_size(0), 8u);
  EXPECT_EQ(m.in_size(1), 0u);
  EXPECT_EQ(m.in_size(3), 0u);  // absent vector
  EXPECT_EQ(m.in_size(99), 0u);
  EXPECT_EQ(m.out_size(0), 5u);
  EXPECT_EQ(m.out_size(1), 0u);
  EXPECT_FALSE(m.misused());
}

TEST_F(MessageTest, ReadAndSkipStopAtTheEnd) {
  const Message::Vector in[] = {{reinterpret_cast<uintptr_t>(input_), 8}};
  Message m = Make(in, {});
  uint8_t buf[8] = {};
  EXPECT_EQ(m.Read(0, std::span(buf, 3)), 3u);
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(m.Skip(0, 2), 2u);
  EXPECT_EQ(m.Read(0, std::span(buf, 8)), 3u);  // only 3 left
  EXPECT_EQ(buf[0], 6);
  EXPECT_EQ(buf[2], 8);
  EXPECT_EQ(m.Read(0, std::span(buf, 8)), 0u);  // at the end
  EXPECT_EQ(m.Skip(0, 1), 0u);
  EXPECT_EQ(m.Read(0, std::span(buf, 0)), 0u);
  EXPECT_EQ(m.Read(1, std::span(buf, 8)), 0u);  // absent vector reads as empty
  EXPECT_FALSE(m.misused());
}

TEST_F(MessageTest, SkipPastTheEndStopsThere) {
  const Message::Vector in[] = {{reinterpret_cast<uintptr_t>(input_), 8}};
  Message m = Make(in, {});
  EXPECT_EQ(m.Skip(0, SIZE_MAX), 8u);
  uint8_t b = 0;
  EXPECT_EQ(m.Read(0, std::span(&b, 1)), 0u);
}

TEST_F(MessageTest, InvalidIndexIsMisuse) {
  Message m = Make({}, {});
  uint8_t b = 0;
  EXPECT_EQ(m.Read(PSA_MAX_IOVEC, std::span(&b, 1)), 0u);
  EXPECT_TRUE(m.misused());
  Message n = Make({}, {});
  EXPECT_EQ(n.Skip(PSA_MAX_IOVEC, 1), 0u);
  EXPECT_TRUE(n.misused());
  Message w = Make({}, {});
  EXPECT_FALSE(w.Write(PSA_MAX_IOVEC, {}));
  EXPECT_TRUE(w.misused());
}

TEST_F(MessageTest, WriteUpToTheSizeAndNotOneByteMore) {
  const Message::Vector out[] = {{reinterpret_cast<uintptr_t>(output_), 5}};
  Message m = Make({}, out);
  const uint8_t data[6] = {9, 9, 9, 9, 9, 9};
  EXPECT_TRUE(m.Write(0, std::span(data, 3)));
  EXPECT_TRUE(m.Write(0, std::span(data, 2)));  // exactly full
  EXPECT_EQ(m.written(0), 5u);
  EXPECT_TRUE(m.Write(0, {}));  // nothing more is fine
  EXPECT_FALSE(m.misused());
  EXPECT_FALSE(m.Write(0, std::span(data, 1)));
  EXPECT_TRUE(m.misused());
  EXPECT_EQ(m.written(0), 5u);
  EXPECT_EQ(output_[5], 0);  // nothing past the end
}

TEST_F(MessageTest, WriteToAnAbsentOutputIsMisuse) {
  Message m = Make({}, {});
  const uint8_t b = 1;
  EXPECT_TRUE(m.Write(1, {}));
  EXPECT_FALSE(m.Write(1, std::span(&b, 1)));
  EXPECT_TRUE(m.misused());
}

// ---- fault containment ----

TEST_F(SpmTest, FaultRestartsThePartitionAndTheNextCallIsServed) {
  const psa_handle_t h = spm_.Connect(kApp, test::kFaultySid, 1);
  ASSERT_TRUE(PSA_HANDLE_IS_VALID(h));
  const psa_handle_t echo = spm_.Connect(kApp, test::kEchoConnSid, 2);
  ASSERT_TRUE(PSA_HANDLE_IS_VALID(echo));
  EXPECT_EQ(Faulty(h, 1), PSA_SUCCESS);
  EXPECT_EQ(faulty_.served(), 1u);
  const uint32_t restarts = faulty_.restarts();

  out_[0].len = 4;
  EXPECT_EQ(Faulty(h, 0xFF), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(out_[0].len, 4u);  // untouched on a fault
  EXPECT_EQ(spm_.FaultCount(2), 1u);
  EXPECT_EQ(faulty_.restarts(), restarts + 1);
  EXPECT_EQ(faulty_.served(), 0u);  // its state was wiped

  // The connection died with the partition's state; a new one is served.
  EXPECT_EQ(Faulty(h, 1), PSA_ERROR_CONNECTION_REFUSED);
  EXPECT_EQ(spm_.Close(kApp, h), PSA_SUCCESS);
  const psa_handle_t again = spm_.Connect(kApp, test::kFaultySid, 1);
  ASSERT_TRUE(PSA_HANDLE_IS_VALID(again));
  EXPECT_EQ(Faulty(again, 7), PSA_SUCCESS);
  EXPECT_EQ(buffers_[1][0], 7);

  // Other partitions carried on, connections included.
  EXPECT_EQ(spm_.FaultCount(1), 0u);
  EXPECT_EQ(Echo(kApp, echo, "alive"), PSA_SUCCESS);
  EXPECT_EQ(Reply(), "alive");
}

TEST_F(SpmTest, BrokenInvariantIsAFault) {
  const psa_handle_t h = spm_.Connect(kApp, test::kFaultySid, 1);
  EXPECT_EQ(Faulty(h, 0xFE), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(spm_.FaultCount(2), 1u);
  EXPECT_TRUE(faulty_.InvariantsHold());  // restored by the restart
}

TEST_F(SpmTest, MessageMisuseIsAFault) {
  const psa_handle_t h = spm_.Connect(kApp, test::kFaultySid, 1);
  EXPECT_EQ(Faulty(h, 0xFD), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(spm_.FaultCount(2), 1u);
}

TEST_F(SpmTest, ServiceErrorIsNotAFault) {
  const psa_handle_t h = spm_.Connect(kApp, test::kFaultySid, 1);
  EXPECT_EQ(Faulty(h, 0xFC), PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(spm_.FaultCount(2), 0u);
  EXPECT_EQ(Faulty(h, 2), PSA_SUCCESS);
}

TEST_F(SpmTest, FaultCountersAccumulatePerPartition) {
  psa_handle_t h = spm_.Connect(kApp, test::kFaultySid, 1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Faulty(h, 0xFF), PSA_ERROR_SERVICE_FAILURE);
    EXPECT_EQ(spm_.Close(kApp, h), PSA_SUCCESS);
    h = spm_.Connect(kApp, test::kFaultySid, 1);
    ASSERT_TRUE(PSA_HANDLE_IS_VALID(h));
  }
  EXPECT_EQ(spm_.FaultCount(2), 3u);
  spm_.ReportFault(1);  // a fault the platform saw in the echo partition
  EXPECT_EQ(spm_.FaultCount(1), 1u);
  EXPECT_EQ(spm_.FaultCount(3), 0u);
  EXPECT_EQ(spm_.FaultCount(99), 0u);
  EXPECT_EQ(Echo(kApp, test::kEchoHandle, "ok"), PSA_SUCCESS);
}

TEST_F(SpmTest, EchoStateWipedByPlatformFault) {
  in_[0] = {buffers_[0], 0};
  out_[0] = {buffers_[1], 4};
  EXPECT_EQ(Echo(kApp, test::kEchoHandle, "a"), PSA_SUCCESS);
  EXPECT_EQ(Echo(kApp, test::kEchoHandle, "b"), PSA_SUCCESS);
  EXPECT_EQ(echo_.calls(), 2u);
  spm_.ReportFault(1);
  EXPECT_EQ(echo_.calls(), 0u);
}

TEST_F(SpmTest, ProbeSeesOnlyTheDeclaredSizes) {
  // Through the SPM: a partition sees the sizes the caller declared, clamped
  // to nothing beyond them.
  EXPECT_EQ(Echo(kApp, test::kEchoHandle, "0123456789", 3), PSA_SUCCESS);
  EXPECT_EQ(Reply(), "012");
}

}  // namespace
}  // namespace bastion::sm

namespace bastion::sm {
namespace {

// A transport learns whether the service answered (the output lengths were
// set), whatever the status: a refusal and a service's own code can be equal.
TEST_F(SpmTest, CallSaysWhetherTheServiceAnswered) {
  std::memcpy(buffers_[0], "hi", 2);
  in_[0] = {buffers_[0], 2};
  out_[0] = {buffers_[1], 32};
  bool answered = false;
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, PSA_IPC_CALL, in_.data(), 1, out_.data(), 1,
                      &answered),
            PSA_SUCCESS);
  EXPECT_TRUE(answered);
  EXPECT_EQ(out_[0].len, 2u);
  answered = true;
  EXPECT_EQ(spm_.Call(kApp, test::kEchoHandle, -5, in_.data(), 1, out_.data(), 1, &answered),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_FALSE(answered);
  answered = true;
  EXPECT_EQ(spm_.Call(test::kStranger, 0x1234, PSA_IPC_CALL, in_.data(), 1, out_.data(), 1,
                      &answered),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_FALSE(answered);
}

}  // namespace
}  // namespace bastion::sm
