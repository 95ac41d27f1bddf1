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
#include "crypto/crypto.h"

namespace bastion::attestation {

inline constexpr size_t kIakPrivateKeySize = 32;

// Writes the IAK's private scalar (big-endian, the PSA import format of an
// ECC P-256 key pair). The caller wipes it after use.
Status DeriveIakPrivateKey(std::span<const uint8_t, 32> attestation_seed,
                           std::span<uint8_t, kIakPrivateKeySize> private_key);

// The IAK's public key (P-256, the point d*G). Returns kOk or what
// DeriveIakPrivateKey and crypto::KeyPairFromPrivateScalar return.
Status DeriveIakPublicKey(std::span<const uint8_t, 32> attestation_seed,
                          crypto::EcPublicKey* public_key);

// SHA-256 of the public key as an uncompressed point (0x04 || X || Y, the
// format psa_export_public_key gives): the token's kid, and the instance id
// after its UEID type byte. Returns kOk, or kInvalidArgument when the key is
// not a P-256 uncompressed point.
Status IakKeyHash(const crypto::EcPublicKey& public_key, std::span<uint8_t, 32> hash);

}  // namespace bastion::attestation
