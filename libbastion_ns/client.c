/* psa/client.h over the installed transport (bastion_ns_transport.h). */
#include "psa/client.h"

#include <stddef.h>

#include "bastion_ns_transport.h"

enum { TRANSPORT_NONE, TRANSPORT_INSTALLED, TRANSPORT_UNAVAILABLE };

static bastion_ns_transport_t g_transport;
static int g_state = TRANSPORT_NONE;

static int complete(const bastion_ns_transport_t* t) {
  return t->framework_version != NULL && t->version != NULL && t->connect != NULL &&
         t->call != NULL && t->close != NULL;
}

/* The installed transport; on first use, the build's default. NULL when
 * there is none. */
static const bastion_ns_transport_t* transport(void) {
  if (g_state == TRANSPORT_NONE) {
    bastion_ns_transport_t found;
    g_state = TRANSPORT_UNAVAILABLE;
    if (bastion_ns_default_transport(&found) == PSA_SUCCESS && complete(&found)) {
      g_transport = found;
      g_state = TRANSPORT_INSTALLED;
    }
  }
  return g_state == TRANSPORT_INSTALLED ? &g_transport : NULL;
}

psa_status_t bastion_ns_set_transport(const bastion_ns_transport_t* t) {
  if (t == NULL) {
    g_state = TRANSPORT_NONE;
    return PSA_SUCCESS;
  }
  if (!complete(t)) return PSA_ERROR_INVALID_ARGUMENT;
  g_transport = *t;
  g_state = TRANSPORT_INSTALLED;
  return PSA_SUCCESS;
}

uint32_t psa_framework_version(void) {
  const bastion_ns_transport_t* t = transport();
  return t == NULL ? PSA_VERSION_NONE : t->framework_version(t->context);
}

uint32_t psa_version(uint32_t sid) {
  const bastion_ns_transport_t* t = transport();
  return t == NULL ? PSA_VERSION_NONE : t->version(t->context, sid);
}

psa_handle_t psa_connect(uint32_t sid, uint32_t version) {
  const bastion_ns_transport_t* t = transport();
  return t == NULL ? PSA_ERROR_COMMUNICATION_FAILURE : t->connect(t->context, sid, version);
}

psa_status_t psa_call(psa_handle_t handle, int32_t type, const psa_invec* in_vec, size_t in_len,
                      psa_outvec* out_vec, size_t out_len) {
  const bastion_ns_transport_t* t = transport();
  if (t == NULL) return PSA_ERROR_COMMUNICATION_FAILURE;
  return t->call(t->context, handle, type, in_vec, in_len, out_vec, out_len);
}

void psa_close(psa_handle_t handle) {
  const bastion_ns_transport_t* t = transport();
  if (t != NULL) t->close(t->context, handle);
}
