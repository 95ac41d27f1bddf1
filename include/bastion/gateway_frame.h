/* bastion/gateway_frame.h: the wire format between the non-secure
 * application and the Secure Manager on the host (the "gateway"), shared by
 * the client library (libbastion_ns, C) and the Secure Manager's decoder
 * (src/gateway, C++).
 *
 * The application sends one request frame and reads one response frame, over
 * a connected byte stream, one call at a time. Every multi-byte field is
 * little-endian; nothing is padded or aligned. A frame is a 16-byte header
 * followed by a body:
 *
 *   offset  size  header field
 *   0       4     magic      BASTION_GW_REQUEST_MAGIC or BASTION_GW_RESPONSE_MAGIC
 *   4       2     version    BASTION_GW_PROTOCOL_VERSION
 *   6       2     operation  BASTION_GW_OP_* (a response repeats the request's)
 *   8       4     length     the whole frame, header included:
 *                            BASTION_GW_HEADER_SIZE .. BASTION_GW_MAX_FRAME_SIZE
 *   12      4     sequence   chosen by the client; the response repeats it
 *
 * Request bodies (psa/client.h for the meaning of each value):
 *
 *   FRAMEWORK_VERSION  (empty)
 *   VERSION            sid u32
 *   CONNECT            sid u32, version u32
 *   CALL               handle i32, type i32, in_len u32, out_len u32,
 *                      in_len  x { length u32, `length` bytes },
 *                      out_len x { capacity u32 }
 *   CLOSE              handle i32
 *
 * Response bodies start with a 4-byte result: the u32 version for
 * FRAMEWORK_VERSION and VERSION, the i32 handle or error for CONNECT, the
 * i32 psa_status_t for CALL and CLOSE. A CALL response whose service
 * answered then carries the outputs:
 *
 *   CALL (answered)    status i32, out_count u32 (= the request's out_len),
 *                      out_count x { written u32 (<= its capacity), `written` bytes }
 *
 * A CALL response with only the 4-byte status means the call was refused or
 * the service faulted (the Secure Manager's codes PSA_ERROR_PROGRAMMER_ERROR,
 * PSA_ERROR_CONNECTION_REFUSED, PSA_ERROR_SERVICE_FAILURE,
 * PSA_ERROR_BAD_STATE): the client leaves its output lengths as they were.
 *
 * Caps: at most BASTION_GW_MAX_IOVEC vectors per call (in_len + out_len, as
 * FF-M's PSA_MAX_IOVEC), each at most BASTION_GW_MAX_VECTOR_SIZE bytes (an
 * input's length, an output's capacity). Any call within those caps fits in
 * a frame of BASTION_GW_MAX_FRAME_SIZE, request and response alike.
 *
 * Errors. The Secure Manager checks a request completely before it acts on
 * it. A request it cannot accept gets a response with the 4-byte result
 * PSA_ERROR_PROGRAMMER_ERROR (for the version operations: that value as a
 * u32) and no other effect:
 *   - a body that does not match its operation (truncated, trailing bytes,
 *     too many vectors, a vector above the cap, a negative call type) or an
 *     unknown operation: the stream stays in step and the next frame is
 *     served;
 *   - a header it cannot trust (wrong magic or version, a length below
 *     BASTION_GW_HEADER_SIZE or above BASTION_GW_MAX_FRAME_SIZE): the stream
 *     cannot be resynchronised, so the Secure Manager sends the error
 *     response (repeating the header's operation and sequence fields as they
 *     came) and then closes the connection.
 * A request that stops part-way (the peer goes silent or closes) is never
 * answered. */
#ifndef BASTION_GATEWAY_FRAME_H
#define BASTION_GATEWAY_FRAME_H

#include <stdint.h>

/* ---- Header ---- */
#define BASTION_GW_REQUEST_MAGIC 0x9b43cb91u
#define BASTION_GW_RESPONSE_MAGIC 0x0988a60cu
#define BASTION_GW_PROTOCOL_VERSION 1u

#define BASTION_GW_HEADER_SIZE 16u
#define BASTION_GW_OFFSET_MAGIC 0u
#define BASTION_GW_OFFSET_VERSION 4u
#define BASTION_GW_OFFSET_OPERATION 6u
#define BASTION_GW_OFFSET_LENGTH 8u
#define BASTION_GW_OFFSET_SEQUENCE 12u

/* ---- Operations ---- */
#define BASTION_GW_OP_FRAMEWORK_VERSION 1u
#define BASTION_GW_OP_VERSION 2u
#define BASTION_GW_OP_CONNECT 3u
#define BASTION_GW_OP_CALL 4u
#define BASTION_GW_OP_CLOSE 5u

/* ---- Caps ---- */
/** Vectors per call, inputs and outputs together (FF-M's PSA_MAX_IOVEC). */
#define BASTION_GW_MAX_IOVEC 4u
/** Bytes of one vector: a 16 KiB bulk crypto message plus room for what a
 *  cipher or AEAD adds to it (IV, padding, tag); ITS/PS objects (1 KiB) and
 *  revocation commands (1000 bytes) fit with room to spare. */
#define BASTION_GW_MAX_VECTOR_SIZE (17u * 1024u)
/** Bytes of one frame, header included. */
#define BASTION_GW_MAX_FRAME_SIZE (72u * 1024u)

/* ---- Body sizes ---- */
#define BASTION_GW_RESULT_SIZE 4u       /* every response's result field */
#define BASTION_GW_VERSION_BODY_SIZE 4u /* sid */
#define BASTION_GW_CONNECT_BODY_SIZE 8u /* sid, version */
#define BASTION_GW_CLOSE_BODY_SIZE 4u   /* handle */
#define BASTION_GW_CALL_FIXED_SIZE 16u  /* handle, type, in_len, out_len */
#define BASTION_GW_LENGTH_FIELD_SIZE 4u /* a vector's length, capacity or written */
#define BASTION_GW_OUT_COUNT_SIZE 4u    /* an answered CALL's out_count */

/* The largest CALL request and response within the vector caps fit a frame. */
#define BASTION_GW_MAX_CALL_REQUEST_SIZE                 \
  (BASTION_GW_HEADER_SIZE + BASTION_GW_CALL_FIXED_SIZE + \
   BASTION_GW_MAX_IOVEC * (BASTION_GW_LENGTH_FIELD_SIZE + BASTION_GW_MAX_VECTOR_SIZE))
#define BASTION_GW_MAX_CALL_RESPONSE_SIZE                                        \
  (BASTION_GW_HEADER_SIZE + BASTION_GW_RESULT_SIZE + BASTION_GW_OUT_COUNT_SIZE + \
   BASTION_GW_MAX_IOVEC * (BASTION_GW_LENGTH_FIELD_SIZE + BASTION_GW_MAX_VECTOR_SIZE))

typedef char bastion_gw_call_request_fits
    [(BASTION_GW_MAX_CALL_REQUEST_SIZE <= BASTION_GW_MAX_FRAME_SIZE) ? 1 : -1];
typedef char bastion_gw_call_response_fits
    [(BASTION_GW_MAX_CALL_RESPONSE_SIZE <= BASTION_GW_MAX_FRAME_SIZE) ? 1 : -1];

#endif /* BASTION_GATEWAY_FRAME_H */
