#include "secure_manager/secure_manager.h"

#include <cstring>

#include "attestation/claims.h"
#include "attestation/iak.h"
#include "bastion/crypto_service.h"
#include "crypto/crypto.h"

namespace bastion::secure_manager {
namespace {

constexpr char kItsInfo[] = "bastion its mac";
constexpr char kPsInfo[] = "bastion ps root";
// PSA_ALG_ECDSA(PSA_ALG_SHA_256): the IAK's algorithm (psa/crypto_values.h
// stays out of the Secure Manager's own code).
constexpr uint32_t kEcdsaSha256 = 0x06000609;

ConstByteSpan Text(const char* text) {
  return ConstByteSpan(reinterpret_cast<const uint8_t*>(text), std::strlen(text));
}

platform::Flash& FlashOf(const StorageRegion& region, platform::Flash& fallback) {
  return region.flash != nullptr ? *region.flash : fallback;
}

}  // namespace

SecureManager::Keys SecureManager::DeriveKeys(std::span<const uint8_t, 32> seed) {
  Keys keys{};
  keys.derived = crypto::HkdfSha256({}, seed, Text(kItsInfo), keys.its).ok() &&
                 crypto::HkdfSha256({}, seed, Text(kPsInfo), keys.ps).ok();
  return keys;
}

SecureManager::SecureManager(const SecureManagerConfig& config, sm::CallerMemory& memory)
    : keys_(DeriveKeys(config.seed)),
      its_store_(*config.its.flash, config.its.offset, config.its.size,
                 std::span<const uint8_t, its::kKeySize>(keys_.its)),
      ps_store_(FlashOf(config.ps, *config.its.flash), config.ps.offset,
                config.ps.flash != nullptr ? config.ps.size : 0, its_store_, kPsPartition,
                *config.rng, std::span<const uint8_t, ps::kRootKeySize>(keys_.ps)),
      its_service_(its_store_, kPartitions, kNonSecureStorageQuota, {.protected_storage = false}),
      ps_service_(ps_store_, kPartitions, kNonSecureStorageQuota, {.protected_storage = true}),
      platform_service_(config.report != nullptr ? *config.report : empty_report_,
                        config.report != nullptr, config.ram, kPartitions),
      crypto_service_(
          {
              .self = kCryptoPartition,
              .table = kPartitions,
              .non_secure_key_slots = kNonSecureKeySlots,
              .store = &its_store_,
              .storage_quota_bytes = kCryptoStorageQuota,
              .rng = config.rng,
              .iak_clients = kIakClients,
              .huk_clients = kHukKeyClients,
          },
          config.attestation_seed, config.seed),
      claims_(config, iak_signer_),
      attestation_service_(claims_, iak_signer_),
      partitions_{&its_service_, &ps_service_, &platform_service_, &crypto_service_,
                  &attestation_service_},
      spm_(kPartitions, partitions_, memory) {
  platform_service_.set_spm(&spm_);
  SecureWipe(keys_.its, sizeof(keys_.its));
  SecureWipe(keys_.ps, sizeof(keys_.ps));
}

psa_status_t SecureManager::CryptoIakSigner::SignHash(
    std::span<const uint8_t, 32> sha256,
    std::span<uint8_t, attestation::kSignatureSize> raw_signature) {
  size_t length = 0;
  const psa_status_t status =
      crypto_.SignHash(kAttestationPartition, BASTION_CRYPTO_BUILTIN_KEY_IAK, kEcdsaSha256, sha256,
                       raw_signature, &length);
  if (status != PSA_SUCCESS || length != raw_signature.size()) {
    SecureWipe(raw_signature.data(), raw_signature.size());
    return status != PSA_SUCCESS ? status : PSA_ERROR_SERVICE_FAILURE;
  }
  return PSA_SUCCESS;
}

psa_status_t SecureManager::CryptoIakSigner::PublicKey(crypto::EcPublicKey* out) {
  size_t length = 0;
  const psa_status_t status = crypto_.ExportPublicKey(
      kAttestationPartition, BASTION_CRYPTO_BUILTIN_KEY_IAK, out->point, &length);
  if (status != PSA_SUCCESS) return status;
  out->curve = crypto::Curve::kP256;
  out->point_size = length;
  return PSA_SUCCESS;
}

const attestation::TokenClaims* SecureManager::LazyClaims::Claims() {
  if (gathered_) return ready_ ? &claims_ : nullptr;
  gathered_ = true;  // once per boot, whatever the outcome
  crypto::EcPublicKey iak;
  uint8_t key_hash[32];
  uint8_t boot_seed[attestation::kBootSeedSize];
  if (rng_ == nullptr || report_ == nullptr || its_flash_ == nullptr ||
      signer_.PublicKey(&iak) != PSA_SUCCESS || !attestation::IakKeyHash(iak, key_hash).ok() ||
      !rng_->Fill(boot_seed).ok()) {
    return nullptr;
  }
  attestation::KeyStoreSignerIds signer_ids(*its_flash_, key_store_);
  const attestation::ClaimInputs inputs{
      .report = report_, .signer_ids = &signer_ids, .key_hash = key_hash, .boot_seed = boot_seed};
  ready_ = attestation::CollectClaims(inputs, &claims_).ok();
  SecureWipe(boot_seed, sizeof(boot_seed));
  return ready_ ? &claims_ : nullptr;
}

SecureManager::~SecureManager() { SecureWipe(&keys_, sizeof(keys_)); }

Status SecureManager::Start() {
  if (!keys_.derived) return StatusCode::kInternal;
  return spm_.Start();
}

}  // namespace bastion::secure_manager
