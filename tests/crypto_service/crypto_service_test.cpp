// The crypto partition (src/crypto_service) through sm::Spm calls whose
// vectors are built per include/bastion/crypto_service.h, by hand: every
// function family, hostile vectors, other clients' keys and handles, quotas,
// the built-in keys, persistent keys across restarts and power cuts.
//
// Mbed TLS's psa/crypto.h (with the Secure Manager's configuration) gives
// the algorithm and key type values; every call still goes through the SPM.
#include "crypto_service/crypto_service.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "attestation/iak.h"
#include "bastion/crypto_service.h"
#include "bastion/services.h"
#include "crypto/crypto.h"
#include "its/its_store.h"
#include "provisioning/provisioning.h"
#include "psa/crypto.h"
#include "sm/spm.h"
#include "support/otp_header.h"
#include "virtual_device/virtual_device.h"

namespace bastion::crypto_service {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr sm::PartitionId kCrypto = 4;
constexpr sm::PartitionId kAttestation = 5;
constexpr sm::PartitionId kSmall = 6;  // a secure partition with 2 key slots
constexpr sm::PartitionId kBig = 7;    // a secure partition with more slots than the core
constexpr sm::ClientId kApp = -1;
constexpr sm::ClientId kOtherApp = -2;
constexpr uint16_t kNsSlots = 8;

constexpr sm::ServiceDecl kCryptoServices[] = {
    {.name = "crypto",
     .sid = BASTION_CRYPTO_SID,
     .version = BASTION_CRYPTO_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true, .clients = {}}},
};
constexpr sm::ClientId kSecureCallers[] = {kAttestation, kSmall, kBig};
constexpr sm::ServiceDecl kCryptoServicesSecure[] = {
    {.name = "crypto",
     .sid = BASTION_CRYPTO_SID,
     .version = BASTION_CRYPTO_VERSION,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true, .clients = kSecureCallers}},
};
constexpr sm::ServiceDecl kDummy5[] = {
    {"d5", 0x1005, 1, sm::ServiceModel::kStateless, {.any_non_secure = true}}};
constexpr sm::ServiceDecl kDummy6[] = {
    {"d6", 0x1006, 1, sm::ServiceModel::kStateless, {.any_non_secure = true}}};
constexpr sm::ServiceDecl kDummy7[] = {
    {"d7", 0x1007, 1, sm::ServiceModel::kStateless, {.any_non_secure = true}}};

constexpr sm::PartitionDecl kTable[] = {
    {"crypto", kCrypto, sm::PartitionKind::kPsaRot, kCryptoServicesSecure, 8192, 0, 4096, 0},
    {"attestation", kAttestation, sm::PartitionKind::kPsaRot, kDummy5, 0, 2, 1024, 0},
    {"small", kSmall, sm::PartitionKind::kApplicationRot, kDummy6, 0, 2, 1024, 0},
    {"big", kBig, sm::PartitionKind::kApplicationRot, kDummy7, 0, 64, 1024, 0},
};
static_assert(sm::PartitionTableError(kTable) == sm::TableError::kNone);
const int32_t kHandle = sm::StatelessHandle(kTable, BASTION_CRYPTO_SID, BASTION_CRYPTO_VERSION);

constexpr sm::ClientId kIak[] = {kAttestation};
constexpr sm::ClientId kHuk[] = {kBig};  // the test-only way: a list of our own

class Dummy final : public sm::Partition {
 public:
  sm::Reply Serve(const sm::ServiceDecl&, sm::Message&) override {
    return sm::Reply::Status(PSA_ERROR_NOT_SUPPORTED);
  }
  void Restart(const sm::PartitionDecl&) override {}
};

class AllowAll final : public sm::CallerMemory {
 public:
  bool MayRead(sm::ClientId, uintptr_t, size_t) const override { return true; }
  bool MayWrite(sm::ClientId, uintptr_t, size_t) const override { return true; }
};

constexpr uint8_t kAttestationSeed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                          12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                          23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
constexpr uint8_t kStorageSeed[32] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};
constexpr uint8_t kItsKey[its::kKeySize] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                            7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

struct Params {
  uint32_t key = 0;
  uint32_t alg = 0;
  uint32_t handle = 0;
  uint32_t step = 0;
  uint64_t value = 0;
  uint64_t value2 = 0;
};

Bytes Encode(const Params& p) {
  Bytes b(BASTION_CRYPTO_PARAMS_SIZE);
  StoreLe32(&b[0], p.key);
  StoreLe32(&b[4], p.alg);
  StoreLe32(&b[8], p.handle);
  StoreLe32(&b[12], p.step);
  for (int i = 0; i < 8; ++i) {
    b[16 + i] = static_cast<uint8_t>(p.value >> (8 * i));
    b[24 + i] = static_cast<uint8_t>(p.value2 >> (8 * i));
  }
  return b;
}

Bytes Attributes(uint16_t type, uint16_t bits, uint32_t usage, uint32_t alg, uint32_t lifetime = 0,
                 uint32_t id = 0) {
  Bytes b(BASTION_CRYPTO_ATTRIBUTES_SIZE);
  StoreLe16(&b[0], type);
  StoreLe16(&b[2], bits);
  StoreLe32(&b[4], lifetime);
  StoreLe32(&b[8], id);
  StoreLe32(&b[12], usage);
  StoreLe32(&b[16], alg);
  return b;
}

uint32_t U32(const Bytes& b) { return b.size() == 4 ? LoadLe32(b.data()) : 0xffffffffu; }

Bytes Hex(const char* hex) {
  Bytes out;
  for (size_t i = 0; hex[i] != 0 && hex[i + 1] != 0; i += 2) {
    auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    out.push_back(static_cast<uint8_t>(nib(hex[i]) << 4 | nib(hex[i + 1])));
  }
  return out;
}

struct Result {
  psa_status_t status;
  std::vector<Bytes> out;
};

// A device with the default layout, an ITS store over its storage region,
// and an SPM running the crypto partition (and dummies for the other ids).
class Rig {
 public:
  Rig() : device_(host::VirtualDevice::InMemory(host::DefaultGeometry())) {
    layout_ = host::DefaultLayout(host::DefaultGeometry());
    test_support::ProgramLayoutHeader(*device_, layout_);
    Boot();
  }
  ~Rig() { Shutdown(); }

