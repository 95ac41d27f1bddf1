// psa/crypto.h end to end: the client library (libbastion_ns) marshalling
// every function family to the Secure Manager's crypto partition, with
// published known-answer vectors, multi-part against single-part, and the
// error cases the PSA Crypto API specifies.
//
// The same source builds two programs: psa_host_crypto_test, over
// bastion::psa_host (the in-process transport), and gateway_crypto_test,
// over the gateway socket to a server thread (over_gateway.cpp). The tests
// cannot tell which.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bastion/crypto_service.h"
#include "psa/crypto.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes Hex(std::string_view hex) {
  auto nibble = [](char c) {
    return static_cast<uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  };
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}
Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

class CryptoApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(psa_crypto_init(), PSA_SUCCESS);
  }
  void TearDown() override {
    for (psa_key_id_t key : keys_) (void)psa_destroy_key(key);
  }

  // A volatile key from `material`, destroyed after the test.
  psa_key_id_t Import(psa_key_type_t type, psa_key_usage_t usage, psa_algorithm_t alg,
                      const Bytes& material) {
    psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&attributes, type);
    psa_set_key_usage_flags(&attributes, usage);
    psa_set_key_algorithm(&attributes, alg);
    psa_key_id_t key = PSA_KEY_ID_NULL;
    EXPECT_EQ(psa_import_key(&attributes, material.data(), material.size(), &key), PSA_SUCCESS);
    keys_.push_back(key);
    return key;
  }
  psa_key_id_t Generate(psa_key_type_t type, size_t bits, psa_key_usage_t usage,
                        psa_algorithm_t alg) {
    psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&attributes, type);
    psa_set_key_bits(&attributes, bits);
    psa_set_key_usage_flags(&attributes, usage);
    psa_set_key_algorithm(&attributes, alg);
    psa_key_id_t key = PSA_KEY_ID_NULL;
    EXPECT_EQ(psa_generate_key(&attributes, &key), PSA_SUCCESS);
    keys_.push_back(key);
    return key;
  }

  std::vector<psa_key_id_t> keys_;
};

const psa_key_type_t kP256 = PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1);
const psa_algorithm_t kEcdsa = PSA_ALG_ECDSA(PSA_ALG_SHA_256);

// ---- Random ----

TEST_F(CryptoApiTest, RandomBytesDiffer) {
  Bytes a(64), b(64);
  ASSERT_EQ(psa_generate_random(a.data(), a.size()), PSA_SUCCESS);
  ASSERT_EQ(psa_generate_random(b.data(), b.size()), PSA_SUCCESS);
  EXPECT_NE(a, b);
  EXPECT_NE(a, Bytes(64, 0));
  // More than one gateway vector's worth.
  Bytes large(40 * 1024);
  ASSERT_EQ(psa_generate_random(large.data(), large.size()), PSA_SUCCESS);
  EXPECT_NE(Bytes(large.end() - 64, large.end()), Bytes(64, 0));
}

// ---- Hash ----

TEST_F(CryptoApiTest, Sha256OfAbc) {
  const Bytes expected = Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const Bytes abc = Text("abc");
  Bytes hash(PSA_HASH_MAX_SIZE);
  size_t length = 0;
  ASSERT_EQ(
      psa_hash_compute(PSA_ALG_SHA_256, abc.data(), abc.size(), hash.data(), hash.size(), &length),
      PSA_SUCCESS);
  hash.resize(length);
  EXPECT_EQ(hash, expected);
  EXPECT_EQ(
      psa_hash_compare(PSA_ALG_SHA_256, abc.data(), abc.size(), expected.data(), expected.size()),
      PSA_SUCCESS);
  Bytes wrong = expected;
  wrong[0] ^= 1;
  EXPECT_EQ(psa_hash_compare(PSA_ALG_SHA_256, abc.data(), abc.size(), wrong.data(), wrong.size()),
            PSA_ERROR_INVALID_SIGNATURE);

  // Multi-part, with a clone taken half-way.
  psa_hash_operation_t operation = PSA_HASH_OPERATION_INIT;
  psa_hash_operation_t copy = PSA_HASH_OPERATION_INIT;
  ASSERT_EQ(psa_hash_setup(&operation, PSA_ALG_SHA_256), PSA_SUCCESS);
  ASSERT_EQ(psa_hash_update(&operation, abc.data(), 1), PSA_SUCCESS);
  ASSERT_EQ(psa_hash_clone(&operation, &copy), PSA_SUCCESS);
  ASSERT_EQ(psa_hash_update(&operation, abc.data() + 1, 2), PSA_SUCCESS);
  Bytes multi(32);
  ASSERT_EQ(psa_hash_finish(&operation, multi.data(), multi.size(), &length), PSA_SUCCESS);
  EXPECT_EQ(multi, expected);
  EXPECT_EQ(operation.handle, 0u);
  ASSERT_EQ(psa_hash_update(&copy, abc.data() + 1, 2), PSA_SUCCESS);
  EXPECT_EQ(psa_hash_verify(&copy, expected.data(), expected.size()), PSA_SUCCESS);
  EXPECT_EQ(copy.handle, 0u);
}

