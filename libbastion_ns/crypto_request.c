/* Crypto requests (ns_crypto.h): the parameter block, checked vectors, the
 * scratch area for in-place inputs, and the operation handle helpers. */
#include <string.h>

#include "bastion/services.h"
#include "ns_bytes.h"
#include "ns_crypto.h"

#define PARAM_KEY 0u
#define PARAM_ALG 4u
#define PARAM_HANDLE 8u
#define PARAM_STEP 12u
#define PARAM_VALUE 16u
#define PARAM_VALUE2 24u

typedef char bastion_ns_params_fit[(PARAM_VALUE2 + 8u == BASTION_CRYPTO_PARAMS_SIZE) ? 1 : -1];
typedef char bastion_ns_scratch_fits_a_vector[(BASTION_NS_CRYPTO_SCRATCH_SIZE >= 64u) ? 1 : -1];

/* Copies made for one request; reset when the request is begun and sent. */
static uint8_t g_scratch[BASTION_NS_CRYPTO_SCRATCH_SIZE];
static size_t g_scratch_used;

static void fail(bastion_ns_crypto_request_t* request, psa_status_t status) {
  if (request->status == PSA_SUCCESS) request->status = status;
}

static uint8_t* scratch_take(bastion_ns_crypto_request_t* request, size_t length) {
  uint8_t* p;
  if (length > sizeof g_scratch - g_scratch_used) {
    fail(request, PSA_ERROR_INSUFFICIENT_MEMORY);
    return NULL;
  }
  p = g_scratch + g_scratch_used;
  g_scratch_used += length;
  return p;
}

/* [a, a + a_len) and [b, b + b_len) share a byte (both already checked not
 * to wrap: their lengths are at most the cap and they are real buffers). */
static int overlap(const void* a, size_t a_len, const void* b, size_t b_len) {
  const uintptr_t x = (uintptr_t)a;
  const uintptr_t y = (uintptr_t)b;
  if (a_len == 0 || b_len == 0) return 0;
  return x < y + b_len && y < x + a_len;
}

void bastion_ns_crypto_begin(bastion_ns_crypto_request_t* request, psa_key_id_t key,
                             psa_algorithm_t alg, uint32_t handle) {
  memset(request->params, 0, sizeof request->params);
  bastion_ns_store_le32(request->params + PARAM_KEY, key);
  bastion_ns_store_le32(request->params + PARAM_ALG, alg);
  bastion_ns_store_le32(request->params + PARAM_HANDLE, handle);
  request->in[0].base = request->params;
  request->in[0].len = sizeof request->params;
  request->in_count = 1;
  request->out_count = 0;
  request->data_length = 0;
  request->status = PSA_SUCCESS;
  g_scratch_used = 0;
}

void bastion_ns_crypto_step(bastion_ns_crypto_request_t* request, uint32_t step) {
  bastion_ns_store_le32(request->params + PARAM_STEP, step);
}

void bastion_ns_crypto_value(bastion_ns_crypto_request_t* request, uint64_t value) {
  bastion_ns_store_le64(request->params + PARAM_VALUE, value);
}

void bastion_ns_crypto_value2(bastion_ns_crypto_request_t* request, uint64_t value2) {
  bastion_ns_store_le64(request->params + PARAM_VALUE2, value2);
}

void bastion_ns_crypto_input(bastion_ns_crypto_request_t* request, const void* data,
                             size_t length) {
  if (request->in_count + request->out_count >= PSA_MAX_IOVEC) {
    fail(request, PSA_ERROR_CORRUPTION_DETECTED); /* a layout bug in this library */
    return;
  }
  if (data == NULL && length != 0) fail(request, PSA_ERROR_INVALID_ARGUMENT);
  if (length > BASTION_NS_CRYPTO_MAX_VECTOR - request->data_length) {
    fail(request, PSA_ERROR_INSUFFICIENT_MEMORY);
  } else {
    request->data_length += length;
  }
  request->in[request->in_count].base = length == 0 ? NULL : data;
  request->in[request->in_count].len = length;
  ++request->in_count;
}

void bastion_ns_crypto_output(bastion_ns_crypto_request_t* request, void* buffer, size_t size) {
  size_t i;
  if (request->in_count + request->out_count >= PSA_MAX_IOVEC) {
    fail(request, PSA_ERROR_CORRUPTION_DETECTED);
    return;
  }
  if (buffer == NULL && size != 0) fail(request, PSA_ERROR_INVALID_ARGUMENT);
  if (size > BASTION_NS_CRYPTO_MAX_VECTOR) size = BASTION_NS_CRYPTO_MAX_VECTOR;
  if (buffer == NULL) size = 0;
  for (i = 0; i < request->out_count; ++i) {
    if (overlap(request->out[i].base, request->out[i].len, buffer, size)) {
      fail(request, PSA_ERROR_INVALID_ARGUMENT);
    }
  }
  request->out[request->out_count].base = size == 0 ? NULL : buffer;
  request->out[request->out_count].len = size;
  ++request->out_count;
}