  // A (re)boot of the Secure Manager over the same flash.
  void Boot() {
    Shutdown();
    (void)device_->Raise(platform::Hdpl::kSecureManager);
    store_ = std::make_unique<its::ItsStore>(*device_, layout_.storage.offset, layout_.storage.size,
                                             std::span(kItsKey));
    ASSERT_TRUE(store_->Open().ok());
    const CryptoServiceConfig config{
        .self = kCrypto,
        .table = kTable,
        .non_secure_key_slots = kNsSlots,
        .store = store_.get(),
        .storage_quota_bytes = 8192,
        .rng = device_.get(),
        .iak_clients = kIak,
        .huk_clients = kHuk,
    };
    service_ = std::make_unique<CryptoService>(config, std::span(kAttestationSeed),
                                               std::span(kStorageSeed));
    partitions_[0] = service_.get();
    spm_ = std::make_unique<sm::SpmBuffer<4, 4>>(kTable, partitions_, memory_);
    ASSERT_TRUE(spm_->Start().ok());
  }
  void Shutdown() {
    spm_.reset();
    service_.reset();
    store_.reset();
  }

  Result Call(sm::ClientId client, int32_t function, const Params& p,
              std::vector<Bytes> inputs = {}, std::vector<size_t> out_sizes = {},
              const Bytes* params_override = nullptr) {
    std::vector<Bytes> ins;
    ins.push_back(params_override != nullptr ? *params_override : Encode(p));
    for (Bytes& b : inputs) ins.push_back(std::move(b));
    psa_invec in[PSA_MAX_IOVEC] = {};
    for (size_t i = 0; i < ins.size(); ++i) in[i] = {ins[i].data(), ins[i].size()};
    std::vector<Bytes> outs;
    for (size_t n : out_sizes) outs.emplace_back(n, 0xEE);
    psa_outvec out[PSA_MAX_IOVEC] = {};
    for (size_t i = 0; i < outs.size(); ++i) out[i] = {outs[i].data(), outs[i].size()};
    Result r;
    r.status = spm_->Call(client, kHandle, function, in, ins.size(), out, outs.size());
    for (size_t i = 0; i < outs.size(); ++i) {
      // Bytes past what the service wrote must be untouched.
      for (size_t j = out[i].len; j < outs[i].size(); ++j) EXPECT_EQ(outs[i][j], 0xEE);
      outs[i].resize(out[i].len);
    }
    r.out = std::move(outs);
    return r;
  }

  // Imports a key for `client`; its id (0 on failure).
  uint32_t Import(sm::ClientId client, const Bytes& attributes, const Bytes& data,
                  psa_status_t* status = nullptr) {
    Result r = Call(client, BASTION_CRYPTO_IMPORT_KEY, {}, {attributes, data}, {4});
    if (status != nullptr) *status = r.status;
    return r.status == PSA_SUCCESS ? U32(r.out[0]) : 0;
  }

  host::VirtualDevice& device() { return *device_; }
  CryptoService& service() { return *service_; }
  sm::Spm& spm() { return *spm_; }

 private:
  std::unique_ptr<host::VirtualDevice> device_;
  otp::FlashLayout layout_{};
  std::unique_ptr<its::ItsStore> store_;
  std::unique_ptr<CryptoService> service_;
  Dummy d5_, d6_, d7_;
  sm::Partition* partitions_[4] = {nullptr, &d5_, &d6_, &d7_};
  AllowAll memory_;
  std::unique_ptr<sm::SpmBuffer<4, 4>> spm_;
};

const Bytes kAes128 = Hex("000102030405060708090a0b0c0d0e0f");
const Bytes kAbc = {'a', 'b', 'c'};
const Bytes kSha256Abc = Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

Bytes AesAttributes(uint32_t usage, uint32_t alg) {
  return Attributes(PSA_KEY_TYPE_AES, 128, usage, alg);
}

// ---- every family once ----

TEST(CryptoService, RandomAndHash) {
  Rig rig;
  Result r = rig.Call(kApp, BASTION_CRYPTO_GENERATE_RANDOM, {}, {}, {40000});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0].size(), 40000u);  // beyond the per-call limit: served in chunks

  r = rig.Call(kApp, BASTION_CRYPTO_HASH_COMPUTE, {.alg = PSA_ALG_SHA_256}, {kAbc}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], kSha256Abc);
  EXPECT_EQ(
      rig.Call(kApp, BASTION_CRYPTO_HASH_COMPARE, {.alg = PSA_ALG_SHA_256}, {kAbc, kSha256Abc})
          .status,
      PSA_SUCCESS);
  Bytes wrong = kSha256Abc;
  wrong[5] ^= 1;
  EXPECT_EQ(
      rig.Call(kApp, BASTION_CRYPTO_HASH_COMPARE, {.alg = PSA_ALG_SHA_256}, {kAbc, wrong}).status,
      PSA_ERROR_INVALID_SIGNATURE);

  r = rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_256}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t h = U32(r.out[0]);
  EXPECT_NE(h, 0u);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_UPDATE, {.handle = h}, {{'a'}}).status, PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_HASH_CLONE, {.handle = h}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t copy = U32(r.out[0]);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_UPDATE, {.handle = h}, {{'b', 'c'}}).status,
            PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_HASH_FINISH, {.handle = h}, {}, {32});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], kSha256Abc);
  // Finished: the handle is gone.
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_FINISH, {.handle = h}, {}, {32}).status,
            PSA_ERROR_BAD_STATE);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_UPDATE, {.handle = copy}, {{'b', 'c'}}).status,
            PSA_SUCCESS);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_VERIFY, {.handle = copy}, {kSha256Abc}).status,
            PSA_SUCCESS);
  EXPECT_EQ(rig.service().OperationsOf(kApp), 0u);
  // Abort, then the handle is gone too.
  r = rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_512}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_ABORT, {.handle = U32(r.out[0])}).status,
            PSA_SUCCESS);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_ABORT, {.handle = U32(r.out[0])}).status,
            PSA_ERROR_BAD_STATE);
  // Not in the algorithm set.
  EXPECT_EQ(
      rig.Call(kApp, BASTION_CRYPTO_HASH_COMPUTE, {.alg = PSA_ALG_SHA_1}, {kAbc}, {64}).status,
      PSA_ERROR_NOT_SUPPORTED);
}

