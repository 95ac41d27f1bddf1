#include "crypto_bench_direct.h"

#include "psa/crypto.h"  // the core's configuration: these names are the core's

namespace bastion::bench {
namespace {

// An owner no client id can be (client ids are the partitions' small
// positive ids and the non-secure clients' negative ones).
constexpr mbedtls_key_owner_id_t kBenchOwner = 0x7ffffff0;

mbedtls_svc_key_id_t g_aes = MBEDTLS_SVC_KEY_ID_INIT;
mbedtls_svc_key_id_t g_ec = MBEDTLS_SVC_KEY_ID_INIT;

bool Import(psa_key_type_t type, psa_key_usage_t usage, psa_algorithm_t alg, const uint8_t* data,
            size_t size, mbedtls_svc_key_id_t* key) {
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  mbedtls_set_key_owner_id(&attributes, kBenchOwner);
  psa_set_key_type(&attributes, type);
  psa_set_key_usage_flags(&attributes, usage);
  psa_set_key_algorithm(&attributes, alg);
  return psa_import_key(&attributes, data, size, key) == PSA_SUCCESS;
}

}  // namespace

bool DirectSetUp(const uint8_t aes_key[32], const uint8_t ec_private_key[32]) {
  return Import(PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT, PSA_ALG_GCM, aes_key, 32, &g_aes) &&
         Import(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
                PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256),
                ec_private_key, 32, &g_ec);
}

void DirectTearDown() {
  (void)psa_destroy_key(g_aes);
  (void)psa_destroy_key(g_ec);
}

bool DirectSha256(const uint8_t* message, size_t size, uint8_t digest[32]) {
  size_t length = 0;
  return psa_hash_compute(PSA_ALG_SHA_256, message, size, digest, 32, &length) == PSA_SUCCESS;
}

bool DirectGcmEncrypt(const uint8_t nonce[12], const uint8_t* message, size_t size, uint8_t* out) {
  size_t length = 0;
  return psa_aead_encrypt(g_aes, PSA_ALG_GCM, nonce, 12, nullptr, 0, message, size, out, size + 16,
                          &length) == PSA_SUCCESS;
}

bool DirectSign(const uint8_t digest[32], uint8_t signature[64]) {
  size_t length = 0;
  return psa_sign_hash(g_ec, PSA_ALG_ECDSA(PSA_ALG_SHA_256), digest, 32, signature, 64, &length) ==
         PSA_SUCCESS;
}

bool DirectVerify(const uint8_t digest[32], const uint8_t signature[64]) {
  return psa_verify_hash(g_ec, PSA_ALG_ECDSA(PSA_ALG_SHA_256), digest, 32, signature, 64) ==
         PSA_SUCCESS;
}

}  // namespace bastion::bench
