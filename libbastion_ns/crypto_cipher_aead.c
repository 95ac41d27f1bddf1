/* psa/crypto.h over psa_call: unauthenticated ciphers and AEAD
 * (bastion/crypto_service.h). */
#include "ns_crypto.h"

#define MAX_VECTOR BASTION_NS_CRYPTO_MAX_VECTOR

/* A request on `handle` (or `key` and `alg`) with an optional input and one
 * output; `*output_length` is the bytes written on success (the caller
 * zeroed it). */
static psa_status_t transform(int32_t function, psa_key_id_t key, psa_algorithm_t alg,
                              uint32_t handle, const uint8_t* input, size_t input_length,
                              int has_input, uint8_t* output, size_t output_size,
                              size_t* output_length) {
  return bastion_ns_crypto_request(function, key, alg, handle, input, input_length, NULL, 0,
                                   has_input ? 1 : 0, output, output_size, output_length);
}

/* A request on `handle` with one input and no output. */
static psa_status_t handle_input(int32_t function, uint32_t handle, const uint8_t* input,
                                 size_t input_length) {
  return bastion_ns_crypto_request(function, PSA_KEY_ID_NULL, PSA_ALG_NONE, handle, input,
                                   input_length, NULL, 0, 1, NULL, 0, NULL);
}

/* ---- Unauthenticated ciphers ---- */

psa_status_t psa_cipher_encrypt(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* input,
                                size_t input_length, uint8_t* output, size_t output_size,
                                size_t* output_length) {
  if (output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  return transform(BASTION_CRYPTO_CIPHER_ENCRYPT, key, alg, 0, input, input_length, 1, output,
                   output_size, output_length);
}

psa_status_t psa_cipher_decrypt(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* input,
                                size_t input_length, uint8_t* output, size_t output_size,
                                size_t* output_length) {
  if (output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  return transform(BASTION_CRYPTO_CIPHER_DECRYPT, key, alg, 0, input, input_length, 1, output,
                   output_size, output_length);
}

psa_status_t psa_cipher_encrypt_setup(psa_cipher_operation_t* operation, mbedtls_svc_key_id_t key,
                                      psa_algorithm_t alg) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_setup(&operation->handle, BASTION_CRYPTO_CIPHER_ENCRYPT_SETUP, key, alg,
                                 0);
}

psa_status_t psa_cipher_decrypt_setup(psa_cipher_operation_t* operation, mbedtls_svc_key_id_t key,
                                      psa_algorithm_t alg) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_setup(&operation->handle, BASTION_CRYPTO_CIPHER_DECRYPT_SETUP, key, alg,
                                 0);
}

psa_status_t psa_cipher_generate_iv(psa_cipher_operation_t* operation, uint8_t* iv, size_t iv_size,
                                    size_t* iv_length) {
  if (operation == NULL || iv_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *iv_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  return transform(BASTION_CRYPTO_CIPHER_GENERATE_IV, PSA_KEY_ID_NULL, PSA_ALG_NONE,
                   operation->handle, NULL, 0, 0, iv, iv_size, iv_length);
}

psa_status_t psa_cipher_set_iv(psa_cipher_operation_t* operation, const uint8_t* iv,
                               size_t iv_length) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  return handle_input(BASTION_CRYPTO_CIPHER_SET_IV, operation->handle, iv, iv_length);
}