TEST(CryptoService, KeysMacCipherAead) {
  Rig rig;
  // Key management.
  const uint32_t aes =
      rig.Import(kApp,
                 AesAttributes(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT | PSA_KEY_USAGE_EXPORT,
                               PSA_ALG_CTR),
                 kAes128);
  ASSERT_NE(aes, 0u);
  Result r = rig.Call(kApp, BASTION_CRYPTO_GET_KEY_ATTRIBUTES, {.key = aes}, {}, {20});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(LoadLe16(&r.out[0][0]), PSA_KEY_TYPE_AES);
  EXPECT_EQ(LoadLe16(&r.out[0][2]), 128);
  EXPECT_EQ(LoadLe32(&r.out[0][8]), aes);
  r = rig.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = aes}, {}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], kAes128);

  // Cipher, single-part (IV || ciphertext) and multi-part.
  const Bytes plain(100, 0x5a);
  r = rig.Call(kApp, BASTION_CRYPTO_CIPHER_ENCRYPT, {.key = aes, .alg = PSA_ALG_CTR}, {plain},
               {200});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  ASSERT_EQ(r.out[0].size(), 116u);
  const Bytes sealed = r.out[0];
  r = rig.Call(kApp, BASTION_CRYPTO_CIPHER_DECRYPT, {.key = aes, .alg = PSA_ALG_CTR}, {sealed},
               {200});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], plain);
  r = rig.Call(kApp, BASTION_CRYPTO_CIPHER_DECRYPT_SETUP, {.key = aes, .alg = PSA_ALG_CTR}, {},
               {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t ch = U32(r.out[0]);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_CIPHER_SET_IV, {.handle = ch},
                     {Bytes(sealed.begin(), sealed.begin() + 16)})
                .status,
            PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_CIPHER_UPDATE, {.handle = ch},
               {Bytes(sealed.begin() + 16, sealed.end())}, {200});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  Bytes got = r.out[0];
  r = rig.Call(kApp, BASTION_CRYPTO_CIPHER_FINISH, {.handle = ch}, {}, {32});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  got.insert(got.end(), r.out[0].begin(), r.out[0].end());
  EXPECT_EQ(got, plain);

  // MAC: HMAC-SHA-256 (RFC 4231 case 2).
  const uint32_t hmac = rig.Import(
      kApp,
      Attributes(PSA_KEY_TYPE_HMAC, 0, PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE,
                 PSA_ALG_HMAC(PSA_ALG_SHA_256)),
      {'J', 'e', 'f', 'e'});
  ASSERT_NE(hmac, 0u);
  const Bytes msg = {'w', 'h', 'a', 't', ' ', 'd', 'o', ' ', 'y', 'a', ' ', 'w', 'a', 'n',
                     't', ' ', 'f', 'o', 'r', ' ', 'n', 'o', 't', 'h', 'i', 'n', 'g', '?'};
  const Bytes mac = Hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const uint32_t hmac_alg = PSA_ALG_HMAC(PSA_ALG_SHA_256);
  r = rig.Call(kApp, BASTION_CRYPTO_MAC_COMPUTE, {.key = hmac, .alg = hmac_alg}, {msg}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], mac);
  EXPECT_EQ(
      rig.Call(kApp, BASTION_CRYPTO_MAC_VERIFY, {.key = hmac, .alg = hmac_alg}, {msg, mac}).status,
      PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_MAC_VERIFY_SETUP, {.key = hmac, .alg = hmac_alg}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t mh = U32(r.out[0]);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_MAC_UPDATE, {.handle = mh}, {msg}).status, PSA_SUCCESS);
  Bytes bad_mac = mac;
  bad_mac[0] ^= 0x80;
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_MAC_VERIFY_FINISH, {.handle = mh}, {bad_mac}).status,
            PSA_ERROR_INVALID_SIGNATURE);
  // A failed verify keeps the handle until it is aborted.
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_MAC_ABORT, {.handle = mh}).status, PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_MAC_SIGN_SETUP, {.key = hmac, .alg = hmac_alg}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t sh = U32(r.out[0]);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_MAC_UPDATE, {.handle = sh}, {msg}).status, PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_MAC_SIGN_FINISH, {.handle = sh}, {}, {32});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], mac);

  // AEAD: AES-GCM single-part (nonce || ad in one vector) and multi-part.
  const uint32_t gcm = rig.Import(
      kApp, AesAttributes(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_GCM), kAes128);
  ASSERT_NE(gcm, 0u);
  const Bytes nonce(12, 0x11);
  Bytes nonce_ad = nonce;
  nonce_ad.insert(nonce_ad.end(), {'h', 'd', 'r'});
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_ENCRYPT, {.key = gcm, .alg = PSA_ALG_GCM, .value = 12},
               {nonce_ad, plain}, {200});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const Bytes aead_sealed = r.out[0];
  ASSERT_EQ(aead_sealed.size(), plain.size() + 16);
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_DECRYPT, {.key = gcm, .alg = PSA_ALG_GCM, .value = 12},
               {nonce_ad, aead_sealed}, {200});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], plain);
  Bytes tampered = aead_sealed;
  tampered[3] ^= 1;
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_DECRYPT, {.key = gcm, .alg = PSA_ALG_GCM, .value = 12},
               {nonce_ad, tampered}, {200});
  EXPECT_EQ(r.status, PSA_ERROR_INVALID_SIGNATURE);
  EXPECT_TRUE(r.out[0].empty());  // nothing of the plaintext leaves

  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_ENCRYPT_SETUP, {.key = gcm, .alg = PSA_ALG_GCM}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t ah = U32(r.out[0]);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_AEAD_SET_LENGTHS,
                     {.handle = ah, .value = 3, .value2 = plain.size()})
                .status,
            PSA_SUCCESS);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_AEAD_SET_NONCE, {.handle = ah}, {nonce}).status,
            PSA_SUCCESS);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_AEAD_UPDATE_AD, {.handle = ah}, {{'h', 'd', 'r'}}).status,
            PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_UPDATE, {.handle = ah}, {plain}, {200});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  Bytes multi = r.out[0];
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_FINISH, {.handle = ah}, {}, {32, 16});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  multi.insert(multi.end(), r.out[0].begin(), r.out[0].end());
  multi.insert(multi.end(), r.out[1].begin(), r.out[1].end());
  EXPECT_EQ(multi, aead_sealed);
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_DECRYPT_SETUP, {.key = gcm, .alg = PSA_ALG_GCM}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t dh = U32(r.out[0]);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_AEAD_SET_NONCE, {.handle = dh}, {nonce}).status,
            PSA_SUCCESS);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_AEAD_UPDATE_AD, {.handle = dh}, {{'h', 'd', 'r'}}).status,
            PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_UPDATE, {.handle = dh},
               {Bytes(aead_sealed.begin(), aead_sealed.end() - 16)}, {200});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  Bytes opened = r.out[0];
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_VERIFY, {.handle = dh},
               {Bytes(aead_sealed.end() - 16, aead_sealed.end())}, {32});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  opened.insert(opened.end(), r.out[0].begin(), r.out[0].end());
  EXPECT_EQ(opened, plain);

  // Destroy: gone, and answered like any missing key.
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_DESTROY_KEY, {.key = aes}).status, PSA_SUCCESS);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = aes}, {}, {64}).status,
            PSA_ERROR_INVALID_HANDLE);
  EXPECT_EQ(rig.service().OperationsOf(kApp), 0u);
}

