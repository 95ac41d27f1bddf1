// The Initial Attestation token: a tagged COSE_Sign1 (RFC 9052) signed with
// ES256 by the Initial Attestation Key, over a CBOR claims map that follows
// the PSA attestation token (RFC 9783) with the profile
// "tag:psacertified.org,2023:psa#tfm", plus one private claim of Bastion's
// (the key domains' revocation state). docs/attestation.md describes every
// claim and where its value comes from.
//
//   18([ h'a10126',                      protected: {1 (alg): -7 (ES256)}
//        {4 (kid): SHA-256(IAK public key as an uncompressed point)},
//        h'<claims map>',
//        h'<r || s, 64 bytes>' ])
//
// The claims that are fixed for a boot (everything but the nonce and the
// caller's client id) are gathered once into TokenClaims (claims.h); a token
// is then a pure function of (claims, client id, challenge) and the
// signature. Its size depends only on the claims, the client id and the
// challenge size (ES256 signatures are always 64 bytes as r || s), so
// TokenSize answers exactly what BuildToken writes.
//
// Signing goes through TokenSigner: the key may live in the crypto
// partition's key store or be derived here (iak_signer.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/crypto.h"
#include "image/image_format.h"
#include "psa/error.h"

namespace bastion::attestation {

// ---- Claim keys ----
// EAT (RFC 9711) and the PSA attestation token (RFC 9783).
inline constexpr int64_t kClaimNonce = 10;
inline constexpr int64_t kClaimInstanceId = 256;  // EAT ueid
inline constexpr int64_t kClaimProfile = 265;     // EAT eat_profile
inline constexpr int64_t kClaimClientId = 2394;
inline constexpr int64_t kClaimSecurityLifecycle = 2395;
inline constexpr int64_t kClaimImplementationId = 2396;
inline constexpr int64_t kClaimBootSeed = 2397;
inline constexpr int64_t kClaimCertificationReference = 2398;
inline constexpr int64_t kClaimSoftwareComponents = 2399;
inline constexpr int64_t kClaimVerificationService = 2400;
// Bastion's private claim (EAT: private claims use keys below -65536): the
// key domains' revocation state, an array of maps (kDomain* keys below).
inline constexpr int64_t kClaimBastionRevocation = -80001;

// Keys of a software component map (RFC 9783).
inline constexpr int64_t kComponentMeasurementType = 1;
inline constexpr int64_t kComponentMeasurementValue = 2;
inline constexpr int64_t kComponentVersion = 4;
inline constexpr int64_t kComponentSignerId = 5;
inline constexpr int64_t kComponentMeasurementDescription = 6;

// Keys of one key domain's map in the revocation claim.
inline constexpr int64_t kDomainName = 1;              // text: "urot", "sm", "app"
inline constexpr int64_t kDomainServes = 2;            // text: measurement type it signs
inline constexpr int64_t kDomainReadable = 3;          // bool
inline constexpr int64_t kDomainSequence = 4;          // uint: last committed sequence, 0 none
inline constexpr int64_t kDomainRevokedSlots = 5;      // uint: bit i = signing slot i revoked
inline constexpr int64_t kDomainProvisionedSlots = 6;  // uint: bit i = slot i usable
inline constexpr int64_t kDomainRecordsUsed = 7;       // uint
inline constexpr int64_t kDomainRecordsCapacity = 8;   // uint

inline constexpr char kProfile[] = "tag:psacertified.org,2023:psa#tfm";

// ---- Sizes ----
inline constexpr size_t kKeyHashSize = 32;     // SHA-256: kid, instance id, signer id
inline constexpr size_t kInstanceIdSize = 33;  // 0x01 (EAT UEID type RAND) || key hash
inline constexpr size_t kImplementationIdSize = 32;
inline constexpr size_t kBootSeedSize = 32;
inline constexpr size_t kSignatureSize = 64;          // ES256 r || s
inline constexpr size_t kMaxComponents = 4;           // boot::kMaxReportImages
inline constexpr size_t kMaxDomains = 3;              // otp::kComponentCount
inline constexpr size_t kMaxMeasurementSize = 48;     // SHA-384 images
inline constexpr size_t kMaxMeasurementTypeSize = 5;  // "PRoT", "ARoT"
inline constexpr size_t kMaxDomainNameSize = 4;       // "urot"
inline constexpr size_t kMaxVerificationServiceSize = 48;
inline constexpr size_t kMaxRecords = 16;  // otp::kLogEntries
// The largest token Bastion builds (PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE):
// checked against the worst case (every field at its largest) below.
inline constexpr size_t kMaxTokenSize = 1024;

// Whether `size` is a challenge size the PSA Attestation API accepts.
constexpr bool ChallengeSizeValid(size_t size) { return size == 32 || size == 48 || size == 64; }

// ---- The claims fixed for a boot ----

struct SoftwareComponent {
  // RFC 9783 measurement type ("BL", "PRoT", "App"): static text.
  const char* measurement_type = "";
  crypto::HashAlg hash_alg = crypto::HashAlg::kSha256;  // 32- or 48-byte measurement
  uint8_t measurement[kMaxMeasurementSize] = {};
  image::ImageVersion version{};
  uint8_t signer_id[kKeyHashSize] = {};
};

struct DomainRevocation {
  const char* name = "";    // "urot", "sm", "app": static text
  const char* serves = "";  // measurement type of the images it signs
  bool readable = false;    // false: only name, serves and readable are encoded
  uint32_t sequence = 0;
  uint8_t revoked_slots = 0;      // bit i: signing slot i revoked
  uint8_t provisioned_slots = 0;  // bit i: signing slot i provisioned and not revoked
  uint8_t records_used = 0;
  uint8_t records_capacity = 0;
};

struct TokenClaims {
  // SHA-256 of the IAK public key (uncompressed point): the kid, and the
  // instance id after the UEID type byte.
  uint8_t key_hash[kKeyHashSize] = {};
  uint32_t security_lifecycle = 0;  // RFC 9783 value (major << 8 | minor)
  uint8_t implementation_id[kImplementationIdSize] = {};
  uint8_t boot_seed[kBootSeedSize] = {};
  std::array<SoftwareComponent, kMaxComponents> components{};
  size_t component_count = 0;
  std::array<DomainRevocation, kMaxDomains> domains{};
  size_t domain_count = 0;
  // Verification service indicator (static text, at most
  // kMaxVerificationServiceSize bytes; empty: the claim is omitted).
  const char* verification_service = "";
};

// Signs the SHA-256 of a token's Sig_structure with the IAK (ES256): writes
// r || s, 32 bytes each, big-endian. Returns PSA_SUCCESS or the failure.
class TokenSigner {
 public:
  virtual psa_status_t SignHash(std::span<const uint8_t, 32> sha256,
                                std::span<uint8_t, kSignatureSize> raw_signature) = 0;

