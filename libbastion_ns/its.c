/* psa/internal_trusted_storage.h over psa_call (bastion/services.h). */
#include "bastion/services.h"
#include "ns_storage.h"
#include "psa/internal_trusted_storage.h"

psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void* p_data,
                         psa_storage_create_flags_t create_flags) {
  return bastion_ns_storage_set(BASTION_ITS_HANDLE, uid, data_length, p_data, create_flags);
}

psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size, void* p_data,
                         size_t* p_data_length) {
  return bastion_ns_storage_get(BASTION_ITS_HANDLE, uid, data_offset, data_size, p_data,
                                p_data_length);
}

psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t* p_info) {
  return bastion_ns_storage_get_info(BASTION_ITS_HANDLE, uid, p_info);
}

psa_status_t psa_its_remove(psa_storage_uid_t uid) {
  return bastion_ns_storage_remove(BASTION_ITS_HANDLE, uid);
}