TEST(CryptoService, SignaturesAgreementAndDerivation) {
  Rig rig;
  const uint32_t ecdsa = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
  Result r = rig.Call(kApp, BASTION_CRYPTO_GENERATE_KEY, {},
                      {Attributes(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                                  PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE |
                                      PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH,
                                  ecdsa)},
                      {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t ec = U32(r.out[0]);
  r = rig.Call(kApp, BASTION_CRYPTO_SIGN_MESSAGE, {.key = ec, .alg = ecdsa}, {kAbc}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  ASSERT_EQ(r.out[0].size(), 64u);
  EXPECT_EQ(
      rig.Call(kApp, BASTION_CRYPTO_VERIFY_MESSAGE, {.key = ec, .alg = ecdsa}, {kAbc, r.out[0]})
          .status,
      PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_SIGN_HASH, {.key = ec, .alg = ecdsa}, {kSha256Abc}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  Bytes sig = r.out[0];
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_VERIFY_HASH, {.key = ec, .alg = ecdsa}, {kSha256Abc, sig})
                .status,
            PSA_SUCCESS);
  sig[10] ^= 1;
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_VERIFY_HASH, {.key = ec, .alg = ecdsa}, {kSha256Abc, sig})
                .status,
            PSA_ERROR_INVALID_SIGNATURE);
  // No RSA: asymmetric encryption is not supported.
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_ASYMMETRIC_ENCRYPT,
                     {.key = ec, .alg = PSA_ALG_RSA_PKCS1V15_CRYPT}, {kAbc, {}}, {64})
                    .status == PSA_SUCCESS,
            false);

  // ECDH between two keys of two clients gives one secret.
  const Bytes ecdh_attributes = Attributes(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY),
                                           255, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
  r = rig.Call(kApp, BASTION_CRYPTO_GENERATE_KEY, {}, {ecdh_attributes}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t a = U32(r.out[0]);
  r = rig.Call(kOtherApp, BASTION_CRYPTO_GENERATE_KEY, {}, {ecdh_attributes}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t b = U32(r.out[0]);
  const Bytes pub_a = rig.Call(kApp, BASTION_CRYPTO_EXPORT_PUBLIC_KEY, {.key = a}, {}, {64}).out[0];
  const Bytes pub_b =
      rig.Call(kOtherApp, BASTION_CRYPTO_EXPORT_PUBLIC_KEY, {.key = b}, {}, {64}).out[0];
  ASSERT_EQ(pub_a.size(), 32u);
  r = rig.Call(kApp, BASTION_CRYPTO_RAW_KEY_AGREEMENT, {.key = a, .alg = PSA_ALG_ECDH}, {pub_b},
               {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const Bytes shared = r.out[0];
  r = rig.Call(kOtherApp, BASTION_CRYPTO_RAW_KEY_AGREEMENT, {.key = b, .alg = PSA_ALG_ECDH},
               {pub_a}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], shared);

  // HKDF (RFC 5869 test case 3: empty salt and info), bytes and a key.
  const Bytes ikm(22, 0x0b);
  const Bytes okm =
      Hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  const uint32_t hkdf = PSA_ALG_HKDF(PSA_ALG_SHA_256);
  // The secret as bytes, or (to output keys) as a key.
  const uint32_t secret =
      rig.Import(kApp, Attributes(PSA_KEY_TYPE_DERIVE, 22 * 8, PSA_KEY_USAGE_DERIVE, hkdf), ikm);
  ASSERT_NE(secret, 0u);
  auto derive = [&](bool as_key) {
    Result s = rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_SETUP, {.alg = hkdf}, {}, {4});
    EXPECT_EQ(s.status, PSA_SUCCESS);
    const uint32_t h = U32(s.out[0]);
    EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES,
                       {.handle = h, .step = PSA_KEY_DERIVATION_INPUT_SALT}, {{}})
                  .status,
              PSA_SUCCESS);
    if (as_key) {
      EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_INPUT_KEY,
                         {.key = secret, .handle = h, .step = PSA_KEY_DERIVATION_INPUT_SECRET})
                    .status,
                PSA_SUCCESS);
    } else {
      EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES,
                         {.handle = h, .step = PSA_KEY_DERIVATION_INPUT_SECRET}, {ikm})
                    .status,
                PSA_SUCCESS);
    }
    EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES,
                       {.handle = h, .step = PSA_KEY_DERIVATION_INPUT_INFO}, {{}})
                  .status,
              PSA_SUCCESS);
    return h;
  };
  uint32_t h = derive(false);
  r = rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_GET_CAPACITY, {.handle = h}, {}, {8});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(LoadLe32(r.out[0].data()), 255u * 32u);
  r = rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES, {.handle = h}, {}, {okm.size()});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], okm);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_ABORT, {.handle = h}).status, PSA_SUCCESS);
  h = derive(true);
  r = rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_KEY, {.handle = h},
               {Attributes(PSA_KEY_TYPE_RAW_DATA, 16 * 8, PSA_KEY_USAGE_EXPORT, 0)}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = U32(r.out[0])}, {}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], Bytes(okm.begin(), okm.begin() + 16));
  // Mbed TLS 3.6 has no verify_bytes / verify_key.
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_VERIFY_BYTES, {.handle = h}, {okm}).status,
            PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_ABORT, {.handle = h}).status, PSA_SUCCESS);
}

// ---- hostile requests ----

