// libFuzzer: hostile requests into the crypto partition (src/crypto_service)
// through a real Spm: its request decoding (parameter block, vector shapes,
// attributes, handles, key ids) and whatever the PSA core does with what
// gets through.
//
// The input is a sequence of calls: which client (two non-secure clients,
// the attestation partition, a secure partition with a HUK-derived key),
// the function (mostly a real one), the parameter block (bytes, with key ids
// and handles often taken from earlier answers, and common algorithms), and
// up to four vectors (often of the sizes the contract wants, valid key
// attributes among them). Each call must return a PSA status, write no
// output past its capacity, and never fault the partition. At the end the
// partition restarts and a new one starts over the same flash.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "bastion/crypto_service.h"
#include "bastion/services.h"
#include "crypto_service/crypto_service.h"
#include "fuzz_input.h"
#include "its/its_store.h"
#include "psa/crypto.h"
#include "ram_flash.h"
#include "sm/caller_memory.h"
#include "sm/spm.h"

namespace {

using namespace bastion;
using fuzz::Check;
using fuzz::Input;

class Idle final : public sm::Partition {
 public:
  sm::Reply Serve(const sm::ServiceDecl&, sm::Message&) override {
    return sm::Reply::Status(PSA_ERROR_NOT_SUPPORTED);
  }
  void Restart(const sm::PartitionDecl&) override {}
};

constexpr sm::PartitionId kCrypto = 4;
constexpr sm::PartitionId kAttestation = 5;
constexpr sm::PartitionId kSecure = 7;
constexpr sm::ClientId kClients[] = {-1, -2, kAttestation, kSecure};
constexpr sm::ClientId kSecureCallers[] = {kAttestation, kSecure};
constexpr sm::ServiceDecl kCryptoServices[] = {
    {"crypto",
     BASTION_CRYPTO_SID,
     BASTION_CRYPTO_VERSION,
     sm::ServiceModel::kStateless,
     {.any_non_secure = true, .clients = kSecureCallers}}};
constexpr sm::ServiceDecl kIdle5[] = {
    {"a", 0x1005, 1, sm::ServiceModel::kStateless, {.any_non_secure = true}}};
constexpr sm::ServiceDecl kIdle7[] = {
    {"s", 0x1007, 1, sm::ServiceModel::kStateless, {.any_non_secure = true}}};
constexpr sm::PartitionDecl kTable[] = {
    {"crypto", kCrypto, sm::PartitionKind::kPsaRot, kCryptoServices, 4096, 0, 4096, 0},
    {"attestation", kAttestation, sm::PartitionKind::kPsaRot, kIdle5, 0, 4, 1024, 0},
    {"secure", kSecure, sm::PartitionKind::kApplicationRot, kIdle7, 0, 6, 1024, 0},
};
constexpr sm::ClientId kIak[] = {kAttestation};
constexpr sm::ClientId kHuk[] = {kSecure};
const int32_t kHandle = sm::StatelessHandle(kTable, BASTION_CRYPTO_SID, BASTION_CRYPTO_VERSION);

constexpr int32_t kFunctions[] = {
    1,  10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 32,  33, 34,
    35, 36, 37, 40, 41, 42, 43, 44, 45, 46, 47, 48, 50, 51, 52, 53, 54, 55, 56, 57,  58, 59,
    60, 61, 70, 71, 72, 73, 74, 75, 80, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101};

// Algorithms of bastion_psa_algorithms.h, and one outside it.
constexpr uint32_t kAlgs[] = {PSA_ALG_SHA_256,
                              PSA_ALG_SHA_384,
                              PSA_ALG_SHA_512,
                              PSA_ALG_SHA_224,
                              PSA_ALG_HMAC(PSA_ALG_SHA_256),
                              PSA_ALG_CMAC,
                              PSA_ALG_CTR,
                              PSA_ALG_CBC_NO_PADDING,
                              PSA_ALG_CBC_PKCS7,
                              PSA_ALG_ECB_NO_PADDING,
                              PSA_ALG_CFB,
                              PSA_ALG_OFB,
                              PSA_ALG_STREAM_CIPHER,
                              PSA_ALG_GCM,
                              PSA_ALG_CCM,
                              PSA_ALG_CHACHA20_POLY1305,
                              PSA_ALG_ECDSA(PSA_ALG_SHA_256),
                              PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256),
                              PSA_ALG_ECDH,
                              PSA_ALG_HKDF(PSA_ALG_SHA_256),
                              PSA_ALG_HKDF_EXTRACT(PSA_ALG_SHA_256),
                              PSA_ALG_TLS12_PRF(PSA_ALG_SHA_256),
                              PSA_ALG_PBKDF2_HMAC(PSA_ALG_SHA_256),
                              PSA_ALG_SHA_1,
                              0};

