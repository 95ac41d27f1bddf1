/* psa/crypto.h over psa_call: hashes and MACs (bastion/crypto_service.h).
 *
 * An input longer than one call carries is sent in vector-sized parts: by
 * several *_UPDATE calls, and for the single-part functions through a
 * multi-part operation of their own (set up and released here). */
#include "ns_crypto.h"

#define MAX_VECTOR BASTION_NS_CRYPTO_MAX_VECTOR

/* A request with an optional input and one output; `*output_length` is
 * the bytes written on success (the caller zeroed it). */
static psa_status_t digest_call(int32_t function, psa_key_id_t key, psa_algorithm_t alg,
                                uint32_t handle, const uint8_t* input, size_t input_length,
                                int has_input, uint8_t* output, size_t output_size,
                                size_t* output_length) {
  return bastion_ns_crypto_request(function, key, alg, handle, input, input_length, NULL, 0,
                                   has_input ? 1 : 0, output, output_size, output_length);
}

/* A request with one or two inputs and no output. */
static psa_status_t inputs_call(int32_t function, psa_key_id_t key, psa_algorithm_t alg,
                                uint32_t handle, const uint8_t* first, size_t first_length,
                                const uint8_t* second, size_t second_length, int has_second) {
  return bastion_ns_crypto_request(function, key, alg, handle, first, first_length, second,
                                   second_length, has_second ? 2 : 1, NULL, 0, NULL);
}

/* *_UPDATE with `input` in vector-sized parts (one call for an empty one). */
static psa_status_t update_in_parts(int32_t function, uint32_t handle, const uint8_t* input,
                                    size_t input_length) {
  psa_status_t status;
  if (handle == 0) return PSA_ERROR_BAD_STATE;
  if (input == NULL && input_length != 0) return PSA_ERROR_INVALID_ARGUMENT;
  do {
    const size_t part = input_length < MAX_VECTOR ? input_length : MAX_VECTOR;
    status = inputs_call(function, PSA_KEY_ID_NULL, PSA_ALG_NONE, handle, input, part, NULL, 0, 0);
    if (status != PSA_SUCCESS) return status;
    input += part;
    input_length -= part;
  } while (input_length != 0);
  return PSA_SUCCESS;
}

/* ---- Hash ---- */

psa_status_t psa_hash_setup(psa_hash_operation_t* operation, psa_algorithm_t alg) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_setup(&operation->handle, BASTION_CRYPTO_HASH_SETUP, PSA_KEY_ID_NULL,
                                 alg, 0);
}

psa_status_t psa_hash_update(psa_hash_operation_t* operation, const uint8_t* input,
                             size_t input_length) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return update_in_parts(BASTION_CRYPTO_HASH_UPDATE, operation->handle, input, input_length);
}

psa_status_t psa_hash_finish(psa_hash_operation_t* operation, uint8_t* hash, size_t hash_size,
                             size_t* hash_length) {
  psa_status_t status;
  if (operation == NULL || hash_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *hash_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  status = digest_call(BASTION_CRYPTO_HASH_FINISH, PSA_KEY_ID_NULL, PSA_ALG_NONE, operation->handle,
                       NULL, 0, 0, hash, hash_size, hash_length);
  if (status == PSA_SUCCESS) operation->handle = 0;
  return status;
}

psa_status_t psa_hash_verify(psa_hash_operation_t* operation, const uint8_t* hash,
                             size_t hash_length) {
  psa_status_t status;
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  status = inputs_call(BASTION_CRYPTO_HASH_VERIFY, PSA_KEY_ID_NULL, PSA_ALG_NONE, operation->handle,
                       hash, hash_length, NULL, 0, 0);
  if (status == PSA_SUCCESS) operation->handle = 0;
  return status;
}

psa_status_t psa_hash_abort(psa_hash_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_abort(&operation->handle, BASTION_CRYPTO_HASH_ABORT);
}

psa_status_t psa_hash_clone(const psa_hash_operation_t* source_operation,
                            psa_hash_operation_t* target_operation) {
  if (source_operation == NULL || target_operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (source_operation->handle == 0) return PSA_ERROR_BAD_STATE;
  return bastion_ns_crypto_setup(&target_operation->handle, BASTION_CRYPTO_HASH_CLONE,
                                 PSA_KEY_ID_NULL, PSA_ALG_NONE, source_operation->handle);
}

/* A single-part hash of a long input: finish into `hash` or verify against
 * `expected` (hash NULL). */
static psa_status_t hash_in_parts(psa_algorithm_t alg, const uint8_t* input, size_t input_length,
                                  uint8_t* hash, size_t hash_size, size_t* hash_length,
                                  const uint8_t* expected, size_t expected_length) {
  psa_hash_operation_t operation = PSA_HASH_OPERATION_INIT;
  psa_status_t status = psa_hash_setup(&operation, alg);
  if (status == PSA_SUCCESS) status = psa_hash_update(&operation, input, input_length);
  if (status == PSA_SUCCESS) {
    status = hash_length != NULL ? psa_hash_finish(&operation, hash, hash_size, hash_length)
                                 : psa_hash_verify(&operation, expected, expected_length);
  }
  (void)psa_hash_abort(&operation);
  return status;
}

psa_status_t psa_hash_compute(psa_algorithm_t alg, const uint8_t* input, size_t input_length,
                              uint8_t* hash, size_t hash_size, size_t* hash_length) {
  if (hash_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *hash_length = 0;
  if (hash == NULL && hash_size != 0) return PSA_ERROR_INVALID_ARGUMENT;
  if (input_length > MAX_VECTOR && input != NULL) {
    return hash_in_parts(alg, input, input_length, hash, hash_size, hash_length, NULL, 0);
  }
  return digest_call(BASTION_CRYPTO_HASH_COMPUTE, PSA_KEY_ID_NULL, alg, 0, input, input_length, 1,
                     hash, hash_size, hash_length);
}

psa_status_t psa_hash_compare(psa_algorithm_t alg, const uint8_t* input, size_t input_length,
                              const uint8_t* hash, size_t hash_length) {
  if (hash == NULL && hash_length != 0) return PSA_ERROR_INVALID_ARGUMENT;
  if (input != NULL && hash_length <= MAX_VECTOR && input_length > MAX_VECTOR - hash_length) {
    return hash_in_parts(alg, input, input_length, NULL, 0, NULL, hash, hash_length);
  }
  return inputs_call(BASTION_CRYPTO_HASH_COMPARE, PSA_KEY_ID_NULL, alg, 0, input, input_length,
                     hash, hash_length, 1);
}

/* ---- MAC ---- */

psa_status_t psa_mac_sign_setup(psa_mac_operation_t* operation, mbedtls_svc_key_id_t key,
                                psa_algorithm_t alg) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_setup(&operation->handle, BASTION_CRYPTO_MAC_SIGN_SETUP, key, alg, 0);
}

psa_status_t psa_mac_verify_setup(psa_mac_operation_t* operation, mbedtls_svc_key_id_t key,
                                  psa_algorithm_t alg) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_setup(&operation->handle, BASTION_CRYPTO_MAC_VERIFY_SETUP, key, alg, 0);
}

psa_status_t psa_mac_update(psa_mac_operation_t* operation, const uint8_t* input,
                            size_t input_length) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return update_in_parts(BASTION_CRYPTO_MAC_UPDATE, operation->handle, input, input_length);
}

