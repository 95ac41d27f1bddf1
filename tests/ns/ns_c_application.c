/* A C99 application of libbastion_ns: every public header of the library
 * and of the services compiles as strict C99 (-pedantic, warnings as
 * errors), and the static library links and runs from plain C. It installs
 * its own transport, a fake Secure Manager that checks the layout of each
 * request it gets. Exit status 0 when every check holds. */
#include <stdio.h>
#include <string.h>

#include "bastion/crypto_service.h"
#include "bastion/gateway_frame.h"
#include "bastion/platform.h"
#include "bastion/services.h"
#include "bastion_ns_socket.h"
#include "bastion_ns_transport.h"
#include "psa/client.h"
#include "psa/crypto.h"
#include "psa/error.h"
#include "psa/internal_trusted_storage.h"
#include "psa/protected_storage.h"
#include "psa/storage_common.h"

typedef char max_iovec_matches[(BASTION_GW_MAX_IOVEC == PSA_MAX_IOVEC) ? 1 : -1];
typedef char
    revocation_fits_a_vector[(BASTION_REVOCATION_MAX_SIZE <= BASTION_GW_MAX_VECTOR_SIZE) ? 1 : -1];

/* ns_c_crypto_first.c: psa/crypto.h included before psa/error.h. */
psa_status_t bastion_ns_c_crypto_headers_first(void);

static int failures = 0;

#define CHECK(condition)                                              \
  do {                                                                \
    if (!(condition)) {                                               \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #condition); \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

struct fake {
  int calls;
  psa_handle_t handle;
  int32_t type;
  size_t in_len;
  size_t out_len;
  unsigned char first_in[8];
  size_t first_in_len;
};

static uint32_t fake_framework_version(void* context) {
  (void)context;
  return PSA_FRAMEWORK_VERSION;
}

static uint32_t fake_version(void* context, uint32_t sid) {
  (void)context;
  return sid == BASTION_REVOCATION_SID ? PSA_VERSION_NONE : 1u;
}

static psa_handle_t fake_connect(void* context, uint32_t sid, uint32_t version) {
  (void)context;
  (void)sid;
  (void)version;
  return PSA_ERROR_CONNECTION_REFUSED;
}

static psa_status_t fake_call(void* context, psa_handle_t handle, int32_t type,
                              const psa_invec* in_vec, size_t in_len, psa_outvec* out_vec,
                              size_t out_len) {
  struct fake* f = (struct fake*)context;
  f->calls++;
  f->handle = handle;
  f->type = type;
  f->in_len = in_len;
  f->out_len = out_len;
  f->first_in_len = 0;
  if (in_len > 0 && in_vec[0].len <= sizeof f->first_in) {
    memcpy(f->first_in, in_vec[0].base, in_vec[0].len);
    f->first_in_len = in_vec[0].len;
  }
  if (out_len > 0 && out_vec[0].len >= 4) {
    unsigned char* out = (unsigned char*)out_vec[0].base;
    out[0] = 0x00;
    out[1] = 0x30;
    out[2] = 0x00;
    out[3] = 0x00;
    out_vec[0].len = 4;
  }
  return PSA_SUCCESS;
}

static void fake_close(void* context, psa_handle_t handle) {
  (void)context;
  (void)handle;
}

int main(void) {
  static const unsigned char uid_le[8] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
  struct fake f;
  bastion_ns_transport_t transport;
  uint32_t lifecycle = 0;
  unsigned char data[2] = {1, 2};

  memset(&f, 0, sizeof f);
  transport.context = &f;
  transport.framework_version = fake_framework_version;
  transport.version = fake_version;
  transport.connect = fake_connect;
  transport.call = fake_call;
  transport.close = fake_close;
  CHECK(bastion_ns_set_transport(&transport) == PSA_SUCCESS);

  CHECK(psa_framework_version() == PSA_FRAMEWORK_VERSION);
  CHECK(psa_connect(1u, 1u) == PSA_ERROR_CONNECTION_REFUSED);

  CHECK(psa_its_set(0x0102030405060708ull, sizeof data, data, PSA_STORAGE_FLAG_NONE) ==
        PSA_SUCCESS);
  CHECK(f.calls == 1 && f.handle == BASTION_ITS_HANDLE && f.type == BASTION_STORAGE_SET);
  CHECK(f.in_len == 3 && f.out_len == 0);
  CHECK(f.first_in_len == 8 && memcmp(f.first_in, uid_le, 8) == 0);

  CHECK(psa_ps_get_support() == 0x3000u);
  CHECK(f.calls == 2 && f.handle == BASTION_PS_HANDLE && f.type == BASTION_STORAGE_GET_SUPPORT);

  CHECK(bastion_platform_lifecycle(&lifecycle) == PSA_SUCCESS && lifecycle == 0x3000u);
  CHECK(f.handle == BASTION_PLATFORM_HANDLE && f.type == BASTION_PLATFORM_LIFECYCLE);

  /* This fake's table does not let the application submit revocations. */
  CHECK(bastion_platform_submit_revocation(data, sizeof data) == PSA_ERROR_NOT_PERMITTED);
  CHECK(f.calls == 3);
  CHECK(psa_its_set(1u, 1u, NULL, 0u) == PSA_ERROR_INVALID_ARGUMENT);
  CHECK(f.calls == 3);

  /* psa/crypto.h from C: the operation keeps the service's handle. */
  {
    psa_hash_operation_t operation = PSA_HASH_OPERATION_INIT;
    CHECK(psa_hash_setup(&operation, PSA_ALG_SHA_256) == PSA_SUCCESS);
    CHECK(f.calls == 4 && f.handle == BASTION_CRYPTO_HANDLE && f.type == BASTION_CRYPTO_HASH_SETUP);
    CHECK(f.in_len == 1 && f.out_len == 1 && operation.handle == 0x3000u);
    CHECK(psa_hash_setup(&operation, PSA_ALG_SHA_256) == PSA_ERROR_BAD_STATE);
    CHECK(bastion_ns_c_crypto_headers_first() == PSA_SUCCESS);
    CHECK(f.calls == 4);
  }

  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("libbastion_ns from C99: ok\n");
  return 0;
}
