/* The host's default transport: the gateway socket on the descriptor named
 * by BASTION_GATEWAY_FD (bastion_ns_transport.h). POSIX. */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "bastion_ns_socket.h"
#include "bastion_ns_transport.h"

static bastion_ns_socket_t g_socket;

/* A descriptor number: decimal digits only, no sign, at most INT_MAX. */
static int parse_fd(const char* text) {
  long value = 0;
  const char* p;
  if (text == NULL || *text == '\0') return -1;
  for (p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return -1;
    value = value * 10 + (*p - '0');
    if (value > INT_MAX) return -1;
  }
  return (int)value;
}

psa_status_t bastion_ns_default_transport(bastion_ns_transport_t* transport) {
  struct stat info;
  int fd;
  if (transport == NULL) return PSA_ERROR_INVALID_ARGUMENT;
  fd = parse_fd(getenv(BASTION_GATEWAY_FD_ENV));
  if (fd < 0 || fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) {
    return PSA_ERROR_COMMUNICATION_FAILURE;
  }
  if (bastion_ns_socket_init(&g_socket, fd, BASTION_NS_SOCKET_DEFAULT_TIMEOUT_MS, transport) !=
      PSA_SUCCESS) {
    return PSA_ERROR_COMMUNICATION_FAILURE;
  }
  return PSA_SUCCESS;
}
