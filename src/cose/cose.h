// COSE (RFC 9052 / RFC 9053) signed messages with ES256 and ES384:
// COSE_Sign (tag 98, one or more signers) and COSE_Sign1 (tag 18).
//
// What this module owns: the COSE structures, header rules and the
// Sig_structure that Bastion's revocation commands are signed
// with. It does not decide whose signatures count (the revocation engine
// does, by kid and key domain); it parses, verifies one signer against a
// given key, and builds messages.
//
// Parsing is strict (each refusal is a CoseError):
//   - the input is one strict CBOR item (cbor.h), at most kMaxMessageSize
//     bytes, nothing after it; every map strict (no duplicate keys,
//     deterministic key order);
//   - the tag (18 / 98) is required, forbidden or optional per TagPolicy; any
//     other or an extra tag is refused;
//   - protected headers are byte strings that are empty or hold exactly one
//     non-empty map (an empty map must be sent as the empty bstr) of at most
//     kMaxProtectedHeaderSize bytes; unprotected headers are maps;
//   - a label may not stand in both the protected and unprotected bucket;
//   - alg (1) must be in the protected header of each signer (COSE_Sign) or
//     of the message (COSE_Sign1) and be ES256 (-7) or ES384 (-35); in the
//     body headers of a COSE_Sign it is refused (it would be ambiguous);
//   - kid (4), a byte string of 1..kMaxKidSize bytes, is required for each
//     signer (either bucket; Bastion puts it unprotected);
//   - content type (3), optional, is an unsigned int or a text string;
//   - crit (2) must be protected, a non-empty array of int/text labels, each
//     present in the same protected header and understood (1, 3 or 4);
//     otherwise kUnknownCriticalHeader / kBadCritical. Other unknown labels
//     are ignored, as RFC 9052 §3 requires;
//   - the payload must be a byte string (a detached nil payload is refused);
//   - COSE_Sign carries 1..kMaxSigners signatures; each signature is
//     exactly 64 (ES256) or 96 (ES384) bytes of r||s.
// All spans in the parsed structs point into the caller's message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "cbor/cbor.h"
#include "common/bytes.h"
#include "common/hardened.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace bastion::cose {

// COSE algorithm identifiers (IANA "COSE Algorithms").
enum class Algorithm : int8_t {
  kEs256 = -7,   // ECDSA P-256 with SHA-256
  kEs384 = -35,  // ECDSA P-384 with SHA-384
};

constexpr uint64_t kTagCoseSign = 98;
constexpr uint64_t kTagCoseSign1 = 18;
constexpr int64_t kHeaderAlg = 1;
constexpr int64_t kHeaderCrit = 2;
constexpr int64_t kHeaderContentType = 3;
constexpr int64_t kHeaderKid = 4;

constexpr size_t kMaxSigners = 8;
constexpr size_t kMaxKidSize = 64;
constexpr size_t kMaxProtectedHeaderSize = 128;
constexpr size_t kMaxMessageSize = 8192;
// Depth of the deepest structure Bastion accepts: tag, COSE_Sign array,
// signatures array, COSE_Signature array, header map, crit array / value.
constexpr uint8_t kMaxCborDepth = 6;

crypto::Curve AlgorithmCurve(Algorithm alg);
// Size of the r||s signature for `alg`: 64 or 96.
size_t SignatureSize(Algorithm alg);
// The algorithm Bastion uses with a key on `curve`.
Algorithm CurveAlgorithm(crypto::Curve curve);

enum class TagPolicy : uint8_t {
  kRequireTag = 0,  // the COSE tag must be present
  kForbidTag = 1,   // the message must be untagged
  kAllowEither = 2,
};

// Why a message was refused. Stable numbers: reported by the revocation engine.
enum class CoseError : uint8_t {
  kOk = 0,
  kMalformedCbor = 1,    // not strict CBOR; see the CborError out-parameter
  kMessageTooLarge = 2,  // more than kMaxMessageSize bytes
  kMissingTag = 3,       // TagPolicy::kRequireTag and no tag
  kUnexpectedTag = 4,    // TagPolicy::kForbidTag and a tag
  kWrongTag = 5,         // a tag other than the one for this structure
  kBadStructure = 6,     // wrong CBOR type or array length somewhere
  kProtectedHeaderTooLarge = 7,
  kBadProtectedHeader = 8,     // protected bstr not one map, or a bstr-wrapped empty map
  kBadHeaderValue = 9,         // alg / kid / content type of the wrong type or size
  kDuplicateHeader = 10,       // a label in both the protected and unprotected bucket
  kMissingAlgorithm = 11,      // no alg in the protected header (or alg unprotected)
  kUnsupportedAlgorithm = 12,  // alg other than ES256 / ES384
  kUnexpectedAlgorithm = 13,   // alg in a COSE_Sign body header
  kMissingKid = 14,
  kBadCritical = 15,            // crit unprotected, empty, malformed, or naming an absent label
  kUnknownCriticalHeader = 16,  // crit names a label Bastion does not understand
  kDetachedPayload = 17,        // payload is nil
  kNoSigners = 18,
  kTooManySigners = 19,
  kBadSignatureSize = 20,  // signature not 64 / 96 bytes for its alg
};

