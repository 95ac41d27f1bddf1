/* psa/initial_attestation.h over psa_call (bastion/services.h,
 * bastion/crypto_service.h). */
#include <stddef.h>
#include <stdint.h>

#include "bastion/crypto_service.h"
#include "bastion/services.h"
#include "ns_bytes.h"
#include "psa/client.h"
#include "psa/initial_attestation.h"

static int challenge_size_valid(size_t size) {
  return size == PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32 ||
         size == PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48 ||
         size == PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64;
}

psa_status_t psa_initial_attest_get_token(const uint8_t* auth_challenge, size_t challenge_size,
                                          uint8_t* token_buf, size_t token_buf_size,
                                          size_t* token_size) {
  psa_invec in[1];
  psa_outvec out[1];
  psa_status_t status;
  if (auth_challenge == NULL || token_size == NULL || (token_buf == NULL && token_buf_size != 0) ||
      !challenge_size_valid(challenge_size)) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  in[0].base = auth_challenge;
  in[0].len = challenge_size;
  out[0].base = token_buf;
  out[0].len = token_buf_size;
  status = psa_call(BASTION_ATTESTATION_HANDLE, BASTION_ATTESTATION_GET_TOKEN, in, 1, out, 1);
  if (status != PSA_SUCCESS) return status;
  if (out[0].len > token_buf_size) return PSA_ERROR_SERVICE_FAILURE;
  *token_size = out[0].len;
  return PSA_SUCCESS;
}

psa_status_t psa_initial_attest_get_token_size(size_t challenge_size, size_t* token_size) {
  uint8_t request[4];
  uint8_t answer[4];
  psa_invec in[1];
  psa_outvec out[1];
  psa_status_t status;
  if (token_size == NULL || !challenge_size_valid(challenge_size)) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  bastion_ns_store_le32(request, (uint32_t)challenge_size);
  in[0].base = request;
  in[0].len = sizeof request;
  out[0].base = answer;
  out[0].len = sizeof answer;
  status = psa_call(BASTION_ATTESTATION_HANDLE, BASTION_ATTESTATION_GET_TOKEN_SIZE, in, 1, out, 1);
  if (status != PSA_SUCCESS) return status;
  if (out[0].len != sizeof answer) return PSA_ERROR_SERVICE_FAILURE;
  *token_size = bastion_ns_load_le32(answer);
  return PSA_SUCCESS;
}