psa_status_t psa_mac_sign_finish(psa_mac_operation_t* operation, uint8_t* mac, size_t mac_size,
                                 size_t* mac_length) {
  psa_status_t status;
  if (operation == NULL || mac_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *mac_length = 0;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  status = digest_call(BASTION_CRYPTO_MAC_SIGN_FINISH, PSA_KEY_ID_NULL, PSA_ALG_NONE,
                       operation->handle, NULL, 0, 0, mac, mac_size, mac_length);
  if (status == PSA_SUCCESS) operation->handle = 0;
  return status;
}

psa_status_t psa_mac_verify_finish(psa_mac_operation_t* operation, const uint8_t* mac,
                                   size_t mac_length) {
  psa_status_t status;
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  status = inputs_call(BASTION_CRYPTO_MAC_VERIFY_FINISH, PSA_KEY_ID_NULL, PSA_ALG_NONE,
                       operation->handle, mac, mac_length, NULL, 0, 0);
  if (status == PSA_SUCCESS) operation->handle = 0;
  return status;
}

psa_status_t psa_mac_abort(psa_mac_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_abort(&operation->handle, BASTION_CRYPTO_MAC_ABORT);
}

static psa_status_t mac_in_parts(psa_key_id_t key, psa_algorithm_t alg, const uint8_t* input,
                                 size_t input_length, uint8_t* mac, size_t mac_size,
                                 size_t* mac_length, const uint8_t* expected,
                                 size_t expected_length) {
  psa_mac_operation_t operation = PSA_MAC_OPERATION_INIT;
  psa_status_t status = mac_length != NULL ? psa_mac_sign_setup(&operation, key, alg)
                                           : psa_mac_verify_setup(&operation, key, alg);
  if (status == PSA_SUCCESS) status = psa_mac_update(&operation, input, input_length);
  if (status == PSA_SUCCESS) {
    status = mac_length != NULL ? psa_mac_sign_finish(&operation, mac, mac_size, mac_length)
                                : psa_mac_verify_finish(&operation, expected, expected_length);
  }
  (void)psa_mac_abort(&operation);
  return status;
}

psa_status_t psa_mac_compute(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* input,
                             size_t input_length, uint8_t* mac, size_t mac_size,
                             size_t* mac_length) {
  if (mac_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *mac_length = 0;
  if (mac == NULL && mac_size != 0) return PSA_ERROR_INVALID_ARGUMENT;
  if (input_length > MAX_VECTOR && input != NULL) {
    return mac_in_parts(key, alg, input, input_length, mac, mac_size, mac_length, NULL, 0);
  }
  return digest_call(BASTION_CRYPTO_MAC_COMPUTE, key, alg, 0, input, input_length, 1, mac, mac_size,
                     mac_length);
}

psa_status_t psa_mac_verify(mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* input,
                            size_t input_length, const uint8_t* mac, size_t mac_length) {
  if (mac == NULL && mac_length != 0) return PSA_ERROR_INVALID_ARGUMENT;
  if (input != NULL && mac_length <= MAX_VECTOR && input_length > MAX_VECTOR - mac_length) {
    return mac_in_parts(key, alg, input, input_length, NULL, 0, NULL, mac, mac_length);
  }
  return inputs_call(BASTION_CRYPTO_MAC_VERIFY, key, alg, 0, input, input_length, mac, mac_length,
                     1);
}
