/* ITS and PS requests (bastion/services.h): uid in its own 8-byte vector,
 * offsets, capacities and flags in 4-byte vectors, info as 12 bytes. */
#include <stddef.h>
#include <stdint.h>

#include "bastion/services.h"
#include "ns_bytes.h"
#include "ns_storage.h"

psa_status_t bastion_ns_storage_set(psa_handle_t handle, psa_storage_uid_t uid, size_t data_length,
                                    const void* p_data, psa_storage_create_flags_t create_flags) {
  uint8_t uid_le[8];
  uint8_t flags_le[4];
  psa_invec in[3];
  if ((p_data == NULL && data_length != 0) || !bastion_ns_fits_u32(data_length)) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  bastion_ns_store_le64(uid_le, uid);
  bastion_ns_store_le32(flags_le, create_flags);
  in[0].base = uid_le;
  in[0].len = sizeof uid_le;
  in[1].base = p_data;
  in[1].len = data_length;
  in[2].base = flags_le;
  in[2].len = sizeof flags_le;
  return psa_call(handle, BASTION_STORAGE_SET, in, 3, NULL, 0);
}

psa_status_t bastion_ns_storage_get(psa_handle_t handle, psa_storage_uid_t uid, size_t data_offset,
                                    size_t data_size, void* p_data, size_t* p_data_length) {
  uint8_t uid_le[8];
  uint8_t offset_le[4];
  psa_invec in[2];
  psa_outvec out[1];
  psa_status_t status;
  if (p_data_length == NULL || (p_data == NULL && data_size != 0) ||
      !bastion_ns_fits_u32(data_offset) || !bastion_ns_fits_u32(data_size)) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  bastion_ns_store_le64(uid_le, uid);
  bastion_ns_store_le32(offset_le, (uint32_t)data_offset);
  in[0].base = uid_le;
  in[0].len = sizeof uid_le;
  in[1].base = offset_le;
  in[1].len = sizeof offset_le;
  out[0].base = p_data;
  out[0].len = data_size;
  status = psa_call(handle, BASTION_STORAGE_GET, in, 2, out, 1);
  if (status == PSA_SUCCESS) *p_data_length = out[0].len;
  return status;
}

psa_status_t bastion_ns_storage_get_info(psa_handle_t handle, psa_storage_uid_t uid,
                                         struct psa_storage_info_t* p_info) {
  uint8_t uid_le[8];
  uint8_t info[BASTION_STORAGE_INFO_SIZE];
  psa_invec in[1];
  psa_outvec out[1];
  psa_status_t status;
  if (p_info == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  bastion_ns_store_le64(uid_le, uid);
  in[0].base = uid_le;
  in[0].len = sizeof uid_le;
  out[0].base = info;
  out[0].len = sizeof info;
  status = psa_call(handle, BASTION_STORAGE_GET_INFO, in, 1, out, 1);
  if (status != PSA_SUCCESS) return status;
  if (out[0].len != sizeof info) return PSA_ERROR_SERVICE_FAILURE;
  p_info->capacity = bastion_ns_load_le32(info);
  p_info->size = bastion_ns_load_le32(info + 4);
  p_info->flags = bastion_ns_load_le32(info + 8);
  return PSA_SUCCESS;
}

psa_status_t bastion_ns_storage_remove(psa_handle_t handle, psa_storage_uid_t uid) {
  uint8_t uid_le[8];
  psa_invec in[1];
  bastion_ns_store_le64(uid_le, uid);
  in[0].base = uid_le;
  in[0].len = sizeof uid_le;
  return psa_call(handle, BASTION_STORAGE_REMOVE, in, 1, NULL, 0);
}
