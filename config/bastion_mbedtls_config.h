/*
 * Bastion's Mbed TLS 3.6 configuration: the same file for host and target.
 * Only what the crypto facade (src/crypto) needs: SHA-256/384, ECDSA P-256
 * and P-384, key parsing (PEM, DER, SubjectPublicKeyInfo), HMAC, HKDF,
 * AES-CTR, AES-GCM (Protected Storage) and CTR-DRBG. No C heap: every allocation comes from a
 * static arena handed to memory_buffer_alloc by the facade.
 *
 * BASTION_MBEDTLS_PSA_CORE (cmake/mbedtls.cmake: the host's library, and
 * the Cortex-M33 Secure Manager's bastion_mbedtls_sm) adds the PSA Crypto
 * core the crypto partition runs (src/crypto_service): see the section
 * "PSA Crypto core" below. The Cortex-M33 boot stages' library is built
 * without it, exactly as before.
 */
#ifndef BASTION_MBEDTLS_CONFIG_H
#define BASTION_MBEDTLS_CONFIG_H

/* Platform: no heap, no entropy source of Mbed TLS's own, no file system. */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8 /* 64-bit hosts need 8-byte aligned blocks */
/* Before the arena is installed, allocation fails: never the C heap. */
#define MBEDTLS_PLATFORM_STD_CALLOC bastion_mbedtls_calloc_uninit
#define MBEDTLS_PLATFORM_STD_FREE bastion_mbedtls_free_uninit
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_DEPRECATED_REMOVED
#if defined(BASTION_MBEDTLS_DEVICE)
/* No 64-bit division helper from the C library; no exit(): the allocator's
 * consistency checks trap instead. */
#define MBEDTLS_NO_UDBL_DIVISION
#define MBEDTLS_PLATFORM_EXIT_MACRO(status) __builtin_trap()
#endif

/* Hashes and MACs. */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER /* the rolled compression loop: about 1.3 KB less per boot stage */
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_SMALLER /* SHA-384 only serves P-384 images: favour size */
#define MBEDTLS_HKDF_C

/* Elliptic curves: ECDSA on P-256 and P-384 only. On the device
 * (BASTION_MBEDTLS_DEVICE, the Cortex-M33 build), P-256 is p256-m's and the
 * ECP serves P-384 alone, with the generic modular reduction: the boot stages
 * verify one or two signatures per boot, and size is what they lack. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#if !defined(BASTION_MBEDTLS_DEVICE)
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#endif
#define MBEDTLS_ECP_WINDOW_SIZE 4
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C

/* Key formats. */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_BASE64_C

/* Symmetric crypto and the DRBG. */
#define MBEDTLS_AES_C
#define MBEDTLS_CIPHER_MODE_CTR
/* GCM for Protected Storage's AEAD (src/crypto/aead.cpp). Without
 * MBEDTLS_CIPHER_C, Mbed TLS 3.6 routes GCM through its small block-cipher
 * layer (MBEDTLS_BLOCK_CIPHER_C, set by config_adjust_legacy_crypto.h), to
 * the AES above; nothing the boot stages link changes. */
#define MBEDTLS_GCM_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_CTR_DRBG_C

/* PSA Crypto core, in the Secure Manager only (src/crypto_service, docs/crypto.md). */
#if defined(BASTION_MBEDTLS_PSA_CORE)
#define MBEDTLS_PSA_CRYPTO_C
/* SPM build: every psa_* function of the core is renamed bastion_core_psa_*
 * by crypto_spe.h, generated from the Mbed TLS headers at configure time
 * (cmake/generate_crypto_spe.cmake). Included here too so that every file
 * built with this configuration sees the renames before any declaration. */
#define MBEDTLS_PSA_CRYPTO_SPM
/* Key ids are (owner, id) pairs: the owner is the Secure Manager's client id. */
#define MBEDTLS_PSA_CRYPTO_KEY_ID_ENCODES_OWNER
/* The algorithm set, shared with the client library. */
#define MBEDTLS_PSA_CRYPTO_CONFIG
#define MBEDTLS_PSA_CRYPTO_CONFIG_FILE "bastion_psa_algorithms.h"
/* Persistent keys, in the Secure Manager's ITS (psa_its_* are the
 * partition's adapter; no file-based ITS). */
#define MBEDTLS_PSA_CRYPTO_STORAGE_C
/* Randomness from the Secure Manager's platform::Rng
 * (mbedtls_psa_external_get_random, config/bastion_psa_core_hooks.c). */
#define MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG
/* The partition copies every input into its own buffer before calling the
 * core: no second copy, no allocation per call. */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS
/* A fixed key store (no MBEDTLS_PSA_KEY_STORE_DYNAMIC): past it, key
 * creation answers PSA_ERROR_INSUFFICIENT_MEMORY. From the CMake cache
 * (BASTION_PSA_KEY_SLOT_COUNT). */
#if !defined(BASTION_PSA_KEY_SLOT_COUNT)
#error "BASTION_PSA_KEY_SLOT_COUNT must come from the build (cmake/mbedtls.cmake)"
#endif
#define MBEDTLS_PSA_KEY_SLOT_COUNT BASTION_PSA_KEY_SLOT_COUNT
/* The core implements P-256 with the ECP, on the device too. */
#if !defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#endif
/* Unauthenticated cipher modes (the AEADs, ChaCha20 and the rest follow
 * from bastion_psa_algorithms.h through Mbed TLS's adjust headers). */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_MODE_CFB
#define MBEDTLS_CIPHER_MODE_OFB
#define MBEDTLS_CIPHER_PADDING_PKCS7
#include "crypto_spe.h"
#endif /* BASTION_MBEDTLS_PSA_CORE */

#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void* bastion_mbedtls_calloc_uninit(size_t count, size_t size);
void bastion_mbedtls_free_uninit(void* pointer);
#ifdef __cplusplus
}
#endif

#endif /* BASTION_MBEDTLS_CONFIG_H */
