/* psa/internal_trusted_storage.h: the PSA Internal Trusted Storage API 1.0.
 *
 * Entries live in the Secure Manager's internal flash, one namespace per
 * caller: a uid names an entry of the calling client only. Status codes come
 * from psa/error.h. */
#ifndef PSA_INTERNAL_TRUSTED_STORAGE_H
#define PSA_INTERNAL_TRUSTED_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"
#include "psa/storage_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSA_ITS_API_VERSION_MAJOR 1
#define PSA_ITS_API_VERSION_MINOR 0

/** Creates or replaces the entry `uid` with `data_length` bytes of `p_data`
 * (zero bytes make an empty entry).
 *
 * PSA_SUCCESS; PSA_ERROR_NOT_PERMITTED (the entry exists and was created
 * with PSA_STORAGE_FLAG_WRITE_ONCE); PSA_ERROR_NOT_SUPPORTED (a flag in
 * `create_flags` is unknown or unsupported); PSA_ERROR_INSUFFICIENT_STORAGE;
 * PSA_ERROR_STORAGE_FAILURE; PSA_ERROR_INVALID_ARGUMENT (`uid` is 0, or the
 * caller may not read the data buffer). */
psa_status_t psa_its_set(psa_storage_uid_t uid, size_t data_length, const void* p_data,
                         psa_storage_create_flags_t create_flags);

/** Copies up to `data_size` bytes of the entry `uid`, from `data_offset`,
 * into `p_data`; `*p_data_length` is how many (the lesser of `data_size` and
 * the entry's size less `data_offset`, possibly zero). Bytes of `p_data`
 * past that are left as they were.
 *
 * PSA_SUCCESS; PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_STORAGE_FAILURE;
 * PSA_ERROR_DATA_CORRUPT (the stored entry failed its authentication);
 * PSA_ERROR_INVALID_ARGUMENT (`uid` is 0, `data_offset` is past the end of
 * the entry, or the caller may not write the buffer). */
psa_status_t psa_its_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size, void* p_data,
                         size_t* p_data_length);

/** Fills `*p_info` with the entry's capacity, size and creation flags.
 *
 * PSA_SUCCESS; PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_STORAGE_FAILURE;
 * PSA_ERROR_DATA_CORRUPT; PSA_ERROR_INVALID_ARGUMENT (`uid` is 0, or the
 * caller may not write `*p_info`). */
psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t* p_info);

/** Removes the entry `uid`.
 *
 * PSA_SUCCESS; PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_INVALID_ARGUMENT (`uid`
 * is 0); PSA_ERROR_NOT_PERMITTED (created with PSA_STORAGE_FLAG_WRITE_ONCE);
 * PSA_ERROR_STORAGE_FAILURE. */
psa_status_t psa_its_remove(psa_storage_uid_t uid);

#ifdef __cplusplus
}
#endif

#endif /* PSA_INTERNAL_TRUSTED_STORAGE_H */
