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

# The PSA Crypto core for the Secure Manager's crypto partition
# (src/crypto_service, docs/crypto.md), in SPM build mode: every psa_*
# function renamed bastion_core_psa_* by a crypto_spe.h generated here.
set(BASTION_PSA_KEY_SLOT_COUNT "32" CACHE STRING
    "Key slots of the PSA Crypto core (volatile keys and loaded persistent keys)")
include(${CMAKE_CURRENT_LIST_DIR}/generate_crypto_spe.cmake)
set(BASTION_CRYPTO_SPE_DIR "${CMAKE_BINARY_DIR}/generated/mbedtls_spm")
bastion_generate_crypto_spe("${MBEDTLS_SOURCE_DIR}" "${BASTION_CRYPTO_SPE_DIR}/crypto_spe.h")
set(_psa_core_sources psa_crypto psa_crypto_aead psa_crypto_cipher psa_crypto_client
    psa_crypto_driver_wrappers_no_static psa_crypto_ecp psa_crypto_hash psa_crypto_mac
    psa_crypto_rsa psa_crypto_slot_management psa_crypto_storage
    cipher cipher_wrap ccm chacha20 chachapoly poly1305 cmac ecdh)
list(TRANSFORM _psa_core_sources PREPEND "${MBEDTLS_SOURCE_DIR}/library/")
list(TRANSFORM _psa_core_sources APPEND ".c")
list(APPEND _psa_core_sources "${CMAKE_SOURCE_DIR}/config/bastion_psa_core_hooks.c")

# bastion_mbedtls_library(<name> <with PSA core> <device>)
function(bastion_mbedtls_library name psa_core device)
  set(_sources ${_mbedtls_sources})
  if(psa_core)
    list(APPEND _sources ${_psa_core_sources})
  endif()
  add_library(${name} STATIC ${_sources})
  target_include_directories(${name} SYSTEM PUBLIC "${MBEDTLS_SOURCE_DIR}/include"
                             "${CMAKE_SOURCE_DIR}/config")
  target_compile_definitions(${name} PUBLIC MBEDTLS_CONFIG_FILE="bastion_mbedtls_config.h")
  if(device)
    target_compile_definitions(${name} PUBLIC BASTION_MBEDTLS_DEVICE=1)
  endif()
  if(psa_core)
    target_include_directories(${name} SYSTEM PUBLIC "${BASTION_CRYPTO_SPE_DIR}")
    # The core's "native ITS" headers (psa/error.h, psa/internal_trusted_storage.h)
    # are Bastion's.
    target_include_directories(${name} PRIVATE "${MBEDTLS_SOURCE_DIR}/library"
                               "${CMAKE_SOURCE_DIR}/include")
    target_compile_definitions(${name} PUBLIC BASTION_MBEDTLS_PSA_CORE=1
                               BASTION_PSA_KEY_SLOT_COUNT=${BASTION_PSA_KEY_SLOT_COUNT})
  endif()
  target_compile_options(${name} PRIVATE -ffunction-sections -fdata-sections -w)
endfunction()

# On the host, one library serves everything (tools, the boot stages of the
# virtual device, the Secure Manager): it has the PSA core. On Cortex-M33,
# bastion_mbedtls stays the boot stages' (no PSA core: their size does not
# move) and bastion_mbedtls_sm is the Secure Manager's.
if(BASTION_TARGET)
  bastion_mbedtls_library(bastion_mbedtls OFF ON)
  bastion_mbedtls_library(bastion_mbedtls_sm ON ON)
else()
  bastion_mbedtls_library(bastion_mbedtls ON OFF)
  add_library(bastion_mbedtls_sm ALIAS bastion_mbedtls)
endif()

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
# It is the facade's, not a driver of the PSA core: it builds with the
# configuration's legacy part only (on the host the library has the core).
target_compile_options(bastion_p256m PRIVATE -ffunction-sections -fdata-sections -w
                                             -UBASTION_MBEDTLS_PSA_CORE)