TEST_F(CryptoApiTest, LongHashInPartsEqualsSinglePart) {
  Bytes message(40 * 1024 + 3);
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<uint8_t>(i * 31);
  Bytes single(64), multi(64);
  size_t single_length = 0, multi_length = 0;
  ASSERT_EQ(psa_hash_compute(PSA_ALG_SHA_512, message.data(), message.size(), single.data(),
                             single.size(), &single_length),
            PSA_SUCCESS);
  psa_hash_operation_t operation = PSA_HASH_OPERATION_INIT;
  ASSERT_EQ(psa_hash_setup(&operation, PSA_ALG_SHA_512), PSA_SUCCESS);
  for (size_t at = 0; at < message.size(); at += 1000) {
    const size_t n = std::min<size_t>(1000, message.size() - at);
    ASSERT_EQ(psa_hash_update(&operation, message.data() + at, n), PSA_SUCCESS);
  }
  ASSERT_EQ(psa_hash_finish(&operation, multi.data(), multi.size(), &multi_length), PSA_SUCCESS);
  EXPECT_EQ(single_length, 64u);
  EXPECT_EQ(single, multi);
}

TEST_F(CryptoApiTest, HashErrors) {
  const Bytes abc = Text("abc");
  Bytes hash(31);
  size_t length = 7;
  EXPECT_EQ(
      psa_hash_compute(PSA_ALG_SHA_256, abc.data(), abc.size(), hash.data(), hash.size(), &length),
      PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(psa_hash_compute(PSA_ALG_HMAC(PSA_ALG_SHA_256), abc.data(), abc.size(), hash.data(),
                             hash.size(), &length),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(
      psa_hash_compute(PSA_ALG_SHA3_256, abc.data(), abc.size(), hash.data(), hash.size(), &length),
      PSA_ERROR_NOT_SUPPORTED);
  // Bad state: an update after finish, a finish never set up.
  psa_hash_operation_t operation = PSA_HASH_OPERATION_INIT;
  ASSERT_EQ(psa_hash_setup(&operation, PSA_ALG_SHA_256), PSA_SUCCESS);
  Bytes digest(32);
  ASSERT_EQ(psa_hash_finish(&operation, digest.data(), digest.size(), &length), PSA_SUCCESS);
  EXPECT_EQ(psa_hash_update(&operation, abc.data(), abc.size()), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(psa_hash_finish(&operation, digest.data(), digest.size(), &length),
            PSA_ERROR_BAD_STATE);
  // A handle the service never gave (or already released) is refused there.
  operation.handle = 0x7777;
  EXPECT_EQ(psa_hash_update(&operation, abc.data(), abc.size()), PSA_ERROR_BAD_STATE);
  operation.handle = 0;
  // A failed finish leaves the operation to abort.
  ASSERT_EQ(psa_hash_setup(&operation, PSA_ALG_SHA_256), PSA_SUCCESS);
  EXPECT_EQ(psa_hash_finish(&operation, digest.data(), 16, &length), PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_NE(operation.handle, 0u);
  EXPECT_EQ(psa_hash_abort(&operation), PSA_SUCCESS);
  EXPECT_EQ(operation.handle, 0u);
  EXPECT_EQ(psa_hash_abort(&operation), PSA_SUCCESS);
}

// ---- MAC ----

TEST_F(CryptoApiTest, HmacSha256Rfc4231Case1) {
  const psa_algorithm_t alg = PSA_ALG_HMAC(PSA_ALG_SHA_256);
  const psa_key_id_t key =
      Import(PSA_KEY_TYPE_HMAC, PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE, alg,
             Bytes(20, 0x0b));
  const Bytes data = Text("Hi There");
  const Bytes expected = Hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  Bytes mac(PSA_MAC_MAX_SIZE);
  size_t length = 0;
  ASSERT_EQ(psa_mac_compute(key, alg, data.data(), data.size(), mac.data(), mac.size(), &length),
            PSA_SUCCESS);
  mac.resize(length);
  EXPECT_EQ(mac, expected);
  EXPECT_EQ(psa_mac_verify(key, alg, data.data(), data.size(), expected.data(), expected.size()),
            PSA_SUCCESS);
  mac[31] ^= 0x80;
  EXPECT_EQ(psa_mac_verify(key, alg, data.data(), data.size(), mac.data(), mac.size()),
            PSA_ERROR_INVALID_SIGNATURE);

  psa_mac_operation_t operation = PSA_MAC_OPERATION_INIT;
  ASSERT_EQ(psa_mac_sign_setup(&operation, key, alg), PSA_SUCCESS);
  ASSERT_EQ(psa_mac_update(&operation, data.data(), 3), PSA_SUCCESS);
  ASSERT_EQ(psa_mac_update(&operation, data.data() + 3, data.size() - 3), PSA_SUCCESS);
  Bytes multi(32);
  ASSERT_EQ(psa_mac_sign_finish(&operation, multi.data(), multi.size(), &length), PSA_SUCCESS);
  EXPECT_EQ(multi, expected);
  ASSERT_EQ(psa_mac_verify_setup(&operation, key, alg), PSA_SUCCESS);
  ASSERT_EQ(psa_mac_update(&operation, data.data(), data.size()), PSA_SUCCESS);
  EXPECT_EQ(psa_mac_verify_finish(&operation, expected.data(), expected.size()), PSA_SUCCESS);
  EXPECT_EQ(operation.handle, 0u);
}

TEST_F(CryptoApiTest, MacPolicyAndKeyTypeErrors) {
  const psa_algorithm_t alg = PSA_ALG_HMAC(PSA_ALG_SHA_256);
  // Verify only: signing is not permitted.
  const psa_key_id_t verify_only =
      Import(PSA_KEY_TYPE_HMAC, PSA_KEY_USAGE_VERIFY_MESSAGE, alg, Bytes(32, 1));
  const Bytes data = Text("data");
  Bytes mac(32);
  size_t length = 3;
  EXPECT_EQ(
      psa_mac_compute(verify_only, alg, data.data(), data.size(), mac.data(), mac.size(), &length),
      PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(length, 0u);
  // Another algorithm than the policy's.
  EXPECT_EQ(psa_mac_verify(verify_only, PSA_ALG_HMAC(PSA_ALG_SHA_512), data.data(), data.size(),
                           mac.data(), mac.size()),
            PSA_ERROR_NOT_PERMITTED);
  // An AES key for HMAC: the wrong key type.
  const psa_key_id_t aes = Import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_SIGN_MESSAGE, alg, Bytes(16, 2));
  EXPECT_EQ(psa_mac_compute(aes, alg, data.data(), data.size(), mac.data(), mac.size(), &length),
            PSA_ERROR_INVALID_ARGUMENT);
  // A key that does not exist.
  EXPECT_EQ(
      psa_mac_compute(0x3ffffff0, alg, data.data(), data.size(), mac.data(), mac.size(), &length),
      PSA_ERROR_INVALID_HANDLE);
}

// ---- Ciphers ----

TEST_F(CryptoApiTest, AesCbcMultiPartEqualsSinglePart) {
  const psa_algorithm_t alg = PSA_ALG_CBC_PKCS7;
  const psa_key_id_t key =
      Import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, alg, Bytes(32, 7));
  Bytes plaintext(100);
  for (size_t i = 0; i < plaintext.size(); ++i) plaintext[i] = static_cast<uint8_t>(i);
  Bytes single(PSA_CIPHER_ENCRYPT_OUTPUT_SIZE(PSA_KEY_TYPE_AES, alg, plaintext.size()));
  size_t single_length = 0;
  ASSERT_EQ(psa_cipher_encrypt(key, alg, plaintext.data(), plaintext.size(), single.data(),
                               single.size(), &single_length),
            PSA_SUCCESS);
  EXPECT_EQ(single_length, 16u + 112u);  // IV, then 7 blocks of padded ciphertext
  single.resize(single_length);

  // Decrypt it in parts with the IV it carries.
  psa_cipher_operation_t operation = PSA_CIPHER_OPERATION_INIT;
  ASSERT_EQ(psa_cipher_decrypt_setup(&operation, key, alg), PSA_SUCCESS);
  ASSERT_EQ(psa_cipher_set_iv(&operation, single.data(), 16), PSA_SUCCESS);
  Bytes recovered(single.size());
  size_t done = 0, length = 0;
  ASSERT_EQ(psa_cipher_update(&operation, single.data() + 16, 40, recovered.data(),
                              recovered.size(), &length),
            PSA_SUCCESS);
  done += length;
  ASSERT_EQ(psa_cipher_update(&operation, single.data() + 56, single.size() - 56,
                              recovered.data() + done, recovered.size() - done, &length),
            PSA_SUCCESS);
  done += length;
  ASSERT_EQ(
      psa_cipher_finish(&operation, recovered.data() + done, recovered.size() - done, &length),
      PSA_SUCCESS);
  done += length;
  recovered.resize(done);
  EXPECT_EQ(recovered, plaintext);
  EXPECT_EQ(operation.handle, 0u);

  // Encrypt in parts with a generated IV; single-part decryption agrees.
  ASSERT_EQ(psa_cipher_encrypt_setup(&operation, key, alg), PSA_SUCCESS);
  Bytes multi(single.size() + 16);
  ASSERT_EQ(psa_cipher_generate_iv(&operation, multi.data(), 16, &length), PSA_SUCCESS);
  ASSERT_EQ(length, 16u);
  done = 16;
  ASSERT_EQ(psa_cipher_update(&operation, plaintext.data(), plaintext.size(), multi.data() + done,
                              multi.size() - done, &length),
            PSA_SUCCESS);
  done += length;
  ASSERT_EQ(psa_cipher_finish(&operation, multi.data() + done, multi.size() - done, &length),
            PSA_SUCCESS);
  done += length;
  Bytes back(multi.size());
  ASSERT_EQ(psa_cipher_decrypt(key, alg, multi.data(), done, back.data(), back.size(), &length),
            PSA_SUCCESS);
  back.resize(length);
  EXPECT_EQ(back, plaintext);
}

TEST_F(CryptoApiTest, AesCtrInPlace) {
  const psa_algorithm_t alg = PSA_ALG_CTR;
  const psa_key_id_t key =
      Import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, alg, Bytes(16, 9));
  const Bytes message = Text("in place, as the API allows");
  // The output (IV || ciphertext) overlaps the input, shifted by the IV.
  Bytes buffer(16 + message.size());
  std::memcpy(buffer.data(), message.data(), message.size());
  size_t length = 0;
  ASSERT_EQ(psa_cipher_encrypt(key, alg, buffer.data(), message.size(), buffer.data(),
                               buffer.size(), &length),
            PSA_SUCCESS);
  ASSERT_EQ(length, buffer.size());
  Bytes plain(message.size());
  ASSERT_EQ(psa_cipher_decrypt(key, alg, buffer.data(), buffer.size(), plain.data(), plain.size(),
                               &length),
            PSA_SUCCESS);
  EXPECT_EQ(plain, message);
}

TEST_F(CryptoApiTest, CipherErrors) {
  const psa_key_id_t key =
      Import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT, PSA_ALG_CTR, Bytes(16, 1));
  const Bytes data(32, 0);
  Bytes out(64);
  size_t length = 1;
  EXPECT_EQ(psa_cipher_decrypt(key, PSA_ALG_CTR, data.data(), data.size(), out.data(), out.size(),
                               &length),
            PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(psa_cipher_encrypt(key, PSA_ALG_CTR, data.data(), data.size(), out.data(), 20, &length),
            PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 0u);
  // An update before the IV.
  psa_cipher_operation_t operation = PSA_CIPHER_OPERATION_INIT;
  ASSERT_EQ(psa_cipher_encrypt_setup(&operation, key, PSA_ALG_CTR), PSA_SUCCESS);
  EXPECT_EQ(
      psa_cipher_update(&operation, data.data(), data.size(), out.data(), out.size(), &length),
      PSA_ERROR_BAD_STATE);
  EXPECT_EQ(psa_cipher_abort(&operation), PSA_SUCCESS);
}

// ---- AEAD ----

// AES-GCM, test case 4 of the GCM specification (McGrew and Viega).
struct GcmCase4 {
  Bytes key = Hex("feffe9928665731c6d6a8f9467308308");
  Bytes nonce = Hex("cafebabefacedbaddecaf888");
  Bytes ad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  Bytes plaintext = Hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6"
      "b525b16aedf5aa0de657ba637b39");
  Bytes ciphertext = Hex(
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84"
      "aa051ba30b396a0aac973d58e091");
  Bytes tag = Hex("5bc94fbc3221a5db94fae95ae7121a47");
};

TEST_F(CryptoApiTest, AesGcmKnownAnswer) {
  const GcmCase4 v;
  const psa_key_id_t key =
      Import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_GCM, v.key);
  Bytes expected = v.ciphertext;
  expected.insert(expected.end(), v.tag.begin(), v.tag.end());
  Bytes out(v.plaintext.size() + 16);
  size_t length = 0;
  ASSERT_EQ(
      psa_aead_encrypt(key, PSA_ALG_GCM, v.nonce.data(), v.nonce.size(), v.ad.data(), v.ad.size(),
                       v.plaintext.data(), v.plaintext.size(), out.data(), out.size(), &length),
      PSA_SUCCESS);
  out.resize(length);
  EXPECT_EQ(out, expected);
  Bytes plain(v.plaintext.size());
  ASSERT_EQ(
      psa_aead_decrypt(key, PSA_ALG_GCM, v.nonce.data(), v.nonce.size(), v.ad.data(), v.ad.size(),
                       expected.data(), expected.size(), plain.data(), plain.size(), &length),
      PSA_SUCCESS);
  EXPECT_EQ(plain, v.plaintext);
  // A flipped tag bit: refused, nothing returned.
  expected.back() ^= 1;
  EXPECT_EQ(
      psa_aead_decrypt(key, PSA_ALG_GCM, v.nonce.data(), v.nonce.size(), v.ad.data(), v.ad.size(),
                       expected.data(), expected.size(), plain.data(), plain.size(), &length),
      PSA_ERROR_INVALID_SIGNATURE);
  EXPECT_EQ(length, 0u);
}

