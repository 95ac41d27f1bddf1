#include "secure_manager/secure_manager.h"

#include <cstring>

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
      partitions_{&its_service_, &ps_service_, &platform_service_, &crypto_service_},
      spm_(kPartitions, partitions_, memory) {
  platform_service_.set_spm(&spm_);
  SecureWipe(keys_.its, sizeof(keys_.its));
  SecureWipe(keys_.ps, sizeof(keys_.ps));
}

SecureManager::~SecureManager() { SecureWipe(&keys_, sizeof(keys_)); }

Status SecureManager::Start() {
  if (!keys_.derived) return StatusCode::kInternal;
  return spm_.Start();
}

}  // namespace bastion::secure_manager
