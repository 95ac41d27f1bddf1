/* The socket transport (bastion_ns_socket.h): psa/client.h over the
 * gateway's frames (bastion/gateway_frame.h). POSIX, host only. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bastion_ns_socket.h"
#include "ns_bytes.h"

#define HEADER BASTION_GW_HEADER_SIZE
#define MAX_IOVEC BASTION_GW_MAX_IOVEC
#define MAX_VECTOR BASTION_GW_MAX_VECTOR_SIZE

/* ---- Time ---- */

typedef struct deadline_t {
  int forever;
  int64_t at_ms; /* CLOCK_MONOTONIC */
} deadline_t;

static int64_t now_ms(void) {
  struct timespec now;
  if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return INT64_MAX; /* fail closed: timed out */
  return (int64_t)now.tv_sec * 1000 + (int64_t)(now.tv_nsec / 1000000);
}

static deadline_t deadline_after(int timeout_ms) {
  deadline_t d;
  d.forever = timeout_ms < 0;
  d.at_ms = d.forever ? 0 : now_ms() + timeout_ms;
  return d;
}

/* 0 once `fd` reports `events` (or a hang-up / error, which the next
 * transfer reports), -1 at the deadline or on a poll error. */
static int wait_ready(int fd, short events, const deadline_t* deadline) {
  for (;;) {
    struct pollfd entry;
    int ms = -1;
    int n;
    if (!deadline->forever) {
      const int64_t left = deadline->at_ms - now_ms();
      if (left <= 0) return -1;
      ms = left > INT_MAX ? INT_MAX : (int)left;
    }
    entry.fd = fd;
    entry.events = events;
    entry.revents = 0;
    n = poll(&entry, 1, ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) continue; /* the next turn sees the deadline */
    if ((entry.revents & POLLNVAL) != 0) return -1;
    return 0;
  }
}

/* ---- Whole transfers ---- */

static int send_all(int fd, const uint8_t* data, size_t length, const deadline_t* deadline) {
  size_t sent = 0;
  while (sent < length) {
    ssize_t n;
    if (wait_ready(fd, POLLOUT, deadline) != 0) return -1;
    n = send(fd, data + sent, length - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += (size_t)n;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      return -1;
    }
  }
  return 0;
}

static int recv_all(int fd, uint8_t* data, size_t length, const deadline_t* deadline) {
  size_t got = 0;
  while (got < length) {
    ssize_t n;
    if (wait_ready(fd, POLLIN, deadline) != 0) return -1;
    n = recv(fd, data + got, length - got, 0);
    if (n > 0) {
      got += (size_t)n;
    } else if (n == 0) {
      return -1; /* the Secure Manager closed the connection */
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      return -1;
    }
  }
  return 0;
}

/* ---- One exchange ---- */

/* Sends the request whose body is already in s->frame after the header, and
 * reads the response into s->frame. On PSA_SUCCESS the response's header has
 * been checked and `*response_length` >= HEADER + BASTION_GW_RESULT_SIZE. */
static psa_status_t exchange(bastion_ns_socket_t* s, uint16_t operation, size_t request_length,
                             size_t* response_length) {
  deadline_t deadline;
  uint32_t length;
  if (s->broken) return PSA_ERROR_COMMUNICATION_FAILURE;
  s->sequence++;
  bastion_ns_store_le32(s->frame + BASTION_GW_OFFSET_MAGIC, BASTION_GW_REQUEST_MAGIC);
  bastion_ns_store_le16(s->frame + BASTION_GW_OFFSET_VERSION, BASTION_GW_PROTOCOL_VERSION);
  bastion_ns_store_le16(s->frame + BASTION_GW_OFFSET_OPERATION, operation);
  bastion_ns_store_le32(s->frame + BASTION_GW_OFFSET_LENGTH, (uint32_t)request_length);
  bastion_ns_store_le32(s->frame + BASTION_GW_OFFSET_SEQUENCE, s->sequence);

  deadline = deadline_after(s->timeout_ms);
  if (send_all(s->fd, s->frame, request_length, &deadline) != 0) goto out_of_step;
  if (recv_all(s->fd, s->frame, HEADER, &deadline) != 0) goto out_of_step;
  length = bastion_ns_load_le32(s->frame + BASTION_GW_OFFSET_LENGTH);
  if (bastion_ns_load_le32(s->frame + BASTION_GW_OFFSET_MAGIC) != BASTION_GW_RESPONSE_MAGIC ||
      bastion_ns_load_le16(s->frame + BASTION_GW_OFFSET_VERSION) != BASTION_GW_PROTOCOL_VERSION ||
      bastion_ns_load_le16(s->frame + BASTION_GW_OFFSET_OPERATION) != operation ||
      bastion_ns_load_le32(s->frame + BASTION_GW_OFFSET_SEQUENCE) != s->sequence ||
      length < HEADER + BASTION_GW_RESULT_SIZE || length > BASTION_GW_MAX_FRAME_SIZE) {
    goto out_of_step;
  }
  if (recv_all(s->fd, s->frame + HEADER, length - HEADER, &deadline) != 0) goto out_of_step;
  *response_length = length;
  return PSA_SUCCESS;

out_of_step:
  s->broken = 1;
  return PSA_ERROR_COMMUNICATION_FAILURE;
}