TEST(CryptoService, MalformedVectorsAreProgrammerErrorsAndChangeNothing) {
  Rig rig;
  const Bytes short_params(31, 0);
  Result r = rig.Call(kApp, BASTION_CRYPTO_HASH_COMPUTE, {}, {kAbc}, {32}, &short_params);
  EXPECT_EQ(r.status, PSA_ERROR_PROGRAMMER_ERROR);
  const Bytes long_params(33, 0);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {}, {}, {4}, &long_params).status,
            PSA_ERROR_PROGRAMMER_ERROR);
  // A handle output of 3 or 5 bytes; an extra input; attributes of 19 bytes.
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_256}, {}, {3}).status,
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_256}, {}, {5}).status,
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_256}, {{1}}, {4}).status,
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_IMPORT_KEY, {}, {Bytes(19, 0), kAes128}, {4}).status,
            PSA_ERROR_PROGRAMMER_ERROR);
  // An extra output.
  EXPECT_EQ(
      rig.Call(kApp, BASTION_CRYPTO_HASH_COMPUTE, {.alg = PSA_ALG_SHA_256}, {kAbc}, {32, 4}).status,
      PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(rig.service().OperationsOf(kApp), 0u);
  // Unknown functions.
  for (int32_t f : {0, 2, 9, 18, 28, 38, 49, 62, 76, 81, 102, 1000}) {
    EXPECT_EQ(rig.Call(kApp, f, {}, {}, {}).status, PSA_ERROR_NOT_SUPPORTED) << f;
  }
  EXPECT_EQ(rig.spm().FaultCount(kCrypto), 0u);
}

TEST(CryptoService, OtherClientsKeysAndHandlesAnswerLikeMissingOnes) {
  Rig rig;
  const uint32_t key = rig.Import(
      kApp, AesAttributes(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_EXPORT, PSA_ALG_CTR), kAes128);
  ASSERT_NE(key, 0u);
  const uint32_t missing = key ^ 0x5;
  for (int32_t f : {BASTION_CRYPTO_EXPORT_KEY, BASTION_CRYPTO_EXPORT_PUBLIC_KEY,
                    BASTION_CRYPTO_GET_KEY_ATTRIBUTES}) {
    const size_t out = f == BASTION_CRYPTO_GET_KEY_ATTRIBUTES ? 20 : 64;
    Result foreign = rig.Call(kOtherApp, f, {.key = key}, {}, {out});
    Result absent = rig.Call(kOtherApp, f, {.key = missing}, {}, {out});
    EXPECT_EQ(foreign.status, PSA_ERROR_INVALID_HANDLE);
    EXPECT_EQ(foreign.status, absent.status);
    EXPECT_EQ(foreign.out, absent.out);
  }
  EXPECT_EQ(rig.Call(kOtherApp, BASTION_CRYPTO_DESTROY_KEY, {.key = key}).status,
            PSA_ERROR_INVALID_HANDLE);
  EXPECT_EQ(rig.Call(kOtherApp, BASTION_CRYPTO_CIPHER_ENCRYPT, {.key = key, .alg = PSA_ALG_CTR},
                     {kAbc}, {64})
                .status,
            PSA_ERROR_INVALID_HANDLE);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = key}, {}, {64}).status, PSA_SUCCESS);

  Result r = rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_256}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t h = U32(r.out[0]);
  Result foreign = rig.Call(kOtherApp, BASTION_CRYPTO_HASH_FINISH, {.handle = h}, {}, {32});
  Result absent = rig.Call(kOtherApp, BASTION_CRYPTO_HASH_FINISH, {.handle = h ^ 0x1000}, {}, {32});
  EXPECT_EQ(foreign.status, PSA_ERROR_BAD_STATE);
  EXPECT_EQ(foreign.status, absent.status);
  EXPECT_EQ(foreign.out, absent.out);
  // The same handle in another table (a MAC handle of the same index).
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_MAC_ABORT, {.handle = h}).status, PSA_ERROR_BAD_STATE);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_ABORT, {.handle = 0}).status, PSA_ERROR_BAD_STATE);
  // The owner's handle still works.
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_FINISH, {.handle = h}, {}, {32}).status,
            PSA_SUCCESS);
}

TEST(CryptoService, QuotasAndSlots) {
  Rig rig;
  const Bytes attributes = AesAttributes(PSA_KEY_USAGE_ENCRYPT, PSA_ALG_CTR);
  std::vector<uint32_t> keys;
  for (uint16_t i = 0; i < kNsSlots; ++i) {
    psa_status_t status;
    keys.push_back(rig.Import(kApp, attributes, kAes128, &status));
    ASSERT_EQ(status, PSA_SUCCESS) << i;
  }
  psa_status_t status;
  rig.Import(kApp, attributes, kAes128, &status);
  EXPECT_EQ(status, PSA_ERROR_INSUFFICIENT_MEMORY);
  // Another client is not affected; a destroyed key gives its place back.
  rig.Import(kOtherApp, attributes, kAes128, &status);
  EXPECT_EQ(status, PSA_SUCCESS);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_DESTROY_KEY, {.key = keys[0]}).status, PSA_SUCCESS);
  rig.Import(kApp, attributes, kAes128, &status);
  EXPECT_EQ(status, PSA_SUCCESS);
  // A secure partition's quota is its declaration's key_slots.
  rig.Import(kSmall, attributes, kAes128, &status);
  EXPECT_EQ(status, PSA_SUCCESS);
  rig.Import(kSmall, attributes, kAes128, &status);
  EXPECT_EQ(status, PSA_SUCCESS);
  rig.Import(kSmall, attributes, kAes128, &status);
  EXPECT_EQ(status, PSA_ERROR_INSUFFICIENT_MEMORY);
  // The core's slots run out before kBig's quota (64): the same answer.
  int imported = 0;
  for (int i = 0; i < 64; ++i) {
    rig.Import(kBig, attributes, kAes128, &status);
    if (status != PSA_SUCCESS) break;
    ++imported;
  }
  EXPECT_EQ(status, PSA_ERROR_INSUFFICIENT_MEMORY);
  EXPECT_LT(imported, 64);
  // Operations: kOperationsPerClient per table and client.
  std::vector<uint32_t> handles;
  for (size_t i = 0; i < kOperationsPerClient; ++i) {
    Result r = rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_256}, {}, {4});
    ASSERT_EQ(r.status, PSA_SUCCESS);
    handles.push_back(U32(r.out[0]));
  }
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_256}, {}, {4}).status,
            PSA_ERROR_INSUFFICIENT_MEMORY);
  EXPECT_EQ(
      rig.Call(kOtherApp, BASTION_CRYPTO_HASH_SETUP, {.alg = PSA_ALG_SHA_256}, {}, {4}).status,
      PSA_SUCCESS);
  // A client that went away: its operations go, the others' stay.
  rig.service().ReleaseClient(kApp);
  EXPECT_EQ(rig.service().OperationsOf(kApp), 0u);
  EXPECT_EQ(rig.service().OperationsOf(kOtherApp), 1u);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_HASH_ABORT, {.handle = handles[0]}).status,
            PSA_ERROR_BAD_STATE);
}

