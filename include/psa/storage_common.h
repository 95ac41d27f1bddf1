/* psa/storage_common.h: the definitions the PSA Secure Storage API 1.0
 * shares between Internal Trusted Storage and Protected Storage. */
#ifndef PSA_STORAGE_COMMON_H
#define PSA_STORAGE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Flags given when an entry is created. */
typedef uint32_t psa_storage_create_flags_t;

/** The identifier a caller chooses for one of its entries (0 is invalid). */
typedef uint64_t psa_storage_uid_t;

/** What is known about an entry. */
struct psa_storage_info_t {
  size_t capacity;                  /**< bytes allocated to the entry */
  size_t size;                      /**< bytes of data it holds */
  psa_storage_create_flags_t flags; /**< the flags it was created with */
};

/** No flags. */
#define PSA_STORAGE_FLAG_NONE 0u
/** The entry can be neither modified nor removed once created. */
#define PSA_STORAGE_FLAG_WRITE_ONCE (1u << 0)
/** The entry needs integrity protection only, not confidentiality. */
#define PSA_STORAGE_FLAG_NO_CONFIDENTIALITY (1u << 1)
/** The entry does not need protection against being rolled back. */
#define PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION (1u << 2)

/** psa_ps_get_support(): psa_ps_create and psa_ps_set_extended exist. */
#define PSA_STORAGE_SUPPORT_SET_EXTENDED (1u << 0)

#ifdef __cplusplus
}
#endif

#endif /* PSA_STORAGE_COMMON_H */
