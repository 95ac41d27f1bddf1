// bastion::psa_host: the PSA Secure Storage APIs (psa/internal_trusted_storage.h,
// psa/protected_storage.h), the PSA Crypto API (psa/crypto.h), the PSA
// Initial Attestation API (psa/initial_attestation.h) and the platform
// service (bastion/platform.h), callable in-process from a host program.
//
// Link the static library `bastion_psa_host` and include the public headers;
// no gateway, no second process. It is libbastion_ns with an in-process
// transport: every PSA call goes through the same client library, the same
// SPM checks and the same partitions and stores as on the device, as the
// non-secure client BASTION_NS_CLIENT_APP. psa/crypto.h is Mbed TLS's header
// in client mode (config/bastion_psa_client_config.h, brought in by the
// target): the crypto partition runs the PSA Crypto core, the program only
// marshals calls to it, and its keys are the application's keys (persistent
// ones live in the device's ITS). Call psa_crypto_init() first, as the API
// requires.
//
// Backing device, chosen on the first PSA call:
//   - BASTION_PSA_HOST_DEVICE=DIR: the virtual device in DIR (made with
//     `bastion device create` and provisioned). It is booted once (the whole
//     chain), the Secure Manager gets the secrets and the boot report of that
//     boot, and the device files are saved after every call that changes
//     storage or the mailbox.
//   - otherwise: a fresh virtual device in memory with the default layout
//     and random storage and attestation seeds (nothing survives the process;
//     there is no boot report: the platform service answers
//     PSA_ERROR_BAD_STATE, the attestation service PSA_ERROR_SERVICE_FAILURE).
// When the device cannot be opened or booted, every PSA call fails with
// PSA_ERROR_COMMUNICATION_FAILURE and the reason goes to stderr once.
//
// Not thread-safe (as libbastion_ns): one PSA call at a time.
#pragma once

namespace bastion::psa_host {

// The environment variable naming a device directory.
inline constexpr const char* kDeviceEnv = "BASTION_PSA_HOST_DEVICE";

}  // namespace bastion::psa_host
