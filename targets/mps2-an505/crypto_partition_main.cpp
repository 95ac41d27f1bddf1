// A size-only image (scripts/size-report): the crypto partition with the
// PSA Crypto core and what it calls (the ITS store, the facade's HKDF and
// arena, the IAK's derivation), served one request from a volatile buffer
// so nothing is optimised away. Never run; the Secure Manager's real image
// puts the same pieces together.
#include <cstdint>
#include <cstring>
#include <new>

#include "an505_platform.h"
#include "bastion/crypto_service.h"
#include "crypto_service/crypto_service.h"
#include "its/its_store.h"
#include "sm/message.h"

namespace {

using namespace bastion;

class RamFlash final : public platform::Flash {
 public:
  platform::FlashGeometry geometry() const override {
    return {sizeof(bytes_), 8u * 1024, 16, 0xff};
  }
  Status Read(uint32_t address, ByteSpan out) override {
    if (address > sizeof(bytes_) || out.size() > sizeof(bytes_) - address) {
      return StatusCode::kOutOfRange;
    }
    std::memcpy(out.data(), bytes_ + address, out.size());
    return StatusCode::kOk;
  }
  Status Program(uint32_t address, ConstByteSpan data) override {
    if (address > sizeof(bytes_) || data.size() > sizeof(bytes_) - address) {
      return StatusCode::kOutOfRange;
    }
    std::memcpy(bytes_ + address, data.data(), data.size());
    return StatusCode::kOk;
  }
  Status EraseSector(uint32_t address) override {
    if (address >= sizeof(bytes_)) return StatusCode::kOutOfRange;
    std::memset(bytes_ + address - address % (8u * 1024), 0xff, 8u * 1024);
    return StatusCode::kOk;
  }

 private:
  uint8_t bytes_[16u * 1024];
};

constexpr sm::ServiceDecl kServices[] = {
    {"crypto", BASTION_CRYPTO_SID, 1, sm::ServiceModel::kStateless, {.any_non_secure = true}}};
constexpr sm::PartitionDecl kTable[] = {
    {"crypto", 4, sm::PartitionKind::kPsaRot, kServices, 4096, 1, 4096, 0}};
constexpr sm::ClientId kIak[] = {5};

constexpr uint8_t kKey[its::kKeySize] = {1};
volatile uint8_t g_request[64];
// Built in place and never destroyed: no exit machinery.
alignas(RamFlash) uint8_t g_flash_storage[sizeof(RamFlash)];
alignas(its::ItsStore) uint8_t g_store_storage[sizeof(its::ItsStore)];
alignas(crypto_service::CryptoService) uint8_t
    g_service_storage[sizeof(crypto_service::CryptoService)];

}  // namespace

int main() {
  platform::Platform& p = an505::GetPlatform();
  uint8_t seed[32] = {};
  auto* flash = new (g_flash_storage) RamFlash();
  auto* store = new (g_store_storage) its::ItsStore(*flash, 0, 16u * 1024, kKey);
  const crypto_service::CryptoServiceConfig config{.self = 4,
                                                   .table = kTable,
                                                   .non_secure_key_slots = 8,
                                                   .store = store,
                                                   .storage_quota_bytes = 4096,
                                                   .rng = &p.rng,
                                                   .iak_clients = kIak,
                                                   .huk_clients = {}};
  auto& service = *new (g_service_storage) crypto_service::CryptoService(
      config, std::span<const uint8_t, 32>(seed), std::span<const uint8_t, 32>(seed));
  (void)store->Open();
  service.Restart(kTable[0]);
  uint8_t params[BASTION_CRYPTO_PARAMS_SIZE];
  for (size_t i = 0; i < sizeof(params); ++i) params[i] = g_request[i];
  uint8_t out[64];
  const sm::Message::Vector in[] = {{reinterpret_cast<uintptr_t>(params), sizeof(params)}};
  const sm::Message::Vector outs[] = {{reinterpret_cast<uintptr_t>(out), sizeof(out)}};
  sm::Message message(static_cast<int32_t>(g_request[32]), -1, BASTION_CRYPTO_SID, in, outs);
  const sm::Reply reply = service.Serve(kServices[0], message);
  size_t length = 0;
  (void)service.SignHash(5, BASTION_CRYPTO_BUILTIN_KEY_IAK, 0, {out, 32}, out, &length);
  return reply.status();
}
