/* bastion/crypto_service.h: the wire contract of the crypto and initial
 * attestation services (psa_call request types and vector layouts).
 *
 * Applications do not need this header: psa/crypto.h and
 * psa/initial_attestation.h, implemented by the client library over
 * psa_call, wrap it. It is the contract between that library and the
 * partitions, on the host and on the target.
 *
 * Every multi-byte field is little-endian.
 *
 * ---- Crypto (BASTION_CRYPTO_HANDLE) ----
 * psa_call's `type` is the function (BASTION_CRYPTO_*, below). in[0] is
 * always the parameter block (BASTION_CRYPTO_PARAMS_SIZE bytes exactly);
 * the rest of each request's vectors are listed with its function. A
 * request whose vectors do not match its function's layout (missing,
 * extra, a fixed-size vector of another size) is refused with
 * PSA_ERROR_PROGRAMMER_ERROR and changes nothing.
 *
 * Parameter block (32 bytes):
 *   offset  0  key      u32  psa_key_id_t (the caller's own key id space)
 *   offset  4  alg      u32  psa_algorithm_t
 *   offset  8  handle   u32  multi-part operation handle (0: none)
 *   offset 12  step     u32  psa_key_derivation_step_t
 *   offset 16  value    u64  a number: capacity, integer input, lengths
 *   offset 24  value2   u64  a second number
 *
 * Key attributes (BASTION_CRYPTO_ATTRIBUTES_SIZE = 20 bytes):
 *   offset  0  type      u16  psa_key_type_t
 *   offset  2  bits      u16  (psa_key_bits_t)
 *   offset  4  lifetime  u32  psa_key_lifetime_t
 *   offset  8  id        u32  psa_key_id_t
 *   offset 12  usage     u32  psa_key_usage_t
 *   offset 16  alg       u32  psa_algorithm_t (the permitted algorithm)
 *
 * Key ids name keys of the caller only: the partition pairs every id with
 * the caller's client id, so another client's key answers exactly like a
 * key that does not exist (PSA_ERROR_INVALID_HANDLE).
 *
 * Multi-part operations live in the partition, per client. A *_SETUP
 * (and HASH_CLONE, KEY_DERIVATION_SETUP) writes the new operation's handle
 * (u32, never 0) to the given output. The handle names the operation of
 * this client only; an unknown handle, another client's, or one already
 * finished or aborted answers PSA_ERROR_BAD_STATE. A successful *_FINISH /
 * *_VERIFY (hash, MAC, cipher, AEAD) and every *_ABORT release the handle;
 * after any other error the operation keeps its handle until it is
 * aborted, as the PSA Crypto API requires. Past the per-client limit a
 * setup answers PSA_ERROR_INSUFFICIENT_MEMORY.
 *
 * Output vectors: the length the client sees is what the function wrote.
 * Lengths the API returns separately (e.g. the key id) travel in their own
 * output vector, as listed.
 */
#ifndef BASTION_CRYPTO_SERVICE_H
#define BASTION_CRYPTO_SERVICE_H

#include "bastion/services.h"

#define BASTION_CRYPTO_PARAMS_SIZE 32u
#define BASTION_CRYPTO_ATTRIBUTES_SIZE 20u

/* Functions (psa_call type). Vectors after in[0] (params): */
/* Random */
#define BASTION_CRYPTO_GENERATE_RANDOM 1 /* out[0] bytes */

/* Key management */
#define BASTION_CRYPTO_IMPORT_KEY 10         /* in[1] attributes  in[2] key data  out[0] id (4) */
#define BASTION_CRYPTO_GENERATE_KEY 11       /* in[1] attributes  out[0] id (4) */
#define BASTION_CRYPTO_COPY_KEY 12           /* key  in[1] attributes  out[0] id (4) */
#define BASTION_CRYPTO_DESTROY_KEY 13        /* key */
#define BASTION_CRYPTO_PURGE_KEY 14          /* key */
#define BASTION_CRYPTO_GET_KEY_ATTRIBUTES 15 /* key  out[0] attributes (20) */
#define BASTION_CRYPTO_EXPORT_KEY 16         /* key  out[0] data */
#define BASTION_CRYPTO_EXPORT_PUBLIC_KEY 17  /* key  out[0] data */

