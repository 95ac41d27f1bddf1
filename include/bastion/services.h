/* bastion/services.h: the Secure Manager's services as a client reaches
 * them through psa_call(): their SIDs, versions, request types and the
 * layout of each request's vectors.
 *
 * Applications do not need this header: the service APIs (the psa/ headers,
 * bastion/platform.h) in the client library wrap it. It is the contract
 * between that library and the partitions, on the host and on the target.
 *
 * Every multi-byte field is little-endian; scalars travel in their own
 * vector, at the exact size given here (a vector of another size is refused
 * with PSA_ERROR_PROGRAMMER_ERROR by the service). All services are
 * stateless: call them with BASTION_*_HANDLE, no psa_connect needed. */
#ifndef BASTION_SERVICES_H
#define BASTION_SERVICES_H

#include <stdint.h>

/* ---- Client ids ---- */

/** The client id the gateway gives the non-secure application. */
#define BASTION_NS_CLIENT_APP (-1)

/* ---- Stateless handles ----
 * A stateless handle is 0x40000000 | (version << 8) | index, where index is
 * the service's position among the partition table's stateless services
 * (the SPM checks the version and the caller on every call). */
#define BASTION_STATELESS_HANDLE(index, version) \
  ((int32_t)(0x40000000u | (((uint32_t)(version)&0xffu) << 8) | ((uint32_t)(index)&0x1fu)))

/* ---- Internal Trusted Storage ---- */
#define BASTION_ITS_SID 0x00000070u
#define BASTION_ITS_VERSION 1u
#define BASTION_ITS_HANDLE BASTION_STATELESS_HANDLE(0, BASTION_ITS_VERSION)

/* ---- Protected Storage ---- */
#define BASTION_PS_SID 0x00000060u
#define BASTION_PS_VERSION 1u
#define BASTION_PS_HANDLE BASTION_STATELESS_HANDLE(1, BASTION_PS_VERSION)

/* Request types of both storage services:
 *   SET          in[0] uid (8)  in[1] data (0..n)  in[2] create flags (4)
 *   GET          in[0] uid (8)  in[1] offset (4)   out[0] data (its length:
 *                                                  the bytes returned)
 *   GET_INFO     in[0] uid (8)                     out[0] info (12: capacity,
 *                                                  size, flags, 4 each)
 *   REMOVE       in[0] uid (8)
 *   GET_SUPPORT  (PS only)                         out[0] support flags (4)
 *   CREATE       (PS only) in[0] uid  in[1] capacity (4)  in[2] flags (4)
 *   SET_EXTENDED (PS only) in[0] uid  in[1] offset (4)    in[2] data
 * An offset or length above UINT32_MAX is refused by the client library
 * with PSA_ERROR_INVALID_ARGUMENT before any call. */
#define BASTION_STORAGE_SET 1
#define BASTION_STORAGE_GET 2
#define BASTION_STORAGE_GET_INFO 3
#define BASTION_STORAGE_REMOVE 4
#define BASTION_STORAGE_GET_SUPPORT 5
#define BASTION_STORAGE_CREATE 6
#define BASTION_STORAGE_SET_EXTENDED 7
#define BASTION_STORAGE_INFO_SIZE 12u

/* ---- Protected Storage administration (bastion/protected_storage_admin.h) ----
 * A service of the PS partition of its own, so that the partition table says
 * which clients may erase Protected Storage (the SPM refuses the others).
 *   HEALTH  out[0] health (4): BASTION_PS_HEALTH_*
 *   FORMAT  erases every object of every client and makes a new root */
#define BASTION_PS_ADMIN_SID 0x00000061u
#define BASTION_PS_ADMIN_VERSION 1u
#define BASTION_PS_ADMIN_HANDLE BASTION_STATELESS_HANDLE(2, BASTION_PS_ADMIN_VERSION)
#define BASTION_PS_ADMIN_HEALTH 1
#define BASTION_PS_ADMIN_FORMAT 2

/* ---- Platform service (bastion/platform.h) ---- */
#define BASTION_PLATFORM_SID 0x00000040u
#define BASTION_PLATFORM_VERSION 1u
#define BASTION_PLATFORM_HANDLE BASTION_STATELESS_HANDLE(3, BASTION_PLATFORM_VERSION)
/*   BOOT_REPORT  out[0] bastion_boot_report_t (sizeof, or more)
 *   CONFIRM      in[0] component (1)
 *   REJECT       in[0] component (1)
 *   LIFECYCLE    out[0] lifecycle (4) */
#define BASTION_PLATFORM_BOOT_REPORT 1
#define BASTION_PLATFORM_CONFIRM 2
#define BASTION_PLATFORM_REJECT 3
#define BASTION_PLATFORM_LIFECYCLE 4

/* Revocation submission: a service of its own, so that the partition table
 * says which clients may call it (the SPM refuses the others).
 *   SUBMIT  in[0] the revocation command (COSE_Sign, at most
 *           BASTION_REVOCATION_MAX_SIZE bytes) */
#define BASTION_REVOCATION_SID 0x00000041u
#define BASTION_REVOCATION_VERSION 1u
#define BASTION_REVOCATION_HANDLE BASTION_STATELESS_HANDLE(4, BASTION_REVOCATION_VERSION)
#define BASTION_REVOCATION_SUBMIT 1
#define BASTION_REVOCATION_MAX_SIZE 1000u

/* ---- Crypto (psa/crypto.h; layouts in bastion/crypto_service.h) ---- */
#define BASTION_CRYPTO_SID 0x00000080u
#define BASTION_CRYPTO_VERSION 1u
#define BASTION_CRYPTO_HANDLE BASTION_STATELESS_HANDLE(5, BASTION_CRYPTO_VERSION)

/* ---- Initial Attestation (psa/initial_attestation.h; layouts in
 * bastion/crypto_service.h) ---- */
#define BASTION_ATTESTATION_SID 0x00000020u
#define BASTION_ATTESTATION_VERSION 1u
#define BASTION_ATTESTATION_HANDLE BASTION_STATELESS_HANDLE(6, BASTION_ATTESTATION_VERSION)

#endif /* BASTION_SERVICES_H */
