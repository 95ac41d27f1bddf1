/*
 * What the PSA Crypto core (Mbed TLS, built with BASTION_MBEDTLS_PSA_CORE)
 * needs from its host: randomness (MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG) and a
 * place for persistent keys (the core's psa_its_* calls, renamed
 * bastion_core_psa_its_* by crypto_spe.h). Compiled into the Mbed TLS
 * library itself, so every program that links the core links these too.
 *
 * The core is one per process; so are its hooks. The crypto partition
 * (src/crypto_service) installs them when it claims the core and removes
 * them when it lets go. Without hooks, randomness answers
 * PSA_ERROR_INSUFFICIENT_ENTROPY and storage PSA_ERROR_STORAGE_FAILURE.
 */
#ifndef BASTION_PSA_CORE_HOOKS_H
#define BASTION_PSA_CORE_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Each function returns a psa_status_t; `context` is the hooks' own. The
 * storage functions have psa_its_*'s meaning (include/psa/internal_trusted_storage.h). */
typedef struct bastion_psa_core_hooks {
  void* context;
  int32_t (*random)(void* context, uint8_t* output, size_t size);
  int32_t (*its_set)(void* context, uint64_t uid, size_t length, const void* data, uint32_t flags);
  int32_t (*its_get)(void* context, uint64_t uid, size_t offset, size_t length, void* data,
                     size_t* data_length);
  int32_t (*its_get_info)(void* context, uint64_t uid, size_t* size, uint32_t* flags);
  int32_t (*its_remove)(void* context, uint64_t uid);
} bastion_psa_core_hooks;

/* Installs `hooks` (copied), or removes them (NULL). */
void bastion_psa_core_set_hooks(const bastion_psa_core_hooks* hooks);

#ifdef __cplusplus
}
#endif

#endif /* BASTION_PSA_CORE_HOOKS_H */
