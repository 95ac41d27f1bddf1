#include "attestation_verify/attestation_verify.h"

#include <cstring>
#include <string_view>

#include "cbor/cbor.h"
#include "common/hardened.h"
#include "cose/cose.h"

namespace bastion::attest {
namespace {

constexpr std::string_view kProfile = "tag:psacertified.org,2023:psa#tfm";
constexpr size_t kMaxClaims = 64;      // top-level claims (unknown ones included)
constexpr size_t kMaxComponents = 32;  // software components
constexpr size_t kMaxDomains = 16;     // revocation claim entries
constexpr size_t kMaxComponentKeys = 16;
constexpr size_t kMaxText = 256;  // any text claim
// Nesting: claims map, an array, a map, and what an unknown claim may hold.
constexpr uint8_t kMaxDepth = cbor::kMaxDepthLimit;

// Claim keys (RFC 9711, RFC 9783) and Bastion's private claim.
enum : int64_t {
  kNonce = 10,
  kInstanceId = 256,
  kProfileKey = 265,
  kClientId = 2394,
  kLifecycle = 2395,
  kImplementationId = 2396,
  kBootSeed = 2397,
  kCertificationReference = 2398,
  kSoftwareComponents = 2399,
  kVerificationService = 2400,
  kRevocation = -80001,
};

// A parse failure: the reason, propagated as a string.
struct Failure {
  std::string reason;
};

std::string Str(ConstByteSpan text) {
  return std::string(reinterpret_cast<const char*>(text.data()), text.size());
}

std::vector<uint8_t> Vec(ConstByteSpan bytes) { return {bytes.begin(), bytes.end()}; }

// Wraps a Decoder so that every refusal becomes a Failure with context.
class Reader {
 public:
  explicit Reader(ConstByteSpan input) : d_(input, kMaxDepth) {}

  [[noreturn]] void Fail(const std::string& what) {
    if (d_.error() != cbor::CborError::kOk) {
      throw Failure{what + " (" + cbor::CborErrorName(d_.error()) + ")"};
    }
    throw Failure{what};
  }
  void Check(const Status& s, const std::string& what) {
    if (!s.ok()) Fail(what);
  }

  cbor::MajorType Peek(const std::string& what) {
    const Result<cbor::MajorType> t = d_.PeekType();
    if (!t.ok()) Fail(what);
    return t.value();
  }
  ConstByteSpan Bytes(const std::string& what) {
    ConstByteSpan v;
    Check(d_.ReadBytes(&v), what + " is not a byte string");
    return v;
  }
  std::string Text(const std::string& what) {
    ConstByteSpan v;
    Check(d_.ReadText(&v), what + " is not a text string");
    if (v.size() > kMaxText) Fail(what + " is longer than " + std::to_string(kMaxText) + " bytes");
    return Str(v);
  }
  int64_t Int(const std::string& what) {
    int64_t v = 0;
    Check(d_.ReadInt(&v), what + " is not an integer");
    return v;
  }
  uint64_t Unsigned(const std::string& what) {
    uint64_t v = 0;
    Check(d_.ReadUnsigned(&v), what + " is not an unsigned integer");
    return v;
  }
  bool Bool(const std::string& what) {
    bool v = false;
    Check(d_.ReadBool(&v), what + " is not a boolean");
    return v;
  }
  size_t Map(const std::string& what) {
    size_t n = 0;
    Check(d_.EnterMap(&n), what + " is not a map");
    return n;
  }
  size_t Array(const std::string& what) {
    size_t n = 0;
    Check(d_.EnterArray(&n), what + " is not an array");
    return n;
  }
  void Exit(const std::string& what) { Check(d_.Exit(), what); }
  void Skip(const std::string& what) { Check(d_.Skip(), what + " is not well-formed CBOR"); }
  void Finish() { Check(d_.Finish(), "bytes follow the claims map"); }

  // Reads a map key that must be an integer or a text string; returns its
  // encoding (for duplicate checks) and, for an integer, its value.
  ConstByteSpan Key(const std::string& where, std::optional<int64_t>* number) {
    const cbor::MajorType t = Peek(where + ": truncated key");
    ConstByteSpan encoded;
    Check(d_.SkipCapture(&encoded), where + ": malformed key");
    *number = std::nullopt;
    if (t == cbor::MajorType::kUnsigned || t == cbor::MajorType::kNegative) {
      cbor::Decoder k(encoded);
      int64_t v = 0;
      if (!k.ReadInt(&v).ok()) throw Failure{where + ": a key is out of the 64-bit range"};
      *number = v;
    } else if (t != cbor::MajorType::kText) {
      throw Failure{where + ": a key is neither an integer nor a text string"};
    }
    return encoded;
  }

