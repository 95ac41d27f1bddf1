/* psa/protected_storage.h: the PSA Protected Storage API 1.0.
 *
 * Entries live in external flash, which an attacker may read, change or
 * restore: each is encrypted and authenticated (AEAD, a key per entry), and
 * the set of entries is bound to a root kept in Internal Trusted Storage, so
 * an old copy of the external flash is detected. One namespace per caller:
 * a uid names an entry of the calling client only. */
#ifndef PSA_PROTECTED_STORAGE_H
#define PSA_PROTECTED_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"
#include "psa/storage_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSA_PS_API_VERSION_MAJOR 1
#define PSA_PS_API_VERSION_MINOR 0

/** Creates or replaces the entry `uid` with `data_length` bytes of `p_data`.
 *
 * PSA_SUCCESS; PSA_ERROR_NOT_PERMITTED (exists with
 * PSA_STORAGE_FLAG_WRITE_ONCE); PSA_ERROR_NOT_SUPPORTED (an unknown flag);
 * PSA_ERROR_INSUFFICIENT_STORAGE; PSA_ERROR_STORAGE_FAILURE;
 * PSA_ERROR_GENERIC_ERROR; PSA_ERROR_INVALID_ARGUMENT (`uid` is 0, or the
 * caller may not read the data buffer). */
psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length, const void* p_data,
                        psa_storage_create_flags_t create_flags);

/** Copies up to `data_size` bytes of the entry `uid`, from `data_offset`,
 * into `p_data`; `*p_data_length` is how many.
 *
 * PSA_SUCCESS; PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_STORAGE_FAILURE;
 * PSA_ERROR_DATA_CORRUPT (the stored entry is damaged);
 * PSA_ERROR_INVALID_SIGNATURE (the entry or the store failed its
 * authentication: changed or rolled back); PSA_ERROR_INVALID_ARGUMENT (`uid`
 * is 0, `data_offset` past the end, or a bad buffer). */
psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size, void* p_data,
                        size_t* p_data_length);

/** Fills `*p_info` with the entry's capacity, size and creation flags.
 * Codes of psa_ps_get(), less the offset case. */
psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t* p_info);

/** Removes the entry `uid`.
 *
 * PSA_SUCCESS; PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_NOT_PERMITTED
 * (WRITE_ONCE); PSA_ERROR_INVALID_ARGUMENT (`uid` is 0);
 * PSA_ERROR_STORAGE_FAILURE; PSA_ERROR_DATA_CORRUPT;
 * PSA_ERROR_INVALID_SIGNATURE. */
psa_status_t psa_ps_remove(psa_storage_uid_t uid);

/** Reserves an entry of `capacity` bytes for psa_ps_set_extended().
 * Bastion does not support it: PSA_ERROR_NOT_SUPPORTED. */
psa_status_t psa_ps_create(psa_storage_uid_t uid, size_t capacity,
                           psa_storage_create_flags_t create_flags);

/** Writes part of an entry made by psa_ps_create(). Bastion does not support
 * it: PSA_ERROR_NOT_SUPPORTED. */
psa_status_t psa_ps_set_extended(psa_storage_uid_t uid, size_t data_offset, size_t data_length,
                                 const void* p_data);

/** The optional functions supported: 0 (no PSA_STORAGE_SUPPORT_SET_EXTENDED). */
uint32_t psa_ps_get_support(void);

#ifdef __cplusplus
}
#endif

#endif /* PSA_PROTECTED_STORAGE_H */
