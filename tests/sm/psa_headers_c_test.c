/* The public PSA headers compile as C99 with every warning an error. */
#include "psa/client.h"
#include "psa/error.h"
#include "psa/internal_trusted_storage.h"
#include "psa/storage_common.h"

typedef char psa_max_iovec_is_4[(PSA_MAX_IOVEC == 4u) ? 1 : -1];
typedef char psa_framework_is_1_1[(PSA_FRAMEWORK_VERSION == 0x0101u) ? 1 : -1];
typedef char programmer_error_is_129[(PSA_ERROR_PROGRAMMER_ERROR == -129) ? 1 : -1];

typedef char its_write_once_is_1[(PSA_STORAGE_FLAG_WRITE_ONCE == 1u) ? 1 : -1];
typedef char data_corrupt_is_152[(PSA_ERROR_DATA_CORRUPT == -152) ? 1 : -1];

int bastion_psa_headers_c_test(void);
int bastion_psa_headers_c_test(void) {
  psa_invec in = {0, 0};
  psa_outvec out = {0, 0};
  psa_handle_t handle = PSA_NULL_HANDLE;
  psa_status_t status = PSA_SUCCESS;
  (void)in;
  (void)out;
  return (int)handle + (int)status + PSA_IPC_CALL;
}
