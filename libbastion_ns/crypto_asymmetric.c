/* psa/crypto.h over psa_call: asymmetric signatures and encryption, and raw
 * key agreement (bastion/crypto_service.h). */
#include "ns_crypto.h"

/* `key` and `alg`, inputs in[1] (and in[2] when `has_second`), an optional
 * output whose written length goes to `*output_length` on success. */
static psa_status_t key_request(int32_t function, psa_key_id_t key, psa_algorithm_t alg,
                                const uint8_t* first, size_t first_length, const uint8_t* second,
                                size_t second_length, int has_second, uint8_t* output,
                                size_t output_size, size_t* output_length) {
  return bastion_ns_crypto_request(function, key, alg, 0, first, first_length, second,
                                   second_length, has_second ? 2 : 1, output, output_size,
                                   output_length);
}

/* ---- Signatures ---- */

psa_status_t psa_sign_message(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* input,
                              size_t input_length, uint8_t* signature, size_t signature_size,
                              size_t* signature_length) {
  if (signature_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *signature_length = 0;
  return key_request(BASTION_CRYPTO_SIGN_MESSAGE, key, alg, input, input_length, NULL, 0, 0,
                     signature, signature_size, signature_length);
}

psa_status_t psa_verify_message(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* input,
                                size_t input_length, const uint8_t* signature,
                                size_t signature_length) {
  return key_request(BASTION_CRYPTO_VERIFY_MESSAGE, key, alg, input, input_length, signature,
                     signature_length, 1, NULL, 0, NULL);
}

psa_status_t psa_sign_hash(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* hash,
                           size_t hash_length, uint8_t* signature, size_t signature_size,
                           size_t* signature_length) {
  if (signature_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *signature_length = 0;
  return key_request(BASTION_CRYPTO_SIGN_HASH, key, alg, hash, hash_length, NULL, 0, 0, signature,
                     signature_size, signature_length);
}

psa_status_t psa_verify_hash(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* hash,
                             size_t hash_length, const uint8_t* signature,
                             size_t signature_length) {
  return key_request(BASTION_CRYPTO_VERIFY_HASH, key, alg, hash, hash_length, signature,
                     signature_length, 1, NULL, 0, NULL);
}

/* ---- Asymmetric encryption ---- */

psa_status_t psa_asymmetric_encrypt(mbedtls_svc_key_id_t key, psa_algorithm_t alg,
                                    const uint8_t* input, size_t input_length, const uint8_t* salt,
                                    size_t salt_length, uint8_t* output, size_t output_size,
                                    size_t* output_length) {
  if (output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  return key_request(BASTION_CRYPTO_ASYMMETRIC_ENCRYPT, key, alg, input, input_length, salt,
                     salt_length, 1, output, output_size, output_length);
}

psa_status_t psa_asymmetric_decrypt(mbedtls_svc_key_id_t key, psa_algorithm_t alg,
                                    const uint8_t* input, size_t input_length, const uint8_t* salt,
                                    size_t salt_length, uint8_t* output, size_t output_size,
                                    size_t* output_length) {
  if (output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  return key_request(BASTION_CRYPTO_ASYMMETRIC_DECRYPT, key, alg, input, input_length, salt,
                     salt_length, 1, output, output_size, output_length);
}

/* ---- Key agreement ---- */

psa_status_t psa_raw_key_agreement(psa_algorithm_t alg, mbedtls_svc_key_id_t private_key,
                                   const uint8_t* peer_key, size_t peer_key_length, uint8_t* output,
                                   size_t output_size, size_t* output_length) {
  if (output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  return key_request(BASTION_CRYPTO_RAW_KEY_AGREEMENT, private_key, alg, peer_key, peer_key_length,
                     NULL, 0, 0, output, output_size, output_length);
}