 protected:
  ~TokenSigner() = default;
};

// Encodes the claims map for `client_id` and `challenge` into `out`.
// Returns kOk with *written, kInvalidArgument (challenge size not 32, 48 or
// 64; client id 0; claims out of bounds: no component, more than
// kMaxComponents or kMaxDomains entries, a text over its limit, a slot mask
// beyond the signing slots, record counts above kMaxRecords),
// kResourceExhausted (out too small).
Status EncodeClaims(const TokenClaims& claims, int32_t client_id, ConstByteSpan challenge,
                    ByteSpan out, size_t* written);

// The exact size of the token BuildToken writes for a challenge of
// `challenge_size` bytes. Returns what EncodeClaims returns.
Status TokenSize(const TokenClaims& claims, int32_t client_id, size_t challenge_size, size_t* size);

// Builds and signs the token into `out`. Returns kOk with *written;
// kInvalidArgument as EncodeClaims; kResourceExhausted when `out` is shorter
// than TokenSize (nothing is signed then); kInternal when the signer fails.
// On failure, `out` holds no partial token (it is wiped).
Status BuildToken(const TokenClaims& claims, int32_t client_id, ConstByteSpan challenge,
                  TokenSigner& signer, ByteSpan out, size_t* written);

// The text of a version, "major.minor.revision+build" as imgtool takes it
// and `bastion device boot` prints it ("1.2.3+0"), into
// `out` (at least kMaxVersionTextSize bytes); returns its length.
inline constexpr size_t kMaxVersionTextSize = 24;  // "255.255.65535+4294967295"
size_t VersionText(const image::ImageVersion& version, std::span<char, kMaxVersionTextSize> out);

// The security lifecycle claim (RFC 9783) for an otp::Lifecycle value: the
// PSA major state in bits 15..8 (Bastion's values are already PSA's), minor
// 0; anything Bastion does not define is 0x0000 (unknown).
uint32_t SecurityLifecycle(uint32_t bastion_lifecycle);

}  // namespace bastion::attestation
