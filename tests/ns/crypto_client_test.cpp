// The crypto client of libbastion_ns (psa/crypto.h) over a fake transport
// that records every call: the exact bytes of the requests
// (include/bastion/crypto_service.h), operation handles kept in the
// operation structures, and the arguments refused locally, without a call.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <vector>

#include "bastion/crypto_service.h"
#include "bastion/gateway_frame.h"
#include "bastion/services.h"
#include "bastion_ns_transport.h"
#include "psa/crypto.h"
#include "psa/error.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes Le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}
Bytes Le64(uint64_t v) {
  Bytes out = Le32(static_cast<uint32_t>(v));
  const Bytes high = Le32(static_cast<uint32_t>(v >> 32));
  out.insert(out.end(), high.begin(), high.end());
  return out;
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
// The 32-byte parameter block.
Bytes Params(uint32_t key, uint32_t alg, uint32_t handle, uint32_t step = 0, uint64_t value = 0,
             uint64_t value2 = 0) {
  return Cat({Le32(key), Le32(alg), Le32(handle), Le32(step), Le64(value), Le64(value2)});
}

struct RecordedCall {
  psa_handle_t handle = 0;
  int32_t type = 0;
  std::vector<Bytes> in;
  std::vector<size_t> out_capacity;
};

struct Reply {
  psa_status_t status = PSA_SUCCESS;
  std::vector<Bytes> outputs;  // written to the out vectors (cut to their capacity)
};

// The fake Secure Manager: records each call and answers with the next
// queued reply (success with nothing written when none is queued). It also
// refuses what the real SPM refuses: an output overlapping any other vector.
struct FakeService {
  std::vector<RecordedCall> calls;
  std::deque<Reply> replies;
  uint32_t framework = PSA_FRAMEWORK_VERSION;
  uint32_t crypto_version = BASTION_CRYPTO_VERSION;

  static FakeService* Of(void* context) { return static_cast<FakeService*>(context); }
  static uint32_t Framework(void* context) { return Of(context)->framework; }
  static uint32_t Version(void* context, uint32_t sid) {
    return sid == BASTION_CRYPTO_SID ? Of(context)->crypto_version : PSA_VERSION_NONE;
  }
  static psa_handle_t Connect(void*, uint32_t, uint32_t) { return PSA_ERROR_CONNECTION_REFUSED; }
  static bool Overlap(const void* a, size_t a_len, const void* b, size_t b_len) {
    const auto x = reinterpret_cast<uintptr_t>(a);
    const auto y = reinterpret_cast<uintptr_t>(b);
    return a_len != 0 && b_len != 0 && x < y + b_len && y < x + a_len;
  }
  static psa_status_t Call(void* context, psa_handle_t handle, int32_t type, const psa_invec* in,
                           size_t in_len, psa_outvec* out, size_t out_len) {
    FakeService* self = Of(context);
    for (size_t o = 0; o < out_len; ++o) {
      for (size_t i = 0; i < in_len; ++i) {
        if (Overlap(out[o].base, out[o].len, in[i].base, in[i].len)) {
          return PSA_ERROR_PROGRAMMER_ERROR;
        }
      }
    }
    RecordedCall call{handle, type, {}, {}};
    for (size_t i = 0; i < in_len; ++i) {
      const auto* base = static_cast<const uint8_t*>(in[i].base);
      call.in.emplace_back(base, base + in[i].len);
    }
    Reply reply;
    if (!self->replies.empty()) {
      reply = self->replies.front();
      self->replies.pop_front();
    }
    for (size_t i = 0; i < out_len; ++i) {
      call.out_capacity.push_back(out[i].len);
      if (reply.status != PSA_SUCCESS) continue;
      const Bytes data = i < reply.outputs.size() ? reply.outputs[i] : Bytes{};
      const size_t n = std::min(data.size(), out[i].len);
      if (n != 0) std::memcpy(out[i].base, data.data(), n);
      out[i].len = n;
    }
    self->calls.push_back(call);
    return reply.status;
  }
  static void Close(void*, psa_handle_t) {}

  bastion_ns_transport_t Transport() {
    return {this, &Framework, &Version, &Connect, &Call, &Close};
  }
  void Answer(std::vector<Bytes> outputs, psa_status_t status = PSA_SUCCESS) {
    replies.push_back(Reply{status, std::move(outputs)});
  }
};

class CryptoClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const bastion_ns_transport_t transport = fake_.Transport();
    ASSERT_EQ(bastion_ns_set_transport(&transport), PSA_SUCCESS);
  }
  void TearDown() override { (void)bastion_ns_set_transport(nullptr); }

  const RecordedCall& OnlyCall() {
    EXPECT_EQ(fake_.calls.size(), 1u);
    if (fake_.calls.empty()) fake_.calls.emplace_back();
    return fake_.calls[0];
  }

  FakeService fake_;
};