TEST(CryptoService, OutputsTooSmallAndHugeLengths) {
  Rig rig;
  Result r = rig.Call(kApp, BASTION_CRYPTO_HASH_COMPUTE, {.alg = PSA_ALG_SHA_256}, {kAbc}, {31});
  EXPECT_EQ(r.status, PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_TRUE(r.out[0].empty());
  const uint32_t gcm = rig.Import(
      kApp, AesAttributes(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_GCM), kAes128);
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_ENCRYPT, {.key = gcm, .alg = PSA_ALG_GCM, .value = 12},
               {Bytes(12, 1), kAbc}, {18});
  EXPECT_EQ(r.status, PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_TRUE(r.out[0].empty());
  // A nonce length past the vector, or near SIZE_MAX.
  for (uint64_t v : {uint64_t{13}, uint64_t{SIZE_MAX}, UINT64_MAX, uint64_t{SIZE_MAX} - 11}) {
    r = rig.Call(kApp, BASTION_CRYPTO_AEAD_ENCRYPT, {.key = gcm, .alg = PSA_ALG_GCM, .value = v},
                 {Bytes(12, 1), kAbc}, {64});
    EXPECT_EQ(r.status, PSA_ERROR_INVALID_ARGUMENT) << v;
  }
  r = rig.Call(kApp, BASTION_CRYPTO_AEAD_ENCRYPT_SETUP, {.key = gcm, .alg = PSA_ALG_GCM}, {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t ah = U32(r.out[0]);
  EXPECT_NE(rig.Call(kApp, BASTION_CRYPTO_AEAD_SET_LENGTHS,
                     {.handle = ah, .value = UINT64_MAX, .value2 = UINT64_MAX})
                .status,
            PSA_SUCCESS);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_AEAD_ABORT, {.handle = ah}).status, PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_SETUP, {.alg = PSA_ALG_HKDF(PSA_ALG_SHA_256)},
               {}, {4});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  const uint32_t kh = U32(r.out[0]);
  EXPECT_NE(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_SET_CAPACITY,
                     {.handle = kh, .value = UINT64_MAX})
                .status,
            PSA_SUCCESS);
  EXPECT_NE(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_INPUT_INTEGER,
                     {.handle = kh, .step = 0xFFFFFFFF, .value = UINT64_MAX})
                .status,
            PSA_SUCCESS);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_ABORT, {.handle = kh}).status,
            PSA_SUCCESS);
  // More input than one call may carry.
  r = rig.Call(kApp, BASTION_CRYPTO_HASH_COMPUTE, {.alg = PSA_ALG_SHA_256},
               {Bytes(kMaxCallData + 1, 0)}, {32});
  EXPECT_EQ(r.status, PSA_ERROR_INSUFFICIENT_MEMORY);
  r = rig.Call(kApp, BASTION_CRYPTO_HASH_COMPUTE, {.alg = PSA_ALG_SHA_256},
               {Bytes(kMaxCallData, 0)}, {32});
  EXPECT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(rig.spm().FaultCount(kCrypto), 0u);
}

// ---- built-in keys ----