TEST_F(CryptoApiTest, AesGcmMultiPartEqualsSinglePart) {
  const GcmCase4 v;
  const psa_key_id_t key =
      Import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_GCM, v.key);
  psa_aead_operation_t operation = PSA_AEAD_OPERATION_INIT;
  ASSERT_EQ(psa_aead_encrypt_setup(&operation, key, PSA_ALG_GCM), PSA_SUCCESS);
  ASSERT_EQ(psa_aead_set_lengths(&operation, v.ad.size(), v.plaintext.size()), PSA_SUCCESS);
  ASSERT_EQ(psa_aead_set_nonce(&operation, v.nonce.data(), v.nonce.size()), PSA_SUCCESS);
  ASSERT_EQ(psa_aead_update_ad(&operation, v.ad.data(), 7), PSA_SUCCESS);
  ASSERT_EQ(psa_aead_update_ad(&operation, v.ad.data() + 7, v.ad.size() - 7), PSA_SUCCESS);
  Bytes ciphertext(v.plaintext.size() + 16);
  size_t done = 0, length = 0, tag_length = 0;
  ASSERT_EQ(psa_aead_update(&operation, v.plaintext.data(), 32, ciphertext.data(),
                            ciphertext.size(), &length),
            PSA_SUCCESS);
  done += length;
  ASSERT_EQ(psa_aead_update(&operation, v.plaintext.data() + 32, v.plaintext.size() - 32,
                            ciphertext.data() + done, ciphertext.size() - done, &length),
            PSA_SUCCESS);
  done += length;
  Bytes tag(16);
  ASSERT_EQ(psa_aead_finish(&operation, ciphertext.data() + done, ciphertext.size() - done, &length,
                            tag.data(), tag.size(), &tag_length),
            PSA_SUCCESS);
  done += length;
  ciphertext.resize(done);
  EXPECT_EQ(ciphertext, v.ciphertext);
  EXPECT_EQ(tag, v.tag);
  EXPECT_EQ(operation.handle, 0u);

  ASSERT_EQ(psa_aead_decrypt_setup(&operation, key, PSA_ALG_GCM), PSA_SUCCESS);
  ASSERT_EQ(psa_aead_set_nonce(&operation, v.nonce.data(), v.nonce.size()), PSA_SUCCESS);
  ASSERT_EQ(psa_aead_update_ad(&operation, v.ad.data(), v.ad.size()), PSA_SUCCESS);
  Bytes plain(v.plaintext.size());
  ASSERT_EQ(psa_aead_update(&operation, v.ciphertext.data(), v.ciphertext.size(), plain.data(),
                            plain.size(), &length),
            PSA_SUCCESS);
  done = length;
  ASSERT_EQ(psa_aead_verify(&operation, plain.data() + done, plain.size() - done, &length,
                            v.tag.data(), v.tag.size()),
            PSA_SUCCESS);
  done += length;
  plain.resize(done);
  EXPECT_EQ(plain, v.plaintext);
}

