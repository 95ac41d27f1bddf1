#include "attestation/token.h"

#include <cstring>
#include <string_view>

#include "cbor/cbor.h"
#include "cose/cose.h"
#include "otp/otp_map.h"

namespace bastion::attestation {
namespace {

// The COSE_Sign1 around the claims: tag 18, array of 4, the protected
// header bstr {1: -7}, the unprotected header {4: kid}.
constexpr uint8_t kProtectedHeader[] = {0xa1, 0x01, 0x26};
constexpr size_t kEnvelopeHead =
    1 + 1 + (1 + sizeof(kProtectedHeader)) + (1 + 1 + 2 + kKeyHashSize);
constexpr size_t kSignatureItem = 2 + kSignatureSize;

constexpr size_t TextSize(size_t n) { return cbor::HeadSize(n) + n; }
constexpr size_t KeySize(int64_t key) {
  return cbor::HeadSize(key < 0 ? static_cast<uint64_t>(-1 - key) : static_cast<uint64_t>(key));
}

// The largest claims map: 64-byte challenge, the most negative client id,
// every component with a SHA-384 measurement and the longest version and
// type, every domain readable with the largest values.
constexpr size_t kWorstComponent =
    1 + (1 + TextSize(kMaxMeasurementTypeSize)) + (1 + TextSize(kMaxMeasurementSize)) +
    (1 + TextSize(kMaxVersionTextSize)) + (1 + TextSize(kKeyHashSize)) + (1 + TextSize(7));
constexpr size_t kWorstDomain = 1 + (1 + TextSize(kMaxDomainNameSize)) +
                                (1 + TextSize(kMaxMeasurementTypeSize)) + (1 + 1) +
                                (1 + cbor::HeadSize(UINT32_MAX)) + 4 * (1 + 1);
constexpr size_t kWorstClaims =
    1 + (KeySize(kClaimNonce) + TextSize(64)) +
    (KeySize(kClaimInstanceId) + TextSize(kInstanceIdSize)) +
    (KeySize(kClaimProfile) + TextSize(sizeof(kProfile) - 1)) +
    (KeySize(kClaimClientId) + cbor::HeadSize(0x80000000u)) +
    (KeySize(kClaimSecurityLifecycle) + cbor::HeadSize(0xffff)) +
    (KeySize(kClaimImplementationId) + TextSize(kImplementationIdSize)) +
    (KeySize(kClaimBootSeed) + TextSize(kBootSeedSize)) +
    (KeySize(kClaimSoftwareComponents) + 1 + kMaxComponents * kWorstComponent) +
    (KeySize(kClaimVerificationService) + TextSize(kMaxVerificationServiceSize)) +
    (KeySize(kClaimBastionRevocation) + 1 + kMaxDomains * kWorstDomain);
static_assert(kEnvelopeHead + cbor::HeadSize(kWorstClaims) + kWorstClaims + kSignatureItem <=
                  kMaxTokenSize,
              "the largest token must fit kMaxTokenSize (PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE)");
static_assert(kMaxComponents * 2 < 24 && kMaxDomains < 24, "array heads are one byte");
static_assert(kMaxRecords < 24 && (1u << otp::kSigningSlots) <= 24, "one-byte domain values");

size_t Length(const char* text, size_t limit) {
  size_t n = 0;
  while (n <= limit && text[n] != '\0') ++n;
  return n;
}

bool ClaimsInBounds(const TokenClaims& c) {
  if (c.component_count > kMaxComponents || c.domain_count > kMaxDomains) return false;
  if (c.component_count == 0) return false;  // RFC 9783: at least one component
  if (c.verification_service == nullptr ||
      Length(c.verification_service, kMaxVerificationServiceSize) > kMaxVerificationServiceSize) {
    return false;
  }
  for (size_t i = 0; i < c.component_count; ++i) {
    const SoftwareComponent& s = c.components[i];
    if (s.measurement_type == nullptr ||
        Length(s.measurement_type, kMaxMeasurementTypeSize) > kMaxMeasurementTypeSize ||
        (s.hash_alg != crypto::HashAlg::kSha256 && s.hash_alg != crypto::HashAlg::kSha384)) {
      return false;
    }
  }
  for (size_t i = 0; i < c.domain_count; ++i) {
    const DomainRevocation& d = c.domains[i];
    // Slot masks and record counts each encode in one byte (below 24).
    if (d.revoked_slots >= 1u << otp::kSigningSlots ||
        d.provisioned_slots >= 1u << otp::kSigningSlots || d.records_used > kMaxRecords ||
        d.records_capacity > kMaxRecords) {
      return false;
    }
    if (d.name == nullptr || d.serves == nullptr ||
        Length(d.name, kMaxDomainNameSize) > kMaxDomainNameSize ||
        Length(d.serves, kMaxMeasurementTypeSize) > kMaxMeasurementTypeSize) {
      return false;
    }
  }
  return true;
}

void EncodeComponent(cbor::Encoder& e, const SoftwareComponent& s) {
  const bool sha384 = s.hash_alg == crypto::HashAlg::kSha384;
  const bool has_type = s.measurement_type[0] != '\0';
  e.BeginMap(has_type ? 5 : 4);
  if (has_type) {
    e.WriteInt(kComponentMeasurementType);
    e.WriteText(s.measurement_type);
  }
  e.WriteInt(kComponentMeasurementValue);
  e.WriteBytes(ConstByteSpan(s.measurement, crypto::DigestSize(s.hash_alg)));
  char version[kMaxVersionTextSize];
  const size_t version_size = VersionText(s.version, version);
  e.WriteInt(kComponentVersion);
  e.WriteText(std::string_view(version, version_size));
  e.WriteInt(kComponentSignerId);
  e.WriteBytes(s.signer_id);
  e.WriteInt(kComponentMeasurementDescription);
  e.WriteText(sha384 ? "sha-384" : "sha-256");
}

void EncodeDomain(cbor::Encoder& e, const DomainRevocation& d) {
  e.BeginMap(d.readable ? 8 : 3);
  e.WriteInt(kDomainName);
  e.WriteText(d.name);
  e.WriteInt(kDomainServes);
  e.WriteText(d.serves);
  e.WriteInt(kDomainReadable);
  e.WriteBool(d.readable);
  if (!d.readable) return;
  e.WriteInt(kDomainSequence);
  e.WriteUnsigned(d.sequence);
  e.WriteInt(kDomainRevokedSlots);
  e.WriteUnsigned(d.revoked_slots);
  e.WriteInt(kDomainProvisionedSlots);
  e.WriteUnsigned(d.provisioned_slots);
  e.WriteInt(kDomainRecordsUsed);
  e.WriteUnsigned(d.records_used);
  e.WriteInt(kDomainRecordsCapacity);
  e.WriteUnsigned(d.records_capacity);
}

// Decimal digits of `value` at out[n...]; returns the new length.
size_t AppendDecimal(uint32_t value, std::span<char, kMaxVersionTextSize> out, size_t n) {
  char digits[10];
  size_t count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (count > 0 && n < out.size()) out[n++] = digits[--count];
  return n;
}

}  // namespace

size_t VersionText(const image::ImageVersion& version, std::span<char, kMaxVersionTextSize> out) {
  size_t n = AppendDecimal(version.major, out, 0);
  out[n++] = '.';
  n = AppendDecimal(version.minor, out, n);
  out[n++] = '.';
  n = AppendDecimal(version.revision, out, n);
  out[n++] = '+';
  return AppendDecimal(version.build, out, n);
}

uint32_t SecurityLifecycle(uint32_t bastion_lifecycle) {
  switch (static_cast<otp::Lifecycle>(bastion_lifecycle)) {
    case otp::Lifecycle::kAssemblyAndTest:
    case otp::Lifecycle::kPsaRotProvisioning:
    case otp::Lifecycle::kSecured:
    case otp::Lifecycle::kNonPsaRotDebug:
    case otp::Lifecycle::kRecoverablePsaRotDebug:
    case otp::Lifecycle::kDecommissioned:
      return bastion_lifecycle;  // PSA major state << 12, i.e. bits 15..8, minor 0
    case otp::Lifecycle::kUnknown:
      break;
  }
  return 0x0000;
}

Status EncodeClaims(const TokenClaims& claims, int32_t client_id, ConstByteSpan challenge,
                    ByteSpan out, size_t* written) {
  if (!ChallengeSizeValid(challenge.size()) || client_id == 0 || !ClaimsInBounds(claims)) {
    return StatusCode::kInvalidArgument;
  }
  const bool has_service = claims.verification_service[0] != '\0';
  const bool has_domains = claims.domain_count > 0;
  cbor::Encoder e(out);
  e.BeginMap(8 + (has_service ? 1 : 0) + (has_domains ? 1 : 0));
  // Keys in the deterministic order of their encodings (RFC 8949 4.2.1):
  // 10, 256, 265, 2394..2400, then the negative -80001.
  e.WriteInt(kClaimNonce);
  e.WriteBytes(challenge);
  uint8_t ueid[kInstanceIdSize];
  ueid[0] = 0x01;  // EAT UEID type RAND
  std::memcpy(ueid + 1, claims.key_hash, kKeyHashSize);
  e.WriteInt(kClaimInstanceId);
  e.WriteBytes(ueid);
  e.WriteInt(kClaimProfile);
  e.WriteText(std::string_view(kProfile, sizeof(kProfile) - 1));
  e.WriteInt(kClaimClientId);
  e.WriteInt(client_id);
  e.WriteInt(kClaimSecurityLifecycle);
  e.WriteUnsigned(claims.security_lifecycle);
  e.WriteInt(kClaimImplementationId);
  e.WriteBytes(claims.implementation_id);
  e.WriteInt(kClaimBootSeed);
  e.WriteBytes(claims.boot_seed);
  e.WriteInt(kClaimSoftwareComponents);
  e.BeginArray(claims.component_count);
  for (size_t i = 0; i < claims.component_count; ++i) EncodeComponent(e, claims.components[i]);
  if (has_service) {
    e.WriteInt(kClaimVerificationService);
    e.WriteText(claims.verification_service);
  }
  if (has_domains) {
    e.WriteInt(kClaimBastionRevocation);
    e.BeginArray(claims.domain_count);
    for (size_t i = 0; i < claims.domain_count; ++i) EncodeDomain(e, claims.domains[i]);
  }
  BASTION_TRY(e.status());
  *written = e.size();
  return StatusCode::kOk;
}

namespace {

// The size of the claims map EncodeClaims writes for a challenge of
// `challenge_size` bytes.
Status ClaimsSize(const TokenClaims& claims, int32_t client_id, size_t challenge_size,
                  size_t* claims_size) {
  if (!ChallengeSizeValid(challenge_size)) return StatusCode::kInvalidArgument;
  const uint8_t zeros[64] = {};
  uint8_t scratch[kMaxTokenSize];
  const Status s =
      EncodeClaims(claims, client_id, ConstByteSpan(zeros, challenge_size), scratch, claims_size);
  // Every claims map within the bounds fits kMaxTokenSize (static_assert above).
  if (!s.ok()) return s.code() == StatusCode::kResourceExhausted ? StatusCode::kInternal : s;
  return StatusCode::kOk;
}

constexpr size_t SizeFor(size_t claims_size) {
  return kEnvelopeHead + cbor::HeadSize(claims_size) + claims_size + kSignatureItem;
}

}  // namespace

Status TokenSize(const TokenClaims& claims, int32_t client_id, size_t challenge_size,
                 size_t* size) {
  size_t claims_size = 0;
  BASTION_TRY(ClaimsSize(claims, client_id, challenge_size, &claims_size));
  *size = SizeFor(claims_size);
  return StatusCode::kOk;
}

Status BuildToken(const TokenClaims& claims, int32_t client_id, ConstByteSpan challenge,
                  TokenSigner& signer, ByteSpan out, size_t* written) {
  size_t claims_size = 0;
  BASTION_TRY(ClaimsSize(claims, client_id, challenge.size(), &claims_size));
  const size_t size = SizeFor(claims_size);
  if (out.size() < size) return StatusCode::kResourceExhausted;
  const size_t payload_at = kEnvelopeHead + cbor::HeadSize(claims_size);
  size_t encoded = 0;
  const Status s =
      EncodeClaims(claims, client_id, challenge, out.subspan(payload_at, claims_size), &encoded);
  if (!s.ok() || encoded != claims_size) {
    SecureWipe(out.data(), size);
    return StatusCode::kInternal;
  }
  cbor::Encoder head(out.first(payload_at));
  head.WriteTag(cose::kTagCoseSign1);
  head.BeginArray(4);
  head.WriteBytes(kProtectedHeader);
  head.BeginMap(1);
  head.WriteInt(cose::kHeaderKid);
  head.WriteBytes(claims.key_hash);
  head.BeginBytes(claims_size);
  if (!head.status().ok() || head.size() != payload_at) {
    SecureWipe(out.data(), size);
    return StatusCode::kInternal;
  }
  const ConstByteSpan payload(out.data() + payload_at, claims_size);
  const crypto::Digest digest =
      cose::SigStructureDigest(crypto::HashAlg::kSha256, true, kProtectedHeader, {}, {}, payload);
  uint8_t signature[kSignatureSize];
  if (digest.size != 32 || signer.SignHash(std::span<const uint8_t, 32>(digest.bytes.data(), 32),
                                           signature) != PSA_SUCCESS) {
    SecureWipe(out.data(), size);
    return StatusCode::kInternal;
  }
  cbor::Encoder tail(out.subspan(payload_at + claims_size, kSignatureItem));
  tail.WriteBytes(signature);
  if (!tail.status().ok() || tail.size() != kSignatureItem) {
    SecureWipe(out.data(), size);
    return StatusCode::kInternal;
  }
  *written = size;
  return StatusCode::kOk;
}

}  // namespace bastion::attestation
