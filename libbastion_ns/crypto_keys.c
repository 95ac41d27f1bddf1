/* psa/crypto.h over psa_call: library initialisation, random generation and
 * key management (bastion/crypto_service.h).
 *
 * The only file of the library that reads psa_key_attributes_t's fields
 * directly, to put key attributes on the wire (20 bytes) and back: the
 * setters of psa/crypto.h adjust one field from another (an id makes a
 * volatile lifetime persistent), and decoded attributes must be exactly
 * what the service sent. */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS

#include <string.h>

#include "bastion/services.h"
#include "ns_bytes.h"
#include "ns_crypto.h"

/* ---- Key attributes on the wire ---- */

static void encode_attributes(const psa_key_attributes_t* attributes,
                              uint8_t encoded[BASTION_CRYPTO_ATTRIBUTES_SIZE]) {
  bastion_ns_store_le16(encoded + 0, attributes->type);
  bastion_ns_store_le16(encoded + 2, attributes->bits);
  bastion_ns_store_le32(encoded + 4, attributes->lifetime);
  bastion_ns_store_le32(encoded + 8, attributes->id);
  bastion_ns_store_le32(encoded + 12, attributes->policy.usage);
  bastion_ns_store_le32(encoded + 16, attributes->policy.alg);
}

static void decode_attributes(const uint8_t encoded[BASTION_CRYPTO_ATTRIBUTES_SIZE],
                              psa_key_attributes_t* attributes) {
  memset(attributes, 0, sizeof *attributes);
  attributes->type = bastion_ns_load_le16(encoded + 0);
  attributes->bits = bastion_ns_load_le16(encoded + 2);
  attributes->lifetime = bastion_ns_load_le32(encoded + 4);
  attributes->id = bastion_ns_load_le32(encoded + 8);
  attributes->policy.usage = bastion_ns_load_le32(encoded + 12);
  attributes->policy.alg = bastion_ns_load_le32(encoded + 16);
}

psa_status_t psa_crypto_init(void) {
  if (psa_framework_version() == PSA_VERSION_NONE) return PSA_ERROR_COMMUNICATION_FAILURE;
  if (psa_version(BASTION_CRYPTO_SID) == PSA_VERSION_NONE) return PSA_ERROR_NOT_SUPPORTED;
  return PSA_SUCCESS;
}

psa_status_t psa_generate_random(uint8_t* output, size_t output_size) {
  if (output == NULL && output_size != 0) return PSA_ERROR_INVALID_ARGUMENT;
  /* Larger requests are served a vector at a time. */
  while (output_size != 0) {
    bastion_ns_crypto_request_t request;
    const size_t chunk =
        output_size < BASTION_NS_CRYPTO_MAX_VECTOR ? output_size : BASTION_NS_CRYPTO_MAX_VECTOR;
    psa_status_t status;
    bastion_ns_crypto_begin(&request, PSA_KEY_ID_NULL, PSA_ALG_NONE, 0);
    bastion_ns_crypto_output(&request, output, chunk);
    status = bastion_ns_crypto_call(&request, BASTION_CRYPTO_GENERATE_RANDOM);
    if (status != PSA_SUCCESS) return status;
    if (request.out[0].len != chunk) return PSA_ERROR_SERVICE_FAILURE;
    output += chunk;
    output_size -= chunk;
  }
  return PSA_SUCCESS;
}

/* IMPORT_KEY, GENERATE_KEY, COPY_KEY and KEY_DERIVATION_OUTPUT_KEY: the
 * attributes in[1], optional data in[2], the new id out[0]. */
