/* bastion_ns_socket.h: the host transport of libbastion_ns, over the
 * gateway socket (POSIX).
 *
 * Each PSA call becomes one request frame and one response frame
 * (bastion/gateway_frame.h) on a connected stream socket. The transport
 * checks what the gateway would refuse before sending anything (vector
 * counts, a null buffer with a non-zero length, an input above
 * BASTION_GW_MAX_VECTOR_SIZE, an output overlapping an input or another
 * output, a negative type: PSA_ERROR_PROGRAMMER_ERROR), and offers an output
 * larger than BASTION_GW_MAX_VECTOR_SIZE to the service as that many bytes.
 *
 * A response is checked completely — magic, version, operation, sequence,
 * length, the output count, every written length against the capacity that
 * was offered — before anything reaches the caller's buffers; a response
 * that fails is PSA_ERROR_COMMUNICATION_FAILURE (PSA_VERSION_NONE for the
 * version calls) with the caller's buffers and lengths untouched. When the
 * stream may be out of step (a bad header, a short read, the timeout, an I/O
 * error) the transport stops: every later call fails the same way.
 *
 * No heap: the frame buffer lives in the bastion_ns_socket_t the caller
 * provides (static storage is fine). Writes and reads are complete (EINTR
 * and short transfers are retried), never raise SIGPIPE, and wait at most
 * `timeout_ms` for the whole exchange. One call at a time. */
#ifndef BASTION_NS_SOCKET_H
#define BASTION_NS_SOCKET_H

#include <stdint.h>

#include "bastion/gateway_frame.h"
#include "bastion_ns_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How long the default transport waits for one exchange. */
#define BASTION_NS_SOCKET_DEFAULT_TIMEOUT_MS 30000

/** The socket transport's state. Fill it with bastion_ns_socket_init(). */
typedef struct bastion_ns_socket_t {
  int fd;                                   /**< the connected stream socket */
  int timeout_ms;                           /**< per exchange; negative: wait forever */
  int broken;                               /**< non-zero once the stream is out of step */
  uint32_t sequence;                        /**< of the last request sent */
  uint8_t frame[BASTION_GW_MAX_FRAME_SIZE]; /**< one request or response */
} bastion_ns_socket_t;

/** Prepares `state` to talk over `fd` (made non-blocking) and fills
 *  `*transport` with functions whose context is `state`. PSA_SUCCESS;
 *  PSA_ERROR_INVALID_ARGUMENT (a null pointer, a negative fd);
 *  PSA_ERROR_COMMUNICATION_FAILURE (`fd` is not open). Installing the
 *  transport is up to the caller (bastion_ns_set_transport). */
psa_status_t bastion_ns_socket_init(bastion_ns_socket_t* state, int fd, int timeout_ms,
                                    bastion_ns_transport_t* transport);

#ifdef __cplusplus
}
#endif

#endif /* BASTION_NS_SOCKET_H */
