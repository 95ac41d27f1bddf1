/* The functions of psa/crypto.h the crypto service does not carry
 * (bastion/crypto_service.h has no request for them): custom key production
 * parameters, interruptible signatures, PAKE.
 *
 * Each entry point answers PSA_ERROR_NOT_SUPPORTED with its outputs cleared
 * as the API requires. Since no such operation can ever be set up, the
 * functions that continue one answer PSA_ERROR_BAD_STATE (the API's answer
 * for an inactive operation), and the aborts PSA_SUCCESS. Key production
 * with the default parameters is plain key generation or derivation, as the
 * API defines it, and is served as such. */
#include <string.h>

#include "ns_crypto.h"

/* ---- Key production parameters ---- */

static int default_custom(const psa_custom_key_parameters_t* custom, size_t custom_data_length) {
  return custom != NULL && custom->flags == 0 && custom_data_length == 0;
}

psa_status_t psa_generate_key_custom(const psa_key_attributes_t* attributes,
                                     const psa_custom_key_parameters_t* custom,
                                     const uint8_t* custom_data, size_t custom_data_length,
                                     mbedtls_svc_key_id_t* key) {
  (void)custom_data;
  if (key == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *key = PSA_KEY_ID_NULL;
  if (custom == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (!default_custom(custom, custom_data_length)) return PSA_ERROR_NOT_SUPPORTED;
  return psa_generate_key(attributes, key);
}

psa_status_t psa_generate_key_ext(const psa_key_attributes_t* attributes,
                                  const psa_key_production_parameters_t* params,
                                  size_t params_data_length, mbedtls_svc_key_id_t* key) {
  if (key == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *key = PSA_KEY_ID_NULL;
  if (params == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (params->flags != 0 || params_data_length != 0) return PSA_ERROR_NOT_SUPPORTED;
  return psa_generate_key(attributes, key);
}

psa_status_t psa_key_derivation_output_key_custom(const psa_key_attributes_t* attributes,
                                                  psa_key_derivation_operation_t* operation,
                                                  const psa_custom_key_parameters_t* custom,
                                                  const uint8_t* custom_data,
                                                  size_t custom_data_length,
                                                  mbedtls_svc_key_id_t* key) {
  (void)custom_data;
  if (key == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *key = PSA_KEY_ID_NULL;
  if (custom == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (!default_custom(custom, custom_data_length)) return PSA_ERROR_NOT_SUPPORTED;
  return psa_key_derivation_output_key(attributes, operation, key);
}

psa_status_t psa_key_derivation_output_key_ext(const psa_key_attributes_t* attributes,
                                               psa_key_derivation_operation_t* operation,
                                               const psa_key_production_parameters_t* params,
                                               size_t params_data_length,
                                               mbedtls_svc_key_id_t* key) {
  if (key == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *key = PSA_KEY_ID_NULL;
  if (params == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (params->flags != 0 || params_data_length != 0) return PSA_ERROR_NOT_SUPPORTED;
  return psa_key_derivation_output_key(attributes, operation, key);
}

/* ---- Interruptible signatures ---- */

static uint32_t g_max_ops = PSA_INTERRUPTIBLE_MAX_OPS_UNLIMITED;

void psa_interruptible_set_max_ops(uint32_t max_ops) { g_max_ops = max_ops; }

uint32_t psa_interruptible_get_max_ops(void) { return g_max_ops; }

uint32_t psa_sign_hash_get_num_ops(const psa_sign_hash_interruptible_operation_t* operation) {
  (void)operation;
  return 0;
}

uint32_t psa_verify_hash_get_num_ops(const psa_verify_hash_interruptible_operation_t* operation) {
  (void)operation;
  return 0;
}

psa_status_t psa_sign_hash_start(psa_sign_hash_interruptible_operation_t* operation,
                                 mbedtls_svc_key_id_t key, psa_algorithm_t alg, const uint8_t* hash,
                                 size_t hash_length) {
  (void)key;
  (void)alg;
  (void)hash;
  (void)hash_length;
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle != 0) return PSA_ERROR_BAD_STATE;
  return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_sign_hash_complete(psa_sign_hash_interruptible_operation_t* operation,
                                    uint8_t* signature, size_t signature_size,
                                    size_t* signature_length) {
  (void)signature;
  (void)signature_size;
  if (operation == NULL || signature_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *signature_length = 0;
  return PSA_ERROR_BAD_STATE;
}

psa_status_t psa_sign_hash_abort(psa_sign_hash_interruptible_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  operation->handle = 0;
  return PSA_SUCCESS;
}

psa_status_t psa_verify_hash_start(psa_verify_hash_interruptible_operation_t* operation,
                                   mbedtls_svc_key_id_t key, psa_algorithm_t alg,
                                   const uint8_t* hash, size_t hash_length,
                                   const uint8_t* signature, size_t signature_length) {
  (void)key;
  (void)alg;
  (void)hash;
  (void)hash_length;
  (void)signature;
  (void)signature_length;
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle != 0) return PSA_ERROR_BAD_STATE;
  return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_verify_hash_complete(psa_verify_hash_interruptible_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  return PSA_ERROR_BAD_STATE;
}

psa_status_t psa_verify_hash_abort(psa_verify_hash_interruptible_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  operation->handle = 0;
  return PSA_SUCCESS;
}

/* ---- PAKE ---- */

psa_status_t psa_pake_setup(psa_pake_operation_t* operation,
                            const psa_pake_cipher_suite_t* cipher_suite) {
  (void)cipher_suite;
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (operation->handle != 0) return PSA_ERROR_BAD_STATE;
  return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_pake_set_password_key(psa_pake_operation_t* operation,
                                       mbedtls_svc_key_id_t password) {
  (void)password;
  return operation == NULL ? PSA_ERROR_INVALID_ARGUMENT : PSA_ERROR_BAD_STATE;
}

psa_status_t psa_pake_set_user(psa_pake_operation_t* operation, const uint8_t* user_id,
                               size_t user_id_len) {
  (void)user_id;
  (void)user_id_len;
  return operation == NULL ? PSA_ERROR_INVALID_ARGUMENT : PSA_ERROR_BAD_STATE;
}

psa_status_t psa_pake_set_peer(psa_pake_operation_t* operation, const uint8_t* peer_id,
                               size_t peer_id_len) {
  (void)peer_id;
  (void)peer_id_len;
  return operation == NULL ? PSA_ERROR_INVALID_ARGUMENT : PSA_ERROR_BAD_STATE;
}

psa_status_t psa_pake_set_role(psa_pake_operation_t* operation, psa_pake_role_t role) {
  (void)role;
  return operation == NULL ? PSA_ERROR_INVALID_ARGUMENT : PSA_ERROR_BAD_STATE;
}

psa_status_t psa_pake_output(psa_pake_operation_t* operation, psa_pake_step_t step, uint8_t* output,
                             size_t output_size, size_t* output_length) {
  (void)step;
  (void)output;
  (void)output_size;
  if (operation == NULL || output_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *output_length = 0;
  return PSA_ERROR_BAD_STATE;
}

psa_status_t psa_pake_input(psa_pake_operation_t* operation, psa_pake_step_t step,
                            const uint8_t* input, size_t input_length) {
  (void)step;
  (void)input;
  (void)input_length;
  return operation == NULL ? PSA_ERROR_INVALID_ARGUMENT : PSA_ERROR_BAD_STATE;
}

psa_status_t psa_pake_get_implicit_key(psa_pake_operation_t* operation,
                                       psa_key_derivation_operation_t* output) {
  (void)output;
  return operation == NULL ? PSA_ERROR_INVALID_ARGUMENT : PSA_ERROR_BAD_STATE;
}

psa_status_t psa_pake_abort(psa_pake_operation_t* operation) {
  if (operation == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  operation->handle = 0;
  return PSA_SUCCESS;
}