TEST(CryptoService, AttestationKey) {
  const uint32_t iak = BASTION_CRYPTO_BUILTIN_KEY_IAK;
  const uint32_t ecdsa = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
  Bytes public_key;
  {
    Rig rig;
    Result r = rig.Call(kAttestation, BASTION_CRYPTO_EXPORT_PUBLIC_KEY, {.key = iak}, {}, {100});
    ASSERT_EQ(r.status, PSA_SUCCESS);
    public_key = r.out[0];
    ASSERT_EQ(public_key.size(), 65u);
    r = rig.Call(kAttestation, BASTION_CRYPTO_SIGN_HASH, {.key = iak, .alg = ecdsa}, {kSha256Abc},
                 {64});
    ASSERT_EQ(r.status, PSA_SUCCESS);
    const Bytes signature = r.out[0];
    // It verifies with the exported public key, imported by another client.
    const uint32_t pub = rig.Import(kApp,
                                    Attributes(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1),
                                               256, PSA_KEY_USAGE_VERIFY_HASH, ecdsa),
                                    public_key);
    ASSERT_NE(pub, 0u);
    EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_VERIFY_HASH, {.key = pub, .alg = ecdsa},
                       {kSha256Abc, signature})
                  .status,
              PSA_SUCCESS);
    // Sign message too, and through the in-process API.
    EXPECT_EQ(rig.Call(kAttestation, BASTION_CRYPTO_SIGN_MESSAGE, {.key = iak, .alg = ecdsa},
                       {kAbc}, {64})
                  .status,
              PSA_SUCCESS);
    uint8_t sig[64];
    size_t length = 0;
    ASSERT_EQ(rig.service().SignHash(kAttestation, iak, ecdsa, kSha256Abc, sig, &length),
              PSA_SUCCESS);
    EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_VERIFY_HASH, {.key = pub, .alg = ecdsa},
                       {kSha256Abc, Bytes(sig, sig + length)})
                  .status,
              PSA_SUCCESS);
    uint8_t exported[65];
    ASSERT_EQ(rig.service().ExportPublicKey(kAttestation, iak, exported, &length), PSA_SUCCESS);
    EXPECT_EQ(Bytes(exported, exported + length), public_key);
    EXPECT_EQ(rig.service().SignHash(kApp, iak, ecdsa, kSha256Abc, sig, &length),
              PSA_ERROR_INVALID_HANDLE);
    // Its attributes: the built-in id, read-only.
    r = rig.Call(kAttestation, BASTION_CRYPTO_GET_KEY_ATTRIBUTES, {.key = iak}, {}, {20});
    ASSERT_EQ(r.status, PSA_SUCCESS);
    EXPECT_EQ(LoadLe32(&r.out[0][8]), iak);
    EXPECT_EQ(LoadLe32(&r.out[0][4]),
              PSA_KEY_LIFETIME_FROM_PERSISTENCE_AND_LOCATION(PSA_KEY_PERSISTENCE_READ_ONLY,
                                                             PSA_KEY_LOCATION_LOCAL_STORAGE));
    EXPECT_EQ(LoadLe16(&r.out[0][0]), PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    // Never exported, copied or destroyed.
    EXPECT_EQ(rig.Call(kAttestation, BASTION_CRYPTO_EXPORT_KEY, {.key = iak}, {}, {100}).status,
              PSA_ERROR_NOT_PERMITTED);
    EXPECT_EQ(rig.Call(kAttestation, BASTION_CRYPTO_DESTROY_KEY, {.key = iak}).status,
              PSA_ERROR_NOT_PERMITTED);
    EXPECT_EQ(rig.Call(kAttestation, BASTION_CRYPTO_COPY_KEY, {.key = iak},
                       {Attributes(0, 0, PSA_KEY_USAGE_SIGN_HASH, ecdsa)}, {4})
                  .status,
              PSA_ERROR_NOT_PERMITTED);
    // Another client: it does not exist, byte for byte like a missing key.
    for (sm::ClientId other : {kApp, kSmall}) {
      Result iak_r = rig.Call(other, BASTION_CRYPTO_EXPORT_PUBLIC_KEY, {.key = iak}, {}, {100});
      Result none = rig.Call(other, BASTION_CRYPTO_EXPORT_PUBLIC_KEY, {.key = 0x1234}, {}, {100});
      EXPECT_EQ(iak_r.status, PSA_ERROR_INVALID_HANDLE);
      EXPECT_EQ(iak_r.status, none.status);
      EXPECT_EQ(iak_r.out, none.out);
      EXPECT_EQ(
          rig.Call(other, BASTION_CRYPTO_SIGN_HASH, {.key = iak, .alg = ecdsa}, {kSha256Abc}, {64})
              .status,
          PSA_ERROR_INVALID_HANDLE);
      EXPECT_EQ(rig.Call(other, BASTION_CRYPTO_DESTROY_KEY, {.key = iak}).status,
                PSA_ERROR_INVALID_HANDLE);
    }
    // Stable across a restart of the partition.
    rig.service().Restart(kTable[0]);
    r = rig.Call(kAttestation, BASTION_CRYPTO_EXPORT_PUBLIC_KEY, {.key = iak}, {}, {100});
    ASSERT_EQ(r.status, PSA_SUCCESS);
    EXPECT_EQ(r.out[0], public_key);
  }
  // And across a new Secure Manager; equal to what DeriveIakPrivateKey gives.
  Rig rig;
  Result r = rig.Call(kAttestation, BASTION_CRYPTO_EXPORT_PUBLIC_KEY, {.key = iak}, {}, {100});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], public_key);
  uint8_t d[attestation::kIakPrivateKeySize];
  ASSERT_TRUE(attestation::DeriveIakPrivateKey(kAttestationSeed, d).ok());
  const uint32_t mine = rig.Import(
      kApp,
      Attributes(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256, PSA_KEY_USAGE_EXPORT, 0),
      Bytes(d, d + sizeof(d)));
  ASSERT_NE(mine, 0u);
  r = rig.Call(kApp, BASTION_CRYPTO_EXPORT_PUBLIC_KEY, {.key = mine}, {}, {100});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], public_key);
}

TEST(CryptoService, HukDerivedKey) {
  Rig rig;
  const uint32_t huk = BASTION_CRYPTO_BUILTIN_KEY_HUK_DERIVED;
  const uint32_t hkdf = PSA_ALG_HKDF(PSA_ALG_SHA_256);
  auto derive = [&](sm::ClientId client) {
    Result r = rig.Call(client, BASTION_CRYPTO_KEY_DERIVATION_SETUP, {.alg = hkdf}, {}, {4});
    EXPECT_EQ(r.status, PSA_SUCCESS);
    const uint32_t h = U32(r.out[0]);
    EXPECT_EQ(rig.Call(client, BASTION_CRYPTO_KEY_DERIVATION_INPUT_KEY,
                       {.key = huk, .handle = h, .step = PSA_KEY_DERIVATION_INPUT_SECRET})
                  .status,
              client == kBig ? PSA_SUCCESS : PSA_ERROR_INVALID_HANDLE);
    // (A refused key leaves the operation as it was.)
    EXPECT_EQ(rig.Call(client, BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES,
                       {.handle = h, .step = PSA_KEY_DERIVATION_INPUT_INFO}, {kAbc})
                  .status,
              PSA_SUCCESS);
    r = rig.Call(client, BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES, {.handle = h}, {}, {32});
    (void)rig.Call(client, BASTION_CRYPTO_KEY_DERIVATION_ABORT, {.handle = h});
    return r;
  };
  Result first = derive(kBig);
  ASSERT_EQ(first.status, PSA_SUCCESS);
  rig.service().Restart(kTable[0]);
  Result again = derive(kBig);
  ASSERT_EQ(again.status, PSA_SUCCESS);
  EXPECT_EQ(first.out[0], again.out[0]);
  // The same derivation by hand: HKDF(seed, "bastion huk key" || id) is the key.
  uint8_t info[19] = {'b', 'a', 's', 't', 'i', 'o', 'n', ' ', 'h', 'u', 'k', ' ', 'k', 'e', 'y'};
  StoreLe32(info + 15, static_cast<uint32_t>(kBig));
  uint8_t key[32];
  ASSERT_TRUE(crypto::HkdfSha256({}, kStorageSeed, info, key).ok());
  const uint32_t mine = rig.Import(
      kApp, Attributes(PSA_KEY_TYPE_DERIVE, 256, PSA_KEY_USAGE_DERIVE, hkdf), Bytes(key, key + 32));
  ASSERT_NE(mine, 0u);
  Result r = rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_SETUP, {.alg = hkdf}, {}, {4});
  const uint32_t h = U32(r.out[0]);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_INPUT_KEY,
                     {.key = mine, .handle = h, .step = PSA_KEY_DERIVATION_INPUT_SECRET})
                .status,
            PSA_SUCCESS);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES,
                     {.handle = h, .step = PSA_KEY_DERIVATION_INPUT_INFO}, {kAbc})
                .status,
            PSA_SUCCESS);
  r = rig.Call(kApp, BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES, {.handle = h}, {}, {32});
  EXPECT_EQ(r.out[0], first.out[0]);
  // Clients the list does not name have none.
  EXPECT_NE(derive(kSmall).status, PSA_SUCCESS);
  EXPECT_EQ(rig.Call(kBig, BASTION_CRYPTO_EXPORT_KEY, {.key = huk}, {}, {64}).status,
            PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = huk}, {}, {64}).status,
            PSA_ERROR_INVALID_HANDLE);
}