// Valid-looking attributes: (type, bits, usage, alg).
struct AttributeTemplate {
  uint16_t type;
  uint16_t bits;
  uint32_t usage;
  uint32_t alg;
};
constexpr uint32_t kAllUsage = PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_COPY | PSA_KEY_USAGE_ENCRYPT |
                               PSA_KEY_USAGE_DECRYPT | PSA_KEY_USAGE_SIGN_MESSAGE |
                               PSA_KEY_USAGE_VERIFY_MESSAGE | PSA_KEY_USAGE_SIGN_HASH |
                               PSA_KEY_USAGE_VERIFY_HASH | PSA_KEY_USAGE_DERIVE;
constexpr AttributeTemplate kAttributes[] = {
    {PSA_KEY_TYPE_AES, 128, kAllUsage, PSA_ALG_CTR},
    {PSA_KEY_TYPE_AES, 256, kAllUsage, PSA_ALG_GCM},
    {PSA_KEY_TYPE_HMAC, 0, kAllUsage, PSA_ALG_HMAC(PSA_ALG_SHA_256)},
    {PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256, kAllUsage,
     PSA_ALG_ECDSA(PSA_ALG_SHA_256)},
    {PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY), 255, kAllUsage, PSA_ALG_ECDH},
    {PSA_KEY_TYPE_DERIVE, 256, kAllUsage, PSA_ALG_HKDF(PSA_ALG_SHA_256)},
    {PSA_KEY_TYPE_CHACHA20, 256, kAllUsage, PSA_ALG_CHACHA20_POLY1305},
    {PSA_KEY_TYPE_RAW_DATA, 64, kAllUsage, 0},
};

std::vector<uint8_t> Attributes(Input& in) {
  std::vector<uint8_t> b(BASTION_CRYPTO_ATTRIBUTES_SIZE);
  const uint8_t pick = in.U8();
  if (pick >= 224) return in.Bytes(BASTION_CRYPTO_ATTRIBUTES_SIZE);
  const AttributeTemplate& t = kAttributes[pick % std::size(kAttributes)];
  StoreLe16(&b[0], t.type);
  StoreLe16(&b[2], t.bits);
  const bool persistent = (pick & 0x80) != 0;
  StoreLe32(&b[4], persistent ? 1u : 0u);
  StoreLe32(&b[8], persistent ? 1u + in.U8() % 4 : 0u);
  StoreLe32(&b[12], t.usage);
  StoreLe32(&b[16], t.alg);
  return b;
}

struct Rig {
  fuzz::RamFlash flash{{64u * 1024, 8u * 1024, 16, 0xff}};
  fuzz::DeterministicRng rng{11};
  std::unique_ptr<its::ItsStore> store;
  std::unique_ptr<crypto_service::CryptoService> service;
  Idle idle5, idle7;
  sm::Partition* partitions[3] = {nullptr, &idle5, &idle7};
  std::unique_ptr<sm::SpmBuffer<3, 2>> spm;