static psa_status_t create_key(int32_t function, psa_key_id_t source, uint32_t handle,
                               const psa_key_attributes_t* attributes, const uint8_t* data,
                               size_t data_length, int has_data, psa_key_id_t* key) {
  bastion_ns_crypto_request_t request;
  uint8_t encoded[BASTION_CRYPTO_ATTRIBUTES_SIZE];
  uint8_t id[4];
  psa_status_t status;
  if (key == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *key = PSA_KEY_ID_NULL;
  if (attributes == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  encode_attributes(attributes, encoded);
  bastion_ns_crypto_begin(&request, source, PSA_ALG_NONE, handle);
  bastion_ns_crypto_input(&request, encoded, sizeof encoded);
  if (has_data) bastion_ns_crypto_input(&request, data, data_length);
  bastion_ns_crypto_output(&request, id, sizeof id);
  status = bastion_ns_crypto_call(&request, function);
  if (status != PSA_SUCCESS) return status;
  return bastion_ns_crypto_key_reply(&request, 0, id, key);
}

psa_status_t bastion_ns_crypto_output_key(uint32_t handle, const psa_key_attributes_t* attributes,
                                          psa_key_id_t* key) {
  return create_key(BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_KEY, PSA_KEY_ID_NULL, handle, attributes,
                    NULL, 0, 0, key);
}

psa_status_t psa_import_key(const psa_key_attributes_t* attributes, const uint8_t* data,
                            size_t data_length, mbedtls_svc_key_id_t* key) {
  return create_key(BASTION_CRYPTO_IMPORT_KEY, PSA_KEY_ID_NULL, 0, attributes, data, data_length, 1,
                    key);
}

psa_status_t psa_generate_key(const psa_key_attributes_t* attributes, mbedtls_svc_key_id_t* key) {
  return create_key(BASTION_CRYPTO_GENERATE_KEY, PSA_KEY_ID_NULL, 0, attributes, NULL, 0, 0, key);
}

psa_status_t psa_copy_key(mbedtls_svc_key_id_t source_key, const psa_key_attributes_t* attributes,
                          mbedtls_svc_key_id_t* target_key) {
  return create_key(BASTION_CRYPTO_COPY_KEY, source_key, 0, attributes, NULL, 0, 0, target_key);
}

static psa_status_t key_only(int32_t function, psa_key_id_t key) {
  bastion_ns_crypto_request_t request;
  bastion_ns_crypto_begin(&request, key, PSA_ALG_NONE, 0);
  return bastion_ns_crypto_call(&request, function);
}

psa_status_t psa_destroy_key(mbedtls_svc_key_id_t key) {
  if (key == PSA_KEY_ID_NULL) return PSA_SUCCESS;
  return key_only(BASTION_CRYPTO_DESTROY_KEY, key);
}

psa_status_t psa_purge_key(mbedtls_svc_key_id_t key) {
  return key_only(BASTION_CRYPTO_PURGE_KEY, key);
}

psa_status_t psa_get_key_attributes(mbedtls_svc_key_id_t key, psa_key_attributes_t* attributes) {
  bastion_ns_crypto_request_t request;
  uint8_t encoded[BASTION_CRYPTO_ATTRIBUTES_SIZE];
  psa_status_t status;
  if (attributes == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  psa_reset_key_attributes(attributes);
  bastion_ns_crypto_begin(&request, key, PSA_ALG_NONE, 0);
  bastion_ns_crypto_output(&request, encoded, sizeof encoded);
  status = bastion_ns_crypto_call(&request, BASTION_CRYPTO_GET_KEY_ATTRIBUTES);
  if (status != PSA_SUCCESS) return status;
  if (request.out[0].len != sizeof encoded) return PSA_ERROR_SERVICE_FAILURE;
  decode_attributes(encoded, attributes);
  return PSA_SUCCESS;
}

void psa_reset_key_attributes(psa_key_attributes_t* attributes) {
  if (attributes != NULL) *attributes = psa_key_attributes_init();
}

static psa_status_t export_key(int32_t function, psa_key_id_t key, uint8_t* data, size_t data_size,
                               size_t* data_length) {
  bastion_ns_crypto_request_t request;
  psa_status_t status;
  if (data_length == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *data_length = 0;
  bastion_ns_crypto_begin(&request, key, PSA_ALG_NONE, 0);
  bastion_ns_crypto_output(&request, data, data_size);
  status = bastion_ns_crypto_call(&request, function);
  if (status == PSA_SUCCESS) *data_length = request.out[0].len;
  return status;
}

psa_status_t psa_export_key(mbedtls_svc_key_id_t key, uint8_t* data, size_t data_size,
                            size_t* data_length) {
  return export_key(BASTION_CRYPTO_EXPORT_KEY, key, data, data_size, data_length);
}

psa_status_t psa_export_public_key(mbedtls_svc_key_id_t key, uint8_t* data, size_t data_size,
                                   size_t* data_length) {
  return export_key(BASTION_CRYPTO_EXPORT_PUBLIC_KEY, key, data, data_size, data_length);
}

/* ---- Key handles (psa/crypto_compat.h): a handle is the key's own id ---- */

psa_status_t psa_open_key(mbedtls_svc_key_id_t key, psa_key_handle_t* handle) {
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_status_t status;
  if (handle == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  *handle = PSA_KEY_HANDLE_INIT;
  if (key == PSA_KEY_ID_NULL) return PSA_ERROR_INVALID_ARGUMENT;
  status = psa_get_key_attributes(key, &attributes);
  if (status == PSA_ERROR_INVALID_HANDLE) return PSA_ERROR_DOES_NOT_EXIST;
  if (status != PSA_SUCCESS) return status;
  if (PSA_KEY_LIFETIME_IS_VOLATILE(psa_get_key_lifetime(&attributes))) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  *handle = key;
  return PSA_SUCCESS;
}

psa_status_t psa_close_key(psa_key_handle_t handle) {
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_status_t status;
  if (handle == PSA_KEY_HANDLE_INIT) return PSA_SUCCESS;
  status = psa_get_key_attributes(handle, &attributes);
  if (status != PSA_SUCCESS) return status;
  /* A volatile key closes as psa_destroy_key; a persistent one leaves
   * memory and stays in storage. */
  if (PSA_KEY_LIFETIME_IS_VOLATILE(psa_get_key_lifetime(&attributes))) {
    return psa_destroy_key(handle);
  }
  return psa_purge_key(handle);
}