/* The 4-byte result of a response that must be exactly that; -1 when the
 * exchange failed or the response has another size. */
static int result_only(bastion_ns_socket_t* s, uint16_t operation, size_t request_length,
                       uint32_t* result) {
  size_t length = 0;
  if (exchange(s, operation, request_length, &length) != PSA_SUCCESS) return -1;
  if (length != HEADER + BASTION_GW_RESULT_SIZE) return -1;
  *result = bastion_ns_load_le32(s->frame + HEADER);
  return 0;
}

/* ---- The transport's functions ---- */

static uint32_t socket_framework_version(void* context) {
  uint32_t result = 0;
  if (result_only((bastion_ns_socket_t*)context, BASTION_GW_OP_FRAMEWORK_VERSION, HEADER,
                  &result) != 0) {
    return PSA_VERSION_NONE;
  }
  return result;
}

static uint32_t socket_version(void* context, uint32_t sid) {
  bastion_ns_socket_t* s = (bastion_ns_socket_t*)context;
  uint32_t result = 0;
  bastion_ns_store_le32(s->frame + HEADER, sid);
  if (result_only(s, BASTION_GW_OP_VERSION, HEADER + BASTION_GW_VERSION_BODY_SIZE, &result) != 0) {
    return PSA_VERSION_NONE;
  }
  return result;
}

static psa_handle_t socket_connect(void* context, uint32_t sid, uint32_t version) {
  bastion_ns_socket_t* s = (bastion_ns_socket_t*)context;
  uint32_t result = 0;
  bastion_ns_store_le32(s->frame + HEADER, sid);
  bastion_ns_store_le32(s->frame + HEADER + 4, version);
  if (result_only(s, BASTION_GW_OP_CONNECT, HEADER + BASTION_GW_CONNECT_BODY_SIZE, &result) != 0) {
    return PSA_ERROR_COMMUNICATION_FAILURE;
  }
  return (psa_handle_t)result;
}

static void socket_close(void* context, psa_handle_t handle) {
  bastion_ns_socket_t* s = (bastion_ns_socket_t*)context;
  uint32_t ignored = 0;
  if (handle == PSA_NULL_HANDLE) return;
  bastion_ns_store_le32(s->frame + HEADER, (uint32_t)handle);
  (void)result_only(s, BASTION_GW_OP_CLOSE, HEADER + BASTION_GW_CLOSE_BODY_SIZE, &ignored);
}

/* [a, a + a_len) and [b, b + b_len) share a byte (lengths checked not to wrap). */
static int overlap(uintptr_t a, size_t a_len, uintptr_t b, size_t b_len) {
  if (a_len == 0 || b_len == 0) return 0;
  return a < b + b_len && b < a + a_len;
}

static int wraps(const void* base, size_t len) {
  return len != 0 && (base == NULL || (uintptr_t)base > UINTPTR_MAX - len);
}

/* What the gateway would refuse, refused before anything is sent. */
static int vectors_valid(int32_t type, const psa_invec* in, size_t in_len, const psa_outvec* out,
                         size_t out_len) {
  size_t i;
  size_t j;
  if (type < 0) return 0;
  if (in_len > MAX_IOVEC || out_len > MAX_IOVEC || in_len + out_len > MAX_IOVEC) return 0;
  if ((in_len != 0 && in == NULL) || (out_len != 0 && out == NULL)) return 0;
  for (i = 0; i < in_len; ++i) {
    if (wraps(in[i].base, in[i].len) || in[i].len > MAX_VECTOR) return 0;
  }
  for (i = 0; i < out_len; ++i) {
    if (wraps(out[i].base, out[i].len)) return 0;
    for (j = 0; j < in_len; ++j) {
      if (overlap((uintptr_t)out[i].base, out[i].len, (uintptr_t)in[j].base, in[j].len)) return 0;
    }
    for (j = 0; j < i; ++j) {
      if (overlap((uintptr_t)out[i].base, out[i].len, (uintptr_t)out[j].base, out[j].len)) return 0;
    }
  }
  return 1;
}

/* The Secure Manager's codes for a call no service answered: only these may
 * come without outputs (bastion/gateway_frame.h). */
static int unanswered(psa_status_t status) {
  return status == PSA_ERROR_PROGRAMMER_ERROR || status == PSA_ERROR_CONNECTION_REFUSED ||
         status == PSA_ERROR_SERVICE_FAILURE || status == PSA_ERROR_BAD_STATE;
}

