/*
 * Mbed TLS's PSA Crypto headers in client mode: what an application and the
 * non-secure client library (libbastion_ns) see of psa/crypto.h. The Secure
 * Manager's crypto partition implements the API; the client only marshals
 * calls to it (include/bastion/crypto_service.h).
 *
 *   - MBEDTLS_PSA_CRYPTO_CLIENT without MBEDTLS_PSA_CRYPTO_C: every operation
 *     structure is a single `handle` (the service's operation handle, 0 when
 *     inactive), and no part of Mbed TLS's own implementation is configured.
 *   - The PSA_WANT_* set is the service's own (bastion_psa_algorithms.h), so
 *     the size macros (PSA_HASH_MAX_SIZE, PSA_SIGNATURE_MAX_SIZE,
 *     PSA_EXPORT_KEY_OUTPUT_SIZE, ...) are those of the server's build.
 *   - Key ids are plain psa_key_id_t (no owner field): the partition pairs
 *     each id with the caller's client id.
 *
 * Used through MBEDTLS_CONFIG_FILE (the CMake target bastion_psa_client_api);
 * never together with config/bastion_mbedtls_config.h in one translation unit.
 */
#ifndef BASTION_PSA_CLIENT_CONFIG_H
#define BASTION_PSA_CLIENT_CONFIG_H

#define MBEDTLS_PSA_CRYPTO_CLIENT
#define MBEDTLS_PSA_CRYPTO_CONFIG
#define MBEDTLS_PSA_CRYPTO_CONFIG_FILE "bastion_psa_algorithms.h"

/* Nothing deprecated: the client implements the current API only. */
#define MBEDTLS_DEPRECATED_REMOVED

#if defined(MBEDTLS_PSA_CRYPTO_C)
#error "bastion_psa_client_config.h is the client view: MBEDTLS_PSA_CRYPTO_C must stay undefined"
#endif

#endif /* BASTION_PSA_CLIENT_CONFIG_H */
