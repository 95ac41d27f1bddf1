/* psa/error.h: the status codes shared by the PSA Certified APIs, as the
 * PSA Status Code specification and the PSA Firmware Framework (FF-M 1.1)
 * define them.
 *
 * Negative values are errors, zero or positive success. Codes -129 to -248
 * belong to PSA specifications; -249 to -256 are left to the SPM for its own
 * purposes; -1 to -128 and below -256 are free for a RoT Service's own
 * conditions.
 *
 * Spelled exactly as Mbed TLS spells the same macros, so a file that
 * includes both sees identical (hence valid) redefinitions. */
#ifndef PSA_ERROR_H
#define PSA_ERROR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Another PSA header (Mbed TLS's crypto types) may have declared the type:
 * C99 does not allow a second typedef, so declare it only once. */
#ifndef PSA_SUCCESS
/** The status type of every PSA API. */
typedef int32_t psa_status_t;
#endif

/** General success. */
#define PSA_SUCCESS ((psa_status_t)0)

/** The caller broke the API's rules: a bad handle, vector or buffer. */
#define PSA_ERROR_PROGRAMMER_ERROR ((psa_status_t)-129)
/** The caller may not connect to the service (or the service refused). */
#define PSA_ERROR_CONNECTION_REFUSED ((psa_status_t)-130)
/** The service cannot take a connection now (resources in use). */
#define PSA_ERROR_CONNECTION_BUSY ((psa_status_t)-131)
/** An error with no more specific code. */
#define PSA_ERROR_GENERIC_ERROR ((psa_status_t)-132)
/** A policy denies the requested action. */
#define PSA_ERROR_NOT_PERMITTED ((psa_status_t)-133)
/** The operation or a parameter is not supported. */
#define PSA_ERROR_NOT_SUPPORTED ((psa_status_t)-134)
/** A parameter is recognised but not valid. */
#define PSA_ERROR_INVALID_ARGUMENT ((psa_status_t)-135)
/** A handle (key, operation) does not name a valid object. */
#define PSA_ERROR_INVALID_HANDLE ((psa_status_t)-136)
/** The object is not in a state that allows the action. */
#define PSA_ERROR_BAD_STATE ((psa_status_t)-137)
/** An output buffer is too small. */
#define PSA_ERROR_BUFFER_TOO_SMALL ((psa_status_t)-138)
/** The item asked for already exists. */
#define PSA_ERROR_ALREADY_EXISTS ((psa_status_t)-139)
/** The item asked for does not exist. */
#define PSA_ERROR_DOES_NOT_EXIST ((psa_status_t)-140)
/** Not enough runtime memory. */
#define PSA_ERROR_INSUFFICIENT_MEMORY ((psa_status_t)-141)
/** Not enough persistent storage. */
#define PSA_ERROR_INSUFFICIENT_STORAGE ((psa_status_t)-142)
/** Not enough data was supplied or is available. */
#define PSA_ERROR_INSUFFICIENT_DATA ((psa_status_t)-143)
/** The service itself failed while handling the request. */
#define PSA_ERROR_SERVICE_FAILURE ((psa_status_t)-144)
/** Communication inside the implementation failed. */
#define PSA_ERROR_COMMUNICATION_FAILURE ((psa_status_t)-145)
/** Storage failed; data may have been lost. */
#define PSA_ERROR_STORAGE_FAILURE ((psa_status_t)-146)
/** A hardware failure was detected. */
#define PSA_ERROR_HARDWARE_FAILURE ((psa_status_t)-147)
/** A signature, MAC or hash did not verify. */
#define PSA_ERROR_INVALID_SIGNATURE ((psa_status_t)-149)
/** A tampering attempt or an internal inconsistency was detected. */
#define PSA_ERROR_CORRUPTION_DETECTED ((psa_status_t)-151)
/** Stored data is corrupt. */
#define PSA_ERROR_DATA_CORRUPT ((psa_status_t)-152)
/** Stored data is not valid for this implementation. */
#define PSA_ERROR_DATA_INVALID ((psa_status_t)-153)

#ifdef __cplusplus
}
#endif

#endif /* PSA_ERROR_H */