static psa_status_t socket_call(void* context, psa_handle_t handle, int32_t type,
                                const psa_invec* in_vec, size_t in_len, psa_outvec* out_vec,
                                size_t out_len) {
  bastion_ns_socket_t* s = (bastion_ns_socket_t*)context;
  psa_invec in[MAX_IOVEC];
  psa_outvec out[MAX_IOVEC];
  size_t capacity[MAX_IOVEC];
  size_t offset[MAX_IOVEC];
  size_t written[MAX_IOVEC];
  size_t pos;
  size_t length = 0;
  size_t body_length;
  const uint8_t* body;
  psa_status_t status;
  size_t i;

  if (s->broken) return PSA_ERROR_COMMUNICATION_FAILURE;
  if (in_len > MAX_IOVEC || out_len > MAX_IOVEC) return PSA_ERROR_PROGRAMMER_ERROR;
  /* Copy the descriptors once: every check and use below sees the same. */
  for (i = 0; i < in_len && in_vec != NULL; ++i) in[i] = in_vec[i];
  for (i = 0; i < out_len && out_vec != NULL; ++i) out[i] = out_vec[i];
  if (!vectors_valid(type, in_vec == NULL ? NULL : in, in_len, out_vec == NULL ? NULL : out,
                     out_len)) {
    return PSA_ERROR_PROGRAMMER_ERROR;
  }

  /* The request: at most BASTION_GW_MAX_CALL_REQUEST_SIZE bytes. */
  pos = HEADER;
  bastion_ns_store_le32(s->frame + pos, (uint32_t)handle);
  bastion_ns_store_le32(s->frame + pos + 4, (uint32_t)type);
  bastion_ns_store_le32(s->frame + pos + 8, (uint32_t)in_len);
  bastion_ns_store_le32(s->frame + pos + 12, (uint32_t)out_len);
  pos += BASTION_GW_CALL_FIXED_SIZE;
  for (i = 0; i < in_len; ++i) {
    bastion_ns_store_le32(s->frame + pos, (uint32_t)in[i].len);
    pos += BASTION_GW_LENGTH_FIELD_SIZE;
    if (in[i].len != 0) memcpy(s->frame + pos, in[i].base, in[i].len);
    pos += in[i].len;
  }
  for (i = 0; i < out_len; ++i) {
    capacity[i] = out[i].len < MAX_VECTOR ? out[i].len : MAX_VECTOR;
    bastion_ns_store_le32(s->frame + pos, (uint32_t)capacity[i]);
    pos += BASTION_GW_LENGTH_FIELD_SIZE;
  }

  status = exchange(s, BASTION_GW_OP_CALL, pos, &length);
  if (status != PSA_SUCCESS) return status;
  body = s->frame + HEADER;
  body_length = length - HEADER;
  status = (psa_status_t)bastion_ns_load_le32(body);
  if (body_length == BASTION_GW_RESULT_SIZE) {
    return unanswered(status) ? status : PSA_ERROR_COMMUNICATION_FAILURE;
  }

  /* Check every output before touching the caller's buffers. */
  pos = BASTION_GW_RESULT_SIZE;
  if (body_length - pos < BASTION_GW_OUT_COUNT_SIZE ||
      bastion_ns_load_le32(body + pos) != out_len) {
    return PSA_ERROR_COMMUNICATION_FAILURE;
  }
  pos += BASTION_GW_OUT_COUNT_SIZE;
  for (i = 0; i < out_len; ++i) {
    if (body_length - pos < BASTION_GW_LENGTH_FIELD_SIZE) return PSA_ERROR_COMMUNICATION_FAILURE;
    written[i] = bastion_ns_load_le32(body + pos);
    pos += BASTION_GW_LENGTH_FIELD_SIZE;
    if (written[i] > capacity[i] || written[i] > body_length - pos) {
      return PSA_ERROR_COMMUNICATION_FAILURE;
    }
    offset[i] = pos;
    pos += written[i];
  }
  if (pos != body_length) return PSA_ERROR_COMMUNICATION_FAILURE;

  for (i = 0; i < out_len; ++i) {
    if (written[i] != 0) memcpy(out[i].base, body + offset[i], written[i]);
    out_vec[i].len = written[i];
  }
  return status;
}

psa_status_t bastion_ns_socket_init(bastion_ns_socket_t* state, int fd, int timeout_ms,
                                    bastion_ns_transport_t* transport) {
  int flags;
  if (state == NULL || transport == NULL || fd < 0) return PSA_ERROR_INVALID_ARGUMENT;
  flags = fcntl(fd, F_GETFL);
  if (flags < 0) return PSA_ERROR_COMMUNICATION_FAILURE;
  if ((flags & O_NONBLOCK) == 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return PSA_ERROR_COMMUNICATION_FAILURE;
  }
  state->fd = fd;
  state->timeout_ms = timeout_ms;
  state->broken = 0;
  state->sequence = 0;
  transport->context = state;
  transport->framework_version = socket_framework_version;
  transport->version = socket_version;
  transport->connect = socket_connect;
  transport->call = socket_call;
  transport->close = socket_close;
  return PSA_SUCCESS;
}
