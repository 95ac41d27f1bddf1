#include "cose/cose.h"

#include <cstring>

#include "crypto/ecdsa_der.h"

namespace bastion::cose {
namespace {

using cbor::CborError;
using cbor::Decoder;
using cbor::MajorType;
using crypto::EcdsaDerToRaw;
using crypto::EcdsaRawToDer;
using crypto::kMaxDerSignatureSize;
using crypto::kMaxRawSignatureSize;

// Labels of one protected header, by encoding (deterministic CBOR: equal
// labels have equal encodings), to find labels in both buckets and to check
// crit. A protected header of at most kMaxProtectedHeaderSize bytes has
// few labels; more than this many is refused.
constexpr size_t kMaxProtectedLabels = 16;

struct Headers {
  bool has_alg = false;
  bool alg_protected = false;
  Algorithm alg = Algorithm::kEs256;
  bool has_kid = false;
  ConstByteSpan kid;
  ContentType content_type;
  ConstByteSpan crit;  // encoded crit value, when present in the protected bucket
  std::array<ConstByteSpan, kMaxProtectedLabels> protected_labels{};
  size_t protected_label_count = 0;
};

// Decoder failures after the message passed cbor::Validate are structural
// (a wrong type, a wrong count); report well-formedness problems as such.
CoseError FromDecoder(const Decoder& decoder, CborError* cbor_error) {
  switch (decoder.error()) {
    case CborError::kTypeMismatch:
    case CborError::kEndOfContainer:
    case CborError::kItemsRemaining:
    case CborError::kIntegerOverflow:
    case CborError::kNotInContainer:
      return CoseError::kBadStructure;
    default:
      if (cbor_error != nullptr) *cbor_error = decoder.error();
      return CoseError::kMalformedCbor;
  }
}

#define COSE_TRY_CBOR(decoder, expr)                             \
  do {                                                           \
    if (!(expr).ok()) return FromDecoder((decoder), cbor_error); \
  } while (0)

#define COSE_TRY(expr)                                             \
  do {                                                             \
    const CoseError cose_try_error_ = (expr);                      \
    if (cose_try_error_ != CoseError::kOk) return cose_try_error_; \
  } while (0)

CoseError Peek(Decoder& d, MajorType* type, CborError* cbor_error) {
  auto peeked = d.PeekType();
  if (!peeked.ok()) return FromDecoder(d, cbor_error);
  *type = *peeked;
  return CoseError::kOk;
}

struct Label {
  bool is_int = false;
  int64_t value = 0;  // when is_int and it fits int64
};

// Decodes an encoded label (int or text).
CoseError DecodeLabel(ConstByteSpan encoded, Label* label) {
  Decoder d(encoded);
  auto type = d.PeekType();
  if (!type.ok()) return CoseError::kBadStructure;
  if (*type == MajorType::kText) {
    label->is_int = false;
    return CoseError::kOk;
  }
  if (*type != MajorType::kUnsigned && *type != MajorType::kNegative) {
    return CoseError::kBadStructure;
  }
  label->is_int = d.ReadInt(&label->value).ok();  // out of int64: an unknown label
  return CoseError::kOk;
}

bool IsUnderstood(const Label& label) {
  return label.is_int && (label.value == kHeaderAlg || label.value == kHeaderContentType ||
                          label.value == kHeaderKid);
}

bool SameBytes(ConstByteSpan a, ConstByteSpan b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

CoseError ReadAlgorithm(Decoder& d, Algorithm* alg) {
  auto type = d.PeekType();
  if (!type.ok() || (*type != MajorType::kUnsigned && *type != MajorType::kNegative &&
                     *type != MajorType::kText)) {
    return CoseError::kBadHeaderValue;
  }
  if (*type == MajorType::kText) return CoseError::kUnsupportedAlgorithm;
  int64_t value = 0;
  if (!d.ReadInt(&value).ok()) return CoseError::kUnsupportedAlgorithm;
  if (value == static_cast<int64_t>(Algorithm::kEs256)) {
    *alg = Algorithm::kEs256;
  } else if (value == static_cast<int64_t>(Algorithm::kEs384)) {
    *alg = Algorithm::kEs384;
  } else {
    return CoseError::kUnsupportedAlgorithm;
  }
  return CoseError::kOk;
}

// Reads one header map at the decoder's position into *h. The map has
// passed cbor::Validate with strict map order already.
CoseError ReadHeaderMap(Decoder& d, bool is_protected, Headers* h, CborError* cbor_error) {
  size_t pairs = 0;
  COSE_TRY_CBOR(d, d.EnterMap(&pairs));
  if (is_protected && pairs == 0) return CoseError::kBadProtectedHeader;  // must be h''
  for (size_t i = 0; i < pairs; ++i) {
    ConstByteSpan encoded_label;
    COSE_TRY_CBOR(d, d.SkipCapture(&encoded_label));
    Label label;
    COSE_TRY(DecodeLabel(encoded_label, &label));
    if (is_protected) {
      if (h->protected_label_count == kMaxProtectedLabels) return CoseError::kBadProtectedHeader;
      h->protected_labels[h->protected_label_count++] = encoded_label;
    } else {
      for (size_t k = 0; k < h->protected_label_count; ++k) {
        if (SameBytes(h->protected_labels[k], encoded_label)) return CoseError::kDuplicateHeader;
      }
    }
    if (!label.is_int) {
      COSE_TRY_CBOR(d, d.Skip());
      continue;
    }
    switch (label.value) {
      case kHeaderAlg:
        h->has_alg = true;
        h->alg_protected = is_protected;
        COSE_TRY(ReadAlgorithm(d, &h->alg));
        break;
      case kHeaderCrit:
        if (!is_protected) return CoseError::kBadCritical;
        COSE_TRY_CBOR(d, d.SkipCapture(&h->crit));
        break;
      case kHeaderContentType: {
        MajorType type;
        COSE_TRY(Peek(d, &type, cbor_error));
        h->content_type.present = true;
        if (type == MajorType::kUnsigned) {
          h->content_type.is_text = false;
          COSE_TRY_CBOR(d, d.ReadUnsigned(&h->content_type.number));
        } else if (type == MajorType::kText) {
          h->content_type.is_text = true;
          COSE_TRY_CBOR(d, d.ReadText(&h->content_type.text));
        } else {
          return CoseError::kBadHeaderValue;
        }
        break;
      }
      case kHeaderKid: {
        MajorType type;
        COSE_TRY(Peek(d, &type, cbor_error));
        if (type != MajorType::kBytes) return CoseError::kBadHeaderValue;
        COSE_TRY_CBOR(d, d.ReadBytes(&h->kid));
        if (h->kid.empty() || h->kid.size() > kMaxKidSize) return CoseError::kBadHeaderValue;
        h->has_kid = true;
        break;
      }
      default:
        COSE_TRY_CBOR(d, d.Skip());  // unknown, not critical: ignored (RFC 9052 §3)
        break;
    }
  }
  COSE_TRY_CBOR(d, d.Exit());
  return CoseError::kOk;
}

// crit: a non-empty array of labels, each understood and present in the
// protected bucket.
CoseError CheckCritical(const Headers& h) {
  if (h.crit.empty()) return CoseError::kOk;
  Decoder d(h.crit);
  size_t count = 0;
  if (!d.EnterArray(&count).ok() || count == 0) return CoseError::kBadCritical;
  for (size_t i = 0; i < count; ++i) {
    ConstByteSpan encoded;
    if (!d.SkipCapture(&encoded).ok()) return CoseError::kBadCritical;
    Label label;
    if (DecodeLabel(encoded, &label) != CoseError::kOk) return CoseError::kBadCritical;
    if (!IsUnderstood(label)) return CoseError::kUnknownCriticalHeader;
    bool present = false;
    for (size_t k = 0; k < h.protected_label_count; ++k) {
      present = present || SameBytes(h.protected_labels[k], encoded);
    }
    if (!present) return CoseError::kBadCritical;
  }
  return CoseError::kOk;
}

// Reads a protected header bstr and its unprotected map, then checks crit.
CoseError ReadHeaderPair(Decoder& d, ConstByteSpan* protected_bytes, Headers* h,
                         CborError* cbor_error) {
  MajorType type;
  COSE_TRY(Peek(d, &type, cbor_error));
  if (type != MajorType::kBytes) return CoseError::kBadProtectedHeader;
  COSE_TRY_CBOR(d, d.ReadBytes(protected_bytes));
  if (!protected_bytes->empty()) {
    if (protected_bytes->size() > kMaxProtectedHeaderSize) {
      return CoseError::kProtectedHeaderTooLarge;
    }
    CborError inner = CborError::kOk;
    if (!cbor::Validate(*protected_bytes, /*check_map_order=*/true, kMaxCborDepth, &inner).ok()) {
      if (cbor_error != nullptr) *cbor_error = inner;
      return inner == CborError::kTrailingBytes ? CoseError::kBadProtectedHeader
                                                : CoseError::kMalformedCbor;
    }
    Decoder pd(*protected_bytes, kMaxCborDepth);
    auto inner_type = pd.PeekType();
    if (!inner_type.ok() || *inner_type != MajorType::kMap) return CoseError::kBadProtectedHeader;
    COSE_TRY(ReadHeaderMap(pd, /*is_protected=*/true, h, cbor_error));
    if (!pd.Finish().ok()) return CoseError::kBadProtectedHeader;
  }
  COSE_TRY(Peek(d, &type, cbor_error));
  if (type != MajorType::kMap) return CoseError::kBadStructure;
  COSE_TRY(ReadHeaderMap(d, /*is_protected=*/false, h, cbor_error));
  return CheckCritical(*h);
}

// Validates the whole message and reads the tag according to the policy.
CoseError BeginMessage(ConstByteSpan message, TagPolicy tags, uint64_t expected_tag, Decoder& d,
                       CborError* cbor_error) {
  if (message.size() > kMaxMessageSize) return CoseError::kMessageTooLarge;
  CborError error = CborError::kOk;
  if (!cbor::Validate(message, /*check_map_order=*/true, kMaxCborDepth, &error).ok()) {
    if (cbor_error != nullptr) *cbor_error = error;
    return CoseError::kMalformedCbor;
  }
  MajorType type;
  COSE_TRY(Peek(d, &type, cbor_error));
  if (type == MajorType::kTag) {
    if (tags == TagPolicy::kForbidTag) return CoseError::kUnexpectedTag;
    uint64_t tag = 0;
    COSE_TRY_CBOR(d, d.ReadTag(&tag));
    if (tag != expected_tag) return CoseError::kWrongTag;
    COSE_TRY(Peek(d, &type, cbor_error));
    if (type == MajorType::kTag) return CoseError::kWrongTag;
  } else if (tags == TagPolicy::kRequireTag) {
    return CoseError::kMissingTag;
  }
  return CoseError::kOk;
}

CoseError ReadPayload(Decoder& d, ConstByteSpan* payload, CborError* cbor_error) {
  MajorType type;
  COSE_TRY(Peek(d, &type, cbor_error));
  if (type == MajorType::kSimple) return CoseError::kDetachedPayload;  // nil (or a bool)
  if (type != MajorType::kBytes) return CoseError::kBadStructure;
  COSE_TRY_CBOR(d, d.ReadBytes(payload));
  return CoseError::kOk;
}

CoseError ReadSignature(Decoder& d, Algorithm alg, ConstByteSpan* signature,
                        CborError* cbor_error) {
  MajorType type;
  COSE_TRY(Peek(d, &type, cbor_error));
  if (type != MajorType::kBytes) return CoseError::kBadStructure;
  COSE_TRY_CBOR(d, d.ReadBytes(signature));
  if (signature->size() != SignatureSize(alg)) return CoseError::kBadSignatureSize;
  return CoseError::kOk;
}

CoseError ExpectArray(Decoder& d, size_t expected, CborError* cbor_error) {
  MajorType type;
  COSE_TRY(Peek(d, &type, cbor_error));
  if (type != MajorType::kArray) return CoseError::kBadStructure;
  size_t count = 0;
  COSE_TRY_CBOR(d, d.EnterArray(&count));
  if (count != expected) return CoseError::kBadStructure;
  return CoseError::kOk;
}

// A signer's headers: alg protected and supported, a kid.
CoseError CheckSignerHeaders(const Headers& h) {
  if (!h.has_alg || !h.alg_protected) return CoseError::kMissingAlgorithm;
  if (!h.has_kid) return CoseError::kMissingKid;
  return CoseError::kOk;
}

void HashBstr(crypto::Hasher& hasher, MajorType major, ConstByteSpan content) {
  std::array<uint8_t, cbor::kMaxHeadSize> head;
  const size_t n = cbor::EncodeHead(major, content.size(), head);
  hasher.Update(ConstByteSpan(head.data(), n));
  hasher.Update(content);
}

ConstByteSpan AsBytes(const char* text, size_t size) {
  return {reinterpret_cast<const uint8_t*>(text), size};
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
  std::array<uint8_t, kMaxDerSignatureSize> der;
  size_t der_size = 0;
  if (!EcdsaRawToDer(signer.signature, der, &der_size).ok()) return HardenedBool::kFalse;
  return crypto::EcdsaVerify(key, digest.view(), ConstByteSpan(der.data(), der_size));
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
  Decoder d(message, kMaxCborDepth);
  COSE_TRY(BeginMessage(message, tags, kTagCoseSign, d, cbor_error));
  ParsedCoseSign parsed;
  COSE_TRY(ExpectArray(d, 4, cbor_error));
  Headers body;
  COSE_TRY(ReadHeaderPair(d, &parsed.body_protected, &body, cbor_error));
  if (body.has_alg) return CoseError::kUnexpectedAlgorithm;
  parsed.content_type = body.content_type;
  COSE_TRY(ReadPayload(d, &parsed.payload, cbor_error));

  MajorType type;
  COSE_TRY(Peek(d, &type, cbor_error));
  if (type != MajorType::kArray) return CoseError::kBadStructure;
  size_t count = 0;
  COSE_TRY_CBOR(d, d.EnterArray(&count));
  if (count == 0) return CoseError::kNoSigners;
  if (count > kMaxSigners) return CoseError::kTooManySigners;
  for (size_t i = 0; i < count; ++i) {
    COSE_TRY(ExpectArray(d, 3, cbor_error));
    Headers headers;
    CoseSigner& signer = parsed.signers[i];
    COSE_TRY(ReadHeaderPair(d, &signer.protected_header, &headers, cbor_error));
    COSE_TRY(CheckSignerHeaders(headers));
    signer.alg = headers.alg;
    signer.kid = headers.kid;
    COSE_TRY(ReadSignature(d, signer.alg, &signer.signature, cbor_error));
    COSE_TRY_CBOR(d, d.Exit());
  }
  parsed.signer_count = count;
  COSE_TRY_CBOR(d, d.Exit());
  COSE_TRY_CBOR(d, d.Exit());
  COSE_TRY_CBOR(d, d.Finish());
  *out = parsed;
  return CoseError::kOk;
}

CoseError ParseCoseSign1(ConstByteSpan message, TagPolicy tags, ParsedCoseSign1* out,
                         CborError* cbor_error) {
  Decoder d(message, kMaxCborDepth);
  COSE_TRY(BeginMessage(message, tags, kTagCoseSign1, d, cbor_error));
  ParsedCoseSign1 parsed;
  COSE_TRY(ExpectArray(d, 4, cbor_error));
  Headers headers;
  COSE_TRY(ReadHeaderPair(d, &parsed.body_protected, &headers, cbor_error));
  COSE_TRY(CheckSignerHeaders(headers));
  parsed.content_type = headers.content_type;
  parsed.signer.alg = headers.alg;
  parsed.signer.kid = headers.kid;
  parsed.signer.protected_header = parsed.body_protected;
  COSE_TRY(ReadPayload(d, &parsed.payload, cbor_error));
  COSE_TRY(ReadSignature(d, parsed.signer.alg, &parsed.signer.signature, cbor_error));
  COSE_TRY_CBOR(d, d.Exit());
  COSE_TRY_CBOR(d, d.Finish());
  *out = parsed;
  return CoseError::kOk;
}

crypto::Digest SigStructureDigest(crypto::HashAlg hash, bool sign1, ConstByteSpan body_protected,
                                  ConstByteSpan sign_protected, ConstByteSpan external_aad,
                                  ConstByteSpan payload) {
  static constexpr char kSignature[] = "Signature";
  static constexpr char kSignature1[] = "Signature1";
  crypto::Hasher hasher(hash);
  std::array<uint8_t, cbor::kMaxHeadSize> head;
  const size_t n = cbor::EncodeHead(MajorType::kArray, sign1 ? 4 : 5, head);
  hasher.Update(ConstByteSpan(head.data(), n));
  if (sign1) {
    HashBstr(hasher, MajorType::kText, AsBytes(kSignature1, sizeof(kSignature1) - 1));
  } else {
    HashBstr(hasher, MajorType::kText, AsBytes(kSignature, sizeof(kSignature) - 1));
  }
  HashBstr(hasher, MajorType::kBytes, body_protected);
  if (!sign1) HashBstr(hasher, MajorType::kBytes, sign_protected);
  HashBstr(hasher, MajorType::kBytes, external_aad);
  HashBstr(hasher, MajorType::kBytes, payload);
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