  void Boot(sm::CallerMemory& memory) {
    spm.reset();
    service.reset();
    store.reset();
    static constexpr uint8_t kKey[its::kKeySize] = {9};
    store = std::make_unique<its::ItsStore>(flash, 0, 64u * 1024, std::span(kKey));
    Check(store->Open().ok());
    static constexpr uint8_t kSeed[32] = {3};
    const crypto_service::CryptoServiceConfig config{
        .self = kCrypto,
        .table = kTable,
        .non_secure_key_slots = 6,
        .store = store.get(),
        .storage_quota_bytes = 4096,
        .rng = &rng,
        .iak_clients = kIak,
        .huk_clients = kHuk,
    };
    service =
        std::make_unique<crypto_service::CryptoService>(config, std::span(kSeed), std::span(kSeed));
    partitions[0] = service.get();
    spm = std::make_unique<sm::SpmBuffer<3, 2>>(kTable, partitions, memory);
    Check(spm->Start().ok() && service->ready());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sm::AllowedRanges<12> memory;
  Rig rig;
  rig.Boot(memory);
  Input in(data, size);
  std::vector<uint32_t> ids = {BASTION_CRYPTO_BUILTIN_KEY_IAK,
                               BASTION_CRYPTO_BUILTIN_KEY_HUK_DERIVED, 1};
  std::vector<uint32_t> handles = {0};
  for (int calls = 0; calls < 48 && !in.empty(); ++calls) {
    const sm::ClientId client = kClients[in.U8() % std::size(kClients)];
    const uint8_t pick = in.U8();
    const int32_t function = pick < 240 ? kFunctions[pick % std::size(kFunctions)]
                                        : static_cast<int32_t>(in.U32() & 0x7fffffff);
    // The parameter block: raw bytes, then fields replaced on request.
    std::vector<uint8_t> params = in.Bytes(BASTION_CRYPTO_PARAMS_SIZE);
    params.resize(BASTION_CRYPTO_PARAMS_SIZE);
    const uint8_t fix = in.U8();
    if (fix & 1) StoreLe32(&params[0], ids[in.U8() % ids.size()]);
    if (fix & 2) StoreLe32(&params[4], kAlgs[in.U8() % std::size(kAlgs)]);
    if (fix & 4) StoreLe32(&params[8], handles[in.U8() % handles.size()]);
    if (fix & 8) {  // a small value (a nonce length, a capacity)
      std::memset(&params[16], 0, 8);
      params[16] = in.U8() % 64;
    }
    if (fix & 0x40) params.resize(in.U8() % 40);  // a parameter block of another size

    const uint8_t counts = in.U8();
    const size_t in_extra = counts % 4;  // inputs after the parameter block
    const size_t out_len = (counts >> 2) % (4 - in_extra);
    std::vector<std::vector<uint8_t>> inputs(1 + in_extra), outputs(out_len);
    inputs[0] = params;
    for (size_t i = 1; i <= in_extra; ++i) {
      const uint8_t kind = in.U8();
      if (kind < 64) {
        inputs[i] = Attributes(in);
      } else {
        const size_t n = kind < 96    ? 12
                         : kind < 128 ? 16
                         : kind < 160 ? 32
                         : kind < 176 ? 65
                                      : (in.U8() | (in.U8() << 8)) % 700;
        inputs[i] = in.Bytes(n);
      }
    }
    psa_invec in_vec[4] = {};
    psa_outvec out_vec[4] = {};
    memory.Clear();
    for (size_t i = 0; i < inputs.size(); ++i) {
      in_vec[i] = {inputs[i].data(), inputs[i].size()};
      if (!inputs[i].empty()) memory.Add(client, inputs[i].data(), inputs[i].size(), false);
    }
    for (size_t i = 0; i < out_len; ++i) {
      const uint8_t kind = in.U8();
      const size_t cap = kind < 96 ? 4 : kind < 112 ? 20 : kind < 128 ? 8 : (in.U8() * 3u) % 700;
      outputs[i].assign(cap + 8, 0xA5);  // 8 guard bytes past the capacity
      out_vec[i] = {outputs[i].data(), cap};
      if (cap != 0) memory.Add(client, outputs[i].data(), cap, true);
    }
    memory.Add(client, in_vec, sizeof(in_vec), false);
    memory.Add(client, out_vec, sizeof(out_vec), true);
    size_t caps[4] = {};
    for (size_t i = 0; i < out_len; ++i) caps[i] = out_vec[i].len;
    const psa_status_t status =
        rig.spm->Call(client, kHandle, function, in_vec, inputs.size(), out_vec, out_len);
    Check(status <= 0);
    for (size_t i = 0; i < out_len; ++i) {
      Check(out_vec[i].len <= caps[i]);
      for (size_t g = 0; g < 8; ++g) Check(outputs[i][caps[i] + g] == 0xA5);
    }
    // Hostile input is answered, never a fault of the partition.
    Check(rig.spm->FaultCount(kCrypto) == 0);
    // Remember ids and handles for later calls.
    if (status == PSA_SUCCESS && out_len == 1 && out_vec[0].len == 4) {
      const uint32_t v = LoadLe32(outputs[0].data());
      const bool is_handle = (v >> 28) >= 1 && (v >> 28) <= 5;  // operation_table.h
      (is_handle ? handles : ids).push_back(v);
    }
  }
  Check(rig.service->OperationsOf(-1) <= crypto_service::kOperationsPerClient * 5);
  rig.service->ReleaseClient(-1);
  Check(rig.service->OperationsOf(-1) == 0);
  // A restart, then a reboot over the same flash: both serve.
  rig.service->Restart(kTable[0]);
  Check(rig.service->ready());
  rig.Boot(memory);
  return 0;
}
