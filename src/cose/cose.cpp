#include "cose/cose.h"

#include <cstring>

#include "crypto/ecdsa_der.h"

namespace bastion::cose {
namespace {

using cbor::CborError;
using cbor::MajorType;
using cbor::Reader;
using crypto::EcdsaDerToRaw;
using crypto::kMaxDerSignatureSize;
using crypto::kMaxRawSignatureSize;

// Labels of one protected header, by encoding (deterministic CBOR: equal
// labels have equal encodings), to find labels in both buckets and to check
// crit. A protected header of at most kMaxProtectedHeaderSize bytes has
// few labels; more than this many is refused.
constexpr size_t kMaxProtectedLabels = 16;

// What the two header buckets of a signer (or of a message body) say.
struct Headers {
  bool has_alg = false;
  bool alg_protected = false;
  Algorithm alg{};    // when has_alg
  ConstByteSpan kid;  // empty: no kid (a kid is never empty)
  ContentType content_type;
  ConstByteSpan crit;  // encoded crit value, when present in the protected bucket
  std::array<ConstByteSpan, kMaxProtectedLabels> protected_labels{};
  size_t protected_label_count = 0;
};

#define COSE_TRY(expr)                                             \
  do {                                                             \
    const CoseError cose_try_error_ = (expr);                      \
    if (cose_try_error_ != CoseError::kOk) return cose_try_error_; \
  } while (0)

// A label Bastion does not understand: any int other than 1..4, any text.
constexpr uint32_t kOtherLabel = 0;

// Reads a header label (checked input). Returns false unless it is an int
// or a text string; *label is its number for 1..4, else kOtherLabel, and
// *encoded its encoding (labels are compared by encoding).
[[gnu::noinline]] bool ReadLabel(Reader& r, uint32_t* label, ConstByteSpan* encoded) {
  const size_t start = r.offset();
  const MajorType type = r.Next();
  if (type != MajorType::kUnsigned && type != MajorType::kNegative && type != MajorType::kText) {
    return false;
  }
  *label =
      type == MajorType::kUnsigned && r.argument32() <= kHeaderKid ? r.argument32() : kOtherLabel;
  *encoded = r.Since(start);
  return true;
}

bool SameBytes(ConstByteSpan a, ConstByteSpan b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// Whether the protected bucket read into `h` has the label encoded as `label`.
bool HasProtectedLabel(const Headers& h, const ConstByteSpan& label) {
  for (size_t k = 0; k < h.protected_label_count; ++k) {
    if (SameBytes(h.protected_labels[k], label)) return true;
  }
  return false;
}

// The CBOR argument of a negative integer: -1 - argument.
constexpr uint32_t NegativeArgument(Algorithm alg) {
  return static_cast<uint32_t>(-1 - static_cast<int32_t>(alg));
}

// Reads the pairs of one header map, whose head `r` has just read, into *h.
// The map is checked CBOR with strict key order.
CoseError ReadHeaderMap(Reader& r, bool is_protected, Headers* h) {
  const size_t pairs = r.argument32();
  if (is_protected && pairs == 0) return CoseError::kBadProtectedHeader;  // must be h''
  for (size_t i = 0; i < pairs; ++i) {
    uint32_t label = kOtherLabel;
    ConstByteSpan encoded;
    if (!ReadLabel(r, &label, &encoded)) return CoseError::kBadStructure;
    if (is_protected) {
      if (h->protected_label_count == kMaxProtectedLabels) return CoseError::kBadProtectedHeader;
      h->protected_labels[h->protected_label_count++] = encoded;
    } else if (HasProtectedLabel(*h, encoded)) {
      return CoseError::kDuplicateHeader;
    }
    switch (label) {
      case kHeaderAlg: {
        h->has_alg = true;
        h->alg_protected = is_protected;
        const MajorType type = r.Next();
        if (type == MajorType::kText) return CoseError::kUnsupportedAlgorithm;
        if (type != MajorType::kUnsigned && type != MajorType::kNegative) {
          return CoseError::kBadHeaderValue;
        }
        if (type == MajorType::kNegative && r.argument32() == NegativeArgument(Algorithm::kEs256)) {
          h->alg = Algorithm::kEs256;
        } else if (type == MajorType::kNegative &&
                   r.argument32() == NegativeArgument(Algorithm::kEs384)) {
          h->alg = Algorithm::kEs384;
        } else {
          return CoseError::kUnsupportedAlgorithm;
        }
        break;
      }
      case kHeaderCrit:
        if (!is_protected) return CoseError::kBadCritical;
        h->crit = r.Skip();
        if (h->crit.empty()) return CoseError::kBadStructure;  // not on checked input
        break;
      case kHeaderContentType: {
        const MajorType type = r.Next();
        if (type == MajorType::kUnsigned) {
          h->content_type.number = r.argument();
        } else if (type == MajorType::kText) {
          h->content_type.is_text = true;
          h->content_type.text = r.content();
        } else {
          return CoseError::kBadHeaderValue;
        }
        h->content_type.present = true;
        break;
      }
      case kHeaderKid:
        if (r.Next() != MajorType::kBytes) return CoseError::kBadHeaderValue;
        h->kid = r.content();
        if (h->kid.empty() || h->kid.size() > kMaxKidSize) return CoseError::kBadHeaderValue;
        break;
      default:  // unknown, not critical: ignored (RFC 9052 §3)
        if (r.Skip().empty()) return CoseError::kBadStructure;  // not on checked input
        break;
    }
  }
  return CoseError::kOk;
}

// crit: a non-empty array of labels, each understood and present in the
// protected bucket.
CoseError CheckCritical(const Headers& h) {
  if (h.crit.empty()) return CoseError::kOk;
  Reader r(h.crit);
  if (r.Next() != MajorType::kArray || r.argument32() == 0) return CoseError::kBadCritical;
  for (size_t count = r.argument32(); count > 0; --count) {
    uint32_t label = kOtherLabel;
    ConstByteSpan encoded;
    if (!ReadLabel(r, &label, &encoded)) return CoseError::kBadCritical;
    if (label == kOtherLabel || label == kHeaderCrit) return CoseError::kUnknownCriticalHeader;
    if (!HasProtectedLabel(h, encoded)) return CoseError::kBadCritical;
  }
  return CoseError::kOk;
}

// Reads a protected header bstr and its unprotected map, then checks crit.
CoseError ReadHeaderPair(Reader& r, ConstByteSpan* protected_bytes, Headers* h,
                         CborError* cbor_error) {
  if (r.Next() != MajorType::kBytes) return CoseError::kBadProtectedHeader;
  *protected_bytes = r.content();
  if (!protected_bytes->empty()) {
    if (protected_bytes->size() > kMaxProtectedHeaderSize) {
      return CoseError::kProtectedHeaderTooLarge;
    }
    const CborError inner = cbor::CheckItem(*protected_bytes, kMaxCborDepth, true);
    if (inner != CborError::kOk) {
      if (cbor_error != nullptr) *cbor_error = inner;
      return inner == CborError::kTrailingBytes ? CoseError::kBadProtectedHeader
                                                : CoseError::kMalformedCbor;
    }
    // One checked item: read whole, the map ends the bstr.
    Reader inner_reader(*protected_bytes);
    if (inner_reader.Next() != MajorType::kMap) return CoseError::kBadProtectedHeader;
    COSE_TRY(ReadHeaderMap(inner_reader, /*is_protected=*/true, h));
  }
  if (r.Next() != MajorType::kMap) return CoseError::kBadStructure;
  COSE_TRY(ReadHeaderMap(r, /*is_protected=*/false, h));
  return CheckCritical(*h);
}

// Checks the whole message (size, one strict CBOR item), reads the tag
// according to the policy and the head of the 4-element array. What
// follows is read from checked input: every refusal is a COSE one.
CoseError BeginMessage(ConstByteSpan message, TagPolicy tags, uint32_t expected_tag, Reader& r,
                       CborError* cbor_error) {
  if (message.size() > kMaxMessageSize) return CoseError::kMessageTooLarge;
  const CborError error = cbor::CheckItem(message, kMaxCborDepth, /*check_map_order=*/true);
  if (error != CborError::kOk) {
    if (cbor_error != nullptr) *cbor_error = error;
    return CoseError::kMalformedCbor;
  }
  MajorType type = r.Next();
  if (type == MajorType::kTag) {
    if (tags == TagPolicy::kForbidTag) return CoseError::kUnexpectedTag;
    if (r.argument32() != expected_tag) return CoseError::kWrongTag;
    type = r.Next();
    if (type == MajorType::kTag) return CoseError::kWrongTag;
  } else if (tags == TagPolicy::kRequireTag) {
    return CoseError::kMissingTag;
  }
  if (type != MajorType::kArray || r.argument32() != 4) return CoseError::kBadStructure;
  return CoseError::kOk;
}

// A signer's header pair: alg protected and supported, a kid; into *signer
// with its protected header.
CoseError ReadSignerHeaders(Reader& r, CoseSigner* signer, Headers* h, CborError* cbor_error) {
  COSE_TRY(ReadHeaderPair(r, &signer->protected_header, h, cbor_error));
  if (!h->has_alg || !h->alg_protected) return CoseError::kMissingAlgorithm;
  if (h->kid.empty()) return CoseError::kMissingKid;
  signer->alg = h->alg;
  signer->kid = h->kid;
  return CoseError::kOk;
}

CoseError ReadPayload(Reader& r, ConstByteSpan* payload) {
  const MajorType type = r.Next();
  if (type == MajorType::kSimple) return CoseError::kDetachedPayload;  // nil (or a bool)
  if (type != MajorType::kBytes) return CoseError::kBadStructure;
  *payload = r.content();
  return CoseError::kOk;
}

CoseError ReadSignature(Reader& r, CoseSigner* signer) {
  if (r.Next() != MajorType::kBytes) return CoseError::kBadStructure;
  signer->signature = r.content();
  if (signer->signature.size() != SignatureSize(signer->alg)) return CoseError::kBadSignatureSize;
  return CoseError::kOk;
}

// Hashes `content` as a CBOR byte string (head, then content).
void HashBstr(crypto::Hasher& hasher, const ConstByteSpan& content) {
  std::array<uint8_t, cbor::kMaxHeadSize> head;
  const size_t n = cbor::EncodeHead(MajorType::kBytes, content.size(), head);
  hasher.Update(ConstByteSpan(head.data(), n));
  hasher.Update(content);
}

HardenedBool VerifyOne(const CoseSigner& signer, bool sign1, ConstByteSpan body_protected,
                       ConstByteSpan payload, const crypto::EcPublicKey& key,
                       ConstByteSpan external_aad) {
  if (key.curve != AlgorithmCurve(signer.alg) ||
      signer.signature.size() != SignatureSize(signer.alg)) {
    return HardenedBool::kFalse;
  }
  const crypto::Digest digest =
      SigStructureDigest(crypto::CurveHash(key.curve), sign1, body_protected,
                         signer.protected_header, external_aad, payload);
  return crypto::EcdsaVerifyRaw(key, digest.view(), signer.signature);
}

// Signs a Sig_structure and writes the r||s signature bstr.
Status SignInto(const crypto::EcKeyPair& key, bool sign1, ConstByteSpan body_protected,
                ConstByteSpan sign_protected, const BuildOptions& options, ConstByteSpan payload,
                cbor::Encoder& e) {
  const crypto::Curve curve = key.public_key.curve;
  const crypto::Digest digest = SigStructureDigest(crypto::CurveHash(curve), sign1, body_protected,
                                                   sign_protected, options.external_aad, payload);
  std::array<uint8_t, kMaxDerSignatureSize> der;
  size_t der_size = 0;
  if (!crypto::EcdsaSign(key, digest.view(), der, &der_size).ok()) return StatusCode::kInternal;
  std::array<uint8_t, kMaxRawSignatureSize> raw;
  const size_t raw_size = 2 * crypto::CoordinateSize(curve);
  if (!EcdsaDerToRaw(ConstByteSpan(der.data(), der_size), crypto::CoordinateSize(curve), raw)
           .ok()) {
    return StatusCode::kInternal;
  }
  e.WriteBytes(ConstByteSpan(raw.data(), raw_size));
  return StatusCode::kOk;
}

bool ValidSigner(const SignerInput& signer) {
  return signer.key != nullptr && !signer.kid.empty() && signer.kid.size() <= kMaxKidSize;
}

// The kid-only unprotected header {4: kid}.
void WriteKidHeader(cbor::Encoder& e, ConstByteSpan kid) {
  e.BeginMap(1);
  e.WriteUnsigned(kHeaderKid);
  e.WriteBytes(kid);
}

}  // namespace

crypto::Curve AlgorithmCurve(Algorithm alg) {
  return alg == Algorithm::kEs384 ? crypto::Curve::kP384 : crypto::Curve::kP256;
}

size_t SignatureSize(Algorithm alg) { return 2 * crypto::CoordinateSize(AlgorithmCurve(alg)); }

Algorithm CurveAlgorithm(crypto::Curve curve) {
  return curve == crypto::Curve::kP384 ? Algorithm::kEs384 : Algorithm::kEs256;
}

const char* CoseErrorName(CoseError error) {
  switch (error) {
    case CoseError::kOk:
      return "ok";
    case CoseError::kMalformedCbor:
      return "malformed-cbor";
    case CoseError::kMessageTooLarge:
      return "message-too-large";
    case CoseError::kMissingTag:
      return "missing-tag";
    case CoseError::kUnexpectedTag:
      return "unexpected-tag";
    case CoseError::kWrongTag:
      return "wrong-tag";
    case CoseError::kBadStructure:
      return "bad-structure";
    case CoseError::kProtectedHeaderTooLarge:
      return "protected-header-too-large";
    case CoseError::kBadProtectedHeader:
      return "bad-protected-header";
    case CoseError::kBadHeaderValue:
      return "bad-header-value";
    case CoseError::kDuplicateHeader:
      return "duplicate-header";
    case CoseError::kMissingAlgorithm:
      return "missing-algorithm";
    case CoseError::kUnsupportedAlgorithm:
      return "unsupported-algorithm";
    case CoseError::kUnexpectedAlgorithm:
      return "unexpected-algorithm";
    case CoseError::kMissingKid:
      return "missing-kid";
    case CoseError::kBadCritical:
      return "bad-critical";
    case CoseError::kUnknownCriticalHeader:
      return "unknown-critical-header";
    case CoseError::kDetachedPayload:
      return "detached-payload";
    case CoseError::kNoSigners:
      return "no-signers";
    case CoseError::kTooManySigners:
      return "too-many-signers";
    case CoseError::kBadSignatureSize:
      return "bad-signature-size";
  }
  return "unknown";
}

Status CoseErrorStatus(CoseError error) {
  switch (error) {
    case CoseError::kOk:
      return StatusCode::kOk;
    case CoseError::kMessageTooLarge:
    case CoseError::kTooManySigners:
    case CoseError::kProtectedHeaderTooLarge:
      return StatusCode::kResourceExhausted;
    default:
      return StatusCode::kInvalidArgument;
  }
}

CoseError ParseCoseSign(ConstByteSpan message, TagPolicy tags, ParsedCoseSign* out,
                        CborError* cbor_error) {
  Reader r(message);
  COSE_TRY(BeginMessage(message, tags, kTagCoseSign, r, cbor_error));
  ParsedCoseSign parsed;
  {
    Headers body;
    COSE_TRY(ReadHeaderPair(r, &parsed.body_protected, &body, cbor_error));
    if (body.has_alg) return CoseError::kUnexpectedAlgorithm;
    parsed.content_type = body.content_type;
  }
  COSE_TRY(ReadPayload(r, &parsed.payload));
  if (r.Next() != MajorType::kArray) return CoseError::kBadStructure;
  const size_t count = r.argument32();
  if (count == 0) return CoseError::kNoSigners;
  if (count > kMaxSigners) return CoseError::kTooManySigners;
  for (size_t i = 0; i < count; ++i) {
    if (r.Next() != MajorType::kArray || r.argument32() != 3) return CoseError::kBadStructure;
    Headers headers;
    COSE_TRY(ReadSignerHeaders(r, &parsed.signers[i], &headers, cbor_error));
    COSE_TRY(ReadSignature(r, &parsed.signers[i]));
  }
  parsed.signer_count = count;
  // Every item of the checked message has been read: nothing follows.
  *out = parsed;
  return CoseError::kOk;
}

CoseError ParseCoseSign1(ConstByteSpan message, TagPolicy tags, ParsedCoseSign1* out,
                         CborError* cbor_error) {
  Reader r(message);
  COSE_TRY(BeginMessage(message, tags, kTagCoseSign1, r, cbor_error));
  ParsedCoseSign1 parsed;
  Headers headers;
  COSE_TRY(ReadSignerHeaders(r, &parsed.signer, &headers, cbor_error));
  parsed.body_protected = parsed.signer.protected_header;
  parsed.content_type = headers.content_type;
  COSE_TRY(ReadPayload(r, &parsed.payload));
  COSE_TRY(ReadSignature(r, &parsed.signer));
  *out = parsed;
  return CoseError::kOk;
}

crypto::Digest SigStructureDigest(crypto::HashAlg hash, bool sign1, ConstByteSpan body_protected,
                                  ConstByteSpan sign_protected, ConstByteSpan external_aad,
                                  ConstByteSpan payload) {
  // The fixed start of the structure: the array head (5 items, or 4 for
  // COSE_Sign1) and the context text string.
  static constexpr uint8_t kSignature[] = {0x85, 0x69, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e'};
  static constexpr uint8_t kSignature1[] = {0x84, 0x6a, 'S', 'i', 'g', 'n',
                                            'a',  't',  'u', 'r', 'e', '1'};
  crypto::Hasher hasher(hash);
  hasher.Update(sign1 ? ConstByteSpan(kSignature1) : ConstByteSpan(kSignature));
  HashBstr(hasher, body_protected);
  if (!sign1) HashBstr(hasher, sign_protected);
  HashBstr(hasher, external_aad);
  HashBstr(hasher, payload);
  crypto::Digest digest;
  hasher.Finish(&digest);
  return digest;
}

HardenedBool VerifySigner(const ParsedCoseSign& message, size_t index,
                          const crypto::EcPublicKey& key, ConstByteSpan external_aad) {
  if (index >= message.signer_count || index >= kMaxSigners) return HardenedBool::kFalse;
  return VerifyOne(message.signers[index], /*sign1=*/false, message.body_protected, message.payload,
                   key, external_aad);
}

HardenedBool VerifyCoseSign1(const ParsedCoseSign1& message, const crypto::EcPublicKey& key,
                             ConstByteSpan external_aad) {
  return VerifyOne(message.signer, /*sign1=*/true, message.body_protected, message.payload, key,
                   external_aad);
}

Status BuildCoseSign(ConstByteSpan payload, std::span<const SignerInput> signers,
                     const BuildOptions& options, ByteSpan out, size_t* written) {
  if (signers.empty() || signers.size() > kMaxSigners) return StatusCode::kInvalidArgument;
  for (const SignerInput& signer : signers) {
    if (!ValidSigner(signer)) return StatusCode::kInvalidArgument;
  }
  std::array<uint8_t, 16> body_storage;
  cbor::Encoder body(body_storage);
  if (options.has_content_type) {
    body.BeginMap(1);
    body.WriteUnsigned(kHeaderContentType);
    body.WriteUnsigned(options.content_type);
  }
  BASTION_TRY(body.status());

  cbor::Encoder e(out);
  if (options.tagged) e.WriteTag(kTagCoseSign);
  e.BeginArray(4);
  e.WriteBytes(body.written());
  e.BeginMap(0);
  e.WriteBytes(payload);
  e.BeginArray(signers.size());
  for (const SignerInput& signer : signers) {
    std::array<uint8_t, 8> sign_storage;
    cbor::Encoder sign_protected(sign_storage);
    sign_protected.BeginMap(1);
    sign_protected.WriteUnsigned(kHeaderAlg);
    sign_protected.WriteInt(static_cast<int64_t>(CurveAlgorithm(signer.key->public_key.curve)));
    BASTION_TRY(sign_protected.status());
    e.BeginArray(3);
    e.WriteBytes(sign_protected.written());
    WriteKidHeader(e, signer.kid);
    BASTION_TRY(SignInto(*signer.key, /*sign1=*/false, body.written(), sign_protected.written(),
                         options, payload, e));
  }
  BASTION_TRY(e.status());
  *written = e.size();
  return StatusCode::kOk;
}

Status BuildCoseSign1(ConstByteSpan payload, const SignerInput& signer, const BuildOptions& options,
                      ByteSpan out, size_t* written) {
  if (!ValidSigner(signer)) return StatusCode::kInvalidArgument;
  std::array<uint8_t, 24> protected_storage;
  cbor::Encoder prot(protected_storage);
  prot.BeginMap(options.has_content_type ? 2 : 1);
  prot.WriteUnsigned(kHeaderAlg);
  prot.WriteInt(static_cast<int64_t>(CurveAlgorithm(signer.key->public_key.curve)));
  if (options.has_content_type) {
    prot.WriteUnsigned(kHeaderContentType);
    prot.WriteUnsigned(options.content_type);
  }
  BASTION_TRY(prot.status());

  cbor::Encoder e(out);
  if (options.tagged) e.WriteTag(kTagCoseSign1);
  e.BeginArray(4);
  e.WriteBytes(prot.written());
  WriteKidHeader(e, signer.kid);
  e.WriteBytes(payload);
  BASTION_TRY(
      SignInto(*signer.key, /*sign1=*/true, prot.written(), ConstByteSpan(), options, payload, e));
  BASTION_TRY(e.status());
  *written = e.size();
  return StatusCode::kOk;
}

}  // namespace bastion::cose
