/* The request layouts both storage services share (bastion/services.h),
 * for its.c and ps.c (internal). Each function checks its arguments as the
 * PSA storage APIs require, then makes one psa_call on `handle`. */
#ifndef BASTION_NS_STORAGE_H
#define BASTION_NS_STORAGE_H

#include <stddef.h>

#include "psa/client.h"
#include "psa/storage_common.h"

psa_status_t bastion_ns_storage_set(psa_handle_t handle, psa_storage_uid_t uid, size_t data_length,
                                    const void* p_data, psa_storage_create_flags_t create_flags);
psa_status_t bastion_ns_storage_get(psa_handle_t handle, psa_storage_uid_t uid, size_t data_offset,
                                    size_t data_size, void* p_data, size_t* p_data_length);
psa_status_t bastion_ns_storage_get_info(psa_handle_t handle, psa_storage_uid_t uid,
                                         struct psa_storage_info_t* p_info);
psa_status_t bastion_ns_storage_remove(psa_handle_t handle, psa_storage_uid_t uid);

#endif /* BASTION_NS_STORAGE_H */