const char* CoseErrorName(CoseError error);
// kOk -> kOk, kMessageTooLarge / kTooManySigners / kProtectedHeaderTooLarge
// -> kResourceExhausted, every other refusal -> kInvalidArgument.
Status CoseErrorStatus(CoseError error);

struct ContentType {
  bool present = false;
  bool is_text = false;
  uint64_t number = 0;  // when !is_text
  ConstByteSpan text;   // when is_text
};

struct CoseSigner {
  Algorithm alg = Algorithm::kEs256;
  ConstByteSpan protected_header;  // the bstr content (encoded map)
  ConstByteSpan kid;
  ConstByteSpan signature;  // r||s
};

struct ParsedCoseSign {
  ConstByteSpan body_protected;  // the bstr content (may be empty)
  ConstByteSpan payload;
  ContentType content_type;  // from the body headers
  std::array<CoseSigner, kMaxSigners> signers{};
  size_t signer_count = 0;
};

struct ParsedCoseSign1 {
  ConstByteSpan body_protected;
  ConstByteSpan payload;
  ContentType content_type;
  CoseSigner signer;  // alg and protected_header (== body_protected), kid, signature
};

// Parses a COSE_Sign. Returns kOk and fills *out, or the first refusal;
// when it is kMalformedCbor, *cbor_error (if not null) says why.
CoseError ParseCoseSign(ConstByteSpan message, TagPolicy tags, ParsedCoseSign* out,
                        cbor::CborError* cbor_error = nullptr);
// Parses a COSE_Sign1, with the same rules.
CoseError ParseCoseSign1(ConstByteSpan message, TagPolicy tags, ParsedCoseSign1* out,
                         cbor::CborError* cbor_error = nullptr);

// Verifies signer `index` of a parsed COSE_Sign with `key`: the Sig_structure
// ["Signature", body_protected, sign_protected, external_aad, payload] is
// hashed incrementally (no buffer) with the alg's hash, the r||s signature is
// converted to DER and checked. kTrue only for a valid signature; kFalse for
// every failure (index out of range, key curve not the alg's, bad signature).
HardenedBool VerifySigner(const ParsedCoseSign& message, size_t index,
                          const crypto::EcPublicKey& key, ConstByteSpan external_aad = {});
// Verifies a COSE_Sign1 (Sig_structure "Signature1") with `key`.
HardenedBool VerifyCoseSign1(const ParsedCoseSign1& message, const crypto::EcPublicKey& key,
                             ConstByteSpan external_aad = {});

// The digest of a Sig_structure (RFC 9052 §4.4). sign_protected is ignored
// for "Signature1" (sign1 = true).
crypto::Digest SigStructureDigest(crypto::HashAlg hash, bool sign1, ConstByteSpan body_protected,
                                  ConstByteSpan sign_protected, ConstByteSpan external_aad,
                                  ConstByteSpan payload);

// ---- Building ----

struct SignerInput {
  const crypto::EcKeyPair* key = nullptr;  // its curve picks ES256 / ES384
  ConstByteSpan kid;                       // 1..kMaxKidSize bytes (Bastion: SPKI SHA-256)
};

struct BuildOptions {
  bool tagged = true;
  bool has_content_type = false;  // content type (3) in the body protected header
  uint64_t content_type = 0;
  ConstByteSpan external_aad;
};

// Builds a COSE_Sign over `payload` with each signer: body protected header
// empty (or {3: content_type}), each signer's protected header {1: alg},
// unprotected {4: kid}. Returns kOk with *written set, kInvalidArgument (no
// signer or more than kMaxSigners, a null key, a kid of bad size),
// kResourceExhausted (out too small), kInternal (signing failed).
Status BuildCoseSign(ConstByteSpan payload, std::span<const SignerInput> signers,
                     const BuildOptions& options, ByteSpan out, size_t* written);

// Builds a COSE_Sign1: protected {1: alg[, 3: content_type]}, unprotected
// {4: kid}. Returns as BuildCoseSign.
Status BuildCoseSign1(ConstByteSpan payload, const SignerInput& signer, const BuildOptions& options,
                      ByteSpan out, size_t* written);

}  // namespace bastion::cose
