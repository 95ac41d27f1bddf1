/* bastion::psa_host from a plain C program: the PSA storage APIs called
 * in-process against a fresh in-memory device. Exits non-zero on the first
 * behaviour that differs from the PSA Secure Storage API. */
#include <stdio.h>
#include <string.h>

#include "bastion/platform.h"
#include "bastion/protected_storage_admin.h"
#include "psa/initial_attestation.h"
#include "psa/internal_trusted_storage.h"
#include "psa/protected_storage.h"

#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) {                                           \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                              \
    }                                                        \
  } while (0)

int main(void) {
  const char data[] = "in-process";
  char out[32];
  size_t length = 0;
  struct psa_storage_info_t info;
  bastion_boot_report_t report;

  CHECK(psa_its_set(1, sizeof(data), data, PSA_STORAGE_FLAG_NONE) == PSA_SUCCESS);
  CHECK(psa_its_get(1, 0, sizeof(out), out, &length) == PSA_SUCCESS);
  CHECK(length == sizeof(data) && memcmp(out, data, length) == 0);
  CHECK(psa_its_get(1, sizeof(data) + 1, sizeof(out), out, &length) ==
        PSA_ERROR_INVALID_ARGUMENT);
  CHECK(psa_its_get_info(1, &info) == PSA_SUCCESS && info.size == sizeof(data));
  CHECK(psa_its_set(0, 1, data, PSA_STORAGE_FLAG_NONE) == PSA_ERROR_INVALID_ARGUMENT);
  CHECK(psa_its_set(2, 1, data, 0x80000000u) == PSA_ERROR_NOT_SUPPORTED);
  CHECK(psa_its_set(3, 1, data, PSA_STORAGE_FLAG_WRITE_ONCE) == PSA_SUCCESS);
  CHECK(psa_its_set(3, 1, data, PSA_STORAGE_FLAG_NONE) == PSA_ERROR_NOT_PERMITTED);
  CHECK(psa_its_remove(3) == PSA_ERROR_NOT_PERMITTED);
  CHECK(psa_its_remove(1) == PSA_SUCCESS);
  CHECK(psa_its_get(1, 0, sizeof(out), out, &length) == PSA_ERROR_DOES_NOT_EXIST);

  CHECK(psa_ps_get_support() == 0);
  CHECK(psa_ps_set(7, sizeof(data), data, PSA_STORAGE_FLAG_NONE) == PSA_SUCCESS);
  CHECK(psa_ps_get(7, 3, sizeof(out), out, &length) == PSA_SUCCESS);
  CHECK(length == sizeof(data) - 3 && memcmp(out, data + 3, length) == 0);
  CHECK(psa_ps_get_info(7, &info) == PSA_SUCCESS && info.flags == PSA_STORAGE_FLAG_NONE);
  CHECK(psa_ps_create(8, 64, PSA_STORAGE_FLAG_NONE) == PSA_ERROR_NOT_SUPPORTED);
  CHECK(psa_ps_remove(7) == PSA_SUCCESS);
  CHECK(psa_ps_remove(7) == PSA_ERROR_DOES_NOT_EXIST);

  /* Administration: healthy; a format erases every object. */
  {
    uint32_t health = 99;
    CHECK(bastion_ps_health(&health) == PSA_SUCCESS && health == BASTION_PS_HEALTH_GOOD);
    CHECK(bastion_ps_health(NULL) == PSA_ERROR_INVALID_ARGUMENT);
    CHECK(psa_ps_set(9, sizeof(data), data, PSA_STORAGE_FLAG_NONE) == PSA_SUCCESS);
    CHECK(bastion_ps_format() == PSA_SUCCESS);
    CHECK(psa_ps_get(9, 0, sizeof(out), out, &length) == PSA_ERROR_DOES_NOT_EXIST);
    CHECK(psa_ps_set(9, sizeof(data), data, PSA_STORAGE_FLAG_NONE) == PSA_SUCCESS);
    CHECK(psa_its_get_info(3, &info) == PSA_SUCCESS); /* ITS untouched */
  }

  /* No boot chain ran in memory: no boot report. */
  CHECK(bastion_platform_boot_report(&report) == PSA_ERROR_BAD_STATE);
  /* ... and so nothing to attest (tests/cli/attest_test.sh runs a device). */
  {
    size_t token_size = 0;
    uint8_t challenge[32] = {0};
    uint8_t token[64];
    CHECK(psa_initial_attest_get_token_size(32, &token_size) == PSA_ERROR_SERVICE_FAILURE);
    CHECK(psa_initial_attest_get_token(challenge, 32, token, sizeof token, &token_size) ==
          PSA_ERROR_SERVICE_FAILURE);
    CHECK(psa_initial_attest_get_token_size(31, &token_size) == PSA_ERROR_INVALID_ARGUMENT);
  }
  puts("psa_host: ok");
  return 0;
}
