/* The PSA Initial Attestation API from a plain C program linked with
 * bastion::psa_host, against the device named by BASTION_PSA_HOST_DEVICE
 * (tests/cli/attest_test.sh provisions it). Writes the token for a 64-byte
 * challenge (0, 1, ..., 63) to argv[1] for `bastion attest verify`. Exits
 * non-zero on the first behaviour that differs from the API. */
#include <stdio.h>
#include <string.h>

#include "psa/initial_attestation.h"

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                  \
    }                                                            \
  } while (0)

int main(int argc, char** argv) {
  static uint8_t token[PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE];
  uint8_t challenge[64];
  size_t sizes[3] = {PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32, PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48,
                     PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64};
  size_t i;
  size_t size = 0;
  size_t length = 0;
  FILE* out;
  if (argc != 2) return 2;
  for (i = 0; i < sizeof challenge; ++i) challenge[i] = (uint8_t)i;

  for (i = 0; i < 3; ++i) {
    CHECK(psa_initial_attest_get_token_size(sizes[i], &size) == PSA_SUCCESS);
    CHECK(size > 0 && size <= PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE);
    CHECK(psa_initial_attest_get_token(challenge, sizes[i], token, sizeof token, &length) ==
          PSA_SUCCESS);
    CHECK(length == size);
    CHECK(token[0] == 0xd2); /* COSE_Sign1 tag */
  }
  CHECK(psa_initial_attest_get_token_size(33, &size) == PSA_ERROR_INVALID_ARGUMENT);
  CHECK(psa_initial_attest_get_token_size(32, NULL) == PSA_ERROR_INVALID_ARGUMENT);
  CHECK(psa_initial_attest_get_token(challenge, 0, token, sizeof token, &length) ==
        PSA_ERROR_INVALID_ARGUMENT);
  CHECK(psa_initial_attest_get_token(NULL, 32, token, sizeof token, &length) ==
        PSA_ERROR_INVALID_ARGUMENT);
  CHECK(psa_initial_attest_get_token_size(64, &size) == PSA_SUCCESS);
  memset(token, 0xee, sizeof token);
  CHECK(psa_initial_attest_get_token(challenge, 64, token, size - 1, &length) ==
        PSA_ERROR_BUFFER_TOO_SMALL);
  CHECK(token[0] == 0xee && token[size - 2] == 0xee);

  CHECK(psa_initial_attest_get_token(challenge, 64, token, sizeof token, &length) == PSA_SUCCESS);
  out = fopen(argv[1], "wb");
  CHECK(out != NULL);
  CHECK(fwrite(token, 1, length, out) == length);
  CHECK(fclose(out) == 0);
  puts("psa_host attestation: ok");
  return 0;
}
