/* bastion/platform.h: the platform service of the Bastion Secure Manager.
 *
 * What the boot chain verified and decided (the boot report), the trial
 * image's fate (confirm / reject), revocation commands handed to the boot
 * chain, and the device lifecycle. The service is stateless; these
 * functions call it through psa_call() (psa/client.h).
 *
 * Confirm, reject and revocation submissions are queued in the boot
 * chain's mailbox and take effect at the next reset, decided by the boot
 * stage that owns the component or key domain; the next boot report says
 * what became of each (requests[]). */
#ifndef BASTION_PLATFORM_H
#define BASTION_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Components, in the order of the boot chain. */
#define BASTION_COMPONENT_UROT 0u
#define BASTION_COMPONENT_SM 1u
#define BASTION_COMPONENT_APP 2u

/** Image states (bastion_image_info_t.state). */
#define BASTION_IMAGE_READY 1u    /**< running, confirmed */
#define BASTION_IMAGE_TRIAL 2u    /**< running, must be confirmed or it is reverted */
#define BASTION_IMAGE_REJECTED 3u /**< revert under way */

/** What this boot did for a component (bastion_image_info_t.update). */
#define BASTION_UPDATE_NONE 0u
#define BASTION_UPDATE_INSTALLED 1u           /**< a download was installed: it runs in TRIAL */
#define BASTION_UPDATE_INSTALLED_PERMANENT 2u /**< ... installed confirmed */
#define BASTION_UPDATE_INSTALL_REFUSED 3u     /**< the download did not verify */
#define BASTION_UPDATE_REVERTED 4u            /**< an unconfirmed TRIAL image was reverted */
#define BASTION_UPDATE_REJECTED 5u            /**< a reject request reverted the TRIAL image */
#define BASTION_UPDATE_CONFIRMED 6u           /**< a confirm request confirmed it */
#define BASTION_UPDATE_FAILED 7u              /**< a flash error stopped the update */
#define BASTION_UPDATE_NO_ROOM 8u
#define BASTION_UPDATE_HELD 9u /**< waits on a dependency */

/** Signing-slot states of a key domain. */
#define BASTION_SLOT_BLANK 0u
#define BASTION_SLOT_PROVISIONED 1u
#define BASTION_SLOT_REVOKED 2u
#define BASTION_SLOT_CORRUPT 3u

/** Request types (bastion_request_outcome_t.type). */
#define BASTION_REQUEST_CONFIRM 1u
#define BASTION_REQUEST_REJECT 2u
#define BASTION_REQUEST_REVOKE 3u
#define BASTION_REQUEST_IMAGE_REVOCATION 0x40u /**< a confirmed image's own command */
#define BASTION_REQUEST_REVOKE_OLDER 0x41u     /**< the domain's revoke-older-on-confirm */
/** Request outcomes: 0 applied; 1..15 the revocation was refused (reason
 *  number, see the revocation documentation); 0x80 not for this stage,
 *  0x81 no trial image, 0x82 commit failed. */
#define BASTION_REQUEST_APPLIED 0u

#define BASTION_MAX_IMAGES 4u
#define BASTION_MAX_DOMAINS 3u
#define BASTION_MAX_REQUESTS 10u
#define BASTION_MAX_PARTITIONS 8u
#define BASTION_BOOT_REPORT_VERSION 1u

/** One image the boot chain verified. */
typedef struct bastion_image_info_t {
  uint8_t component;        /**< BASTION_COMPONENT_* */
  uint8_t key_slot;         /**< signing slot of its domain that verified it */
  uint8_t state;            /**< BASTION_IMAGE_* */
  uint8_t update;           /**< BASTION_UPDATE_* */
  uint8_t verified;         /**< 1: verified and run */
  uint8_t hash_alg;         /**< 1: SHA-256, 2: SHA-384 */
  uint8_t measurement_size; /**< 32 or 48 */
  uint8_t reserved;
  uint16_t image_error;   /**< why it was refused (0: it was not) */
  uint16_t update_detail; /**< detail of `update` (see the boot report docs) */
  uint8_t version_major;
  uint8_t version_minor;
  uint16_t version_revision;
  uint32_t version_build;
  uint32_t security_counter; /**< the image's security counter */
  uint32_t stored_counter;   /**< the device's counter for the component */
  uint8_t measurement[48];   /**< hash of the image (measurement_size bytes) */
} bastion_image_info_t;

