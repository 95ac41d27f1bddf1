/* The PSA Crypto core's randomness and storage, forwarded to the hooks the
 * crypto partition installs (bastion_psa_core_hooks.h). */
#include "bastion_psa_core_hooks.h"

#include <string.h>

#include "mbedtls/build_info.h"
#include "psa/crypto.h"
/* The core's "native ITS" headers (as psa_crypto_storage.c includes them):
 * Bastion's own, include/psa/. */
#include "psa/error.h"
#include "psa/internal_trusted_storage.h"

static bastion_psa_core_hooks g_hooks;
static int g_installed;

void bastion_psa_core_set_hooks(const bastion_psa_core_hooks* hooks) {
  if (hooks == NULL) {
    memset(&g_hooks, 0, sizeof(g_hooks));
    g_installed = 0;
    return;
  }
  g_hooks = *hooks;
  g_installed = 1;
}

psa_status_t mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t* context,
                                             uint8_t* output, size_t output_size,
                                             size_t* output_length) {
  (void)context;
  *output_length = 0;
  if (!g_installed || g_hooks.random == NULL) return PSA_ERROR_INSUFFICIENT_ENTROPY;
  psa_status_t status = g_hooks.random(g_hooks.context, output, output_size);
  if (status != PSA_SUCCESS) return PSA_ERROR_INSUFFICIENT_ENTROPY;
  *output_length = output_size;
  return PSA_SUCCESS;
}

/* psa_its_* are renamed bastion_core_psa_its_* (crypto_spe.h). */
psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void* p_data,
                         psa_storage_create_flags_t create_flags) {
  if (!g_installed || g_hooks.its_set == NULL) return PSA_ERROR_STORAGE_FAILURE;
  return g_hooks.its_set(g_hooks.context, uid, data_length, p_data, create_flags);
}

psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                         void* p_data, size_t* p_data_length) {
  if (p_data_length != NULL) *p_data_length = 0;
  if (!g_installed || g_hooks.its_get == NULL) return PSA_ERROR_STORAGE_FAILURE;
  return g_hooks.its_get(g_hooks.context, uid, data_offset, data_length, p_data, p_data_length);
}

psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t* p_info) {
  if (!g_installed || g_hooks.its_get_info == NULL) return PSA_ERROR_STORAGE_FAILURE;
  size_t size = 0;
  uint32_t flags = 0;
  psa_status_t status = g_hooks.its_get_info(g_hooks.context, uid, &size, &flags);
  if (status == PSA_SUCCESS) {
    p_info->capacity = size;
    p_info->size = size;
    p_info->flags = flags;
  }
  return status;
}

psa_status_t psa_its_remove(psa_storage_uid_t uid) {
  if (!g_installed || g_hooks.its_remove == NULL) return PSA_ERROR_STORAGE_FAILURE;
  return g_hooks.its_remove(g_hooks.context, uid);
}
