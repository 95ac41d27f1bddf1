// ECDSA signature encodings: COSE's fixed-size r||s (RFC 9053 §2.1) and the
// DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) the crypto facade
// signs and verifies. Shared by COSE (src/cose) and the image verifier
// (src/image), so both accept exactly one encoding of a signature.
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
#include "crypto/crypto.h"

namespace bastion::crypto {

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

// The DER signature of `curve` in canonical form with both integers in
// [1, n-1] (n the curve order): the only encoding the image verifier
// accepts. Returns kOk, kInvalidArgument (not canonical DER as above, or an
// integer longer than the curve's coordinate), kOutOfRange (r or s is 0 or
// not below n).
Status CheckEcdsaDerSignature(Curve curve, ConstByteSpan der);

// The same range check on r || s (2 * CoordinateSize(curve) bytes, as
// EcdsaDerToRaw writes it). Returns kOk, kInvalidArgument (wrong size),
// kOutOfRange (r or s is 0 or not below n).
Status CheckEcdsaRawSignature(Curve curve, ConstByteSpan raw);

// Longest canonical DER signature for `curve` (72 for P-256, 104 for P-384):
// the length imgtool's --pad-sig pads the signature TLV to at most.
constexpr size_t MaxEcdsaDerSize(Curve curve) { return 2 + 2 * (2 + 1 + CoordinateSize(curve)); }

}  // namespace bastion::crypto