/** One key domain as the boot chain left it. */
typedef struct bastion_domain_info_t {
  uint8_t component;              /**< the domain (BASTION_COMPONENT_*) */
  uint8_t signing_slot_states[4]; /**< BASTION_SLOT_* per signing slot */
  uint8_t records_used;           /**< revocation records committed to OTP */
  uint8_t records_capacity;       /**< revocation records the domain can hold */
  uint8_t readable;               /**< 1; 0: the boot chain could not read the domain
                                       (the other fields are then 0) */
  uint32_t revocation_sequence;   /**< sequence of the last applied command (0: none) */
} bastion_domain_info_t;

/** What became of one request at the last boot. */
typedef struct bastion_request_outcome_t {
  uint8_t type;      /**< BASTION_REQUEST_* */
  uint8_t component; /**< confirm/reject: the component; revoke: the domain */
  uint8_t outcome;   /**< BASTION_REQUEST_APPLIED or a refusal */
  uint8_t detail;
  uint32_t sequence;     /**< a revocation's sequence number */
  uint8_t revoked_slots; /**< bit i: the command names signing slot i */
  uint8_t reserved[3];
} bastion_request_outcome_t;

/** Restarts of one secure partition since the Secure Manager started. */
typedef struct bastion_partition_info_t {
  int32_t partition_id;
  uint32_t restarts;
} bastion_partition_info_t;

/** The boot report. */
typedef struct bastion_boot_report_t {
  uint32_t version;   /**< BASTION_BOOT_REPORT_VERSION */
  uint32_t lifecycle; /**< PSA lifecycle (0x3000: secured) */
  uint32_t image_count;
  bastion_image_info_t images[BASTION_MAX_IMAGES];
  uint32_t domain_count;
  bastion_domain_info_t domains[BASTION_MAX_DOMAINS];
  uint32_t request_count;
  uint32_t dropped_requests; /**< outcomes that did not fit requests[] */
  bastion_request_outcome_t requests[BASTION_MAX_REQUESTS];
  uint32_t partition_count;
  bastion_partition_info_t partitions[BASTION_MAX_PARTITIONS];
} bastion_boot_report_t;

/** Reads the boot report. PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (null);
 *  PSA_ERROR_BAD_STATE (the Secure Manager has no valid report). */
psa_status_t bastion_platform_boot_report(bastion_boot_report_t* report);

/** Confirms the trial image of `component` at the next reset.
 *  PSA_SUCCESS (queued); PSA_ERROR_INVALID_ARGUMENT (no such component);
 *  PSA_ERROR_BAD_STATE (its image is not in TRIAL);
 *  PSA_ERROR_INSUFFICIENT_STORAGE (the mailbox is full). */
psa_status_t bastion_platform_confirm(uint8_t component);

/** Rejects the trial image of `component`: the next reset reverts it.
 *  Codes as bastion_platform_confirm(). */
psa_status_t bastion_platform_reject(uint8_t component);

/** Hands a revocation command (COSE_Sign) to the boot chain, which checks
 *  its signatures and applies or refuses it at the next reset. The Secure
 *  Manager checks only its form here. PSA_SUCCESS (queued);
 *  PSA_ERROR_NOT_PERMITTED (the partition table does not let this client
 *  submit revocations); PSA_ERROR_INVALID_ARGUMENT (null, too long, or not a
 *  well-formed revocation command); PSA_ERROR_INSUFFICIENT_STORAGE (the
 *  mailbox is full). */
psa_status_t bastion_platform_submit_revocation(const void* command, size_t length);

/** The device lifecycle (PSA values: 0x3000 secured, ...). */
psa_status_t bastion_platform_lifecycle(uint32_t* lifecycle);

#ifdef __cplusplus
}
#endif

#endif /* BASTION_PLATFORM_H */
