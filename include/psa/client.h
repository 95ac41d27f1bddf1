/* psa/client.h: the client API of the PSA Firmware Framework for M (FF-M 1.1):
 * how a client (non-secure application or secure partition) finds, connects
 * to and calls a Root of Trust Service.
 *
 * In Bastion these functions are implemented by the non-secure client library
 * (over the gateway) and, for secure callers, by the Secure Manager. */
#ifndef PSA_CLIENT_H
#define PSA_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "psa/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The FF-M version this API follows (major 1, minor 1). */
#define PSA_FRAMEWORK_VERSION (0x0101u)

/** psa_version()'s answer for a service that is absent or not available to
 *  the caller. */
#define PSA_VERSION_NONE (0u)

/** A handle to a connection (positive), or to a stateless service. */
typedef int32_t psa_handle_t;

/** The handle that refers to nothing. */
#define PSA_NULL_HANDLE ((psa_handle_t)0)

/** True for a handle psa_connect() returned on success. */
#define PSA_HANDLE_IS_VALID(handle) ((psa_handle_t)(handle) > 0)

/** The error carried by a failed psa_connect()'s return value. */
#define PSA_HANDLE_TO_ERROR(handle) ((psa_status_t)(handle))

/** The largest number of vectors (input and output together) in one call. */
#define PSA_MAX_IOVEC (4u)

/** The request type of a plain call; service-defined types are positive. */
#define PSA_IPC_CALL (0)

/** An input vector: a buffer the service may read. */
typedef struct psa_invec {
  const void* base; /**< start of the buffer */
  size_t len;       /**< its length in bytes */
} psa_invec;

/** An output vector: a buffer the service may write. */
typedef struct psa_outvec {
  void* base; /**< start of the buffer */
  size_t len; /**< its length in bytes */
} psa_outvec;

/** The FF-M version the implementation provides. */
uint32_t psa_framework_version(void);

/** The version of service `sid`, or PSA_VERSION_NONE when it does not exist
 *  or the caller may not use it. */
uint32_t psa_version(uint32_t sid);

/** Connects to the connection-based service `sid` at `version`. Returns a
 *  positive handle, PSA_ERROR_CONNECTION_REFUSED, PSA_ERROR_CONNECTION_BUSY,
 *  or PSA_ERROR_PROGRAMMER_ERROR (unknown service, unsupported version, a
 *  caller not allowed, a stateless service). */
psa_handle_t psa_connect(uint32_t sid, uint32_t version);

/** Sends a request of `type` (>= 0) with `in_len` input and `out_len` output
 *  vectors (in_len + out_len <= PSA_MAX_IOVEC) on a connection or to a
 *  stateless service. Returns the service's status, or
 *  PSA_ERROR_PROGRAMMER_ERROR for a bad handle, type, vector or buffer. */
psa_status_t psa_call(psa_handle_t handle, int32_t type, const psa_invec* in_vec, size_t in_len,
                      psa_outvec* out_vec, size_t out_len);

/** Closes a connection. PSA_NULL_HANDLE is accepted and does nothing. */
void psa_close(psa_handle_t handle);

#ifdef __cplusplus
}
#endif

#endif /* PSA_CLIENT_H */