psa_status_t psa_cipher_update(psa_cipher_operation_t* operation, const uint8_t* input,
                               size_t input_length, uint8_t* output, size_t output_size,
                               size_t* output_length) {
  if (operation == NULL || output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  return transform(BASTION_CRYPTO_CIPHER_UPDATE, PSA_KEY_ID_NULL, PSA_ALG_NONE, operation->handle,
                   input, input_length, 1, output, output_size, output_length);
}

psa_status_t psa_cipher_finish(psa_cipher_operation_t* operation, uint8_t* output,
                               size_t output_size, size_t* output_length) {
  psa_status_t status;
  if (operation == NULL || output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  status = transform(BASTION_CRYPTO_CIPHER_FINISH, PSA_KEY_ID_NULL, PSA_ALG_NONE, operation->handle,
                     NULL, 0, 0, output, output_size, output_length);
  if (status == PSA_SUCCESS) operation->handle = 0;
  return status;
}

psa_status_t psa_cipher_abort(psa_cipher_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_abort(&operation->handle, BASTION_CRYPTO_CIPHER_ABORT);
}

/* ---- AEAD ---- */

/* AEAD_ENCRYPT / AEAD_DECRYPT: nonce || additional data in one vector, the
 * nonce's length in `value`. */
static psa_status_t aead_single_part(int32_t function, psa_key_id_t key, psa_algorithm_t alg,
                                     const uint8_t* nonce, size_t nonce_length,
                                     const uint8_t* additional_data, size_t additional_data_length,
                                     const uint8_t* input, size_t input_length, uint8_t* output,
                                     size_t output_size, size_t* output_length) {
  bastion_ns_crypto_request_t request;
  const void* nonce_and_data;
  psa_status_t status;
  if (output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  bastion_ns_crypto_begin(&request, key, alg, 0);
  bastion_ns_crypto_value(&request, (uint64_t)nonce_length);
  nonce_and_data = bastion_ns_crypto_concat(&request, nonce, nonce_length, additional_data,
                                            additional_data_length);
  bastion_ns_crypto_input(&request, nonce_and_data,
                          nonce_and_data == NULL ? 0 : nonce_length + additional_data_length);
  bastion_ns_crypto_input(&request, input, input_length);
  bastion_ns_crypto_output(&request, output, output_size);
  status = bastion_ns_crypto_call(&request, function);
  if (status == PSA_SUCCESS) *output_length = request.out[0].len;
  return status;
}

psa_status_t psa_aead_encrypt(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* nonce,
                              size_t nonce_length, const uint8_t* additional_data,
                              size_t additional_data_length, const uint8_t* plaintext,
                              size_t plaintext_length, uint8_t* ciphertext, size_t ciphertext_size,
                              size_t* ciphertext_length) {
  return aead_single_part(BASTION_CRYPTO_AEAD_ENCRYPT, key, alg, nonce, nonce_length,
                          additional_data, additional_data_length, plaintext, plaintext_length,
                          ciphertext, ciphertext_size, ciphertext_length);
}

psa_status_t psa_aead_decrypt(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* nonce,
                              size_t nonce_length, const uint8_t* additional_data,
                              size_t additional_data_length, const uint8_t* ciphertext,
                              size_t ciphertext_length, uint8_t* plaintext, size_t plaintext_size,
                              size_t* plaintext_length) {
  return aead_single_part(BASTION_CRYPTO_AEAD_DECRYPT, key, alg, nonce, nonce_length,
                          additional_data, additional_data_length, ciphertext, ciphertext_length,
                          plaintext, plaintext_size, plaintext_length);
}

psa_status_t psa_aead_encrypt_setup(psa_aead_operation_t* operation, mbedtls_svc_key_id_t key,
                                    psa_algorithm_t alg) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_setup(&operation->handle, BASTION_CRYPTO_AEAD_ENCRYPT_SETUP, key, alg,
                                 0);
}

psa_status_t psa_aead_decrypt_setup(psa_aead_operation_t* operation, mbedtls_svc_key_id_t key,
                                    psa_algorithm_t alg) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_setup(&operation->handle, BASTION_CRYPTO_AEAD_DECRYPT_SETUP, key, alg,
                                 0);
}

psa_status_t psa_aead_generate_nonce(psa_aead_operation_t* operation, uint8_t* nonce,
                                     size_t nonce_size, size_t* nonce_length) {
  if (operation == NULL || nonce_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *nonce_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  return transform(BASTION_CRYPTO_AEAD_GENERATE_NONCE, PSA_KEY_ID_NULL, PSA_ALG_NONE,
                   operation->handle, NULL, 0, 0, nonce, nonce_size, nonce_length);
}

psa_status_t psa_aead_set_nonce(psa_aead_operation_t* operation, const uint8_t* nonce,
                                size_t nonce_length) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  return handle_input(BASTION_CRYPTO_AEAD_SET_NONCE, operation->handle, nonce, nonce_length);
}

psa_status_t psa_aead_set_lengths(psa_aead_operation_t* operation, size_t ad_length,
                                  size_t plaintext_length) {
  bastion_ns_crypto_request_t request;
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  bastion_ns_crypto_begin(&request, PSA_KEY_ID_NULL, PSA_ALG_NONE, operation->handle);
  bastion_ns_crypto_value(&request, (uint64_t)ad_length);
  bastion_ns_crypto_value2(&request, (uint64_t)plaintext_length);
  return bastion_ns_crypto_call(&request, BASTION_CRYPTO_AEAD_SET_LENGTHS);
}

psa_status_t psa_aead_update_ad(psa_aead_operation_t* operation, const uint8_t* input,
                                size_t input_length) {
  psa_status_t status;
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  if (input == NULL && input_length != 0) return PSA_ERROR_INVALID_ARGUMENT;
  /* Longer additional data in vector-sized parts (one call for none). */
  do {
    const size_t part = input_length < MAX_VECTOR ? input_length : MAX_VECTOR;
    status = handle_input(BASTION_CRYPTO_AEAD_UPDATE_AD, operation->handle, input, part);
    if (status != PSA_SUCCESS) return status;
    input += part;
    input_length -= part;
  } while (input_length != 0);
  return PSA_SUCCESS;
}

psa_status_t psa_aead_update(psa_aead_operation_t* operation, const uint8_t* input,
                             size_t input_length, uint8_t* output, size_t output_size,
                             size_t* output_length) {
  if (operation == NULL || output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  return transform(BASTION_CRYPTO_AEAD_UPDATE, PSA_KEY_ID_NULL, PSA_ALG_NONE, operation->handle,
                   input, input_length, 1, output, output_size, output_length);
}

psa_status_t psa_aead_finish(psa_aead_operation_t* operation, uint8_t* ciphertext,
                             size_t ciphertext_size, size_t* ciphertext_length, uint8_t* tag,
                             size_t tag_size, size_t* tag_length) {
  bastion_ns_crypto_request_t request;
  psa_status_t status;
  if (operation == NULL || ciphertext_length == NULL || tag_length == NULL) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  *ciphertext_length = 0;
  *tag_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  bastion_ns_crypto_begin(&request, PSA_KEY_ID_NULL, PSA_ALG_NONE, operation->handle);
  bastion_ns_crypto_output(&request, ciphertext, ciphertext_size);
  bastion_ns_crypto_output(&request, tag, tag_size);
  status = bastion_ns_crypto_call(&request, BASTION_CRYPTO_AEAD_FINISH);
  if (status != PSA_SUCCESS) return status;
  *ciphertext_length = request.out[0].len;
  *tag_length = request.out[1].len;
  operation->handle = 0;
  return PSA_SUCCESS;
}

psa_status_t psa_aead_verify(psa_aead_operation_t* operation, uint8_t* plaintext,
                             size_t plaintext_size, size_t* plaintext_length, const uint8_t* tag,
                             size_t tag_length) {
  psa_status_t status;
  if (operation == NULL || plaintext_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *plaintext_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  status = transform(BASTION_CRYPTO_AEAD_VERIFY, PSA_KEY_ID_NULL, PSA_ALG_NONE, operation->handle,
                     tag, tag_length, 1, plaintext, plaintext_size, plaintext_length);
  if (status == PSA_SUCCESS) operation->handle = 0;
  return status;
}

psa_status_t psa_aead_abort(psa_aead_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_abort(&operation->handle, BASTION_CRYPTO_AEAD_ABORT);
}