// ---- persistent keys ----

Bytes PersistentAes(uint32_t id) {
  return Attributes(PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_EXPORT, PSA_ALG_CTR,
                    PSA_KEY_LIFETIME_PERSISTENT, id);
}

TEST(CryptoService, PersistentKeySurvivesRestart) {
  Rig rig;
  psa_status_t status;
  ASSERT_EQ(rig.Import(kApp, PersistentAes(42), kAes128, &status), 42u);
  // Another client may use the same id for a key of its own.
  const Bytes other = Hex("ffeeddccbbaa99887766554433221100");
  ASSERT_EQ(rig.Import(kOtherApp, PersistentAes(42), other, &status), 42u);
  rig.Import(kApp, PersistentAes(42), kAes128, &status);
  EXPECT_EQ(status, PSA_ERROR_ALREADY_EXISTS);
  rig.Boot();
  Result r = rig.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = 42}, {}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], kAes128);
  r = rig.Call(kOtherApp, BASTION_CRYPTO_EXPORT_KEY, {.key = 42}, {}, {64});
  ASSERT_EQ(r.status, PSA_SUCCESS);
  EXPECT_EQ(r.out[0], other);
  EXPECT_EQ(rig.Call(kSmall, BASTION_CRYPTO_EXPORT_KEY, {.key = 42}, {}, {64}).status,
            PSA_ERROR_INVALID_HANDLE);
  // Persistent keys count against the quota after a restart too.
  for (uint32_t id = 100; id < 100 + kNsSlots - 1; ++id) {
    ASSERT_EQ(rig.Import(kApp, PersistentAes(id), kAes128, &status), id);
  }
  rig.Boot();
  rig.Import(kApp, PersistentAes(200), kAes128, &status);
  EXPECT_EQ(status, PSA_ERROR_INSUFFICIENT_MEMORY);
  ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_DESTROY_KEY, {.key = 42}).status, PSA_SUCCESS);
  rig.Boot();
  EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = 42}, {}, {64}).status,
            PSA_ERROR_INVALID_HANDLE);
  EXPECT_EQ(rig.Import(kApp, PersistentAes(200), kAes128, &status), 200u);
}

// Cuts power at every flash operation of a persistent key's creation and of
// its destruction: after the reboot the key is whole or absent.
TEST(CryptoService, PowerCutDuringPersistentKeyCreationAndDestruction) {
  for (const bool destroy : {false, true}) {
    SCOPED_TRACE(destroy ? "destroy" : "create");
    uint64_t total = 0;
    {
      Rig rig;
      if (destroy) {
        ASSERT_EQ(rig.Import(kApp, PersistentAes(7), kAes128), 7u);
      }
      const uint64_t start = rig.device().operations();
      if (destroy) {
        ASSERT_EQ(rig.Call(kApp, BASTION_CRYPTO_DESTROY_KEY, {.key = 7}).status, PSA_SUCCESS);
      } else {
        ASSERT_EQ(rig.Import(kApp, PersistentAes(7), kAes128), 7u);
      }
      total = rig.device().operations() - start;
      ASSERT_GT(total, 0u);
    }
    for (uint64_t n = 1; n <= total; ++n) {
      SCOPED_TRACE("cut at flash operation " + std::to_string(n) + " of " + std::to_string(total));
      Rig rig;
      if (destroy) {
        ASSERT_EQ(rig.Import(kApp, PersistentAes(7), kAes128), 7u);
      }
      rig.device().SetPowerLossAfter(n);
      if (destroy) {
        EXPECT_NE(rig.Call(kApp, BASTION_CRYPTO_DESTROY_KEY, {.key = 7}).status, PSA_SUCCESS);
      } else {
        psa_status_t status;
        rig.Import(kApp, PersistentAes(7), kAes128, &status);
        EXPECT_NE(status, PSA_SUCCESS);
      }
      rig.Shutdown();
      rig.device().SetPowerLossAfter(0);
      rig.device().PowerCycle();
      rig.Boot();
      Result r = rig.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = 7}, {}, {64});
      if (r.status == PSA_SUCCESS) {
        EXPECT_EQ(r.out[0], kAes128);
        r = rig.Call(kApp, BASTION_CRYPTO_GET_KEY_ATTRIBUTES, {.key = 7}, {}, {20});
        ASSERT_EQ(r.status, PSA_SUCCESS);
        EXPECT_EQ(r.out[0], PersistentAes(7));
        // Whole: it can be destroyed.
        EXPECT_EQ(rig.Call(kApp, BASTION_CRYPTO_DESTROY_KEY, {.key = 7}).status, PSA_SUCCESS);
      } else {
        EXPECT_EQ(r.status, PSA_ERROR_INVALID_HANDLE);
        // Absent: the id can be used again.
        EXPECT_EQ(rig.Import(kApp, PersistentAes(7), kAes128), 7u);
      }
    }
  }
}

// ---- the core has one owner ----

TEST(CryptoService, SecondInstanceFailsCleanly) {
  Rig first;
  const uint32_t key =
      first.Import(kApp, AesAttributes(PSA_KEY_USAGE_EXPORT, PSA_ALG_CTR), kAes128);
  ASSERT_NE(key, 0u);
  {
    Rig second;
    EXPECT_FALSE(second.service().ready());
    EXPECT_EQ(second.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = key}, {}, {64}).status,
              PSA_ERROR_SERVICE_FAILURE);
    uint8_t out[65];
    size_t length = 0;
    EXPECT_EQ(second.service().ExportPublicKey(kAttestation, BASTION_CRYPTO_BUILTIN_KEY_IAK, out,
                                               &length),
              PSA_ERROR_SERVICE_FAILURE);
  }
  // The first one still owns its keys.
  EXPECT_TRUE(first.service().ready());
  EXPECT_EQ(first.Call(kApp, BASTION_CRYPTO_EXPORT_KEY, {.key = key}, {}, {64}).status,
            PSA_SUCCESS);
}

}  // namespace
}  // namespace bastion::crypto_service
