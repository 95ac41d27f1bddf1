/* psa/protected_storage.h and bastion/protected_storage_admin.h over psa_call
 * (bastion/services.h). */
#include <stddef.h>
#include <stdint.h>

#include "bastion/protected_storage_admin.h"
#include "bastion/services.h"
#include "ns_bytes.h"
#include "ns_storage.h"
#include "psa/protected_storage.h"

psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length, const void* p_data,
                        psa_storage_create_flags_t create_flags) {
  return bastion_ns_storage_set(BASTION_PS_HANDLE, uid, data_length, p_data, create_flags);
}

psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size, void* p_data,
                        size_t* p_data_length) {
  return bastion_ns_storage_get(BASTION_PS_HANDLE, uid, data_offset, data_size, p_data,
                                p_data_length);
}

psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t* p_info) {
  return bastion_ns_storage_get_info(BASTION_PS_HANDLE, uid, p_info);
}

psa_status_t psa_ps_remove(psa_storage_uid_t uid) {
  return bastion_ns_storage_remove(BASTION_PS_HANDLE, uid);
}

psa_status_t psa_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags) {
  uint8_t uid_le[8];
  uint8_t capacity_le[4];
  uint8_t flags_le[4];
  psa_invec in[3];
  if (!bastion_ns_fits_u32(capacity)) return PSA_ERROR_INVALID_ARGUMENT;
  bastion_ns_store_le64(uid_le, uid);
  bastion_ns_store_le32(capacity_le, (uint32_t)capacity);
  bastion_ns_store_le32(flags_le, create_flags);
  in[0].base = uid_le;
  in[0].len = sizeof uid_le;
  in[1].base = capacity_le;
  in[1].len = sizeof capacity_le;
  in[2].base = flags_le;
  in[2].len = sizeof flags_le;
  return psa_call(BASTION_PS_HANDLE, BASTION_STORAGE_CREATE, in, 3, NULL, 0);
}

psa_status_t psa_ps_set_extended(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                                 const void* p_data) {
  uint8_t uid_le[8];
  uint8_t offset_le[4];
  psa_invec in[3];
  if ((p_data == NULL && data_length != 0) || !bastion_ns_fits_u32(data_offset) ||
      !bastion_ns_fits_u32(data_length)) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  bastion_ns_store_le64(uid_le, uid);
  bastion_ns_store_le32(offset_le, (uint32_t)data_offset);
  in[0].base = uid_le;
  in[0].len = sizeof uid_le;
  in[1].base = offset_le;
  in[1].len = sizeof offset_le;
  in[2].base = p_data;
  in[2].len = data_length;
  return psa_call(BASTION_PS_HANDLE, BASTION_STORAGE_SET_EXTENDED, in, 3, NULL, 0);
}

uint32_t psa_ps_get_support(void) {
  uint8_t support[4];
  psa_outvec out[1];
  out[0].base = support;
  out[0].len = sizeof support;
  if (psa_call(BASTION_PS_HANDLE, BASTION_STORAGE_GET_SUPPORT, NULL, 0, out, 1) != PSA_SUCCESS ||
      out[0].len != sizeof support) {
    return 0;
  }
  return bastion_ns_load_le32(support);
}

/* ---- bastion/protected_storage_admin.h ---- */

psa_status_t bastion_ps_health(uint32_t* health) {
  uint8_t bytes[4];
  psa_outvec out[1];
  psa_status_t status;
  if (health == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  if (psa_version(BASTION_PS_ADMIN_SID) == PSA_VERSION_NONE) return PSA_ERROR_NOT_PERMITTED;
  out[0].base = bytes;
  out[0].len = sizeof(bytes);
  status = psa_call(BASTION_PS_ADMIN_HANDLE, BASTION_PS_ADMIN_HEALTH, NULL, 0, out, 1);
  if (status != PSA_SUCCESS) return status;
  if (out[0].len != sizeof(bytes)) return PSA_ERROR_COMMUNICATION_FAILURE;
  *health = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
            (uint32_t)bytes[3] << 24;
  return PSA_SUCCESS;
}

psa_status_t bastion_ps_format(void) {
  if (psa_version(BASTION_PS_ADMIN_SID) == PSA_VERSION_NONE) return PSA_ERROR_NOT_PERMITTED;
  return psa_call(BASTION_PS_ADMIN_HANDLE, BASTION_PS_ADMIN_FORMAT, NULL, 0, NULL, 0);
}