TEST_F(CryptoApiTest, AeadGeneratedNonceAndInPlace) {
  const psa_key_id_t key = Import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT,
                                  PSA_ALG_GCM, Bytes(32, 0x3c));
  psa_aead_operation_t operation = PSA_AEAD_OPERATION_INIT;
  ASSERT_EQ(psa_aead_encrypt_setup(&operation, key, PSA_ALG_GCM), PSA_SUCCESS);
  // An update before the nonce is the service's bad state.
  Bytes scratch(64);
  size_t length = 0;
  EXPECT_EQ(psa_aead_update(&operation, scratch.data(), 16, scratch.data() + 16, 48, &length),
            PSA_ERROR_BAD_STATE);
  EXPECT_EQ(psa_aead_abort(&operation), PSA_SUCCESS);
  ASSERT_EQ(psa_aead_encrypt_setup(&operation, key, PSA_ALG_GCM), PSA_SUCCESS);
  Bytes nonce(PSA_AEAD_NONCE_MAX_SIZE);
  ASSERT_EQ(psa_aead_generate_nonce(&operation, nonce.data(), nonce.size(), &length), PSA_SUCCESS);
  EXPECT_EQ(length, 12u);
  EXPECT_EQ(psa_aead_abort(&operation), PSA_SUCCESS);

  // Single-part, in place: ciphertext || tag over the plaintext.
  const Bytes message = Text("sealed where it lies");
  Bytes buffer(message.size() + 16);
  std::memcpy(buffer.data(), message.data(), message.size());
  const Bytes ad = Text("header");
  ASSERT_EQ(psa_aead_encrypt(key, PSA_ALG_GCM, nonce.data(), 12, ad.data(), ad.size(),
                             buffer.data(), message.size(), buffer.data(), buffer.size(), &length),
            PSA_SUCCESS);
  ASSERT_EQ(length, buffer.size());
  ASSERT_EQ(psa_aead_decrypt(key, PSA_ALG_GCM, nonce.data(), 12, ad.data(), ad.size(),
                             buffer.data(), buffer.size(), buffer.data(), buffer.size(), &length),
            PSA_SUCCESS);
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<long>(length)), message);
}

