/* The crypto client's marshalling (internal to libbastion_ns): one request
 * per psa_call, laid out exactly as include/bastion/crypto_service.h says.
 *
 * A request is built in steps — the parameter block, then each input and
 * output vector in order — and sent by bastion_ns_crypto_call(). Each step
 * checks its argument; the first failure sticks and the call then returns it
 * without sending anything:
 *   - a null buffer with a non-zero length: PSA_ERROR_INVALID_ARGUMENT;
 *   - inputs (every vector but the parameter block) longer together than
 *     the gateway's per-vector cap (BASTION_NS_CRYPTO_MAX_VECTOR), which is
 *     also what the crypto partition takes per call:
 *     PSA_ERROR_INSUFFICIENT_MEMORY, the code the PSA Crypto API gives for an
 *     implementation's resource limits;
 *   - two output buffers that share a byte: PSA_ERROR_INVALID_ARGUMENT.
 * An output buffer larger than the cap is offered to the service as the cap.
 *
 * The PSA Crypto API lets an output buffer overlap an input (in-place
 * encryption); the SPM refuses such vectors, so bastion_ns_crypto_call()
 * first copies each input that overlaps an output into a static scratch
 * area (BASTION_NS_CRYPTO_SCRATCH_SIZE bytes; past it:
 * PSA_ERROR_INSUFFICIENT_MEMORY). Not thread-safe, as the whole library. */
#ifndef BASTION_NS_CRYPTO_H
#define BASTION_NS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "bastion/crypto_service.h"
#include "bastion/gateway_frame.h"
#include "psa/client.h"
#include "psa/crypto.h"

/** The most input data per call (all inputs together), and the largest
 *  output offered. */
#define BASTION_NS_CRYPTO_MAX_VECTOR BASTION_GW_MAX_VECTOR_SIZE

/** Bytes of the scratch area for in-place inputs and for the single-part
 *  AEAD's nonce || additional data. Two vectors' worth by default, so that
 *  an in-place AEAD call with the largest additional data fits; a build may
 *  choose less (larger requests then answer PSA_ERROR_INSUFFICIENT_MEMORY). */
#ifndef BASTION_NS_CRYPTO_SCRATCH_SIZE
#define BASTION_NS_CRYPTO_SCRATCH_SIZE (2u * BASTION_NS_CRYPTO_MAX_VECTOR)
#endif

/** One request: in[0] is always the parameter block. */
typedef struct bastion_ns_crypto_request_t {
  uint8_t params[BASTION_CRYPTO_PARAMS_SIZE];
  psa_invec in[PSA_MAX_IOVEC];
  psa_outvec out[PSA_MAX_IOVEC];
  size_t in_count;
  size_t out_count;
  size_t data_length;  /* of the inputs after the parameter block */
  psa_status_t status; /* the first argument error; PSA_SUCCESS until then */
} bastion_ns_crypto_request_t;

/** Starts a request: the parameter block with `key`, `alg` and `handle`
 *  (step and values zero). */
void bastion_ns_crypto_begin(bastion_ns_crypto_request_t* request, psa_key_id_t key,
                             psa_algorithm_t alg, uint32_t handle);
/** The parameter block's step, value and value2 fields. */
void bastion_ns_crypto_step(bastion_ns_crypto_request_t* request, uint32_t step);
void bastion_ns_crypto_value(bastion_ns_crypto_request_t* request, uint64_t value);
void bastion_ns_crypto_value2(bastion_ns_crypto_request_t* request, uint64_t value2);

/** Appends an input vector (checked as above). */
void bastion_ns_crypto_input(bastion_ns_crypto_request_t* request, const void* data, size_t length);
/** Appends an output vector (checked, and capped, as above). */
void bastion_ns_crypto_output(bastion_ns_crypto_request_t* request, void* buffer, size_t size);

/** Sends the request as `function` (BASTION_CRYPTO_*) on BASTION_CRYPTO_HANDLE:
 *  the sticky argument error if there is one, else psa_call's status. On
 *  PSA_SUCCESS, request->out[i].len is what the service wrote. */
psa_status_t bastion_ns_crypto_call(bastion_ns_crypto_request_t* request, int32_t function);

/** The common request: `key`, `alg` and `handle` in the parameter block;
 *  the first `inputs` (0, 1 or 2) of `first` and `second` as in[1], in[2];
 *  one output when `output_length` is not NULL, whose written length goes
 *  to `*output_length` on PSA_SUCCESS. Returns bastion_ns_crypto_call's
 *  status. */
psa_status_t bastion_ns_crypto_request(int32_t function, psa_key_id_t key, psa_algorithm_t alg,
                                       uint32_t handle, const void* first, size_t first_length,
                                       const void* second, size_t second_length, int inputs,
                                       void* output, size_t output_size, size_t* output_length);

/** A copy of [first, first + first_length) || [second, second + second_length)
 *  in the scratch area for the next bastion_ns_crypto_call(), or the first
 *  buffer itself when the two are already adjacent. NULL (and the request's
 *  sticky error set) when the scratch area is too small. */
const void* bastion_ns_crypto_concat(bastion_ns_crypto_request_t* request, const void* first,
                                     size_t first_length, const void* second, size_t second_length);

/* ---- Operations ---- */

/** A *_SETUP (or HASH_CLONE / KEY_DERIVATION_SETUP with `source` as the
 *  handle): PSA_ERROR_BAD_STATE without a call when `*handle` is not 0; on
 *  success `*handle` is the service's new handle (a reply that is not 4
 *  non-zero bytes: PSA_ERROR_SERVICE_FAILURE). */
psa_status_t bastion_ns_crypto_setup(uint32_t* handle, int32_t function, psa_key_id_t key,
                                     psa_algorithm_t alg, uint32_t source);

/** An *_ABORT: PSA_SUCCESS without a call when `*handle` is 0; otherwise the
 *  call's status, and `*handle` is 0 either way (the service releases the
 *  handle on every abort). */
psa_status_t bastion_ns_crypto_abort(uint32_t* handle, int32_t function);

/** psa_key_derivation_output_key's request on operation `handle`
 *  (crypto_keys.c makes every request that creates a key). */
psa_status_t bastion_ns_crypto_output_key(uint32_t handle, const psa_key_attributes_t* attributes,
                                          psa_key_id_t* key);

/* ---- Key ids ---- */

/** A request's key id reply (out[index], 4 bytes) into `*key`: PSA_SUCCESS,
 *  or PSA_ERROR_SERVICE_FAILURE for a reply of another size. */
psa_status_t bastion_ns_crypto_key_reply(const bastion_ns_crypto_request_t* request, size_t index,
                                         const uint8_t id[4], psa_key_id_t* key);

#endif /* BASTION_NS_CRYPTO_H */
