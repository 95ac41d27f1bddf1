# Builds Mbed TLS from source with Bastion's own minimal configuration
# (config/bastion_mbedtls_config.h), for host and target alike.
# Source: $MBEDTLS_SOURCE_DIR, or the copy scripts/setup unpacked.
set(MBEDTLS_VERSION 3.6.6)
if(DEFINED ENV{MBEDTLS_SOURCE_DIR} AND NOT MBEDTLS_SOURCE_DIR)
  set(MBEDTLS_SOURCE_DIR "$ENV{MBEDTLS_SOURCE_DIR}")
endif()
if(DEFINED ENV{BASTION_CACHE})
  set(_cache "$ENV{BASTION_CACHE}")
else()
  set(_cache "$ENV{HOME}/.cache/bastion")
endif()
set(_default_source "${_cache}/mbedtls-${MBEDTLS_VERSION}")
# The copy scripts/setup unpacked, unless one was given; a build folder
# configured for another version's copy moves to this one.
if(NOT MBEDTLS_SOURCE_DIR OR (MBEDTLS_SOURCE_DIR MATCHES "^${_cache}/mbedtls-[0-9.]+$"
                              AND NOT MBEDTLS_SOURCE_DIR STREQUAL _default_source))
  set(MBEDTLS_SOURCE_DIR "${_default_source}" CACHE PATH "Mbed TLS source tree" FORCE)
endif()
set(MBEDTLS_SOURCE_DIR "${MBEDTLS_SOURCE_DIR}" CACHE PATH "Mbed TLS source tree")
if(NOT EXISTS "${MBEDTLS_SOURCE_DIR}/library/ecdsa.c")
  message(FATAL_ERROR "Mbed TLS source not found in ${MBEDTLS_SOURCE_DIR}; run scripts/setup "
                      "or set MBEDTLS_SOURCE_DIR")
endif()

set(_mbedtls_sources aes asn1parse asn1write base64 bignum bignum_core constant_time ctr_drbg
    ecdsa ecp ecp_curves gcm block_cipher hkdf hmac_drbg md memory_buffer_alloc oid pem pk pk_ecc pk_wrap
    pkparse pkwrite platform platform_util psa_util sha256 sha512)
list(TRANSFORM _mbedtls_sources PREPEND "${MBEDTLS_SOURCE_DIR}/library/")
list(TRANSFORM _mbedtls_sources APPEND ".c")
add_library(bastion_mbedtls STATIC ${_mbedtls_sources})
target_include_directories(bastion_mbedtls SYSTEM PUBLIC "${MBEDTLS_SOURCE_DIR}/include"
                           "${CMAKE_SOURCE_DIR}/config")
target_compile_definitions(bastion_mbedtls PUBLIC MBEDTLS_CONFIG_FILE="bastion_mbedtls_config.h")
if(BASTION_TARGET)
  target_compile_definitions(bastion_mbedtls PUBLIC BASTION_MBEDTLS_DEVICE=1)
endif()
target_compile_options(bastion_mbedtls PRIVATE -ffunction-sections -fdata-sections -w)

# p256-m (shipped inside the Mbed TLS source): small, constant-time P-256
# verification. Its source is compiled only under the PSA driver's switch;
# Bastion calls it directly (no PSA core), so the switch is set for this file
# alone, and its randomness (key generation and signing, never used here)
# goes to a facade function that fails.
add_library(bastion_p256m STATIC "${MBEDTLS_SOURCE_DIR}/3rdparty/p256-m/p256-m/p256-m.c")
target_include_directories(bastion_p256m SYSTEM PUBLIC "${MBEDTLS_SOURCE_DIR}/3rdparty/p256-m/p256-m")
target_link_libraries(bastion_p256m PUBLIC bastion_mbedtls)
target_compile_definitions(bastion_p256m PRIVATE MBEDTLS_PSA_P256M_DRIVER_ENABLED
                                                 psa_generate_random=bastion_p256m_no_random)
target_compile_options(bastion_p256m PRIVATE -ffunction-sections -fdata-sections -w)