// ---- Key management ----

TEST_F(CryptoApiTest, KeyLifecycle) {
  const Bytes material = Hex("000102030405060708090a0b0c0d0e0f");
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_type(&attributes, PSA_KEY_TYPE_AES);
  psa_set_key_usage_flags(&attributes,
                          PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_COPY);
  psa_set_key_algorithm(&attributes, PSA_ALG_CTR);
  psa_key_id_t key = PSA_KEY_ID_NULL;
  ASSERT_EQ(psa_import_key(&attributes, material.data(), material.size(), &key), PSA_SUCCESS);
  ASSERT_NE(key, PSA_KEY_ID_NULL);

  psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
  ASSERT_EQ(psa_get_key_attributes(key, &got), PSA_SUCCESS);
  EXPECT_EQ(psa_get_key_type(&got), PSA_KEY_TYPE_AES);
  EXPECT_EQ(psa_get_key_bits(&got), 128u);
  EXPECT_EQ(psa_get_key_lifetime(&got), PSA_KEY_LIFETIME_VOLATILE);
  EXPECT_EQ(psa_get_key_id(&got), key);
  EXPECT_EQ(psa_get_key_algorithm(&got), PSA_ALG_CTR);
  psa_reset_key_attributes(&got);
  EXPECT_EQ(psa_get_key_type(&got), PSA_KEY_TYPE_NONE);

  Bytes exported(PSA_EXPORT_KEY_OUTPUT_SIZE(PSA_KEY_TYPE_AES, 128));
  size_t length = 0;
  ASSERT_EQ(psa_export_key(key, exported.data(), exported.size(), &length), PSA_SUCCESS);
  exported.resize(length);
  EXPECT_EQ(exported, material);
  Bytes small(8);
  EXPECT_EQ(psa_export_key(key, small.data(), small.size(), &length), PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 0u);

  // A copy with a narrower policy: no export.
  psa_key_attributes_t narrower = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_usage_flags(&narrower, PSA_KEY_USAGE_ENCRYPT);
  psa_set_key_algorithm(&narrower, PSA_ALG_CTR);
  psa_key_id_t copy = PSA_KEY_ID_NULL;
  ASSERT_EQ(psa_copy_key(key, &narrower, &copy), PSA_SUCCESS);
  Bytes out(16);
  EXPECT_EQ(psa_export_key(copy, out.data(), out.size(), &length), PSA_ERROR_NOT_PERMITTED);

  ASSERT_EQ(psa_destroy_key(key), PSA_SUCCESS);
  ASSERT_EQ(psa_destroy_key(copy), PSA_SUCCESS);
  EXPECT_EQ(psa_get_key_attributes(key, &got), PSA_ERROR_INVALID_HANDLE);
  EXPECT_EQ(psa_destroy_key(PSA_KEY_ID_NULL), PSA_SUCCESS);
}

