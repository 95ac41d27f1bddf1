/* psa/protected_storage.h: the PSA Protected Storage API 1.0.
 *
 * Entries live in external flash, which an attacker may read, change or
 * restore: each is encrypted and authenticated (AES-256-GCM, a key per
 * entry), and the set of entries is bound to a root kept in Internal Trusted
 * Storage, so an old copy of the external flash is detected (docs/storage.md,
 * "Protected Storage"). One namespace per caller: a uid names an entry of
 * the calling client only.
 *
 * PSA_STORAGE_FLAG_NO_CONFIDENTIALITY: the entry is stored in clear, still
 * authenticated. PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION: the entry is outside
 * the rollback binding: an attacker with the external flash can bring back
 * an older version of it, or delete it, without that being detected (it
 * cannot forge one).
 *
 * Once the store has detected a rollback, every entry without
 * NO_REPLAY_PROTECTION reads PSA_ERROR_INVALID_SIGNATURE, existing or not,
 * and writes fail with PSA_ERROR_STORAGE_FAILURE until the platform formats
 * the store. */
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

/** Creates or replaces the entry `uid` with `data_length` bytes of `p_data`
 * (at most 1024).
 *
 * PSA_SUCCESS; PSA_ERROR_NOT_PERMITTED (exists with
 * PSA_STORAGE_FLAG_WRITE_ONCE); PSA_ERROR_NOT_SUPPORTED (an unknown flag);
 * PSA_ERROR_INSUFFICIENT_STORAGE (too large, over the caller's quota, no
 * room); PSA_ERROR_STORAGE_FAILURE (the storage failed, power was lost: the
 * entry is then the old or the new one; or a rollback was detected);
 * PSA_ERROR_GENERIC_ERROR; PSA_ERROR_INVALID_ARGUMENT (`uid` is 0, or the
 * caller may not read the data buffer). */
psa_status_t psa_ps_set(psa_storage_uid_t uid, size_t data_length, const void* p_data,
                        psa_storage_create_flags_t create_flags);

/** Copies up to `data_size` bytes of the entry `uid`, from `data_offset`,
 * into `p_data`; `*p_data_length` is how many.
 *
 * PSA_SUCCESS; PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_STORAGE_FAILURE;
 * PSA_ERROR_DATA_CORRUPT (the stored entry is damaged: changed bytes);
 * PSA_ERROR_INVALID_SIGNATURE (the entry failed its authentication, or the
 * store detected a rollback); PSA_ERROR_GENERIC_ERROR;
 * PSA_ERROR_INVALID_ARGUMENT (`uid` is 0, `data_offset` past the end, or a
 * bad buffer). */
psa_status_t psa_ps_get(psa_storage_uid_t uid, size_t data_offset, size_t data_size, void* p_data,
                        size_t* p_data_length);

/** Fills `*p_info` with the entry's capacity, size and creation flags.
 * Codes of psa_ps_get(), less the offset case. */
psa_status_t psa_ps_get_info(psa_storage_uid_t uid, struct psa_storage_info_t* p_info);

/** Removes the entry `uid` (a damaged one too).
 *
 * PSA_SUCCESS; PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_NOT_PERMITTED
 * (WRITE_ONCE); PSA_ERROR_INVALID_ARGUMENT (`uid` is 0);
 * PSA_ERROR_STORAGE_FAILURE (as for psa_ps_set()); PSA_ERROR_GENERIC_ERROR.
 * (The specification lists no DATA_CORRUPT or INVALID_SIGNATURE here.) */
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