const void* bastion_ns_crypto_concat(bastion_ns_crypto_request_t* request, const void* first,
                                     size_t first_length, const void* second,
                                     size_t second_length) {
  uint8_t* copy;
  if ((first == NULL && first_length != 0) || (second == NULL && second_length != 0)) {
    fail(request, PSA_ERROR_INVALID_ARGUMENT);
    return NULL;
  }
  if (first_length > BASTION_NS_CRYPTO_MAX_VECTOR ||
      second_length > BASTION_NS_CRYPTO_MAX_VECTOR - first_length) {
    fail(request, PSA_ERROR_INSUFFICIENT_MEMORY);
    return NULL;
  }
  if (second_length == 0) return first;
  if (first_length == 0) return second;
  if ((const uint8_t*)first + first_length == (const uint8_t*)second) return first;
  copy = scratch_take(request, first_length + second_length);
  if (copy == NULL) return NULL;
  memcpy(copy, first, first_length);
  memcpy(copy + first_length, second, second_length);
  return copy;
}

psa_status_t bastion_ns_crypto_call(bastion_ns_crypto_request_t* request, int32_t function) {
  psa_status_t status;
  size_t i;
  size_t o;
  /* Inputs the service must read before it writes an overlapping output. */
  for (i = 1; i < request->in_count && request->status == PSA_SUCCESS; ++i) {
    for (o = 0; o < request->out_count; ++o) {
      if (overlap(request->in[i].base, request->in[i].len, request->out[o].base,
                  request->out[o].len)) {
        uint8_t* copy = scratch_take(request, request->in[i].len);
        if (copy == NULL) break;
        memcpy(copy, request->in[i].base, request->in[i].len);
        request->in[i].base = copy;
        break;
      }
    }
  }
  if (request->status != PSA_SUCCESS) {
    status = request->status;
  } else {
    status = psa_call(BASTION_CRYPTO_HANDLE, function, request->in, request->in_count,
                      request->out_count == 0 ? NULL : request->out, request->out_count);
  }
  g_scratch_used = 0;
  return status;
}

psa_status_t bastion_ns_crypto_request(int32_t function, psa_key_id_t key, psa_algorithm_t alg,
                                       uint32_t handle, const void* first, size_t first_length,
                                       const void* second, size_t second_length, int inputs,
                                       void* output, size_t output_size, size_t* output_length) {
  bastion_ns_crypto_request_t request;
  psa_status_t status;
  bastion_ns_crypto_begin(&request, key, alg, handle);
  if (inputs >= 1) bastion_ns_crypto_input(&request, first, first_length);
  if (inputs >= 2) bastion_ns_crypto_input(&request, second, second_length);
  if (output_length != NULL) bastion_ns_crypto_output(&request, output, output_size);
  status = bastion_ns_crypto_call(&request, function);
  if (status == PSA_SUCCESS && output_length != NULL) *output_length = request.out[0].len;
  return status;
}

psa_status_t bastion_ns_crypto_setup(uint32_t* handle, int32_t function, psa_key_id_t key,
                                     psa_algorithm_t alg, uint32_t source) {
  bastion_ns_crypto_request_t request;
  uint8_t reply[4];
  uint32_t value;
  psa_status_t status;
  if (*handle != 0) return PSA_ERROR_BAD_STATE;
  bastion_ns_crypto_begin(&request, key, alg, source);
  bastion_ns_crypto_output(&request, reply, sizeof reply);
  status = bastion_ns_crypto_call(&request, function);
  if (status != PSA_SUCCESS) return status;
  if (request.out[0].len != sizeof reply) return PSA_ERROR_SERVICE_FAILURE;
  value = bastion_ns_load_le32(reply);
  if (value == 0) return PSA_ERROR_SERVICE_FAILURE;
  *handle = value;
  return PSA_SUCCESS;
}

psa_status_t bastion_ns_crypto_abort(uint32_t* handle, int32_t function) {
  bastion_ns_crypto_request_t request;
  psa_status_t status;
  if (*handle == 0) return PSA_SUCCESS;
  bastion_ns_crypto_begin(&request, PSA_KEY_ID_NULL, PSA_ALG_NONE, *handle);
  status = bastion_ns_crypto_call(&request, function);
  *handle = 0;
  return status;
}

psa_status_t bastion_ns_crypto_key_reply(const bastion_ns_crypto_request_t* request, size_t index,
                                         const uint8_t id[4], psa_key_id_t* key) {
  if (request->out[index].len != 4) return PSA_ERROR_SERVICE_FAILURE;
  *key = bastion_ns_load_le32(id);
  return PSA_SUCCESS;
}