TEST_F(CryptoApiTest, PersistentKeyOpenCloseAndPurge) {
  const psa_key_id_t id = 0x00020001;
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_id(&attributes, id);
  psa_set_key_type(&attributes, PSA_KEY_TYPE_HMAC);
  psa_set_key_bits(&attributes, 256);
  psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_SIGN_MESSAGE);
  psa_set_key_algorithm(&attributes, PSA_ALG_HMAC(PSA_ALG_SHA_256));
  psa_key_id_t key = PSA_KEY_ID_NULL;
  (void)psa_destroy_key(id);  // left over by an earlier run against a saved device
  ASSERT_EQ(psa_generate_key(&attributes, &key), PSA_SUCCESS);
  EXPECT_EQ(key, id);
  psa_key_id_t again = 5;
  EXPECT_EQ(psa_generate_key(&attributes, &again), PSA_ERROR_ALREADY_EXISTS);
  EXPECT_EQ(again, PSA_KEY_ID_NULL);

  const Bytes data = Text("persistent");
  Bytes mac1(32), mac2(32);
  size_t length = 0;
  ASSERT_EQ(psa_mac_compute(key, PSA_ALG_HMAC(PSA_ALG_SHA_256), data.data(), data.size(),
                            mac1.data(), mac1.size(), &length),
            PSA_SUCCESS);
  ASSERT_EQ(psa_purge_key(key), PSA_SUCCESS);  // out of memory, still in storage
  psa_key_handle_t handle = PSA_KEY_HANDLE_INIT;
  ASSERT_EQ(psa_open_key(id, &handle), PSA_SUCCESS);
  ASSERT_EQ(psa_mac_compute(handle, PSA_ALG_HMAC(PSA_ALG_SHA_256), data.data(), data.size(),
                            mac2.data(), mac2.size(), &length),
            PSA_SUCCESS);
  EXPECT_EQ(mac1, mac2);
  EXPECT_EQ(psa_close_key(handle), PSA_SUCCESS);
  psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
  ASSERT_EQ(psa_get_key_attributes(id, &got), PSA_SUCCESS);  // closing kept it
  EXPECT_EQ(psa_get_key_lifetime(&got), PSA_KEY_LIFETIME_PERSISTENT);
  ASSERT_EQ(psa_destroy_key(id), PSA_SUCCESS);
  EXPECT_EQ(psa_open_key(id, &handle), PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(handle, PSA_KEY_HANDLE_INIT);
}

// ---- Signatures ----

TEST_F(CryptoApiTest, EcdsaP256SignVerifyRoundTrip) {
  const psa_key_id_t key = Generate(kP256, 256,
                                    PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH |
                                        PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE,
                                    kEcdsa);
  const Bytes message = Text("a message to sign");
  Bytes signature(PSA_SIGNATURE_MAX_SIZE);
  size_t length = 0;
  ASSERT_EQ(psa_sign_message(key, kEcdsa, message.data(), message.size(), signature.data(),
                             signature.size(), &length),
            PSA_SUCCESS);
  ASSERT_EQ(length, 64u);
  signature.resize(length);
  EXPECT_EQ(psa_verify_message(key, kEcdsa, message.data(), message.size(), signature.data(),
                               signature.size()),
            PSA_SUCCESS);

  // The same signature verifies against the hash, and with only the public key.
  Bytes hash(32);
  ASSERT_EQ(psa_hash_compute(PSA_ALG_SHA_256, message.data(), message.size(), hash.data(),
                             hash.size(), &length),
            PSA_SUCCESS);
  EXPECT_EQ(
      psa_verify_hash(key, kEcdsa, hash.data(), hash.size(), signature.data(), signature.size()),
      PSA_SUCCESS);
  Bytes public_key(PSA_EXPORT_PUBLIC_KEY_MAX_SIZE);
  ASSERT_EQ(psa_export_public_key(key, public_key.data(), public_key.size(), &length), PSA_SUCCESS);
  public_key.resize(length);
  ASSERT_EQ(public_key.size(), 65u);
  EXPECT_EQ(public_key[0], 0x04);
  const psa_key_id_t verifier = Import(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1),
                                       PSA_KEY_USAGE_VERIFY_HASH, kEcdsa, public_key);
  EXPECT_EQ(psa_verify_message(verifier, kEcdsa, message.data(), message.size(), signature.data(),
                               signature.size()),
            PSA_SUCCESS);
  Bytes hash_signature(64);
  ASSERT_EQ(psa_sign_hash(key, kEcdsa, hash.data(), hash.size(), hash_signature.data(),
                          hash_signature.size(), &length),
            PSA_SUCCESS);
  EXPECT_EQ(
      psa_verify_hash(verifier, kEcdsa, hash.data(), hash.size(), hash_signature.data(), length),
      PSA_SUCCESS);

  signature[10] ^= 1;
  EXPECT_EQ(psa_verify_message(verifier, kEcdsa, message.data(), message.size(), signature.data(),
                               signature.size()),
            PSA_ERROR_INVALID_SIGNATURE);
  // A public key cannot sign; a 63-byte buffer cannot hold the signature.
  EXPECT_EQ(psa_sign_hash(verifier, kEcdsa, hash.data(), hash.size(), hash_signature.data(),
                          hash_signature.size(), &length),
            PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(
      psa_sign_hash(key, kEcdsa, hash.data(), hash.size(), hash_signature.data(), 63, &length),
      PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 0u);
  // No RSA in this build.
  EXPECT_EQ(
      psa_asymmetric_encrypt(verifier, PSA_ALG_RSA_PKCS1V15_CRYPT, message.data(), message.size(),
                             nullptr, 0, signature.data(), signature.size(), &length),
      PSA_ERROR_NOT_PERMITTED);
}