constexpr size_t kCap = BASTION_GW_MAX_VECTOR_SIZE;
constexpr uint32_t kKey = 0x01020304;

// ---- The client view of the headers ----

static_assert(sizeof(psa_hash_operation_t) == sizeof(uint32_t), "the client view: a handle");
static_assert(sizeof(psa_key_derivation_operation_t) == sizeof(uint32_t), "a handle");
// The size macros follow the service's algorithm set (bastion_psa_algorithms.h).
static_assert(PSA_HASH_MAX_SIZE == 64, "SHA-512 is the longest hash");
static_assert(PSA_SIGNATURE_MAX_SIZE == 96, "ECDSA P-384 is the longest signature");
static_assert(PSA_EXPORT_PUBLIC_KEY_MAX_SIZE == 97, "a P-384 public key");
static_assert(PSA_MAC_MAX_SIZE == 64, "HMAC-SHA-512");

TEST_F(CryptoClientTest, OperationInitialisersAreInactive) {
  const psa_hash_operation_t hash = PSA_HASH_OPERATION_INIT;
  const psa_mac_operation_t mac = psa_mac_operation_init();
  const psa_cipher_operation_t cipher = PSA_CIPHER_OPERATION_INIT;
  const psa_aead_operation_t aead = psa_aead_operation_init();
  const psa_key_derivation_operation_t kdf = PSA_KEY_DERIVATION_OPERATION_INIT;
  EXPECT_EQ(hash.handle | mac.handle | cipher.handle | aead.handle | kdf.handle, 0u);
  const psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  EXPECT_EQ(psa_get_key_type(&attributes), PSA_KEY_TYPE_NONE);
  EXPECT_EQ(psa_get_key_lifetime(&attributes), PSA_KEY_LIFETIME_VOLATILE);
  EXPECT_EQ(psa_get_key_id(&attributes), PSA_KEY_ID_NULL);
}

// ---- Initialisation ----

TEST_F(CryptoClientTest, InitAsksForTheService) {
  EXPECT_EQ(psa_crypto_init(), PSA_SUCCESS);
  fake_.crypto_version = PSA_VERSION_NONE;
  EXPECT_EQ(psa_crypto_init(), PSA_ERROR_NOT_SUPPORTED);
  fake_.framework = PSA_VERSION_NONE;
  EXPECT_EQ(psa_crypto_init(), PSA_ERROR_COMMUNICATION_FAILURE);
  EXPECT_TRUE(fake_.calls.empty());
}

// ---- Request bytes ----

TEST_F(CryptoClientTest, HashComputeRequest) {
  const Bytes digest(32, 0xab);
  fake_.Answer({digest});
  uint8_t hash[PSA_HASH_MAX_SIZE];
  size_t length = 99;
  ASSERT_EQ(psa_hash_compute(PSA_ALG_SHA_256, reinterpret_cast<const uint8_t*>("abc"), 3, hash,
                             sizeof hash, &length),
            PSA_SUCCESS);
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.handle, BASTION_CRYPTO_HANDLE);
  EXPECT_EQ(call.type, BASTION_CRYPTO_HASH_COMPUTE);
  ASSERT_EQ(call.in.size(), 2u);
  EXPECT_EQ(call.in[0], Params(0, PSA_ALG_SHA_256, 0));
  EXPECT_EQ(call.in[1], (Bytes{'a', 'b', 'c'}));
  EXPECT_EQ(call.out_capacity, (std::vector<size_t>{sizeof hash}));
  EXPECT_EQ(length, 32u);
  EXPECT_EQ(Bytes(hash, hash + length), digest);
}

