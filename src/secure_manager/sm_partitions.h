// The Secure Manager's partition table: every partition it runs and the
// services they offer (checked at compile time, partition_table.h).
//
//   its       (id 1, PSA RoT)  Internal Trusted Storage   any non-secure client
//   ps        (id 2, PSA RoT)  Protected Storage          any non-secure client
//                              its administration         the clients listed below
//   platform  (id 3, PSA RoT)  platform service           any non-secure client
//                              revocation submission      the clients listed below
//   crypto    (id 4, PSA RoT)  PSA Crypto (docs/crypto.md) any non-secure client
//   attestation (id 5, PSA RoT) Initial Attestation      any non-secure client
//                              (docs/attestation.md); the only client of the
//                              attestation key
//
// The stateless handles of include/bastion/services.h are the services'
// positions in this table: the static_asserts below keep them in step.
#pragma once

#include <array>
#include <cstdint>

#include "bastion/services.h"
#include "sm/partition_table.h"

namespace bastion::secure_manager {

inline constexpr sm::PartitionId kItsPartition = 1;
inline constexpr sm::PartitionId kPsPartition = 2;
inline constexpr sm::PartitionId kPlatformPartition = 3;
inline constexpr sm::PartitionId kCryptoPartition = 4;
inline constexpr sm::PartitionId kAttestationPartition = 5;

// Keys each non-secure client may hold in the crypto partition (volatile
// keys and persistent keys together); a secure partition holds its
// declaration's key_slots.
inline constexpr uint16_t kNonSecureKeySlots = 16;
// Who may use the Initial Attestation Key (BASTION_CRYPTO_BUILTIN_KEY_IAK).
inline constexpr sm::ClientId kIakClients[] = {kAttestationPartition};
// The secure partitions that get a HUK-derived key
// (BASTION_CRYPTO_BUILTIN_KEY_HUK_DERIVED): none of today's partitions
// needs one (ITS and PS derive their keys from the storage seed in the
// Secure Manager itself). Non-secure clients never get one.
inline constexpr std::array<sm::ClientId, 0> kHukKeyClients{};
// ITS bytes the crypto partition's persistent keys may take, all clients
// together (its files are owned by kCryptoPartition, which no client can use).
inline constexpr uint32_t kCryptoStorageQuota = 16 * 1024;

// Bytes of ITS and of PS each non-secure client may own.
inline constexpr uint32_t kNonSecureStorageQuota = 8 * 1024;

// Who may hand revocation commands to the boot chain: the application. (The
// signatures inside are the authority; this list says who may be a courier.)
inline constexpr sm::ClientId kRevocationClients[] = {BASTION_NS_CLIENT_APP};

inline constexpr sm::ServiceDecl kItsServices[] = {
    {.name = "its",
     .sid = BASTION_ITS_SID,
     .version = BASTION_ITS_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true}},
};
// Who may erase Protected Storage (after a detected rollback): the application.
inline constexpr sm::ClientId kPsAdminClients[] = {BASTION_NS_CLIENT_APP};

inline constexpr sm::ServiceDecl kPsServices[] = {
    {.name = "ps",
     .sid = BASTION_PS_SID,
     .version = BASTION_PS_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true}},
    {.name = "ps-admin",
     .sid = BASTION_PS_ADMIN_SID,
     .version = BASTION_PS_ADMIN_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.clients = kPsAdminClients}},
};
inline constexpr sm::ServiceDecl kPlatformServices[] = {
    {.name = "platform",
     .sid = BASTION_PLATFORM_SID,
     .version = BASTION_PLATFORM_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true}},
    {.name = "revocation",
     .sid = BASTION_REVOCATION_SID,
     .version = BASTION_REVOCATION_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.clients = kRevocationClients}},
};

inline constexpr sm::ServiceDecl kCryptoServices[] = {
    {.name = "crypto",
     .sid = BASTION_CRYPTO_SID,
     .version = BASTION_CRYPTO_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true}},
};
inline constexpr sm::ServiceDecl kAttestationServices[] = {
    {.name = "attestation",
     .sid = BASTION_ATTESTATION_SID,
     .version = BASTION_ATTESTATION_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true}},
};

inline constexpr sm::PartitionDecl kPartitions[] = {
    {.name = "its",
     .id = kItsPartition,
     .kind = sm::PartitionKind::kPsaRot,
     .services = kItsServices,
     .storage_quota_bytes = 0,
     .key_slots = 0,
     .stack_bytes = 2048,
     .memory_bytes = 8192},
    {.name = "ps",
     .id = kPsPartition,
     .kind = sm::PartitionKind::kPsaRot,
     .services = kPsServices,
     .storage_quota_bytes = 0,
     .key_slots = 0,
     .stack_bytes = 2048,
     .memory_bytes = 8192},
    {.name = "platform",
     .id = kPlatformPartition,
     .kind = sm::PartitionKind::kPsaRot,
     .services = kPlatformServices,
     .storage_quota_bytes = 0,
     .key_slots = 0,
     .stack_bytes = 2048,
     .memory_bytes = 1024},
    // key_slots: the crypto partition's own keys, the built-in ones (the
    // IAK and one HUK-derived key per kHukKeyClients entry).
    {.name = "crypto",
     .id = kCryptoPartition,
     .kind = sm::PartitionKind::kPsaRot,
     .services = kCryptoServices,
     .storage_quota_bytes = kCryptoStorageQuota,
     .key_slots = 1 + kHukKeyClients.size(),
     .stack_bytes = 4096,
     .memory_bytes = 56 * 1024},
    // The token is built in the partition (1 KiB) and its claims map is
    // sized on the stack (1 KiB), beside a SHA-256 and an ECDSA signature.
    {.name = "attestation",
     .id = kAttestationPartition,
     .kind = sm::PartitionKind::kPsaRot,
     .services = kAttestationServices,
     .storage_quota_bytes = 0,
     .key_slots = 0,
     .stack_bytes = 4096,
     .memory_bytes = 2048},
};
BASTION_SM_CHECK_PARTITION_TABLE(kPartitions);

inline constexpr size_t kPartitionCount = sizeof(kPartitions) / sizeof(kPartitions[0]);

static_assert(sm::StatelessHandle(kPartitions, BASTION_ITS_SID, BASTION_ITS_VERSION) ==
              BASTION_ITS_HANDLE);
static_assert(sm::StatelessHandle(kPartitions, BASTION_PS_SID, BASTION_PS_VERSION) ==
              BASTION_PS_HANDLE);
static_assert(sm::StatelessHandle(kPartitions, BASTION_PS_ADMIN_SID, BASTION_PS_ADMIN_VERSION) ==
              BASTION_PS_ADMIN_HANDLE);
static_assert(sm::StatelessHandle(kPartitions, BASTION_PLATFORM_SID, BASTION_PLATFORM_VERSION) ==
              BASTION_PLATFORM_HANDLE);
static_assert(sm::StatelessHandle(kPartitions, BASTION_REVOCATION_SID,
                                  BASTION_REVOCATION_VERSION) == BASTION_REVOCATION_HANDLE);
static_assert(sm::StatelessHandle(kPartitions, BASTION_CRYPTO_SID, BASTION_CRYPTO_VERSION) ==
              BASTION_CRYPTO_HANDLE);
static_assert(sm::StatelessHandle(kPartitions, BASTION_ATTESTATION_SID,
                                  BASTION_ATTESTATION_VERSION) == BASTION_ATTESTATION_HANDLE);

}  // namespace bastion::secure_manager
