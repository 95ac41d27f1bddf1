#include "secure_manager/secure_manager.h"

#include <cstring>

#include "attestation/claims.h"
#include "crypto/crypto.h"

namespace bastion::secure_manager {
namespace {


constexpr char kItsInfo[] = "bastion its mac";
constexpr char kPsInfo[] = "bastion ps root";

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
      attestation_service_(nullptr, iak_signer_),
      partitions_{&its_service_, &ps_service_, &platform_service_, &crypto_placeholder_,
                  &attestation_service_},
      spm_(kPartitions, partitions_, memory) {
  platform_service_.set_spm(&spm_);
  SecureWipe(keys_.its, sizeof(keys_.its));
  SecureWipe(keys_.ps, sizeof(keys_.ps));
  PrepareAttestation(config);
}

void SecureManager::PrepareAttestation(const SecureManagerConfig& config) {
  uint8_t boot_seed[attestation::kBootSeedSize];
  if (!iak_signer_.Init(config.attestation_seed).ok() || config.rng == nullptr ||
      config.report == nullptr || config.its.flash == nullptr ||
      !config.rng->Fill(boot_seed).ok()) {
    return;
  }
  attestation::KeyStoreSignerIds signer_ids(*config.its.flash, config.key_store);
  const attestation::ClaimInputs inputs{.report = config.report,
                                        .signer_ids = &signer_ids,
                                        .key_hash = iak_signer_.key_hash(),
                                        .boot_seed = boot_seed};
  claims_ready_ = attestation::CollectClaims(inputs, &claims_).ok();
  SecureWipe(boot_seed, sizeof(boot_seed));
  attestation_service_.set_claims(claims_ready_ ? &claims_ : nullptr);
}

sm::Reply SecureManager::CryptoPlaceholder::Serve(const sm::ServiceDecl& /*service*/,
                                                  sm::Message& message) {
  const bool session =
      message.type() == sm::kMessageConnect || message.type() == sm::kMessageDisconnect;
  return sm::Reply::Status(session ? PSA_SUCCESS : PSA_ERROR_NOT_SUPPORTED);
}

SecureManager::~SecureManager() {
  SecureWipe(&keys_, sizeof(keys_));
  SecureWipe(&claims_, sizeof(claims_));
}

Status SecureManager::Start() {
  if (!keys_.derived) return StatusCode::kInternal;
  return spm_.Start();
}

}  // namespace bastion::secure_manager
