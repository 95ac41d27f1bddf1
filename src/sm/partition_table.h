// The partition table: every secure partition and the services it offers,
// declared once as constexpr data.
//
// A declaration says who a partition is (name, id, kind), what it serves
// (each service's SID, version, stateless or connection-based, and which
// clients may call it) and what it may use (storage quota, key slots, stack
// and memory budget). The SPM enforces the "who may call" part; the quotas
// are read by the storage, crypto and isolation slices.
//
// Declarations are checked at compile time:
//
//   inline constexpr PartitionDecl kPartitions[] = {...};
//   static_assert(PartitionTableError(kPartitions) == TableError::kNone);
//
// or, with the reason in the diagnostic, BASTION_SM_CHECK_PARTITION_TABLE(kPartitions).
// tests/sm/bad_table.cpp shows each mistake failing to compile (ctest
// sm.table_compile_fail.*).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace bastion::sm {

// Who calls: secure partitions have their (positive) partition id,
// non-secure clients negative ids. Zero is nobody.
using ClientId = int32_t;
using PartitionId = int32_t;

constexpr bool IsSecureClient(ClientId id) { return id > 0; }
constexpr bool IsNonSecureClient(ClientId id) { return id < 0; }

enum class PartitionKind : uint8_t {
  kPsaRot,          // crypto, storage, attestation: the most trusted
  kApplicationRot,  // product services
};

enum class ServiceModel : uint8_t {
  kStateless,        // called with a fixed handle, no connection
  kConnectionBased,  // psa_connect, psa_call..., psa_close
};

// Which clients may call a service: every non-secure client, and/or a list
// of client ids (secure partitions or named non-secure clients).
struct CallerPolicy {
  bool any_non_secure = false;
  std::span<const ClientId> clients = {};

  constexpr bool Allows(ClientId client) const {
    if (client == 0) return false;
    if (any_non_secure && IsNonSecureClient(client)) return true;
    for (ClientId allowed : clients) {
      if (allowed == client) return true;
    }
    return false;
  }
  constexpr bool Empty() const { return !any_non_secure && clients.empty(); }
};

struct ServiceDecl {
  const char* name;
  uint32_t sid;
  uint32_t version;  // >= 1; a connection asks for 1..version ("relaxed" policy)
  ServiceModel model;
  CallerPolicy callers;
};

struct PartitionDecl {
  const char* name;
  PartitionId id;  // > 0, unique
  PartitionKind kind;
  std::span<const ServiceDecl> services;
  uint32_t storage_quota_bytes;  // ITS/PS bytes the partition may own
  uint16_t key_slots;            // persistent/volatile key slots it may own
  uint32_t stack_bytes;          // stack budget
  uint32_t memory_bytes;         // static data budget (its state object)
};

// What is wrong with a table; kNone when it is valid.
enum class TableError : uint8_t {
  kNone,
  kEmpty,
  kNonPositivePartitionId,
  kDuplicatePartitionId,
  kDuplicateSid,
  kServiceNobodyMayCall,
  kZeroClientId,
  kUnknownSecureCaller,  // a caller list names a partition id not in the table
  kInvalidVersion,       // version 0, or a stateless version above 255
  kTooManyStatelessServices,
};

// Stateless services get handles that name them: at most this many.
inline constexpr size_t kMaxStatelessServices = 32;

constexpr TableError PartitionTableError(std::span<const PartitionDecl> table) {
  if (table.empty()) return TableError::kEmpty;
  size_t stateless = 0;
  for (size_t i = 0; i < table.size(); ++i) {
    const PartitionDecl& p = table[i];
    if (p.id <= 0) return TableError::kNonPositivePartitionId;
    for (size_t j = 0; j < i; ++j) {
      if (table[j].id == p.id) return TableError::kDuplicatePartitionId;
    }
    for (const ServiceDecl& s : p.services) {
      if (s.callers.Empty()) return TableError::kServiceNobodyMayCall;
      if (s.version == 0) return TableError::kInvalidVersion;
      if (s.model == ServiceModel::kStateless) {
        if (s.version > 0xFF) return TableError::kInvalidVersion;
        ++stateless;
      }
      for (ClientId c : s.callers.clients) {
        if (c == 0) return TableError::kZeroClientId;
        if (IsSecureClient(c)) {
          bool known = false;
          for (const PartitionDecl& q : table) known = known || q.id == c;
          if (!known) return TableError::kUnknownSecureCaller;
        }
      }
      // The SID must be unique across the whole table.
      size_t seen = 0;
      for (const PartitionDecl& q : table) {
        for (const ServiceDecl& t : q.services) seen += t.sid == s.sid ? 1 : 0;
      }
      if (seen != 1) return TableError::kDuplicateSid;
    }
  }
  if (stateless > kMaxStatelessServices) return TableError::kTooManyStatelessServices;
  return TableError::kNone;
}

// Stateless handles (FF-M 1.1 leaves their value to the implementation):
// bit 30 set (connection handles stay below it), the service version the
// client was built against in bits 15..8, and the service's index among the
// table's stateless services (in declaration order) in bits 4..0.
inline constexpr int32_t kStatelessHandleFlag = 0x40000000;

constexpr bool IsStatelessHandle(int32_t handle) {
  return handle > 0 && (handle & kStatelessHandleFlag) != 0;
}

// The stateless handle of `sid` at `version`, or 0 when the table has no
// stateless service `sid`. Clients use it as a constant.
constexpr int32_t StatelessHandle(std::span<const PartitionDecl> table, uint32_t sid,
                                  uint32_t version) {
  int32_t index = 0;
  for (const PartitionDecl& p : table) {
    for (const ServiceDecl& s : p.services) {
      if (s.model != ServiceModel::kStateless) continue;
      if (s.sid == sid) {
        return kStatelessHandleFlag | static_cast<int32_t>((version & 0xFF) << 8) | index;
      }
      ++index;
    }
  }
  return 0;
}

}  // namespace bastion::sm

// Fails the build with the reason in the diagnostic.
#define BASTION_SM_CHECK_PARTITION_TABLE(table)                                                \
  static_assert(::bastion::sm::PartitionTableError(table) !=                                   \
                    ::bastion::sm::TableError::kNonPositivePartitionId,                        \
                "partition table: a partition id is not positive");                            \
  static_assert(::bastion::sm::PartitionTableError(table) !=                                   \
                    ::bastion::sm::TableError::kDuplicatePartitionId,                          \
                "partition table: duplicate partition id");                                    \
  static_assert(                                                                               \
      ::bastion::sm::PartitionTableError(table) != ::bastion::sm::TableError::kDuplicateSid,   \
      "partition table: duplicate SID");                                                       \
  static_assert(::bastion::sm::PartitionTableError(table) !=                                   \
                    ::bastion::sm::TableError::kServiceNobodyMayCall,                          \
                "partition table: a service nobody may call");                                 \
  static_assert(::bastion::sm::PartitionTableError(table) == ::bastion::sm::TableError::kNone, \
                "partition table: invalid declaration (see PartitionTableError)")
