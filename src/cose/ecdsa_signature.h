// ECDSA signature encodings: COSE's fixed-size r||s (RFC 9053 §2.1) and the
// DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) the crypto facade
// signs and verifies.
//
// Both directions are strict. DER input must be the one canonical encoding:
// short-form lengths only (every P-256/P-384 signature is under 128 bytes),
// minimal non-negative INTEGERs (no superfluous leading 0x00, no high bit
// set without one), no trailing bytes, and each integer must fit in
// coordinate_size bytes. Zero integers are encoded and accepted (they are
// well-formed; verification refuses them).
#pragma once

#include <cstddef>

#include "common/bytes.h"
#include "common/status.h"

namespace bastion::cose {

// Largest DER signature for a coordinate of 48 bytes: 2 + 2 * (2 + 1 + 48).
constexpr size_t kMaxDerSignatureSize = 104;
constexpr size_t kMaxRawSignatureSize = 96;

// Converts r||s (two big-endian integers of raw.size()/2 bytes each, 32 or
// 48) into DER. Returns kOk, kInvalidArgument (raw size not 64 or 96),
// kResourceExhausted (out too small).
Status EcdsaRawToDer(ConstByteSpan raw, ByteSpan out, size_t* written);

// Converts a DER signature into r||s of 2 * coordinate_size bytes (32 or 48),
// left-padding each integer with zeros. Returns kOk, kInvalidArgument (not
// canonical DER, an integer longer than coordinate_size, a coordinate size
// other than 32/48), kResourceExhausted (out shorter than 2 * coordinate_size).
Status EcdsaDerToRaw(ConstByteSpan der, size_t coordinate_size, ByteSpan out);

}  // namespace bastion::cose