 private:
  cbor::Decoder d_;
};

// Refuses a key seen before in the same map.
void NoteKey(std::vector<ConstByteSpan>* seen, ConstByteSpan encoded, const std::string& where) {
  for (const ConstByteSpan& k : *seen) {
    if (k.size() == encoded.size() && std::memcmp(k.data(), encoded.data(), k.size()) == 0) {
      throw Failure{where + ": a key appears twice"};
    }
  }
  seen->push_back(encoded);
}

bool HashSize(size_t n) { return n == 32 || n == 48 || n == 64; }

std::vector<uint8_t> HashBytes(Reader& r, const std::string& what) {
  const ConstByteSpan v = r.Bytes(what);
  if (!HashSize(v.size())) {
    throw Failure{what + " is " + std::to_string(v.size()) + " bytes, not 32, 48 or 64"};
  }
  return Vec(v);
}

// EAN-13, optionally followed by "-" 5 digits "-" 5 digits (RFC 9783).
bool CertificationReferenceValid(const std::string& s) {
  auto digits = [&](size_t from, size_t count) {
    for (size_t i = from; i < from + count; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  if (s.size() == 13) return digits(0, 13);
  return s.size() == 25 && digits(0, 13) && s[13] == '-' && digits(14, 5) && s[19] == '-' &&
         digits(20, 5);
}

SoftwareComponent ParseComponent(Reader& r, size_t index) {
  const std::string where = "software component " + std::to_string(index);
  const size_t pairs = r.Map(where);
  if (pairs > kMaxComponentKeys) throw Failure{where + " has too many entries"};
  SoftwareComponent c;
  std::vector<ConstByteSpan> seen;
  bool has_value = false;
  bool has_signer = false;
  for (size_t i = 0; i < pairs; ++i) {
    std::optional<int64_t> key;
    NoteKey(&seen, r.Key(where, &key), where);
    switch (key.value_or(0)) {
      case 1:
        c.measurement_type = r.Text(where + " measurement type");
        break;
      case 2:
        c.measurement_value = HashBytes(r, where + " measurement value");
        has_value = true;
        break;
      case 4:
        c.version = r.Text(where + " version");
        break;
      case 5:
        c.signer_id = HashBytes(r, where + " signer id");
        has_signer = true;
        break;
      case 6:
        c.measurement_description = r.Text(where + " measurement description");
        break;
      default:
        r.Skip(where + " entry");
        break;
    }
  }
  r.Exit(where);
  if (!has_value) throw Failure{where + " has no measurement value"};
  if (!has_signer) throw Failure{where + " has no signer id"};
  return c;
}

DomainState ParseDomain(Reader& r, size_t index) {
  const std::string where = "revocation claim entry " + std::to_string(index);
  const size_t pairs = r.Map(where);
  DomainState d;
  uint32_t present = 0;  // bit k: key k seen
  for (size_t i = 0; i < pairs; ++i) {
    std::optional<int64_t> key;
    (void)r.Key(where, &key);
    if (!key || *key < 1 || *key > 8) throw Failure{where + " has an unknown key"};
    const uint32_t bit = 1u << *key;
    if ((present & bit) != 0) throw Failure{where + ": a key appears twice"};
    present |= bit;
    auto small = [&](const char* what, uint64_t limit) {
      const uint64_t v = r.Unsigned(where + " " + what);
      if (v > limit) throw Failure{where + " " + what + " is out of range"};
      return v;
    };
    switch (*key) {
      case 1:
        d.name = r.Text(where + " domain name");
        break;
      case 2:
        d.serves = r.Text(where + " measurement type");
        break;
      case 3:
        d.readable = r.Bool(where + " readable");
        break;
      case 4:
        d.sequence = static_cast<uint32_t>(small("revocation sequence", UINT32_MAX));
        break;
      case 5:
        d.revoked_slots = static_cast<uint8_t>(small("revoked slots", 0xff));
        break;
      case 6:
        d.provisioned_slots = static_cast<uint8_t>(small("provisioned slots", 0xff));
        break;
      case 7:
        d.records_used = static_cast<uint8_t>(small("records used", 0xff));
        break;
      default:
        d.records_capacity = static_cast<uint8_t>(small("records capacity", 0xff));
        break;
    }
  }
  r.Exit(where);
  constexpr uint32_t kAlways = (1u << 1) | (1u << 2) | (1u << 3);
  constexpr uint32_t kReadable = (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8);
  if ((present & kAlways) != kAlways) throw Failure{where + " lacks its name or state"};
  if (d.readable && (present & kReadable) != kReadable) {
    throw Failure{where + " is readable but lacks its revocation state"};
  }
  if (!d.readable && (present & kReadable) != 0) {
    throw Failure{where + " is unreadable but carries a revocation state"};
  }
  if (d.readable && (d.revoked_slots & d.provisioned_slots) != 0) {
    throw Failure{where + " has a slot both revoked and provisioned"};
  }
  if (d.readable && d.records_used > d.records_capacity) {
    throw Failure{where + " uses more records than it has"};
  }
  return d;
}

void ParseClaimsOrThrow(ConstByteSpan payload, Claims* out) {
  Reader r(payload);
  const size_t pairs = r.Map("the claims");
  if (pairs > kMaxClaims) throw Failure{"more than " + std::to_string(kMaxClaims) + " claims"};
  Claims c;
  std::vector<ConstByteSpan> seen;
  bool has_nonce = false, has_instance = false, has_profile = false, has_client = false,
       has_lifecycle = false, has_implementation = false, has_seed = false, has_components = false;
  for (size_t i = 0; i < pairs; ++i) {
    std::optional<int64_t> key;
    NoteKey(&seen, r.Key("the claims", &key), "the claims");
    if (!key) {
      r.Skip("a claim");
      ++c.unknown_claims;
      continue;
    }
    switch (*key) {
      case kNonce:
        c.nonce = HashBytes(r, "the nonce");
        has_nonce = true;
        break;
      case kInstanceId: {
        const ConstByteSpan v = r.Bytes("the instance id");
        if (v.size() != 33 || v[0] != 0x01) {
          throw Failure{"the instance id is not a 33-byte UEID of type RAND"};
        }
        c.instance_id = Vec(v);
        has_instance = true;
        break;
      }
      case kProfileKey:
        c.profile = r.Text("the profile");
        has_profile = true;
        break;
      case kClientId: {
        const int64_t v = r.Int("the client id");
        if (v == 0 || v < INT32_MIN || v > INT32_MAX) {
          throw Failure{"the client id is 0 or outside 32 bits"};
        }
        c.client_id = static_cast<int32_t>(v);
        has_client = true;
        break;
      }
      case kLifecycle: {
        const uint64_t v = r.Unsigned("the security lifecycle");
        if (v > 0xffff) throw Failure{"the security lifecycle is above 0xffff"};
        c.security_lifecycle = static_cast<uint16_t>(v);
        has_lifecycle = true;
        break;
      }
      case kImplementationId: {
        const ConstByteSpan v = r.Bytes("the implementation id");
        if (v.size() != 32) throw Failure{"the implementation id is not 32 bytes"};
        c.implementation_id = Vec(v);
        has_implementation = true;
        break;
      }
      case kBootSeed: {
        const ConstByteSpan v = r.Bytes("the boot seed");
        if (v.size() < 8 || v.size() > 32) throw Failure{"the boot seed is not 8 to 32 bytes"};
        c.boot_seed = Vec(v);
        has_seed = true;
        break;
      }
      case kCertificationReference:
        c.certification_reference = r.Text("the certification reference");
        if (!CertificationReferenceValid(*c.certification_reference)) {
          throw Failure{"the certification reference is not an EAN-13 (+ 5 + 5 digits)"};
        }
        break;
      case kSoftwareComponents: {
        const size_t n = r.Array("the software components");
        if (n == 0) throw Failure{"the software components claim is empty"};
        if (n > kMaxComponents) throw Failure{"too many software components"};
        for (size_t k = 0; k < n; ++k) c.software_components.push_back(ParseComponent(r, k));
        r.Exit("the software components");
        has_components = true;
        break;
      }
      case kVerificationService:
        c.verification_service = r.Text("the verification service indicator");
        break;
      case kRevocation: {
        const size_t n = r.Array("the revocation claim");
        if (n > kMaxDomains) throw Failure{"too many revocation claim entries"};
        std::vector<DomainState> domains;
        for (size_t k = 0; k < n; ++k) domains.push_back(ParseDomain(r, k));
        r.Exit("the revocation claim");
        c.revocation = std::move(domains);
        break;
      }
      default:
        r.Skip("a claim");
        ++c.unknown_claims;
        break;
    }
  }
  r.Exit("the claims");
  r.Finish();
  const char* missing = !has_nonce            ? "nonce"
                        : !has_instance       ? "instance id"
                        : !has_profile        ? "profile"
                        : !has_client         ? "client id"
                        : !has_lifecycle      ? "security lifecycle"
                        : !has_implementation ? "implementation id"
                        : !has_seed           ? "boot seed"
                        : !has_components     ? "software components"
                                              : nullptr;
  if (missing != nullptr) throw Failure{std::string("the ") + missing + " claim is missing"};
  *out = std::move(c);
}

}  // namespace

std::vector<uint8_t> KeyHash(const crypto::EcPublicKey& key) {
  const crypto::Digest d =
      crypto::Hash(crypto::HashAlg::kSha256, ConstByteSpan(key.point.data(), key.point_size));
  return Vec(d.view());
}

const char* LifecycleName(uint16_t lc) {
  switch (lc >> 8) {
    case 0x10:
      return "assembly-and-test";
    case 0x20:
      return "psa-rot-provisioning";
    case 0x30:
      return "secured";
    case 0x40:
      return "non-psa-rot-debug";
    case 0x50:
      return "recoverable-psa-rot-debug";
    case 0x60:
      return "decommissioned";
    default:
      return "unknown";
  }
}

bool LifecycleTrustworthy(uint16_t lc) { return (lc >> 8) == 0x30 || (lc >> 8) == 0x40; }

std::string ParseClaims(ConstByteSpan payload, Claims* out) {
  try {
    ParseClaimsOrThrow(payload, out);
  } catch (const Failure& f) {
    return f.reason;
  }
  return "";
}

std::string VerifyToken(ConstByteSpan token, const crypto::EcPublicKey& iak,
                        const Expectations& expect, Token* out) {
  if (iak.curve != crypto::Curve::kP256 || iak.point_size != 65) {
    return "the attestation key is not a P-256 public key";
  }
  cose::ParsedCoseSign1 message;
  cbor::CborError cbor_error = cbor::CborError::kOk;
  const cose::CoseError parsed =
      cose::ParseCoseSign1(token, cose::TagPolicy::kAllowEither, &message, &cbor_error);
  if (parsed != cose::CoseError::kOk) {
    std::string reason = std::string("not a valid COSE_Sign1: ") + cose::CoseErrorName(parsed);
    if (parsed == cose::CoseError::kMalformedCbor) {
      reason += std::string(" (") + cbor::CborErrorName(cbor_error) + ")";
    }
    return reason;
  }
  if (message.signer.alg != cose::Algorithm::kEs256) return "the token is not signed with ES256";
  const std::vector<uint8_t> key_hash = KeyHash(iak);
  if (message.signer.kid.size() != key_hash.size() ||
      std::memcmp(message.signer.kid.data(), key_hash.data(), key_hash.size()) != 0) {
    return "the token's kid names another key than the given IAK";
  }
  if (!HardenedIsTrue(cose::VerifyCoseSign1(message, iak))) {
    return "the signature does not verify with the given IAK";
  }
  Token t;
  t.kid = Vec(message.signer.kid);
  const std::string claims_error = ParseClaims(message.payload, &t.claims);
  if (!claims_error.empty()) return "malformed claims: " + claims_error;
  const Claims& c = t.claims;
  if (c.profile != kProfile)
    return "the profile is '" + c.profile + "', not " + std::string(kProfile);
  if (std::memcmp(c.instance_id.data() + 1, key_hash.data(), key_hash.size()) != 0) {
    return "the instance id does not match the IAK";
  }
  if (expect.nonce && *expect.nonce != c.nonce) return "the nonce is not the expected challenge";
  *out = std::move(t);
  return "";
}

}  // namespace bastion::attest
