/* psa/initial_attestation.h: the PSA Initial Attestation API.
 *
 * The functions are those of the PSA Attestation API 1.0; the token they
 * return is the PSA attestation token of RFC 9783 (profile
 * "tag:psacertified.org,2023:psa#tfm"), the format version 2.0 of the API
 * requires, hence the version below. The token is a tagged COSE_Sign1
 * signed with ES256 by the device's Initial Attestation Key; its claims,
 * and Bastion's private claim, are in docs/attestation.md. Status codes
 * come from psa/error.h. */
#ifndef PSA_INITIAL_ATTESTATION_H
#define PSA_INITIAL_ATTESTATION_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSA_INITIAL_ATTEST_API_VERSION_MAJOR 2
#define PSA_INITIAL_ATTEST_API_VERSION_MINOR 0

/** The challenge sizes a token may carry (its nonce claim). */
#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32 (32u)
#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48 (48u)
#define PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64 (64u)

/** The largest token this implementation returns, in bytes: a buffer of
 * this size always holds one. */
#define PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE (1024u)

/** Writes an attestation token binding `auth_challenge` (its nonce claim)
 * into `token_buf`; `*token_size` is its length.
 *
 * PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (`challenge_size` is not 32, 48
 * or 64; a null pointer); PSA_ERROR_BUFFER_TOO_SMALL (`token_buf_size` is
 * less than the token: nothing written); PSA_ERROR_SERVICE_FAILURE (the
 * service cannot produce a token: no boot report, no attestation key);
 * the transport's errors (PSA_ERROR_COMMUNICATION_FAILURE, ...). */
psa_status_t psa_initial_attest_get_token(const uint8_t* auth_challenge, size_t challenge_size,
                                          uint8_t* token_buf, size_t token_buf_size,
                                          size_t* token_size);

/** `*token_size` is the exact size of the token psa_initial_attest_get_token
 * returns to this caller for a challenge of `challenge_size` bytes.
 *
 * PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (`challenge_size` is not 32, 48
 * or 64; `token_size` is null); PSA_ERROR_SERVICE_FAILURE; the transport's
 * errors. */
psa_status_t psa_initial_attest_get_token_size(size_t challenge_size, size_t* token_size);

#ifdef __cplusplus
}
#endif

#endif /* PSA_INITIAL_ATTESTATION_H */
