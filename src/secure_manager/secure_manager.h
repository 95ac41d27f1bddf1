// SecureManager: the Secure Manager put together: the SPM, the partitions
// of sm_partitions.h, and the stores they serve from.
//
// The owner (the host's device runtime, the Cortex-M33 SM image) gives it
// where its storage lives, the storage seed uROT handed down, its own copy
// of the boot report, the mailbox RAM, and the CallerMemory its gateway
// fills for each request; then calls Start() and passes client requests to
// spm(). Keys are derived from the seed here and never leave the object:
//
//   ITS record MAC key  = HKDF-SHA-256(seed, info "bastion its mac")
//   PS root key         = HKDF-SHA-256(seed, info "bastion ps root")
//
// The crypto partition copies the attestation seed (the IAK's,
// src/attestation/iak.h) and the storage seed (the HUK-derived keys') for
// its built-in keys. At the attestation service's first request (not at
// start: the IAK's public key costs a scalar multiplication) the SM takes the
// IAK's public key from it and a boot seed from the RNG, once per boot, and
// gathers the attestation claims from the boot report and the flash key store
// (src/attestation/claims.h); the token is signed by the crypto partition as
// the attestation partition.
//
// Holds no heap memory; one object per device.
#pragma once

#include <cstdint>
#include <span>

#include "attestation/attestation_service.h"
#include "attestation/token.h"
#include "boot/boot_report.h"
#include "common/status.h"
#include "crypto_service/crypto_service.h"
#include "its/its_store.h"
#include "platform/platform.h"
#include "platform_service/platform_service.h"
#include "ps/ps_store.h"
#include "secure_manager/sm_partitions.h"
#include "sm/spm.h"
#include "storage_service/storage_service.h"

namespace bastion::secure_manager {

// Where the stores live.
struct StorageRegion {
  platform::Flash* flash = nullptr;
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct SecureManagerConfig {
  StorageRegion its;                              // internal flash, the layout's storage region
  StorageRegion ps;                               // the external flash
  std::span<const uint8_t, 32> seed;              // SmHandoff::storage_key (copied, not kept)
  std::span<const uint8_t, 32> attestation_seed;  // SmHandoff::attestation_seed (copied, not kept)
  const boot::BootReport* report;                 // the SM's own copy; null when there is none
  platform::SharedRam* ram;                       // the mailbox; null when there is none
  platform::Rng* rng;  // Protected Storage's root salt, the crypto core's randomness
  // The flash key store in the internal flash (`its.flash`): the signer ids
  // of the attestation token. Empty: no token (no signer ids).
  otp::FlashRegion key_store{};
};

// Connections the SPM can hold at once.
inline constexpr size_t kConnections = 8;

class SecureManager {
 public:
  SecureManager(const SecureManagerConfig& config, sm::CallerMemory& memory);
  // (SecureManagerConfig::rng: where Protected Storage takes a fresh salt
  // when it makes a new root.)
  ~SecureManager();
  SecureManager(const SecureManager&) = delete;
  SecureManager& operator=(const SecureManager&) = delete;

  // Starts the SPM, which (re)starts every partition: the stores are opened
  // from flash. kOk even when a store cannot open (its service then answers
  // PSA_ERROR_STORAGE_FAILURE: the rest of the device works); an error only
  // when the SPM itself cannot start or the keys cannot be derived.
  Status Start();

  sm::Spm& spm() { return spm_; }
  // Whether each store opened at the last (re)start.
  bool its_ready() const { return its_service_.opened(); }
  bool ps_ready() const { return ps_service_.opened(); }
  // The crypto partition (for the gateway's ReleaseClient, and in-process
  // calls of other partitions).
  crypto_service::CryptoService& crypto() { return crypto_service_; }
  // Engine statistics (operator's view, figures).
  its::StoreStats its_stats() const { return its_store_.stats(); }

 private:
  struct Keys {
    uint8_t its[its::kKeySize];
    uint8_t ps[ps::kRootKeySize];
    bool derived;
  };
  static Keys DeriveKeys(std::span<const uint8_t, 32> seed);

  Keys keys_;  // wiped once the stores took their copies
  const boot::BootReport empty_report_{};
  its::ItsStore its_store_;
  ps::Store ps_store_;
  storage_service::StorageService<its::Store, its::kMaxObjectSize> its_service_;
  storage_service::StorageService<ps::Store, ps::kMaxObjectSize> ps_service_;
  platform_service::PlatformService platform_service_;
  crypto_service::CryptoService crypto_service_;
  // The token's signer: the IAK, a built-in key of the crypto partition,
  // used as the attestation partition (the only client allowed to).
  class CryptoIakSigner final : public attestation::TokenSigner {
   public:
    explicit CryptoIakSigner(crypto_service::CryptoService& crypto) : crypto_(crypto) {}
    psa_status_t SignHash(std::span<const uint8_t, 32> sha256,
                          std::span<uint8_t, attestation::kSignatureSize> raw_signature) override;
    // The IAK's public key (uncompressed point) from the crypto partition.
    psa_status_t PublicKey(crypto::EcPublicKey* out);

   private:
    crypto_service::CryptoService& crypto_;
  } iak_signer_{crypto_service_};
  // The token's claims, gathered at the attestation service's first request
  // (never if nobody asks): the IAK's public key from the crypto partition,
  // a boot seed from the RNG, the boot report and the signer ids.
  class LazyClaims final : public attestation::ClaimsSource {
   public:
    LazyClaims(const SecureManagerConfig& config, CryptoIakSigner& signer)
        : report_(config.report),
          rng_(config.rng),
          its_flash_(config.its.flash),
          key_store_(config.key_store),
          signer_(signer) {}
    ~LazyClaims() { SecureWipe(&claims_, sizeof(claims_)); }
    const attestation::TokenClaims* Claims() override;

   private:
    const boot::BootReport* report_;
    platform::Rng* rng_;
    platform::Flash* its_flash_;
    otp::FlashRegion key_store_;
    CryptoIakSigner& signer_;
    attestation::TokenClaims claims_{};
    bool gathered_ = false;
    bool ready_ = false;
  } claims_;
  attestation::AttestationService attestation_service_;
  sm::Partition* const partitions_[kPartitionCount];
  sm::SpmBuffer<kPartitionCount, kConnections> spm_;
};

}  // namespace bastion::secure_manager