// ---- Key agreement ----

TEST_F(CryptoApiTest, EcdhSharedSecretsAgree) {
  const psa_key_id_t alice = Generate(kP256, 256, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
  const psa_key_id_t bob = Generate(kP256, 256, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
  Bytes alice_public(65), bob_public(65);
  size_t length = 0;
  ASSERT_EQ(psa_export_public_key(alice, alice_public.data(), alice_public.size(), &length),
            PSA_SUCCESS);
  ASSERT_EQ(psa_export_public_key(bob, bob_public.data(), bob_public.size(), &length), PSA_SUCCESS);
  Bytes ab(32), ba(32);
  ASSERT_EQ(psa_raw_key_agreement(PSA_ALG_ECDH, alice, bob_public.data(), bob_public.size(),
                                  ab.data(), ab.size(), &length),
            PSA_SUCCESS);
  EXPECT_EQ(length, 32u);
  ASSERT_EQ(psa_raw_key_agreement(PSA_ALG_ECDH, bob, alice_public.data(), alice_public.size(),
                                  ba.data(), ba.size(), &length),
            PSA_SUCCESS);
  EXPECT_EQ(ab, ba);

  // ECDH into HKDF on both sides: the same key material.
  const psa_algorithm_t alg = PSA_ALG_KEY_AGREEMENT(PSA_ALG_ECDH, PSA_ALG_HKDF(PSA_ALG_SHA_256));
  const psa_key_id_t alice2 = Generate(kP256, 256, PSA_KEY_USAGE_DERIVE, alg);
  Bytes alice2_public(65);
  ASSERT_EQ(psa_export_public_key(alice2, alice2_public.data(), alice2_public.size(), &length),
            PSA_SUCCESS);
  const psa_key_id_t bob2 = Generate(kP256, 256, PSA_KEY_USAGE_DERIVE, alg);
  Bytes bob2_public(65);
  ASSERT_EQ(psa_export_public_key(bob2, bob2_public.data(), bob2_public.size(), &length),
            PSA_SUCCESS);
  Bytes out_a(48), out_b(48);
  for (auto [own, peer, out] :
       {std::tuple{alice2, &bob2_public, &out_a}, std::tuple{bob2, &alice2_public, &out_b}}) {
    psa_key_derivation_operation_t operation = PSA_KEY_DERIVATION_OPERATION_INIT;
    ASSERT_EQ(psa_key_derivation_setup(&operation, alg), PSA_SUCCESS);
    ASSERT_EQ(psa_key_derivation_key_agreement(&operation, PSA_KEY_DERIVATION_INPUT_SECRET, own,
                                               peer->data(), peer->size()),
              PSA_SUCCESS);
    ASSERT_EQ(psa_key_derivation_input_bytes(&operation, PSA_KEY_DERIVATION_INPUT_INFO,
                                             reinterpret_cast<const uint8_t*>("ctx"), 3),
              PSA_SUCCESS);
    ASSERT_EQ(psa_key_derivation_output_bytes(&operation, out->data(), out->size()), PSA_SUCCESS);
    EXPECT_EQ(psa_key_derivation_abort(&operation), PSA_SUCCESS);
  }
  EXPECT_EQ(out_a, out_b);
}

// ---- Key derivation ----

TEST_F(CryptoApiTest, HkdfRfc5869Case1) {
  const psa_algorithm_t alg = PSA_ALG_HKDF(PSA_ALG_SHA_256);
  const Bytes ikm(22, 0x0b);
  const Bytes salt = Hex("000102030405060708090a0b0c");
  const Bytes info = Hex("f0f1f2f3f4f5f6f7f8f9");
  const Bytes okm =
      Hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  const psa_key_id_t secret = Import(PSA_KEY_TYPE_DERIVE, PSA_KEY_USAGE_DERIVE, alg, ikm);

  psa_key_derivation_operation_t operation = PSA_KEY_DERIVATION_OPERATION_INIT;
  ASSERT_EQ(psa_key_derivation_setup(&operation, alg), PSA_SUCCESS);
  EXPECT_EQ(psa_key_derivation_setup(&operation, alg), PSA_ERROR_BAD_STATE);
  size_t capacity = 0;
  ASSERT_EQ(psa_key_derivation_get_capacity(&operation, &capacity), PSA_SUCCESS);
  EXPECT_EQ(capacity, 255u * 32u);
  ASSERT_EQ(psa_key_derivation_set_capacity(&operation, okm.size()), PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_bytes(&operation, PSA_KEY_DERIVATION_INPUT_SALT, salt.data(),
                                           salt.size()),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_key(&operation, PSA_KEY_DERIVATION_INPUT_SECRET, secret),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_bytes(&operation, PSA_KEY_DERIVATION_INPUT_INFO, info.data(),
                                           info.size()),
            PSA_SUCCESS);
  Bytes out(okm.size());
  ASSERT_EQ(psa_key_derivation_output_bytes(&operation, out.data(), 10), PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_output_bytes(&operation, out.data() + 10, out.size() - 10),
            PSA_SUCCESS);
  EXPECT_EQ(out, okm);
  ASSERT_EQ(psa_key_derivation_get_capacity(&operation, &capacity), PSA_SUCCESS);
  EXPECT_EQ(capacity, 0u);
  EXPECT_EQ(psa_key_derivation_output_bytes(&operation, out.data(), 1),
            PSA_ERROR_INSUFFICIENT_DATA);
  ASSERT_EQ(psa_key_derivation_abort(&operation), PSA_SUCCESS);
  EXPECT_EQ(operation.handle, 0u);

  // The same derivation into a key; its export is the same bytes.
  ASSERT_EQ(psa_key_derivation_setup(&operation, alg), PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_bytes(&operation, PSA_KEY_DERIVATION_INPUT_SALT, salt.data(),
                                           salt.size()),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_key(&operation, PSA_KEY_DERIVATION_INPUT_SECRET, secret),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_bytes(&operation, PSA_KEY_DERIVATION_INPUT_INFO, info.data(),
                                           info.size()),
            PSA_SUCCESS);
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_type(&attributes, PSA_KEY_TYPE_RAW_DATA);
  psa_set_key_bits(&attributes, 32 * 8);
  psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_EXPORT);
  psa_key_id_t derived = PSA_KEY_ID_NULL;
  ASSERT_EQ(psa_key_derivation_output_key(&attributes, &operation, &derived), PSA_SUCCESS);
  keys_.push_back(derived);
  Bytes exported(32);
  size_t length = 0;
  ASSERT_EQ(psa_export_key(derived, exported.data(), exported.size(), &length), PSA_SUCCESS);
  EXPECT_EQ(exported, Bytes(okm.begin(), okm.begin() + 32));
  ASSERT_EQ(psa_key_derivation_abort(&operation), PSA_SUCCESS);
}

TEST_F(CryptoApiTest, Pbkdf2WithAnIntegerInput) {
  const psa_algorithm_t alg = PSA_ALG_PBKDF2_HMAC(PSA_ALG_SHA_256);
  // RFC 7914 section 11: PBKDF2-HMAC-SHA-256("passwd", "salt", 1, 64), first 32 bytes.
  const Bytes expected = Hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  const Bytes password = Text("passwd"), salt = Text("salt");
  psa_key_derivation_operation_t operation = PSA_KEY_DERIVATION_OPERATION_INIT;
  ASSERT_EQ(psa_key_derivation_setup(&operation, alg), PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_integer(&operation, PSA_KEY_DERIVATION_INPUT_COST, 1),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_bytes(&operation, PSA_KEY_DERIVATION_INPUT_SALT, salt.data(),
                                           salt.size()),
            PSA_SUCCESS);
  ASSERT_EQ(psa_key_derivation_input_bytes(&operation, PSA_KEY_DERIVATION_INPUT_PASSWORD,
                                           password.data(), password.size()),
            PSA_SUCCESS);
  Bytes out(expected.size());
  ASSERT_EQ(psa_key_derivation_output_bytes(&operation, out.data(), out.size()), PSA_SUCCESS);
  EXPECT_EQ(out, expected);
  // Mbed TLS 3.6 declares the verify functions and implements neither.
  EXPECT_EQ(psa_key_derivation_verify_bytes(&operation, expected.data(), expected.size()),
            PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(psa_key_derivation_verify_key(&operation, 1), PSA_ERROR_NOT_SUPPORTED);
  ASSERT_EQ(psa_key_derivation_abort(&operation), PSA_SUCCESS);
}

// ---- What the service does not carry ----

TEST_F(CryptoApiTest, UnsupportedFunctions) {
  psa_sign_hash_interruptible_operation_t sign = PSA_SIGN_HASH_INTERRUPTIBLE_OPERATION_INIT;
  const Bytes hash(32, 1);
  EXPECT_EQ(psa_sign_hash_start(&sign, 1, kEcdsa, hash.data(), hash.size()),
            PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(psa_sign_hash_abort(&sign), PSA_SUCCESS);
  psa_pake_operation_t pake = PSA_PAKE_OPERATION_INIT;
  psa_pake_cipher_suite_t suite = psa_pake_cipher_suite_init();
  EXPECT_EQ(psa_pake_setup(&pake, &suite), PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(psa_pake_abort(&pake), PSA_SUCCESS);
}

}  // namespace
