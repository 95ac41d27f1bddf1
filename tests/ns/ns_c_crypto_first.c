/* psa/crypto.h (Mbed TLS's, client mode) before Bastion's psa/error.h and
 * psa/client.h: both define psa_status_t and the shared PSA_ERROR_* codes,
 * and must coexist in either order as strict C99. ns_c_application.c
 * includes them the other way round. */
#include "psa/client.h"
#include "psa/crypto.h"
#include "psa/error.h"

typedef char programmer_error_is_shared[(PSA_ERROR_PROGRAMMER_ERROR == -129) ? 1 : -1];
typedef char max_hash_is_sha512[(PSA_HASH_MAX_SIZE == 64) ? 1 : -1];

psa_status_t bastion_ns_c_crypto_headers_first(void);

/* Setting up an operation twice is refused locally, without a call. */
psa_status_t bastion_ns_c_crypto_headers_first(void) {
  psa_mac_operation_t operation = PSA_MAC_OPERATION_INIT;
  operation.handle = 1u;
  return psa_mac_sign_setup(&operation, 1u, PSA_ALG_HMAC(PSA_ALG_SHA_256)) == PSA_ERROR_BAD_STATE
             ? PSA_SUCCESS
             : PSA_ERROR_GENERIC_ERROR;
}
