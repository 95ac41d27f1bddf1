/* bastion_ns_transport.h: how libbastion_ns reaches the Secure Manager.
 *
 * libbastion_ns implements psa/client.h (psa_framework_version, psa_version,
 * psa_connect, psa_call, psa_close) by handing each call to one transport,
 * and every service API (ITS, PS, platform, ...) over psa_call. Only the
 * transport knows how the Secure Manager is reached:
 *   - on the host, the gateway socket (bastion_ns_socket.h), framed per
 *     bastion/gateway_frame.h;
 *   - on the Cortex-M33 non-secure side, TrustZone veneers (NSC entry points);
 *   - in a host program that links the Secure Manager itself (tests, tools),
 *     direct calls into its SPM.
 * Each function has the meaning and return values of its psa/client.h
 * namesake and receives the transport's `context` first. A transport that
 * cannot reach the Secure Manager returns PSA_VERSION_NONE (versions) or
 * PSA_ERROR_COMMUNICATION_FAILURE (connect, call).
 *
 * Installing: bastion_ns_set_transport() before the first PSA call. With no
 * transport installed, the first PSA call installs the build's default: on
 * the host, the socket transport on the file descriptor named by the
 * environment variable BASTION_GATEWAY_FD (a decimal number; the Secure
 * Manager passes the application its end of the gateway socket pair there);
 * on other targets, none. When that fails, every PSA call fails as above
 * until a transport is installed.
 *
 * Not thread-safe: install the transport before the application starts its
 * threads, and make one PSA call at a time (or lock around them). */
#ifndef BASTION_NS_TRANSPORT_H
#define BASTION_NS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "psa/client.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One way of reaching the Secure Manager. Every function pointer must be
 *  set. */
typedef struct bastion_ns_transport_t {
  void* context; /**< handed to every function below */
  uint32_t (*framework_version)(void* context);
  uint32_t (*version)(void* context, uint32_t sid);
  psa_handle_t (*connect)(void* context, uint32_t sid, uint32_t version);
  psa_status_t (*call)(void* context, psa_handle_t handle, int32_t type, const psa_invec* in_vec,
                       size_t in_len, psa_outvec* out_vec, size_t out_len);
  void (*close)(void* context, psa_handle_t handle);
} bastion_ns_transport_t;

/** Installs `transport` (copied; its context must outlive its use) for every
 *  later PSA call. NULL uninstalls: the next PSA call tries the default
 *  again. Returns PSA_SUCCESS, or PSA_ERROR_INVALID_ARGUMENT (nothing
 *  changed) when a function pointer is missing. */
psa_status_t bastion_ns_set_transport(const bastion_ns_transport_t* transport);

/** The default transport of this build: on the host, the socket transport
 *  on BASTION_GATEWAY_FD. PSA_SUCCESS and `*transport` filled;
 *  PSA_ERROR_COMMUNICATION_FAILURE when there is none (no or a malformed
 *  variable, a descriptor that is not open). Called by the library on first
 *  use; exposed for applications that want to know early. */
psa_status_t bastion_ns_default_transport(bastion_ns_transport_t* transport);

/** The environment variable the host default transport reads. */
#define BASTION_GATEWAY_FD_ENV "BASTION_GATEWAY_FD"

#ifdef __cplusplus
}
#endif

#endif /* BASTION_NS_TRANSPORT_H */
