// StorageService: the partition that serves Internal Trusted Storage or
// Protected Storage (include/bastion/services.h: request types and vector
// layouts) over a storage engine (its::Store, ps::Store).
//
// The caller's uid lives in the namespace of the client id the SPM vouches
// for, so another client's uid is indistinguishable from a missing one. Each
// client's data is bounded by its quota: a secure partition's
// storage_quota_bytes from the partition table, `non_secure_quota` for
// every non-secure client.
//
// Its only volatile state is the engine's index, rebuilt from flash by
// Restart() (start-up and after a fault), and one object buffer, wiped
// after every request.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "bastion/protected_storage_admin.h"
#include "bastion/services.h"
#include "common/bytes.h"
#include "psa/storage_common.h"
#include "sm/partition.h"
#include "sm/partition_table.h"

namespace bastion::storage_service {

// What differs between the two services.
struct ServiceTraits {
  bool protected_storage;  // answers GET_SUPPORT, CREATE, SET_EXTENDED
};

// The message-level work, independent of the engine type.
class StorageServiceBase {
 protected:
  // Reads input `index` that must be exactly `size` bytes; false otherwise.
  static bool ReadExact(sm::Message& message, size_t index, void* out, size_t size);
  static bool ReadUid(sm::Message& message, uint64_t* uid);
  static bool ReadU32(sm::Message& message, size_t index, uint32_t* value);
  // Writes the 12-byte info record (capacity, size, flags) to output 0.
  static psa_status_t WriteInfo(sm::Message& message, uint32_t capacity, uint32_t size,
                                uint32_t flags);
  // The quota of `client` under `table`.
  static uint32_t QuotaOf(std::span<const sm::PartitionDecl> table, uint32_t non_secure_quota,
                          sm::ClientId client);
};

template <typename Store, size_t kMaxObject>
class StorageService final : public sm::Partition, private StorageServiceBase {
 public:
  StorageService(Store& store, std::span<const sm::PartitionDecl> table, uint32_t non_secure_quota,
                 ServiceTraits traits)
      : store_(store), table_(table), non_secure_quota_(non_secure_quota), traits_(traits) {}

  sm::Reply Serve(const sm::ServiceDecl& service, sm::Message& message) override {
    const psa_status_t status =
        service.sid == BASTION_PS_ADMIN_SID ? HandleAdmin(message) : Handle(message);
    SecureWipe(buffer_, sizeof(buffer_));
    if (message.misused()) return sm::Reply::Fault();
    return sm::Reply::Status(status);
  }

  void Restart(const sm::PartitionDecl& /*declaration*/) override {
    SecureWipe(buffer_, sizeof(buffer_));
    opened_ = store_.Open().ok();
  }

  // The engine opened at the last restart.
  bool opened() const { return opened_; }

 private:
  psa_status_t Handle(sm::Message& m) {
    if (m.type() == sm::kMessageConnect || m.type() == sm::kMessageDisconnect) {
      return PSA_SUCCESS;  // stateless: the SPM never sends these
    }
    if (!opened_) return PSA_ERROR_STORAGE_FAILURE;
    const sm::ClientId owner = m.client_id();
    uint64_t uid = 0;
    switch (m.type()) {
      case BASTION_STORAGE_SET: {
        uint32_t flags = 0;
        if (!ReadUid(m, &uid) || !ReadU32(m, 2, &flags)) return PSA_ERROR_PROGRAMMER_ERROR;
        const size_t size = m.in_size(1);
        if (size > kMaxObject) return PSA_ERROR_INSUFFICIENT_STORAGE;
        if (m.Read(1, std::span<uint8_t>(buffer_, size)) != size) {
          return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return store_.Set(owner, uid, ConstByteSpan(buffer_, size), flags,
                          QuotaOf(table_, non_secure_quota_, owner));
      }
      case BASTION_STORAGE_GET: {
        uint32_t offset = 0;
        if (!ReadUid(m, &uid) || !ReadU32(m, 1, &offset)) return PSA_ERROR_PROGRAMMER_ERROR;
        const size_t want = m.out_size(0) < kMaxObject ? m.out_size(0) : kMaxObject;
        size_t length = 0;
        const psa_status_t status =
            store_.Get(owner, uid, offset, ByteSpan(buffer_, want), &length);
        if (status != PSA_SUCCESS) return status;
        if (!m.Write(0, ConstByteSpan(buffer_, length))) return PSA_ERROR_PROGRAMMER_ERROR;
        return PSA_SUCCESS;
      }
      case BASTION_STORAGE_GET_INFO: {
        if (!ReadUid(m, &uid)) return PSA_ERROR_PROGRAMMER_ERROR;
        struct psa_storage_info_t info {};
        const psa_status_t status = store_.GetInfo(owner, uid, &info);
        if (status != PSA_SUCCESS) return status;
        return WriteInfo(m, static_cast<uint32_t>(info.capacity), static_cast<uint32_t>(info.size),
                         info.flags);
      }
      case BASTION_STORAGE_REMOVE:
        if (!ReadUid(m, &uid)) return PSA_ERROR_PROGRAMMER_ERROR;
        return store_.Remove(owner, uid);
      case BASTION_STORAGE_GET_SUPPORT: {
        if (!traits_.protected_storage) return PSA_ERROR_NOT_SUPPORTED;
        const uint8_t none[4] = {0, 0, 0, 0};  // no PSA_STORAGE_SUPPORT_SET_EXTENDED
        if (m.out_size(0) != sizeof(none)) return PSA_ERROR_PROGRAMMER_ERROR;
        return m.Write(0, none) ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR;
      }
      case BASTION_STORAGE_CREATE:
      case BASTION_STORAGE_SET_EXTENDED:
        return PSA_ERROR_NOT_SUPPORTED;
      default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  // The administration service (a store that can be formatted: PS).
  psa_status_t HandleAdmin(sm::Message& m) {
    if (m.type() == sm::kMessageConnect || m.type() == sm::kMessageDisconnect) {
      return PSA_SUCCESS;
    }
    if constexpr (requires(Store & s) {
                    s.Format();
                    s.health_code();
                  }) {
      switch (m.type()) {
        case BASTION_PS_ADMIN_HEALTH: {
          if (m.out_size(0) != 4) return PSA_ERROR_PROGRAMMER_ERROR;
          uint8_t bytes[4];
          StoreLe32(bytes, opened_ ? store_.health_code() : BASTION_PS_HEALTH_UNAVAILABLE);
          return m.Write(0, bytes) ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR;
        }
        case BASTION_PS_ADMIN_FORMAT:
          if (!opened_) opened_ = store_.Open().ok();
          if (!opened_ || !store_.Format().ok()) return PSA_ERROR_STORAGE_FAILURE;
          opened_ = store_.Open().ok();
          return opened_ ? PSA_SUCCESS : PSA_ERROR_STORAGE_FAILURE;
        default:
          return PSA_ERROR_NOT_SUPPORTED;
      }
    } else {
      return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  Store& store_;
  std::span<const sm::PartitionDecl> table_;
  uint32_t non_secure_quota_;
  ServiceTraits traits_;
  bool opened_ = false;
  uint8_t buffer_[kMaxObject] = {};
};

}  // namespace bastion::storage_service