/* Hash */
#define BASTION_CRYPTO_HASH_COMPUTE 20 /* alg  in[1] input  out[0] hash */
#define BASTION_CRYPTO_HASH_COMPARE 21 /* alg  in[1] input  in[2] hash */
#define BASTION_CRYPTO_HASH_SETUP 22   /* alg  out[0] handle (4) */
#define BASTION_CRYPTO_HASH_UPDATE 23  /* handle  in[1] input */
#define BASTION_CRYPTO_HASH_FINISH 24  /* handle  out[0] hash */
#define BASTION_CRYPTO_HASH_VERIFY 25  /* handle  in[1] hash */
#define BASTION_CRYPTO_HASH_ABORT 26   /* handle */
#define BASTION_CRYPTO_HASH_CLONE 27   /* handle (source)  out[0] handle of the copy (4) */

/* MAC */
#define BASTION_CRYPTO_MAC_COMPUTE 30       /* key alg  in[1] input  out[0] mac */
#define BASTION_CRYPTO_MAC_VERIFY 31        /* key alg  in[1] input  in[2] mac */
#define BASTION_CRYPTO_MAC_SIGN_SETUP 32    /* key alg  out[0] handle (4) */
#define BASTION_CRYPTO_MAC_VERIFY_SETUP 33  /* key alg  out[0] handle (4) */
#define BASTION_CRYPTO_MAC_UPDATE 34        /* handle  in[1] input */
#define BASTION_CRYPTO_MAC_SIGN_FINISH 35   /* handle  out[0] mac */
#define BASTION_CRYPTO_MAC_VERIFY_FINISH 36 /* handle  in[1] mac */
#define BASTION_CRYPTO_MAC_ABORT 37         /* handle */

/* Unauthenticated ciphers */
#define BASTION_CRYPTO_CIPHER_ENCRYPT 40       /* key alg  in[1] input  out[0] IV || ciphertext */
#define BASTION_CRYPTO_CIPHER_DECRYPT 41       /* key alg  in[1] IV || ciphertext  out[0] output */
#define BASTION_CRYPTO_CIPHER_ENCRYPT_SETUP 42 /* key alg  out[0] handle (4) */
#define BASTION_CRYPTO_CIPHER_DECRYPT_SETUP 43 /* key alg  out[0] handle (4) */
#define BASTION_CRYPTO_CIPHER_GENERATE_IV 44   /* handle  out[0] IV */
#define BASTION_CRYPTO_CIPHER_SET_IV 45        /* handle  in[1] IV */
#define BASTION_CRYPTO_CIPHER_UPDATE 46        /* handle  in[1] input  out[0] output */
#define BASTION_CRYPTO_CIPHER_FINISH 47        /* handle  out[0] output */
#define BASTION_CRYPTO_CIPHER_ABORT 48         /* handle */

/* AEAD. The single-part calls carry nonce and additional data in one
 * vector (value = nonce length) so that they fit PSA_MAX_IOVEC:
 *   ENCRYPT  key alg value  in[1] nonce||ad  in[2] plaintext   out[0] ciphertext||tag
 *   DECRYPT  key alg value  in[1] nonce||ad  in[2] ciphertext||tag  out[0] plaintext
 * SET_LENGTHS takes value = additional data length, value2 = plaintext length. */
#define BASTION_CRYPTO_AEAD_ENCRYPT 50
#define BASTION_CRYPTO_AEAD_DECRYPT 51
#define BASTION_CRYPTO_AEAD_ENCRYPT_SETUP 52  /* key alg  out[0] handle (4) */
#define BASTION_CRYPTO_AEAD_DECRYPT_SETUP 53  /* key alg  out[0] handle (4) */
#define BASTION_CRYPTO_AEAD_GENERATE_NONCE 54 /* handle  out[0] nonce */
#define BASTION_CRYPTO_AEAD_SET_NONCE 55      /* handle  in[1] nonce */
#define BASTION_CRYPTO_AEAD_SET_LENGTHS 56    /* handle  value  value2 */
#define BASTION_CRYPTO_AEAD_UPDATE_AD 57      /* handle  in[1] additional data */
#define BASTION_CRYPTO_AEAD_UPDATE 58         /* handle  in[1] input  out[0] output */
#define BASTION_CRYPTO_AEAD_FINISH 59         /* handle  out[0] ciphertext  out[1] tag */
#define BASTION_CRYPTO_AEAD_VERIFY 60         /* handle  in[1] tag  out[0] plaintext */
#define BASTION_CRYPTO_AEAD_ABORT 61          /* handle */

