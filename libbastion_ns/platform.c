/* bastion/platform.h over psa_call (bastion/services.h). */
#include "bastion/platform.h"

#include <stddef.h>
#include <stdint.h>

#include "bastion/services.h"
#include "ns_bytes.h"
#include "psa/client.h"

psa_status_t bastion_platform_boot_report(bastion_boot_report_t* report) {
  psa_outvec out[1];
  psa_status_t status;
  if (report == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  out[0].base = report;
  out[0].len = sizeof *report;
  status = psa_call(BASTION_PLATFORM_HANDLE, BASTION_PLATFORM_BOOT_REPORT, NULL, 0, out, 1);
  if (status != PSA_SUCCESS) return status;
  return out[0].len == sizeof *report ? PSA_SUCCESS : PSA_ERROR_SERVICE_FAILURE;
}

static psa_status_t component_request(int32_t type, uint8_t component) {
  psa_invec in[1];
  in[0].base = &component;
  in[0].len = 1;
  return psa_call(BASTION_PLATFORM_HANDLE, type, in, 1, NULL, 0);
}

psa_status_t bastion_platform_confirm(uint8_t component) {
  return component_request(BASTION_PLATFORM_CONFIRM, component);
}

psa_status_t bastion_platform_reject(uint8_t component) {
  return component_request(BASTION_PLATFORM_REJECT, component);
}

psa_status_t bastion_platform_submit_revocation(const void* command, size_t length) {
  psa_invec in[1];
  if ((command == NULL && length != 0) || length > BASTION_REVOCATION_MAX_SIZE) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  /* The SPM refuses a caller the table does not allow with a programmer
   * error; ask first so that such a caller learns NOT_PERMITTED. */
  if (psa_version(BASTION_REVOCATION_SID) == PSA_VERSION_NONE) return PSA_ERROR_NOT_PERMITTED;
  in[0].base = command;
  in[0].len = length;
  return psa_call(BASTION_REVOCATION_HANDLE, BASTION_REVOCATION_SUBMIT, in, 1, NULL, 0);
}

psa_status_t bastion_platform_lifecycle(uint32_t* lifecycle) {
  uint8_t value[4];
  psa_outvec out[1];
  psa_status_t status;
  if (lifecycle == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  out[0].base = value;
  out[0].len = sizeof value;
  status = psa_call(BASTION_PLATFORM_HANDLE, BASTION_PLATFORM_LIFECYCLE, NULL, 0, out, 1);
  if (status != PSA_SUCCESS) return status;
  if (out[0].len != sizeof value) return PSA_ERROR_SERVICE_FAILURE;
  *lifecycle = bastion_ns_load_le32(value);
  return PSA_SUCCESS;
}
