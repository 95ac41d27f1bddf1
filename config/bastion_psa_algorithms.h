/*
 * The algorithm set of Bastion's crypto service: what the Secure Manager's
 * PSA Crypto core implements and what the client library's size macros
 * (PSA_HASH_MAX_SIZE, PSA_SIGNATURE_MAX_SIZE, ...) are computed for. One
 * file, included by both sides, so they cannot disagree. Anything not
 * listed answers PSA_ERROR_NOT_SUPPORTED.
 *
 *   hash        SHA-224, SHA-256, SHA-384, SHA-512
 *   MAC         HMAC, CMAC (AES)
 *   cipher      AES: ECB, CBC (no padding, PKCS#7), CTR, CFB, OFB
 *   AEAD        AES-GCM, AES-CCM, ChaCha20-Poly1305
 *   signature   ECDSA and deterministic ECDSA on P-256 and P-384
 *   agreement   ECDH on P-256, P-384 and Curve25519
 *   derivation  HKDF (and its extract / expand halves), TLS 1.2 PRF and
 *               PSK-to-MS, PBKDF2-HMAC
 *   keys        AES, ChaCha20, HMAC, derive, raw data, password, ECC
 *               (import, export, generate, derive)
 *
 * No RSA, no finite-field DH, no SHA-1/MD5/SHA-3, no legacy block ciphers.
 */
#ifndef BASTION_PSA_ALGORITHMS_H
#define BASTION_PSA_ALGORITHMS_H

#define PSA_WANT_ALG_SHA_224 1
#define PSA_WANT_ALG_SHA_256 1
#define PSA_WANT_ALG_SHA_384 1
#define PSA_WANT_ALG_SHA_512 1

#define PSA_WANT_ALG_HMAC 1
#define PSA_WANT_ALG_CMAC 1

#define PSA_WANT_ALG_ECB_NO_PADDING 1
#define PSA_WANT_ALG_CBC_NO_PADDING 1
#define PSA_WANT_ALG_CBC_PKCS7 1
#define PSA_WANT_ALG_CTR 1
#define PSA_WANT_ALG_CFB 1
#define PSA_WANT_ALG_OFB 1
#define PSA_WANT_ALG_STREAM_CIPHER 1

#define PSA_WANT_ALG_GCM 1
#define PSA_WANT_ALG_CCM 1
#define PSA_WANT_ALG_CHACHA20_POLY1305 1

#define PSA_WANT_ALG_ECDSA 1
#define PSA_WANT_ALG_DETERMINISTIC_ECDSA 1
#define PSA_WANT_ALG_ECDH 1
#define PSA_WANT_ECC_SECP_R1_256 1
#define PSA_WANT_ECC_SECP_R1_384 1
#define PSA_WANT_ECC_MONTGOMERY_255 1

#define PSA_WANT_ALG_HKDF 1
#define PSA_WANT_ALG_HKDF_EXTRACT 1
#define PSA_WANT_ALG_HKDF_EXPAND 1
#define PSA_WANT_ALG_TLS12_PRF 1
#define PSA_WANT_ALG_TLS12_PSK_TO_MS 1
#define PSA_WANT_ALG_PBKDF2_HMAC 1

#define PSA_WANT_KEY_TYPE_AES 1
#define PSA_WANT_KEY_TYPE_CHACHA20 1
#define PSA_WANT_KEY_TYPE_HMAC 1
#define PSA_WANT_KEY_TYPE_DERIVE 1
#define PSA_WANT_KEY_TYPE_RAW_DATA 1
#define PSA_WANT_KEY_TYPE_PASSWORD 1
#define PSA_WANT_KEY_TYPE_PASSWORD_HASH 1
#define PSA_WANT_KEY_TYPE_ECC_PUBLIC_KEY 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_BASIC 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_IMPORT 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_EXPORT 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_GENERATE 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_DERIVE 1

#endif /* BASTION_PSA_ALGORITHMS_H */
