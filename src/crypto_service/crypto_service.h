// CryptoService: the crypto partition. It serves BASTION_CRYPTO_SID as
// include/bastion/crypto_service.h lays it out, over Mbed TLS's PSA Crypto
// core built in SPM mode (every psa_* function of the core is renamed
// bastion_core_psa_*; cmake/mbedtls.cmake). docs/crypto.md describes it.
//
// Ownership. Every key id a client names is paired with the client id the
// SPM vouches for (mbedtls_svc_key_id_make(client, id)): another client's
// key answers exactly like a missing one (PSA_ERROR_INVALID_HANDLE).
// Multi-part operations live in fixed tables, one per kind (hash, MAC,
// cipher, AEAD, key derivation); a handle names a table entry, its owner and
// a generation, so a stale, foreign or unknown handle answers
// PSA_ERROR_BAD_STATE.
//
// Limits (decisions, docs/crypto.md):
//   - kMaxCallData bytes of input per call (all input vectors but the
//     parameter block together), and as much output as the work buffer has
//     left after the inputs (at least kMaxCallData): more input answers
//     PSA_ERROR_INSUFFICIENT_MEMORY. GENERATE_RANDOM has no limit (it is
//     served in chunks).
//   - keys per client (volatile keys in the core's slots plus persistent
//     keys in storage): the table's key_slots for a secure partition,
//     non_secure_key_slots for every non-secure client; past it, creating a
//     key answers PSA_ERROR_INSUFFICIENT_MEMORY. The core's own limit
//     (MBEDTLS_PSA_KEY_SLOT_COUNT) answers the same.
//   - kOperationsPerKind entries per operation table, at most
//     kOperationsPerClient of them for one client: past either, a setup
//     answers PSA_ERROR_INSUFFICIENT_MEMORY.
//
// Persistent keys are files of the Secure Manager's ITS store, owned by the
// crypto partition's own id (`self`), which no client can use: the ITS
// service cannot reach them. The store's set is atomic, so a key is either
// stored whole or not at all.
//
// Built-in keys (BASTION_CRYPTO_BUILTIN_KEY_*): imported on first use as
// volatile keys owned by `self`, for the clients `iak_clients` /
// `huk_clients` list; every other client gets PSA_ERROR_INVALID_HANDLE.
// Export, copy and destroy answer PSA_ERROR_NOT_PERMITTED; exporting the
// IAK's public key is allowed. Attributes read back with the built-in id and
// a read-only lifetime.
//   IAK          ECC P-256 key pair (attestation/iak.h), ECDSA(SHA-256):
//                sign and verify, hash and message.
//   HUK-derived  per client: HKDF-SHA-256(salt "", the storage seed,
//                info "bastion huk key" || client id, 4 bytes LE), 32 bytes,
//                a PSA_KEY_TYPE_DERIVE key for HKDF(SHA-256) (the core lets
//                a key have one type: an HMAC key cannot be a derivation
//                secret, so HMAC keys are derived from it).
//
// The core is process-global: one CryptoService at a time owns it, from its
// first Restart() until its destructor. Another instance's service answers
// PSA_ERROR_SERVICE_FAILURE to everything and touches nothing. Restart()
// aborts every operation, frees the core (all volatile keys go) and
// initialises it again.
//
// No heap: the core allocates from the crypto facade's static arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "its/its_store.h"
#include "platform/platform.h"
#include "psa/error.h"
#include "sm/partition.h"
#include "sm/partition_table.h"

namespace bastion::crypto_service {

// Input bytes one call may carry (the gateway carries up to 17 KiB a vector).
inline constexpr size_t kMaxCallData = 17 * 1024;
// The partition's work buffer: the inputs, then the output.
inline constexpr size_t kWorkBufferSize = 2 * kMaxCallData;
inline constexpr size_t kOperationsPerKind = 8;
inline constexpr size_t kOperationsPerClient = 4;

struct CryptoServiceConfig {
  sm::PartitionId self;  // the crypto partition's id: owner of its files and built-in keys
  std::span<const sm::PartitionDecl> table;   // key_slots per secure partition
  uint16_t non_secure_key_slots;              // keys each non-secure client may hold
  its::Store* store;                          // persistent keys (the SM's ITS store)
  uint32_t storage_quota_bytes;               // ITS bytes all persistent keys may take
  platform::Rng* rng;                         // the core's randomness
  std::span<const sm::ClientId> iak_clients;  // who may use the IAK
  std::span<const sm::ClientId> huk_clients;  // who gets a HUK-derived key
};

class CryptoService final : public sm::Partition {
 public:
  // `attestation_seed` (the IAK's) and `storage_seed` (the HUK-derived
  // keys') are copied, kept for re-deriving built-in keys after a restart,
  // and wiped by the destructor.
  CryptoService(const CryptoServiceConfig& config, std::span<const uint8_t, 32> attestation_seed,
                std::span<const uint8_t, 32> storage_seed);
  ~CryptoService();
  CryptoService(const CryptoService&) = delete;
  CryptoService& operator=(const CryptoService&) = delete;

  sm::Reply Serve(const sm::ServiceDecl& service, sm::Message& message) override;
  void Restart(const sm::PartitionDecl& declaration) override;

  // Whether this instance owns the core (false: another one does, or the
  // core failed to start).
  bool ready() const { return ready_; }

  // Aborts every operation `client` holds (a client that went away). Its
  // keys stay. For the Secure Manager / gateway.
  void ReleaseClient(sm::ClientId client);

  // Operations `client` holds, all kinds together.
  size_t OperationsOf(sm::ClientId client) const;

  // In-process API for other partitions, under the same ownership rules as
  // the service (the caller's id as the SPM would give it):
  // psa_sign_hash: PSA_SUCCESS (*length set), or psa_sign_hash's codes
  // (PSA_ERROR_INVALID_HANDLE for a key the caller does not have,
  // PSA_ERROR_BUFFER_TOO_SMALL, PSA_ERROR_NOT_PERMITTED, ...);
  // PSA_ERROR_SERVICE_FAILURE when the service is not ready.
  psa_status_t SignHash(sm::ClientId caller, uint32_t key, uint32_t alg, ConstByteSpan hash,
                        ByteSpan signature, size_t* length);
  // psa_export_public_key, with the same rules.
  psa_status_t ExportPublicKey(sm::ClientId caller, uint32_t key, ByteSpan data, size_t* length);

  // The operation tables and key bookkeeping (crypto_service.cpp: they hold
  // Mbed TLS types, which this header keeps away from its users), in
  // kStateSize bytes of inline storage.
  struct State;
  static constexpr size_t kStateSize = 16 * 1024;

 private:
  State& state();
  const State& state() const;

  CryptoServiceConfig config_;
  uint8_t attestation_seed_[32];
  uint8_t storage_seed_[32];
  bool ready_ = false;
  alignas(16) uint8_t state_storage_[kStateSize];
  uint8_t work_[kWorkBufferSize];
};

}  // namespace bastion::crypto_service
