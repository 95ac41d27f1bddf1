/* bastion/protected_storage_admin.h: the state of Protected Storage, and the
 * way out after an attack on it.
 *
 * Protected Storage lives on an external flash that an attacker can read,
 * change and restore. When the Secure Manager finds that the set of objects
 * there is not the one its root in Internal Trusted Storage vouches for (an
 * old copy restored, a record deleted or replayed), every protected object
 * reads PSA_ERROR_INVALID_SIGNATURE and every write fails: nothing old is
 * returned as current, and nothing is guessed. The store stays so until the
 * right contents come back or it is formatted. Formatting erases every
 * object of every client and makes a new root (new object keys); which
 * clients may do it is a line of the partition table (the application, by
 * default). */
#ifndef BASTION_PROTECTED_STORAGE_ADMIN_H
#define BASTION_PROTECTED_STORAGE_ADMIN_H

#include <stdint.h>

#include "psa/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BASTION_PS_HEALTH_GOOD 0u
/** The external flash holds another set of objects than the root binds. */
#define BASTION_PS_HEALTH_ROLLBACK_DETECTED 1u
/** ITS holds no root but the external flash holds objects. */
#define BASTION_PS_HEALTH_ROOT_MISSING 2u
/** The root in ITS is damaged. */
#define BASTION_PS_HEALTH_ROOT_DAMAGED 3u
/** The store could not be opened at all (a flash error). */
#define BASTION_PS_HEALTH_UNAVAILABLE 0xffu

/** The health of Protected Storage. PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT
 *  (null); PSA_ERROR_NOT_PERMITTED (the table does not list this client). */
psa_status_t bastion_ps_health(uint32_t* health);

/** Erases every Protected Storage object of every client and makes a new
 *  root. PSA_SUCCESS; PSA_ERROR_NOT_PERMITTED (the table does not list this
 *  client); PSA_ERROR_STORAGE_FAILURE (a flash error: call again, a cut
 *  format is finished by the next attempt or the next start). */
psa_status_t bastion_ps_format(void);

#ifdef __cplusplus
}
#endif

#endif /* BASTION_PROTECTED_STORAGE_ADMIN_H */
