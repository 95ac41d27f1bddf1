/* psa/crypto.h over psa_call: key derivation (bastion/crypto_service.h). */
#include <stdint.h>

#include "ns_bytes.h"
#include "ns_crypto.h"

#define MAX_VECTOR BASTION_NS_CRYPTO_MAX_VECTOR

/* A request on an active derivation: PSA_ERROR_BAD_STATE without a call
 * when it is not. */
static psa_status_t derivation_begin(bastion_ns_crypto_request_t* request,
                                     const psa_key_derivation_operation_t* operation,
                                     psa_key_id_t key, psa_key_derivation_step_t step) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  bastion_ns_crypto_begin(request, key, PSA_ALG_NONE, operation->handle);
  bastion_ns_crypto_step(request, (uint32_t)step);
  return PSA_SUCCESS;
}

psa_status_t psa_key_derivation_setup(psa_key_derivation_operation_t* operation,
                                      psa_algorithm_t alg) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_setup(&operation->handle, BASTION_CRYPTO_KEY_DERIVATION_SETUP,
                                 PSA_KEY_ID_NULL, alg, 0);
}

psa_status_t psa_key_derivation_get_capacity(const psa_key_derivation_operation_t* operation,
                                             size_t* capacity) {
  bastion_ns_crypto_request_t request;
  uint8_t reply[8];
  uint64_t value;
  psa_status_t status;
  if (capacity == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *capacity = 0;
  status = derivation_begin(&request, operation, PSA_KEY_ID_NULL, 0);
  if (status != PSA_SUCCESS) return status;
  bastion_ns_crypto_output(&request, reply, sizeof reply);
  status = bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_GET_CAPACITY);
  if (status != PSA_SUCCESS) return status;
  if (request.out[0].len != sizeof reply) return PSA_ERROR_SERVICE_FAILURE;
  value = (uint64_t)bastion_ns_load_le32(reply) | ((uint64_t)bastion_ns_load_le32(reply + 4) << 32);
  /* A capacity beyond size_t is unlimited as far as this caller can ask. */
  *capacity = value > (uint64_t)SIZE_MAX ? SIZE_MAX : (size_t)value;
  return PSA_SUCCESS;
}

psa_status_t psa_key_derivation_set_capacity(psa_key_derivation_operation_t* operation,
                                             size_t capacity) {
  bastion_ns_crypto_request_t request;
  const psa_status_t status = derivation_begin(&request, operation, PSA_KEY_ID_NULL, 0);
  if (status != PSA_SUCCESS) return status;
  bastion_ns_crypto_value(&request, (uint64_t)capacity);
  return bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_SET_CAPACITY);
}

psa_status_t psa_key_derivation_input_bytes(psa_key_derivation_operation_t* operation,
                                            psa_key_derivation_step_t step, const uint8_t* data,
                                            size_t data_length) {
  bastion_ns_crypto_request_t request;
  const psa_status_t status = derivation_begin(&request, operation, PSA_KEY_ID_NULL, step);
  if (status != PSA_SUCCESS) return status;
  bastion_ns_crypto_input(&request, data, data_length);
  return bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES);
}

psa_status_t psa_key_derivation_input_integer(psa_key_derivation_operation_t* operation,
                                              psa_key_derivation_step_t step, uint64_t value) {
  bastion_ns_crypto_request_t request;
  const psa_status_t status = derivation_begin(&request, operation, PSA_KEY_ID_NULL, step);
  if (status != PSA_SUCCESS) return status;
  bastion_ns_crypto_value(&request, value);
  return bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_INPUT_INTEGER);
}

psa_status_t psa_key_derivation_input_key(psa_key_derivation_operation_t* operation,
                                          psa_key_derivation_step_t step,
                                          mbedtls_svc_key_id_t key) {
  bastion_ns_crypto_request_t request;
  const psa_status_t status = derivation_begin(&request, operation, key, step);
  if (status != PSA_SUCCESS) return status;
  return bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_INPUT_KEY);
}

psa_status_t psa_key_derivation_key_agreement(psa_key_derivation_operation_t* operation,
                                              psa_key_derivation_step_t step,
                                              mbedtls_svc_key_id_t private_key,
                                              const uint8_t* peer_key, size_t peer_key_length) {
  bastion_ns_crypto_request_t request;
  const psa_status_t status = derivation_begin(&request, operation, private_key, step);
  if (status != PSA_SUCCESS) return status;
  bastion_ns_crypto_input(&request, peer_key, peer_key_length);
  return bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_KEY_AGREEMENT);
}

psa_status_t psa_key_derivation_output_bytes(psa_key_derivation_operation_t* operation,
                                             uint8_t* output, size_t output_length) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  if (output == NULL && output_length != 0) return PSA_ERROR_INVALID_ARGUMENT;
  /* The output is a stream: a long one comes a vector at a time. */
  do {
    bastion_ns_crypto_request_t request;
    const size_t part = output_length < MAX_VECTOR ? output_length : MAX_VECTOR;
    psa_status_t status = derivation_begin(&request, operation, PSA_KEY_ID_NULL, 0);
    if (status != PSA_SUCCESS) return status;
    bastion_ns_crypto_output(&request, output, part);
    status = bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES);
    if (status != PSA_SUCCESS) return status;
    if (request.out[0].len != part) return PSA_ERROR_SERVICE_FAILURE;
    output += part;
    output_length -= part;
  } while (output_length != 0);
  return PSA_SUCCESS;
}

psa_status_t psa_key_derivation_output_key(const psa_key_attributes_t* attributes,
                                           psa_key_derivation_operation_t* operation,
                                           mbedtls_svc_key_id_t* key) {
  if (key == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *key = PSA_KEY_ID_NULL;
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle == 0) return PSA_ERROR_BAD_STATE;
  return bastion_ns_crypto_output_key(operation->handle, attributes, key);
}

psa_status_t psa_key_derivation_verify_bytes(psa_key_derivation_operation_t* operation,
                                             const uint8_t* expected_output, size_t output_length) {
  bastion_ns_crypto_request_t request;
  const psa_status_t status = derivation_begin(&request, operation, PSA_KEY_ID_NULL, 0);
  if (status != PSA_SUCCESS) return status;
  bastion_ns_crypto_input(&request, expected_output, output_length);
  return bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_VERIFY_BYTES);
}

psa_status_t psa_key_derivation_verify_key(psa_key_derivation_operation_t* operation,
                                           psa_key_id_t expected) {
  bastion_ns_crypto_request_t request;
  const psa_status_t status = derivation_begin(&request, operation, expected, 0);
  if (status != PSA_SUCCESS) return status;
  return bastion_ns_crypto_call(&request, BASTION_CRYPTO_KEY_DERIVATION_VERIFY_KEY);
}

psa_status_t psa_key_derivation_abort(psa_key_derivation_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return bastion_ns_crypto_abort(&operation->handle, BASTION_CRYPTO_KEY_DERIVATION_ABORT);
}
