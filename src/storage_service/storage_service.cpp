#include "storage_service/storage_service.h"

namespace bastion::storage_service {

bool StorageServiceBase::ReadExact(sm::Message& message, size_t index, void* out, size_t size) {
  if (message.in_size(index) != size) return false;
  return message.Read(index, std::span<uint8_t>(static_cast<uint8_t*>(out), size)) == size;
}

bool StorageServiceBase::ReadUid(sm::Message& message, uint64_t* uid) {
  uint8_t bytes[8];
  if (!ReadExact(message, 0, bytes, sizeof(bytes))) return false;
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(bytes); ++i) value |= uint64_t{bytes[i]} << (8 * i);
  *uid = value;
  return true;
}

bool StorageServiceBase::ReadU32(sm::Message& message, size_t index, uint32_t* value) {
  uint8_t bytes[4];
  if (!ReadExact(message, index, bytes, sizeof(bytes))) return false;
  *value = LoadLe32(bytes);
  return true;
}

psa_status_t StorageServiceBase::WriteInfo(sm::Message& message, uint32_t capacity,
                                           uint32_t size, uint32_t flags) {
  if (message.out_size(0) != BASTION_STORAGE_INFO_SIZE) return PSA_ERROR_PROGRAMMER_ERROR;
  uint8_t bytes[BASTION_STORAGE_INFO_SIZE];
  StoreLe32(bytes, capacity);
  StoreLe32(bytes + 4, size);
  StoreLe32(bytes + 8, flags);
  return message.Write(0, bytes) ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR;
}

uint32_t StorageServiceBase::QuotaOf(std::span<const sm::PartitionDecl> table,
                                     uint32_t non_secure_quota, sm::ClientId client) {
  if (sm::IsNonSecureClient(client)) return non_secure_quota;
  for (const sm::PartitionDecl& p : table) {
    if (p.id == client) return p.storage_quota_bytes;
  }
  return 0;
}

}  // namespace bastion::storage_service
