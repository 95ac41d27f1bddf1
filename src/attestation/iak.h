// The Initial Attestation Key (IAK): an ECC P-256 key pair derived from the
// attestation seed uROT hands the Secure Manager (SmHandoff), so it is the
// same on every boot and across updates of every image, and never stored.
//
//   for counter = 0, 1, ...:
//     d = HKDF-SHA-256(salt = "", ikm = seed,
//                      info = "bastion iak p256" || counter (1 byte), 32 bytes)
//     return d if 0 < d < n (the P-256 group order, big-endian compare)
//
// (The chance that one round fails is below 2^-32; a seed for which 256
// rounds fail does not exist in practice and is reported as kInternal.)
#pragma once

#include <cstdint>
#include <span>

#include "common/status.h"

namespace bastion::attestation {

inline constexpr size_t kIakPrivateKeySize = 32;

// Writes the IAK's private scalar (big-endian, the PSA import format of an
// ECC P-256 key pair). The caller wipes it after use.
Status DeriveIakPrivateKey(std::span<const uint8_t, 32> attestation_seed,
                           std::span<uint8_t, kIakPrivateKeySize> private_key);

}  // namespace bastion::attestation