TEST_F(CryptoClientTest, ImportKeyRequestCarriesTheAttributes) {
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_type(&attributes, PSA_KEY_TYPE_AES);
  psa_set_key_bits(&attributes, 128);
  psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
  psa_set_key_algorithm(&attributes, PSA_ALG_GCM);
  psa_set_key_id(&attributes, 0x42);  // persistent
  const Bytes material(16, 0x11);
  fake_.Answer({Le32(0x42)});
  psa_key_id_t key = 7;
  ASSERT_EQ(psa_import_key(&attributes, material.data(), material.size(), &key), PSA_SUCCESS);
  EXPECT_EQ(key, 0x42u);
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.type, BASTION_CRYPTO_IMPORT_KEY);
  ASSERT_EQ(call.in.size(), 3u);
  EXPECT_EQ(call.in[0], Params(0, 0, 0));
  const Bytes encoded = Cat({{0x00, 0x24},
                             {128, 0},
                             Le32(PSA_KEY_LIFETIME_PERSISTENT),
                             Le32(0x42),
                             Le32(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT),
                             Le32(PSA_ALG_GCM)});
  EXPECT_EQ(call.in[1], encoded);
  EXPECT_EQ(call.in[2], material);
  EXPECT_EQ(call.out_capacity, (std::vector<size_t>{4}));
}