/* Asymmetric signatures and encryption */
#define BASTION_CRYPTO_SIGN_MESSAGE 70       /* key alg  in[1] message  out[0] signature */
#define BASTION_CRYPTO_VERIFY_MESSAGE 71     /* key alg  in[1] message  in[2] signature */
#define BASTION_CRYPTO_SIGN_HASH 72          /* key alg  in[1] hash  out[0] signature */
#define BASTION_CRYPTO_VERIFY_HASH 73        /* key alg  in[1] hash  in[2] signature */
#define BASTION_CRYPTO_ASYMMETRIC_ENCRYPT 74 /* key alg  in[1] input  in[2] salt  out[0] */
#define BASTION_CRYPTO_ASYMMETRIC_DECRYPT 75 /* key alg  in[1] input  in[2] salt  out[0] */

/* Key agreement */
#define BASTION_CRYPTO_RAW_KEY_AGREEMENT 80 /* key alg  in[1] peer key  out[0] shared secret */

/* Key derivation */
#define BASTION_CRYPTO_KEY_DERIVATION_SETUP 90         /* alg  out[0] handle (4) */
#define BASTION_CRYPTO_KEY_DERIVATION_GET_CAPACITY 91  /* handle  out[0] capacity (8) */
#define BASTION_CRYPTO_KEY_DERIVATION_SET_CAPACITY 92  /* handle  value = capacity */
#define BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES 93   /* handle step  in[1] data */
#define BASTION_CRYPTO_KEY_DERIVATION_INPUT_INTEGER 94 /* handle step  value */
#define BASTION_CRYPTO_KEY_DERIVATION_INPUT_KEY 95     /* handle step key */
#define BASTION_CRYPTO_KEY_DERIVATION_KEY_AGREEMENT 96 /* handle step key  in[1] peer key */
#define BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES 97  /* handle  out[0] output */
#define BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_KEY 98    /* handle  in[1] attributes  out[0] id (4) */
#define BASTION_CRYPTO_KEY_DERIVATION_VERIFY_BYTES 99  /* handle  in[1] expected */
#define BASTION_CRYPTO_KEY_DERIVATION_VERIFY_KEY 100   /* handle key */
#define BASTION_CRYPTO_KEY_DERIVATION_ABORT 101        /* handle */

/* ---- Built-in keys ----
 * Keys the Secure Manager derives at start and never stores or exports
 * (export answers PSA_ERROR_NOT_PERMITTED, destroy PSA_ERROR_NOT_PERMITTED).
 * A built-in key id names the key only for the clients the partition table
 * allows; for every other client it does not exist.
 *
 *   IAK  Initial Attestation Key: ECC P-256 key pair, ECDSA(SHA-256)
 *        sign/verify hash and message; public key exportable. Derived from
 *        the attestation seed uROT hands down, the same on every boot and
 *        across updates of every image (src/attestation/iak.h).
 *   HUK-derived: one 256-bit key per allowed partition, derived from the
 *        storage seed (itself derived from the HUK) and the partition's
 *        client id; usable as key derivation input (HKDF) and for
 *        HMAC-SHA-256; never exportable. */
#define BASTION_CRYPTO_BUILTIN_KEY_IAK 0x7fff0001u
#define BASTION_CRYPTO_BUILTIN_KEY_HUK_DERIVED 0x7fff0002u

/* ---- Initial Attestation (BASTION_ATTESTATION_HANDLE) ----
 * psa_call's `type`:
 *   GET_TOKEN       in[0] challenge (32, 48 or 64 bytes)  out[0] token
 *   GET_TOKEN_SIZE  in[0] challenge size (4)              out[0] token size (4)
 * A challenge of another size answers PSA_ERROR_INVALID_ARGUMENT; an out[0]
 * shorter than the token, PSA_ERROR_BUFFER_TOO_SMALL (nothing written). */
#define BASTION_ATTESTATION_GET_TOKEN 1
#define BASTION_ATTESTATION_GET_TOKEN_SIZE 2

#endif /* BASTION_CRYPTO_SERVICE_H */
