// Example partitions and the test partition table for the SPM tests.
//
//   echo   (id 1, Application RoT)
//     0x1000 "echo"        stateless, v1, any non-secure client and partition 2
//     0x1001 "echo-conn"   connection-based, v2, clients -1 and -2 only
//   faulty (id 2, Application RoT)
//     0x2000 "faulty"      connection-based, v1, any non-secure client
//       input byte 0xFF: Reply::Fault(); 0xFE: breaks an invariant;
//       0xFD: writes past its output; 0xFC: refuses; otherwise counts and echoes.
//   vault  (id 3, PSA RoT)
//     0x3000 "vault"       stateless, v1, partition 1 only
#pragma once

#include <cstdint>
#include <cstring>

#include "sm/partition.h"
#include "sm/partition_table.h"

namespace bastion::sm::test {

inline constexpr ClientId kApp = -1;
inline constexpr ClientId kOtherApp = -2;
inline constexpr ClientId kStranger = -7;

inline constexpr uint32_t kEchoSid = 0x1000;
inline constexpr uint32_t kEchoConnSid = 0x1001;
inline constexpr uint32_t kFaultySid = 0x2000;
inline constexpr uint32_t kVaultSid = 0x3000;

inline constexpr ClientId kEchoExtraCallers[] = {2};
inline constexpr ClientId kEchoConnCallers[] = {kApp, kOtherApp};
inline constexpr ClientId kVaultCallers[] = {1};

inline constexpr ServiceDecl kEchoServices[] = {
    {.name = "echo",
     .sid = kEchoSid,
     .version = 1,
     .model = ServiceModel::kStateless,
     .callers = {.any_non_secure = true, .clients = kEchoExtraCallers}},
    {.name = "echo-conn",
     .sid = kEchoConnSid,
     .version = 2,
     .model = ServiceModel::kConnectionBased,
     .callers = {.clients = kEchoConnCallers}},
};
inline constexpr ServiceDecl kFaultyServices[] = {
    {.name = "faulty",
     .sid = kFaultySid,
     .version = 1,
     .model = ServiceModel::kConnectionBased,
     .callers = {.any_non_secure = true}},
};
inline constexpr ServiceDecl kVaultServices[] = {
    {.name = "vault",
     .sid = kVaultSid,
     .version = 1,
     .model = ServiceModel::kStateless,
     .callers = {.clients = kVaultCallers}},
};

inline constexpr PartitionDecl kTestPartitions[] = {
    {.name = "echo",
     .id = 1,
     .kind = PartitionKind::kApplicationRot,
     .services = kEchoServices,
     .storage_quota_bytes = 0,
     .key_slots = 0,
     .stack_bytes = 1024,
     .memory_bytes = 256},
    {.name = "faulty",
     .id = 2,
     .kind = PartitionKind::kApplicationRot,
     .services = kFaultyServices,
     .storage_quota_bytes = 512,
     .key_slots = 1,
     .stack_bytes = 1024,
     .memory_bytes = 256},
    {.name = "vault",
     .id = 3,
     .kind = PartitionKind::kPsaRot,
     .services = kVaultServices,
     .storage_quota_bytes = 4096,
     .key_slots = 4,
     .stack_bytes = 2048,
     .memory_bytes = 512},
};
BASTION_SM_CHECK_PARTITION_TABLE(kTestPartitions);

inline constexpr int32_t kEchoHandle = StatelessHandle(kTestPartitions, kEchoSid, 1);
inline constexpr int32_t kVaultHandle = StatelessHandle(kTestPartitions, kVaultSid, 1);

// Echo: copies input 0 to output 0; a call of type 1 reports the number of
// calls served since the last restart in output 0 (4 bytes).
class EchoPartition final : public Partition {
 public:
  Reply Serve(const ServiceDecl&, Message& message) override {
    if (message.type() < 0) return Reply::Status(PSA_SUCCESS);  // connect / disconnect
    ++state_.calls;
    if (message.type() == 1) {
      uint8_t out[4];
      std::memcpy(out, &state_.calls, sizeof out);
      return Reply::Status(message.Write(0, out) ? PSA_SUCCESS : PSA_ERROR_BUFFER_TOO_SMALL);
    }
    // Copies as much as fits; the rest of the input is left unread.
    uint8_t buffer[64];
    for (;;) {
      const size_t room = message.out_size(0) - message.written(0);
      const size_t n =
          message.Read(0, std::span(buffer, room < sizeof buffer ? room : sizeof buffer));
      if (n == 0) break;
      (void)message.Write(0, std::span<const uint8_t>(buffer, n));
    }
    return Reply::Status(PSA_SUCCESS);
  }
  void Restart(const PartitionDecl&) override { state_ = State{}; }
  uint32_t calls() const { return state_.calls; }

 private:
  struct State {
    uint32_t calls = 0;
  };
  State state_;
};

// Faulty: see the table above. Its invariant: `guard` is always 0x5A5A.
class FaultyPartition final : public Partition {
 public:
  Reply Serve(const ServiceDecl&, Message& message) override {
    if (message.type() == kMessageConnect) {
      ++state_.connections;
      return Reply::Status(PSA_SUCCESS);
    }
    if (message.type() == kMessageDisconnect) {
      --state_.connections;
      return Reply::Status(PSA_SUCCESS);
    }
    uint8_t command = 0;
    if (message.Read(0, std::span(&command, 1)) != 1)
      return Reply::Status(PSA_ERROR_INVALID_ARGUMENT);
    switch (command) {
      case 0xFF:
        return Reply::Fault();
      case 0xFE:
        state_.guard = 0;
        return Reply::Status(PSA_SUCCESS);
      case 0xFD: {
        uint8_t big[128] = {};
        (void)message.Write(0, std::span<const uint8_t>(big, message.out_size(0) + 1));
        return Reply::Status(PSA_SUCCESS);
      }
      case 0xFC:
        return Reply::Status(PSA_ERROR_NOT_PERMITTED);
      default:
        ++state_.served;
        (void)message.Write(0, std::span<const uint8_t>(&command, 1));
        return Reply::Status(PSA_SUCCESS);
    }
  }
  void Restart(const PartitionDecl&) override {
    state_ = State{};
    ++restarts_;
  }
  bool InvariantsHold() const override { return state_.guard == 0x5A5A; }

  uint32_t served() const { return state_.served; }
  int32_t connections() const { return state_.connections; }
  uint32_t restarts() const { return restarts_; }  // outside the wiped state, for the test

 private:
  struct State {
    uint32_t guard = 0x5A5A;
    uint32_t served = 0;
    int32_t connections = 0;
  };
  State state_;
  uint32_t restarts_ = 0;
};

// Vault: answers PSA_SUCCESS; only partition 1 may call it.
class VaultPartition final : public Partition {
 public:
  Reply Serve(const ServiceDecl&, Message&) override { return Reply::Status(PSA_SUCCESS); }
  void Restart(const PartitionDecl&) override {}
};

}  // namespace bastion::sm::test