TEST_F(CryptoClientTest, GetKeyAttributesDecodesAVolatileKeyExactly) {
  const Bytes encoded = Cat({{0x12, 0x71},
                             {0, 1},
                             Le32(PSA_KEY_LIFETIME_VOLATILE),
                             Le32(0x7ffff000),
                             Le32(PSA_KEY_USAGE_SIGN_HASH),
                             Le32(PSA_ALG_ECDSA(PSA_ALG_SHA_256))});
  fake_.Answer({encoded});
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  ASSERT_EQ(psa_get_key_attributes(kKey, &attributes), PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().in[0], Params(kKey, 0, 0));
  EXPECT_EQ(psa_get_key_type(&attributes), PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
  EXPECT_EQ(psa_get_key_bits(&attributes), 256u);
  EXPECT_EQ(psa_get_key_lifetime(&attributes), PSA_KEY_LIFETIME_VOLATILE);
  EXPECT_EQ(psa_get_key_id(&attributes), 0x7ffff000u);  // kept, though volatile
  EXPECT_EQ(psa_get_key_usage_flags(&attributes), PSA_KEY_USAGE_SIGN_HASH);
  EXPECT_EQ(psa_get_key_algorithm(&attributes), PSA_ALG_ECDSA(PSA_ALG_SHA_256));

  // A reply of another size is the service's failure; the attributes are reset.
  fake_.Answer({Bytes(19, 0)});
  EXPECT_EQ(psa_get_key_attributes(kKey, &attributes), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(psa_get_key_type(&attributes), PSA_KEY_TYPE_NONE);
}

TEST_F(CryptoClientTest, AeadEncryptJoinsNonceAndAdditionalData) {
  const Bytes nonce(12, 0xaa), ad = {1, 2, 3}, plaintext = {9, 8, 7, 6};
  fake_.Answer({Bytes(20, 0x55)});
  uint8_t out[64];
  size_t length = 0;
  ASSERT_EQ(psa_aead_encrypt(kKey, PSA_ALG_GCM, nonce.data(), nonce.size(), ad.data(), ad.size(),
                             plaintext.data(), plaintext.size(), out, sizeof out, &length),
            PSA_SUCCESS);
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.type, BASTION_CRYPTO_AEAD_ENCRYPT);
  ASSERT_EQ(call.in.size(), 3u);
  EXPECT_EQ(call.in[0], Params(kKey, PSA_ALG_GCM, 0, 0, 12));
  EXPECT_EQ(call.in[1], Cat({nonce, ad}));
  EXPECT_EQ(call.in[2], plaintext);
  EXPECT_EQ(length, 20u);
}

TEST_F(CryptoClientTest, InPlaceInputsAreCopiedBeforeTheCall) {
  // The SPM refuses an output overlapping an input; the API allows in-place use.
  uint8_t buffer[32];
  for (size_t i = 0; i < sizeof buffer; ++i) buffer[i] = static_cast<uint8_t>(i);
  const Bytes original(buffer, buffer + sizeof buffer);
  fake_.Answer({Bytes(32, 0xee)});
  size_t length = 0;
  ASSERT_EQ(psa_cipher_encrypt(kKey, PSA_ALG_CTR, buffer, 16, buffer, sizeof buffer, &length),
            PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().in[1], Bytes(original.begin(), original.begin() + 16));
  EXPECT_EQ(length, 32u);
  EXPECT_EQ(buffer[0], 0xee);
}

TEST_F(CryptoClientTest, AeadFinishHasTwoOutputs) {
  psa_aead_operation_t operation = PSA_AEAD_OPERATION_INIT;
  operation.handle = 5;
  fake_.Answer({Bytes{1, 2}, Bytes(16, 3)});
  uint8_t ciphertext[16], tag[16];
  size_t ciphertext_length = 9, tag_length = 9;
  ASSERT_EQ(psa_aead_finish(&operation, ciphertext, sizeof ciphertext, &ciphertext_length, tag,
                            sizeof tag, &tag_length),
            PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().in[0], Params(0, 0, 5));
  EXPECT_EQ(OnlyCall().out_capacity, (std::vector<size_t>{16, 16}));
  EXPECT_EQ(ciphertext_length, 2u);
  EXPECT_EQ(tag_length, 16u);
  EXPECT_EQ(operation.handle, 0u);  // released by the service
}

TEST_F(CryptoClientTest, AeadSetLengthsUsesBothValues) {
  psa_aead_operation_t operation = PSA_AEAD_OPERATION_INIT;
  operation.handle = 3;
  ASSERT_EQ(psa_aead_set_lengths(&operation, 17, 0x100000000ull), PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().type, BASTION_CRYPTO_AEAD_SET_LENGTHS);
  EXPECT_EQ(OnlyCall().in[0], Params(0, 0, 3, 0, 17, 0x100000000ull));
  EXPECT_EQ(operation.handle, 3u);
}

TEST_F(CryptoClientTest, KeyDerivationRequests) {
  psa_key_derivation_operation_t operation = PSA_KEY_DERIVATION_OPERATION_INIT;
  fake_.Answer({Le32(11)});
  ASSERT_EQ(psa_key_derivation_setup(&operation, PSA_ALG_HKDF(PSA_ALG_SHA_256)), PSA_SUCCESS);
  EXPECT_EQ(operation.handle, 11u);
  ASSERT_EQ(psa_key_derivation_input_bytes(&operation, PSA_KEY_DERIVATION_INPUT_SALT,
                                           reinterpret_cast<const uint8_t*>("salt"), 4),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_key(&operation, PSA_KEY_DERIVATION_INPUT_SECRET, kKey),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_integer(&operation, PSA_KEY_DERIVATION_INPUT_COST, 600000),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_set_capacity(&operation, 42), PSA_SUCCESS);
  fake_.Answer({Le64(42)});
  size_t capacity = 0;
  ASSERT_EQ(psa_key_derivation_get_capacity(&operation, &capacity), PSA_SUCCESS);
  EXPECT_EQ(capacity, 42u);
  ASSERT_EQ(psa_key_derivation_verify_key(&operation, 0x99), PSA_SUCCESS);
  ASSERT_EQ(fake_.calls.size(), 7u);
  EXPECT_EQ(fake_.calls[0].type, BASTION_CRYPTO_KEY_DERIVATION_SETUP);
  EXPECT_EQ(fake_.calls[0].in[0], Params(0, PSA_ALG_HKDF(PSA_ALG_SHA_256), 0));
  EXPECT_EQ(fake_.calls[1].in[0], Params(0, 0, 11, PSA_KEY_DERIVATION_INPUT_SALT));
  EXPECT_EQ(fake_.calls[1].in[1], (Bytes{'s', 'a', 'l', 't'}));
  EXPECT_EQ(fake_.calls[2].in[0], Params(kKey, 0, 11, PSA_KEY_DERIVATION_INPUT_SECRET));
  EXPECT_EQ(fake_.calls[3].in[0], Params(0, 0, 11, PSA_KEY_DERIVATION_INPUT_COST, 600000));
  EXPECT_EQ(fake_.calls[4].in[0], Params(0, 0, 11, 0, 42));
  EXPECT_EQ(fake_.calls[5].out_capacity, (std::vector<size_t>{8}));
  EXPECT_EQ(fake_.calls[6].type, BASTION_CRYPTO_KEY_DERIVATION_VERIFY_KEY);
  EXPECT_EQ(fake_.calls[6].in[0], Params(0x99, 0, 11));
  // Derivations stay active until aborted.
  EXPECT_EQ(operation.handle, 11u);
  ASSERT_EQ(psa_key_derivation_abort(&operation), PSA_SUCCESS);
  EXPECT_EQ(fake_.calls.back().type, BASTION_CRYPTO_KEY_DERIVATION_ABORT);
  EXPECT_EQ(operation.handle, 0u);
}

// ---- Operation handles ----

TEST_F(CryptoClientTest, HashOperationLifecycle) {
  psa_hash_operation_t operation = PSA_HASH_OPERATION_INIT;
  // Inactive: refused locally; abort succeeds without a call.
  EXPECT_EQ(psa_hash_update(&operation, nullptr, 0), PSA_ERROR_BAD_STATE);
  size_t length = 5;
  uint8_t hash[32];
  EXPECT_EQ(psa_hash_finish(&operation, hash, sizeof hash, &length), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(psa_hash_verify(&operation, hash, sizeof hash), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(psa_hash_abort(&operation), PSA_SUCCESS);
  EXPECT_TRUE(fake_.calls.empty());

  fake_.Answer({Le32(0x1234)});
  ASSERT_EQ(psa_hash_setup(&operation, PSA_ALG_SHA_256), PSA_SUCCESS);
  EXPECT_EQ(operation.handle, 0x1234u);
  // Already active: refused locally.
  EXPECT_EQ(psa_hash_setup(&operation, PSA_ALG_SHA_256), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(fake_.calls.size(), 1u);

  ASSERT_EQ(psa_hash_update(&operation, reinterpret_cast<const uint8_t*>("ab"), 2), PSA_SUCCESS);
  EXPECT_EQ(fake_.calls[1].in[0], Params(0, 0, 0x1234));
  // A failed finish keeps the handle (the service keeps the operation).
  fake_.Answer({}, PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(psa_hash_finish(&operation, hash, 1, &length), PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(operation.handle, 0x1234u);
  fake_.Answer({Bytes(32, 1)});
  ASSERT_EQ(psa_hash_finish(&operation, hash, sizeof hash, &length), PSA_SUCCESS);
  EXPECT_EQ(length, 32u);
  EXPECT_EQ(operation.handle, 0u);
}

TEST_F(CryptoClientTest, HashClone) {
  psa_hash_operation_t source = PSA_HASH_OPERATION_INIT;
  psa_hash_operation_t target = PSA_HASH_OPERATION_INIT;
  EXPECT_EQ(psa_hash_clone(&source, &target), PSA_ERROR_BAD_STATE);
  source.handle = 4;
  target.handle = 5;
  EXPECT_EQ(psa_hash_clone(&source, &target), PSA_ERROR_BAD_STATE);
  EXPECT_TRUE(fake_.calls.empty());
  target.handle = 0;
  fake_.Answer({Le32(6)});
  ASSERT_EQ(psa_hash_clone(&source, &target), PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().type, BASTION_CRYPTO_HASH_CLONE);
  EXPECT_EQ(OnlyCall().in[0], Params(0, 0, 4));
  EXPECT_EQ(target.handle, 6u);
}

TEST_F(CryptoClientTest, AbortReleasesTheHandleWhateverTheAnswer) {
  psa_mac_operation_t operation = PSA_MAC_OPERATION_INIT;
  operation.handle = 8;
  fake_.Answer({}, PSA_ERROR_BAD_STATE);
  EXPECT_EQ(psa_mac_abort(&operation), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(OnlyCall().type, BASTION_CRYPTO_MAC_ABORT);
  EXPECT_EQ(OnlyCall().in[0], Params(0, 0, 8));
  EXPECT_EQ(operation.handle, 0u);
}

TEST_F(CryptoClientTest, MalformedHandleReplyIsAServiceFailure) {
  psa_cipher_operation_t operation = PSA_CIPHER_OPERATION_INIT;
  fake_.Answer({Bytes{1, 0}});
  EXPECT_EQ(psa_cipher_encrypt_setup(&operation, kKey, PSA_ALG_CTR), PSA_ERROR_SERVICE_FAILURE);
  fake_.Answer({Le32(0)});
  EXPECT_EQ(psa_cipher_encrypt_setup(&operation, kKey, PSA_ALG_CTR), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(operation.handle, 0u);
}

// ---- Arguments refused locally ----

TEST_F(CryptoClientTest, NullBuffersWithLengthsAreInvalid) {
  size_t length = 3;
  uint8_t out[16];
  EXPECT_EQ(psa_hash_compute(PSA_ALG_SHA_256, nullptr, 1, out, sizeof out, &length),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(psa_hash_compute(PSA_ALG_SHA_256, out, 1, nullptr, 32, &length),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_hash_compute(PSA_ALG_SHA_256, out, 1, out, 16, nullptr),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_aead_encrypt(kKey, PSA_ALG_GCM, nullptr, 12, out, 1, out, 1, out, 16, &length),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_verify_hash(kKey, PSA_ALG_ECDSA_ANY, out, 16, nullptr, 64),
            PSA_ERROR_INVALID_ARGUMENT);
  psa_key_id_t key = 77;
  EXPECT_EQ(psa_import_key(nullptr, out, 16, &key), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(key, PSA_KEY_ID_NULL);
  EXPECT_EQ(psa_generate_random(nullptr, 4), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_export_key(kKey, out, sizeof out, nullptr), PSA_ERROR_INVALID_ARGUMENT);
  // Two outputs sharing bytes.
  psa_aead_operation_t operation = PSA_AEAD_OPERATION_INIT;
  operation.handle = 1;
  size_t tag_length = 0;
  EXPECT_EQ(psa_aead_finish(&operation, out, 16, &length, out + 8, 8, &tag_length),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(operation.handle, 1u);
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(CryptoClientTest, InputsAboveTheGatewayCapAreRefused) {
  const Bytes big(kCap + 1, 0);
  uint8_t out[64];
  size_t length = 1;
  EXPECT_EQ(psa_sign_message(kKey, PSA_ALG_ECDSA(PSA_ALG_SHA_256), big.data(), big.size(), out,
                             sizeof out, &length),
            PSA_ERROR_INSUFFICIENT_MEMORY);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(psa_cipher_encrypt(kKey, PSA_ALG_CTR, big.data(), big.size(), out, sizeof out, &length),
            PSA_ERROR_INSUFFICIENT_MEMORY);
  // Nonce || additional data must fit one vector.
  EXPECT_EQ(psa_aead_encrypt(kKey, PSA_ALG_GCM, out, 12, big.data(), kCap - 11, out, 0, out,
                             sizeof out, &length),
            PSA_ERROR_INSUFFICIENT_MEMORY);
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(CryptoClientTest, LongInputsAndOutputsGoInParts) {
  const Bytes big(2 * kCap + 5, 0x5a);
  psa_hash_operation_t operation = PSA_HASH_OPERATION_INIT;
  operation.handle = 2;
  ASSERT_EQ(psa_hash_update(&operation, big.data(), big.size()), PSA_SUCCESS);
  ASSERT_EQ(fake_.calls.size(), 3u);
  EXPECT_EQ(fake_.calls[0].in[1].size(), kCap);
  EXPECT_EQ(fake_.calls[1].in[1].size(), kCap);
  EXPECT_EQ(fake_.calls[2].in[1].size(), 5u);

  // A single-part hash of a long input runs as setup, updates, finish.
  fake_.calls.clear();
  fake_.Answer({Le32(9)});
  fake_.Answer({});
  fake_.Answer({});
  fake_.Answer({});
  fake_.Answer({Bytes(32, 7)});
  uint8_t hash[32];
  size_t length = 0;
  ASSERT_EQ(psa_hash_compute(PSA_ALG_SHA_256, big.data(), big.size(), hash, sizeof hash, &length),
            PSA_SUCCESS);
  EXPECT_EQ(length, 32u);
  ASSERT_EQ(fake_.calls.size(), 5u);
  EXPECT_EQ(fake_.calls[0].type, BASTION_CRYPTO_HASH_SETUP);
  EXPECT_EQ(fake_.calls[4].type, BASTION_CRYPTO_HASH_FINISH);

  // Random bytes beyond one vector: one request per vector.
  fake_.calls.clear();
  std::vector<uint8_t> random(kCap + 3);
  fake_.Answer({Bytes(kCap, 1)});
  fake_.Answer({Bytes(3, 2)});
  ASSERT_EQ(psa_generate_random(random.data(), random.size()), PSA_SUCCESS);
  ASSERT_EQ(fake_.calls.size(), 2u);
  EXPECT_EQ(fake_.calls[0].out_capacity, (std::vector<size_t>{kCap}));
  EXPECT_EQ(fake_.calls[1].out_capacity, (std::vector<size_t>{3}));
  EXPECT_EQ(random.back(), 2);

  // A short answer is the service's failure.
  fake_.calls.clear();
  fake_.Answer({Bytes(2, 1)});
  EXPECT_EQ(psa_generate_random(random.data(), 3), PSA_ERROR_SERVICE_FAILURE);
}

TEST_F(CryptoClientTest, LargeOutputBuffersAreOfferedAtTheCap) {
  std::vector<uint8_t> out(3 * kCap);
  size_t length = 0;
  fake_.Answer({Bytes(64, 1)});
  ASSERT_EQ(psa_export_public_key(kKey, out.data(), out.size(), &length), PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().type, BASTION_CRYPTO_EXPORT_PUBLIC_KEY);
  EXPECT_EQ(OnlyCall().out_capacity, (std::vector<size_t>{kCap}));
  EXPECT_EQ(length, 64u);
}

TEST_F(CryptoClientTest, ErrorsLeaveOutputLengthsAtZero) {
  uint8_t signature[PSA_SIGNATURE_MAX_SIZE];
  size_t length = 55;
  fake_.Answer({}, PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(psa_sign_hash(kKey, PSA_ALG_ECDSA(PSA_ALG_SHA_256), signature, 32, signature + 32,
                          sizeof signature - 32, &length),
            PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(length, 0u);
  psa_key_id_t key = 5;
  fake_.Answer({}, PSA_ERROR_ALREADY_EXISTS);
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  EXPECT_EQ(psa_generate_key(&attributes, &key), PSA_ERROR_ALREADY_EXISTS);
  EXPECT_EQ(key, PSA_KEY_ID_NULL);
}

TEST_F(CryptoClientTest, DestroyingTheNullKeyIsANoOp) {
  EXPECT_EQ(psa_destroy_key(PSA_KEY_ID_NULL), PSA_SUCCESS);
  EXPECT_TRUE(fake_.calls.empty());
  ASSERT_EQ(psa_destroy_key(kKey), PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().type, BASTION_CRYPTO_DESTROY_KEY);
  EXPECT_EQ(OnlyCall().in[0], Params(kKey, 0, 0));
}

// ---- Functions the service does not carry ----

TEST_F(CryptoClientTest, UnsupportedFunctionsClearTheirOutputs) {
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_custom_key_parameters_t custom = PSA_CUSTOM_KEY_PARAMETERS_INIT;
  custom.flags = 1;
  psa_key_id_t key = 3;
  EXPECT_EQ(psa_generate_key_custom(&attributes, &custom, nullptr, 0, &key),
            PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(key, PSA_KEY_ID_NULL);
  // The default parameters are plain generation.
  custom.flags = 0;
  fake_.Answer({Le32(0x31)});
  EXPECT_EQ(psa_generate_key_custom(&attributes, &custom, nullptr, 0, &key), PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().type, BASTION_CRYPTO_GENERATE_KEY);
  EXPECT_EQ(key, 0x31u);

  psa_sign_hash_interruptible_operation_t sign = PSA_SIGN_HASH_INTERRUPTIBLE_OPERATION_INIT;
  uint8_t hash[32] = {0};
  EXPECT_EQ(psa_sign_hash_start(&sign, kKey, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, sizeof hash),
            PSA_ERROR_NOT_SUPPORTED);
  size_t length = 8;
  EXPECT_EQ(psa_sign_hash_complete(&sign, hash, sizeof hash, &length), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(psa_sign_hash_abort(&sign), PSA_SUCCESS);

  psa_pake_operation_t pake = PSA_PAKE_OPERATION_INIT;
  psa_pake_cipher_suite_t suite = psa_pake_cipher_suite_init();
  EXPECT_EQ(psa_pake_setup(&pake, &suite), PSA_ERROR_NOT_SUPPORTED);
  length = 8;
  EXPECT_EQ(psa_pake_output(&pake, PSA_PAKE_STEP_KEY_SHARE, hash, sizeof hash, &length),
            PSA_ERROR_BAD_STATE);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(psa_pake_abort(&pake), PSA_SUCCESS);
  EXPECT_EQ(fake_.calls.size(), 1u);
}

}  // namespace
