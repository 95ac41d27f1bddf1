// Spm: the Secure Partition Manager core.
//
// It implements the PSA client API (psa/client.h) for every client, secure or
// not: the gateway calls it with the client id it has established. It owns
// the connection pool, checks every caller-supplied value before any state
// changes, gives partitions bounded Message objects, and contains partition
// faults.
//
// Return codes follow FF-M 1.1. What FF-M calls a PROGRAMMER ERROR in the
// client (for a non-secure caller FF-M lets the SPM return it instead of
// panicking) is PSA_ERROR_PROGRAMMER_ERROR, and leaves the SPM unchanged:
//   - psa_connect: unknown SID, a stateless service, version 0 or above the
//     service's, a caller the table does not allow;
//   - psa_call: a handle that is not open for this caller (never issued,
//     closed, another client's), type < 0, in_len + out_len > PSA_MAX_IOVEC,
//     descriptor arrays or buffers the caller may not access, a buffer that
//     wraps the address space, lengths whose sum overflows, an output that
//     overlaps an input or another output; for a stateless handle, a version
//     the service does not support or a caller it does not allow;
//   - psa_close: a handle that is neither null nor open for this caller, or a
//     stateless handle.
// Other codes are not the caller's fault:
//   - PSA_ERROR_CONNECTION_BUSY: the connection pool is full;
//   - PSA_ERROR_CONNECTION_REFUSED: the service refused the connection (or
//     faulted while accepting it), or the connection was lost when its
//     partition restarted (close it and connect again);
//   - PSA_ERROR_SERVICE_FAILURE: the partition faulted while serving this call;
//   - PSA_ERROR_BAD_STATE: Start() has not succeeded.
//
// Fault containment: a partition that returns Reply::Fault(), misuses its
// Message, or whose InvariantsHold() is false is restarted (its state wiped
// and rebuilt from its declaration), its fault counter goes up, its open
// connections are marked lost, and the call in flight fails with
// PSA_ERROR_SERVICE_FAILURE. Other partitions and their connections are
// untouched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/status.h"
#include "psa/client.h"
#include "sm/caller_memory.h"
#include "sm/message.h"
#include "sm/partition.h"
#include "sm/partition_table.h"

namespace bastion::sm {

// One entry of the connection pool.
struct ConnectionSlot {
  enum class State : uint8_t { kFree, kOpen, kLost };
  State state = State::kFree;
  uint16_t generation = 0;  // part of the handle: a stale handle never matches
  ClientId owner = 0;
  size_t partition = 0;  // index into the table
  const ServiceDecl* service = nullptr;
};

// Per-partition bookkeeping kept by the SPM (not by the partition, so a
// restart cannot lose it).
struct PartitionRecord {
  uint32_t fault_count = 0;
};

class Spm {
 public:
  // `partitions[i]` implements `table[i]`. Storage spans are owned by the
  // caller (see SpmBuffer); `records` needs one entry per partition.
  Spm(std::span<const PartitionDecl> table, std::span<Partition* const> partitions,
      CallerMemory& memory, std::span<ConnectionSlot> connections,
      std::span<PartitionRecord> records);

  // Checks the table and storage and restarts every partition from its
  // declaration. kInvalidArgument for an invalid table, a partition count
  // that differs from the table, a null partition or too few records.
  Status Start();

  // psa_framework_version: PSA_FRAMEWORK_VERSION.
  uint32_t FrameworkVersion() const;

  // psa_version: the version of `sid`, or PSA_VERSION_NONE when it is
  // unknown or `client` may not call it.
  uint32_t Version(ClientId client, uint32_t sid) const;

  // psa_connect: a positive handle owned by `client`, or an error (above).
  psa_handle_t Connect(ClientId client, uint32_t sid, uint32_t version);

  // psa_call. Every out_vec[i].len is set to the bytes the service wrote
  // when the service answers (any status); untouched when the call is refused
  // or the partition faults.
  // `answered` (optional) is set to whether the service answered (the
  // output lengths were set), so a transport can tell a service's own status
  // from the SPM's refusal even when their codes are the same.
  psa_status_t Call(ClientId client, psa_handle_t handle, int32_t type, const psa_invec* in_vec,
                    size_t in_len, psa_outvec* out_vec, size_t out_len, bool* answered = nullptr);

  // psa_close. PSA_SUCCESS (also for PSA_NULL_HANDLE and a lost connection),
  // or PSA_ERROR_PROGRAMMER_ERROR.
  psa_status_t Close(ClientId client, psa_handle_t handle);

  // Faults counted for partition `id` since start (0 for an unknown id).
  uint32_t FaultCount(PartitionId id) const;

  // A fault the platform saw outside a call (an MPU fault in the partition's
  // own context): handled as any other fault.
  void ReportFault(PartitionId id);

  // Connections currently holding a pool slot (open or lost).
  size_t ConnectionsInUse() const;

 private:
  struct ServiceRef {
    size_t partition;
    const ServiceDecl* service;
  };
  // Copies of a call's checked vectors.
  struct CheckedVectors {
    Message::Vector in[PSA_MAX_IOVEC];
    Message::Vector out[PSA_MAX_IOVEC];
  };

  bool FindService(uint32_t sid, ServiceRef* found) const;
  bool FindStateless(int32_t handle, ServiceRef* found) const;
  ConnectionSlot* FindConnection(ClientId client, psa_handle_t handle);
  psa_status_t CheckVectors(ClientId client, const psa_invec* in_vec, size_t in_len,
                            const psa_outvec* out_vec, size_t out_len, CheckedVectors* checked);
  // Runs one message through a partition; false when it faulted (already handled).
  bool Dispatch(size_t partition, const ServiceDecl& service, Message& message,
                psa_status_t* status);
  void HandleFault(size_t partition);

  std::span<const PartitionDecl> table_;
  std::span<Partition* const> partitions_;
  CallerMemory& memory_;
  std::span<ConnectionSlot> connections_;
  std::span<PartitionRecord> records_;
  bool started_ = false;
};

// The SPM with its own storage: kConnections pool entries, kPartitions records.
template <size_t kPartitions, size_t kConnections>
class SpmBuffer : public Spm {
 public:
  static_assert(kConnections > 0 && kConnections < 0xFFFF, "connection pool size");
  SpmBuffer(std::span<const PartitionDecl> table, std::span<Partition* const> partitions,
            CallerMemory& memory)
      : Spm(table, partitions, memory, connection_storage_, record_storage_) {}

 private:
  ConnectionSlot connection_storage_[kConnections] = {};
  PartitionRecord record_storage_[kPartitions] = {};
};

}  // namespace bastion::sm
