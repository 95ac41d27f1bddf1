// Initial Attestation (src/attestation, host/attestation_verify): the token
// decoded by a small CBOR decoder of this test's own (not src/cbor) and
// checked claim by claim against the boot report it came from; the
// signature checked over a Sig_structure built here by hand; sizes exact
// for every challenge size; the partition behind an SPM (challenge sizes,
// buffer too small, no claims); the verifier accepting the good token and
// refusing tampered, truncated, extended, re-profiled, wrong-nonce and
// wrong-key tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attestation/attestation_service.h"
#include "attestation/claims.h"
#include "attestation/iak.h"
#include "attestation/iak_signer.h"
#include "attestation/token.h"
#include "attestation_verify/attestation_verify.h"
#include "bastion/crypto_service.h"
#include "bastion/services.h"
#include "cbor/cbor.h"
#include "cose/cose.h"
#include "keys/key_domain.h"
#include "sm/caller_memory.h"
#include "sm/spm.h"

namespace bastion::attestation {
namespace {

// ---- A small independent CBOR decoder (definite lengths only) ----

struct Item {
  int major = -1;
  uint64_t arg = 0;            // unsigned value / count / tag / simple
  std::vector<uint8_t> bytes;  // byte or text string
  std::vector<Item> children;  // array items; map keys and values alternate; tag content
  int64_t Int() const {
    return major == 0 ? static_cast<int64_t>(arg) : -1 - static_cast<int64_t>(arg);
  }
  std::string Text() const { return std::string(bytes.begin(), bytes.end()); }
  // The value of integer key `key` in a map, or null.
  const Item* Get(int64_t key) const {
    for (size_t i = 0; i + 1 < children.size(); i += 2) {
      const Item& k = children[i];
      if ((k.major == 0 || k.major == 1) && k.Int() == key) return &children[i + 1];
    }
    return nullptr;
  }
};

bool Decode(const std::vector<uint8_t>& in, size_t* pos, Item* out, int depth = 0) {
  if (depth > 16 || *pos >= in.size()) return false;
  const uint8_t ib = in[(*pos)++];
  out->major = ib >> 5;
  const uint8_t info = ib & 0x1f;
  uint64_t arg = info;
  if (info >= 24) {
    if (info > 27) return false;
    const size_t n = size_t{1} << (info - 24);
    if (in.size() - *pos < n) return false;
    arg = 0;
    for (size_t i = 0; i < n; ++i) arg = arg << 8 | in[(*pos)++];
  }
  out->arg = arg;
  switch (out->major) {
    case 2:
    case 3:
      if (in.size() - *pos < arg) return false;
      out->bytes.assign(in.begin() + static_cast<long>(*pos),
                        in.begin() + static_cast<long>(*pos + arg));
      *pos += arg;
      return true;
    case 4:
    case 5: {
      const uint64_t n = out->major == 4 ? arg : 2 * arg;
      for (uint64_t i = 0; i < n; ++i) {
        Item child;
        if (!Decode(in, pos, &child, depth + 1)) return false;
        out->children.push_back(std::move(child));
      }
      return true;
    }
    case 6: {
      Item child;
      if (!Decode(in, pos, &child, depth + 1)) return false;
      out->children.push_back(std::move(child));
      return true;
    }
    default:
      return true;
  }
}

Item DecodeAll(const std::vector<uint8_t>& in) {
  size_t pos = 0;
  Item item;
  EXPECT_TRUE(Decode(in, &pos, &item));
  EXPECT_EQ(pos, in.size());
  return item;
}

std::vector<uint8_t> Bytes(ConstByteSpan s) { return {s.begin(), s.end()}; }

// ---- Fixtures: a report, its key store, the IAK ----

constexpr uint8_t kSeed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                               17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
constexpr uint8_t kBootSeed[32] = {0xb0, 0x07, 0x5e, 0xed, 0xb0, 0x07, 0x5e, 0xed, 0xb0, 0x07, 0x5e,
                                   0xed, 0xb0, 0x07, 0x5e, 0xed, 0xb0, 0x07, 0x5e, 0xed, 0xb0, 0x07,
                                   0x5e, 0xed, 0xb0, 0x07, 0x5e, 0xed, 0xb0, 0x07, 0x5e, 0xed};

boot::BootReport Report() {
  boot::BootReport r{};
  r.magic = boot::kBootReportMagic;
  r.lifecycle = static_cast<uint32_t>(otp::Lifecycle::kSecured);
  r.image_count = 4;
  const uint8_t components[4] = {0, 1, 2, 2};
  for (size_t i = 0; i < 4; ++i) {
    boot::BootReportImage& im = r.images[i];
    im.component = components[i];
    im.verified = i == 3 ? 0 : 1;  // the last one was refused: not a component
    im.key_slot = static_cast<uint8_t>(i);
    im.hash_alg =
        static_cast<uint8_t>(i == 1 ? crypto::HashAlg::kSha384 : crypto::HashAlg::kSha256);
    im.version = {static_cast<uint8_t>(i + 1), 2, static_cast<uint16_t>(300 + i),
                  i == 2 ? 0u : 4000000000u};
    for (size_t b = 0; b < 48; ++b) im.measurement[b] = static_cast<uint8_t>(i * 50 + b);
  }
  r.domains[0] = {0, static_cast<uint8_t>(boot::DomainReport::kRead), {1, 2, 0, 3}, 2, 16, 7};
  r.domains[1] = {1, static_cast<uint8_t>(boot::DomainReport::kUnreadable), {}, 0, 16, 0};
  // domains[2] not reported
  return r;
}

// Signer ids: a recognisable hash per (component, slot).
class FakeSignerIds final : public SignerIds {
 public:
  Status SignerId(uint8_t component, uint8_t slot, std::span<uint8_t, 32> out) override {
    if (fail) return StatusCode::kNotFound;
    for (size_t i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(0xa0 + component * 4 + slot);
    return StatusCode::kOk;
  }
  bool fail = false;
};

class AttestationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(signer_.Init(kSeed).ok());
    report_ = Report();
    const ClaimInputs inputs{.report = &report_,
                             .signer_ids = &ids_,
                             .key_hash = signer_.key_hash(),
                             .boot_seed = kBootSeed};
    ASSERT_TRUE(CollectClaims(inputs, &claims_).ok());
  }

  std::vector<uint8_t> Token(size_t challenge_size = 32, int32_t client = -1, uint8_t fill = 0x11) {
    std::vector<uint8_t> challenge(challenge_size, fill);
    std::vector<uint8_t> out(kMaxTokenSize);
    size_t n = 0;
    EXPECT_TRUE(BuildToken(claims_, client, challenge, signer_, out, &n).ok());
    out.resize(n);
    return out;
  }

  // The IAK as a key pair (to sign hand-made tokens).
  crypto::EcKeyPair IakPair() {
    uint8_t d[32];
    EXPECT_TRUE(DeriveIakPrivateKey(kSeed, d).ok());
    crypto::EcKeyPair pair;
    EXPECT_TRUE(crypto::KeyPairFromPrivateScalar(crypto::Curve::kP256, d, &pair).ok());
    return pair;
  }
  // A COSE_Sign1 over `payload` signed with the IAK (src/cose's builder).
  std::vector<uint8_t> Sign1(const std::vector<uint8_t>& payload) {
    const crypto::EcKeyPair pair = IakPair();
    const cose::SignerInput in{&pair, signer_.key_hash()};
    std::vector<uint8_t> out(4096);
    size_t n = 0;
    EXPECT_TRUE(cose::BuildCoseSign1(payload, in, {}, out, &n).ok());
    out.resize(n);
    return out;
  }
  std::string Verify(const std::vector<uint8_t>& token,
                     std::optional<std::vector<uint8_t>> nonce = std::nullopt,
                     attest::Token* out = nullptr) {
    attest::Token t;
    return attest::VerifyToken(token, signer_.public_key(), {nonce}, out != nullptr ? out : &t);
  }

  IakSigner signer_;
  FakeSignerIds ids_;
  boot::BootReport report_{};
  TokenClaims claims_{};
};

// ---- The token, decoded independently ----

TEST_F(AttestationTest, TokenIsATaggedCoseSign1WithEs256AndKid) {
  const std::vector<uint8_t> token = Token();
  const Item t = DecodeAll(token);
  ASSERT_EQ(t.major, 6);
  EXPECT_EQ(t.arg, 18u);
  const Item& a = t.children[0];
  ASSERT_EQ(a.major, 4);
  ASSERT_EQ(a.children.size(), 4u);
  EXPECT_EQ(a.children[0].bytes, (std::vector<uint8_t>{0xa1, 0x01, 0x26}));
  const Item* kid = a.children[1].Get(4);
  ASSERT_NE(kid, nullptr);
  // kid = SHA-256 of the IAK public key as an uncompressed point.
  const crypto::EcPublicKey& pub = signer_.public_key();
  ASSERT_EQ(pub.point_size, 65u);
  ASSERT_EQ(pub.point[0], 0x04);
  EXPECT_EQ(
      kid->bytes,
      Bytes(crypto::Hash(crypto::HashAlg::kSha256, ConstByteSpan(pub.point.data(), 65)).view()));
  EXPECT_EQ(a.children[3].bytes.size(), 64u);

  // The signature over a Sig_structure built here by hand.
  std::vector<uint8_t> sig_structure = {0x84, 0x6a};
  for (char c : std::string("Signature1")) sig_structure.push_back(static_cast<uint8_t>(c));
  sig_structure.insert(sig_structure.end(), {0x43, 0xa1, 0x01, 0x26, 0x40});
  const std::vector<uint8_t>& payload = a.children[2].bytes;
  sig_structure.push_back(0x59);
  sig_structure.push_back(static_cast<uint8_t>(payload.size() >> 8));
  sig_structure.push_back(static_cast<uint8_t>(payload.size()));
  sig_structure.insert(sig_structure.end(), payload.begin(), payload.end());
  const crypto::Digest digest = crypto::Hash(crypto::HashAlg::kSha256, sig_structure);
  EXPECT_TRUE(HardenedIsTrue(crypto::EcdsaVerifyRaw(pub, digest.view(), a.children[3].bytes)));
  // And a flipped bit anywhere in the payload breaks it.
  sig_structure.back() ^= 1;
  const crypto::Digest other = crypto::Hash(crypto::HashAlg::kSha256, sig_structure);
  EXPECT_FALSE(HardenedIsTrue(crypto::EcdsaVerifyRaw(pub, other.view(), a.children[3].bytes)));
}

TEST_F(AttestationTest, ClaimsFollowRfc9783AndTheReport) {
  const std::vector<uint8_t> token = Token(48, -7, 0x5a);
  const Item claims = DecodeAll(DecodeAll(token).children[0].children[2].bytes);
  ASSERT_EQ(claims.major, 5);
  // Keys in deterministic order: 10, 256, 265, 2394..2397, 2399, 2400, -80001.
  std::vector<int64_t> keys;
  for (size_t i = 0; i < claims.children.size(); i += 2) keys.push_back(claims.children[i].Int());
  EXPECT_EQ(keys, (std::vector<int64_t>{10, 256, 265, 2394, 2395, 2396, 2397, 2399, 2400, -80001}));

  EXPECT_EQ(claims.Get(10)->bytes, std::vector<uint8_t>(48, 0x5a));
  std::vector<uint8_t> ueid = {0x01};
  ueid.insert(ueid.end(), signer_.key_hash().begin(), signer_.key_hash().end());
  EXPECT_EQ(claims.Get(256)->bytes, ueid);
  EXPECT_EQ(claims.Get(265)->Text(), "tag:psacertified.org,2023:psa#tfm");
  EXPECT_EQ(claims.Get(2394)->Int(), -7);
  EXPECT_EQ(claims.Get(2395)->Int(), 0x3000);
  EXPECT_EQ(claims.Get(2396)->bytes, Bytes(kImplementationId));
  EXPECT_EQ(
      claims.Get(2396)->bytes,
      Bytes(crypto::Hash(crypto::HashAlg::kSha256,
                         ConstByteSpan(reinterpret_cast<const uint8_t*>("bastion irot 1"), 14))
                .view()));
  EXPECT_EQ(claims.Get(2397)->bytes, Bytes(kBootSeed));
  EXPECT_EQ(claims.Get(2400)->Text(), kVerificationService);
  EXPECT_EQ(claims.Get(2398), nullptr);  // no certification reference

  // One software component per verified image, in report order.
  const Item* sw = claims.Get(2399);
  ASSERT_NE(sw, nullptr);
  ASSERT_EQ(sw->children.size(), 3u);
  const char* types[3] = {"BL", "PRoT", "App"};
  const char* versions[3] = {"1.2.300+4000000000", "2.2.301+4000000000", "3.2.302+0"};
  for (size_t i = 0; i < 3; ++i) {
    const Item& c = sw->children[i];
    const boot::BootReportImage& im = report_.images[i];
    const size_t size = i == 1 ? 48 : 32;
    EXPECT_EQ(c.Get(1)->Text(), types[i]);
    EXPECT_EQ(c.Get(2)->bytes, std::vector<uint8_t>(im.measurement, im.measurement + size));
    EXPECT_EQ(c.Get(4)->Text(), versions[i]);
    EXPECT_EQ(
        c.Get(5)->bytes,
        std::vector<uint8_t>(32, static_cast<uint8_t>(0xa0 + im.component * 4 + im.key_slot)));
    EXPECT_EQ(c.Get(6)->Text(), i == 1 ? "sha-384" : "sha-256");
  }

  // The revocation claim: urot readable, sm unreadable, app not reported.
  const Item* rev = claims.Get(-80001);
  ASSERT_NE(rev, nullptr);
  ASSERT_EQ(rev->children.size(), 2u);
  const Item& urot = rev->children[0];
  EXPECT_EQ(urot.Get(1)->Text(), "urot");
  EXPECT_EQ(urot.Get(2)->Text(), "BL");
  EXPECT_EQ(urot.Get(3)->arg, 21u);  // true
  EXPECT_EQ(urot.Get(4)->Int(), 7);
  EXPECT_EQ(urot.Get(5)->Int(), 0b0010);  // slot 1 revoked
  EXPECT_EQ(urot.Get(6)->Int(), 0b0001);  // slot 0 provisioned (slot 3 corrupt: neither)
  EXPECT_EQ(urot.Get(7)->Int(), 2);
  EXPECT_EQ(urot.Get(8)->Int(), 16);
  const Item& sm = rev->children[1];
  EXPECT_EQ(sm.children.size(), 6u);
  EXPECT_EQ(sm.Get(1)->Text(), "sm");
  EXPECT_EQ(sm.Get(2)->Text(), "PRoT");
  EXPECT_EQ(sm.Get(3)->arg, 20u);  // false
}

TEST_F(AttestationTest, SizeIsExactForEveryChallengeSizeAndClient) {
  for (size_t challenge : {32u, 48u, 64u}) {
    for (int32_t client : {-1, -30, -70000, INT32_MIN, 5, 70000}) {
      size_t expected = 0;
      ASSERT_TRUE(TokenSize(claims_, client, challenge, &expected).ok());
      EXPECT_EQ(Token(challenge, client).size(), expected) << challenge << " " << client;
      EXPECT_LE(expected, kMaxTokenSize);
    }
  }
}

TEST_F(AttestationTest, WrongChallengeSizesAndClientZeroAreRefused) {
  std::vector<uint8_t> out(kMaxTokenSize, 0xee);
  size_t n = 0;
  for (size_t size : {0u, 1u, 16u, 31u, 33u, 47u, 49u, 63u, 65u, 128u}) {
    std::vector<uint8_t> challenge(size, 1);
    EXPECT_EQ(BuildToken(claims_, -1, challenge, signer_, out, &n).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(TokenSize(claims_, -1, size, &n).code(), StatusCode::kInvalidArgument);
  }
  std::vector<uint8_t> challenge(32, 1);
  EXPECT_EQ(BuildToken(claims_, 0, challenge, signer_, out, &n).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(out, std::vector<uint8_t>(kMaxTokenSize, 0xee));
}

TEST_F(AttestationTest, ShortBufferGetsNothing) {
  size_t size = 0;
  ASSERT_TRUE(TokenSize(claims_, -1, 64, &size).ok());
  std::vector<uint8_t> out(size - 1, 0xee);
  std::vector<uint8_t> challenge(64, 1);
  size_t n = 0;
  EXPECT_EQ(BuildToken(claims_, -1, challenge, signer_, out, &n).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(out, std::vector<uint8_t>(size - 1, 0xee));
}

TEST_F(AttestationTest, LargestClaimsFitTheMaximum) {
  TokenClaims c = claims_;
  c.component_count = kMaxComponents;
  for (SoftwareComponent& s : c.components) {
    s.measurement_type = "PRoT";
    s.hash_alg = crypto::HashAlg::kSha384;
    s.version = {255, 255, 65535, 4294967295u};
  }
  c.domain_count = kMaxDomains;
  for (DomainRevocation& d : c.domains) {
    d = {"urot", "PRoT", true, UINT32_MAX, 0x0f, 0x0f, 16, 16};
  }
  static const char kService[] = "https://a-verification-service.example/012345678";
  static_assert(sizeof(kService) - 1 == kMaxVerificationServiceSize);
  c.verification_service = kService;
  size_t size = 0;
  ASSERT_TRUE(TokenSize(c, INT32_MIN, 64, &size).ok());
  EXPECT_LE(size, kMaxTokenSize);
  std::printf("largest token: %zu of %zu bytes\n", size, kMaxTokenSize);
  // One byte more of service text is refused, not truncated.
  static const char kLonger[] = "https://a-verification-service.example/0123456789";
  c.verification_service = kLonger;
  EXPECT_EQ(TokenSize(c, INT32_MIN, 64, &size).code(), StatusCode::kInvalidArgument);
}

TEST_F(AttestationTest, ClaimsNeedTheReportAndEverySignerId) {
  TokenClaims c;
  ClaimInputs inputs{.report = &report_,
                     .signer_ids = &ids_,
                     .key_hash = signer_.key_hash(),
                     .boot_seed = kBootSeed};
  ids_.fail = true;
  EXPECT_EQ(CollectClaims(inputs, &c).code(), StatusCode::kNotFound);
  ids_.fail = false;
  boot::BootReport none = report_;
  for (auto& im : none.images) im.verified = 0;
  inputs.report = &none;
  EXPECT_EQ(CollectClaims(inputs, &c).code(), StatusCode::kFailedPrecondition);
  boot::BootReport bad = report_;
  bad.images[0].component = 9;
  inputs.report = &bad;
  EXPECT_EQ(CollectClaims(inputs, &c).code(), StatusCode::kDataLoss);
  bad = report_;
  bad.domains[0].records_used = 17;
  EXPECT_EQ(CollectClaims(inputs, &c).code(), StatusCode::kDataLoss);
  inputs.report = nullptr;
  EXPECT_EQ(CollectClaims(inputs, &c).code(), StatusCode::kFailedPrecondition);
}

TEST_F(AttestationTest, LifecycleMapsToPsaValues) {
  EXPECT_EQ(SecurityLifecycle(0x1000), 0x1000u);
  EXPECT_EQ(SecurityLifecycle(0x3000), 0x3000u);
  EXPECT_EQ(SecurityLifecycle(0x6000), 0x6000u);
  EXPECT_EQ(SecurityLifecycle(0x0000), 0x0000u);
  EXPECT_EQ(SecurityLifecycle(0x3001), 0x0000u);
  EXPECT_EQ(SecurityLifecycle(0x7000), 0x0000u);
}

TEST_F(AttestationTest, IakIsDeterministicAndKeyPairMatches) {
  crypto::EcPublicKey again;
  ASSERT_TRUE(DeriveIakPublicKey(kSeed, &again).ok());
  EXPECT_EQ(std::memcmp(again.point.data(), signer_.public_key().point.data(), 65), 0);
  // The facade's key pair from a scalar agrees with a generated key pair.
  crypto::Drbg drbg;
  std::array<uint8_t, 48> entropy{};
  entropy.fill(7);
  ASSERT_TRUE(drbg.Seed(entropy, {}).ok());
  crypto::EcKeyPair generated;
  ASSERT_TRUE(drbg.GenerateKeyPair(crypto::Curve::kP256, &generated).ok());
  crypto::EcKeyPair rebuilt;
  ASSERT_TRUE(crypto::KeyPairFromPrivateScalar(crypto::Curve::kP256,
                                               ConstByteSpan(generated.scalar.data(), 32), &rebuilt)
                  .ok());
  EXPECT_EQ(rebuilt.public_key.point, generated.public_key.point);
  const uint8_t zero[32] = {};
  EXPECT_EQ(crypto::KeyPairFromPrivateScalar(crypto::Curve::kP256, zero, &rebuilt).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      crypto::KeyPairFromPrivateScalar(crypto::Curve::kP256, ConstByteSpan(zero, 31), &rebuilt)
          .code(),
      StatusCode::kInvalidArgument);
}

// ---- The verifier ----

TEST_F(AttestationTest, VerifierAcceptsTheTokenAndDecodesEveryClaim) {
  const std::vector<uint8_t> token = Token(64, -1, 0x33);
  attest::Token t;
  ASSERT_EQ(Verify(token, std::vector<uint8_t>(64, 0x33), &t), "");
  EXPECT_EQ(t.claims.client_id, -1);
  EXPECT_EQ(t.claims.security_lifecycle, 0x3000);
  EXPECT_EQ(t.claims.software_components.size(), 3u);
  EXPECT_EQ(t.claims.software_components[1].measurement_value.size(), 48u);
  ASSERT_TRUE(t.claims.revocation.has_value());
  EXPECT_EQ(t.claims.revocation->size(), 2u);
  EXPECT_EQ((*t.claims.revocation)[0].sequence, 7u);
  EXPECT_EQ((*t.claims.revocation)[0].revoked_slots, 2);
  EXPECT_FALSE((*t.claims.revocation)[1].readable);
  EXPECT_EQ(t.claims.unknown_claims, 0u);
  EXPECT_EQ(Verify(token), "");  // no nonce expected
}

TEST_F(AttestationTest, VerifierRefusesTamperedTruncatedExtendedAndWrongKeyTokens) {
  const std::vector<uint8_t> token = Token();
  // Every single-bit flip is refused.
  for (size_t i = 0; i < token.size(); ++i) {
    std::vector<uint8_t> t = token;
    t[i] ^= static_cast<uint8_t>(1u << (i % 8));
    EXPECT_NE(Verify(t), "") << "byte " << i;
  }
  for (size_t n = 0; n < token.size(); ++n) {
    EXPECT_NE(Verify(std::vector<uint8_t>(token.begin(), token.begin() + static_cast<long>(n))),
              "");
  }
  std::vector<uint8_t> longer = token;
  longer.push_back(0x00);
  EXPECT_NE(Verify(longer).find("COSE_Sign1"), std::string::npos);

  EXPECT_EQ(Verify(token, std::vector<uint8_t>(32, 0x12)),
            "the nonce is not the expected challenge");
  EXPECT_NE(Verify(token, std::vector<uint8_t>(48, 0x11)), "");

  IakSigner other;
  uint8_t seed[32] = {9};
  ASSERT_TRUE(other.Init(seed).ok());
  attest::Token t;
  EXPECT_EQ(attest::VerifyToken(token, other.public_key(), {}, &t),
            "the token's kid names another key than the given IAK");
}

// The payload with `from` replaced by `to` (same length), signed again.
std::vector<uint8_t> Replace(std::vector<uint8_t> payload, const std::string& from,
                             const std::string& to) {
  const auto it = std::search(payload.begin(), payload.end(), from.begin(), from.end());
  EXPECT_NE(it, payload.end());
  std::copy(to.begin(), to.end(), it);
  return payload;
}

TEST_F(AttestationTest, VerifierChecksTheProfileAndTheClaims) {
  const Item outer = DecodeAll(Token());
  const std::vector<uint8_t> payload = outer.children[0].children[2].bytes;
  // Re-signed as is: accepted (src/cose's builder, same key).
  EXPECT_EQ(Verify(Sign1(payload)), "");
  // Another profile.
  EXPECT_NE(Verify(Sign1(Replace(payload, "psa#tfm", "psa#xyz"))).find("profile"),
            std::string::npos);
  // A claim of the wrong type: the lifecycle (0x19 0x3000) as a negative.
  std::vector<uint8_t> p = payload;
  const uint8_t lifecycle[] = {0x19, 0x09, 0x5b, 0x19, 0x30, 0x00};
  auto at = std::search(p.begin(), p.end(), std::begin(lifecycle), std::end(lifecycle));
  ASSERT_NE(at, p.end());
  at[3] = 0x39;
  EXPECT_NE(Verify(Sign1(p)).find("security lifecycle"), std::string::npos);
  // A duplicate key: the client id key (2394) written where 2395 stood.
  p = payload;
  at = std::search(p.begin(), p.end(), std::begin(lifecycle), std::end(lifecycle));
  at[2] = 0x5a;
  EXPECT_NE(Verify(Sign1(p)).find("twice"), std::string::npos);
  // An unknown claim (text key) is ignored; a missing one is refused.
  p = payload;
  ASSERT_EQ(p[0] & 0xe0, 0xa0);
  ++p[0];  // one more pair, appended
  p.insert(p.end(), {0x63, 'x', 'y', 'z', 0x82, 0x01, 0xf6});
  attest::Token t;
  EXPECT_EQ(Verify(Sign1(p), std::nullopt, &t), "");
  EXPECT_EQ(t.claims.unknown_claims, 1u);
  // The instance id of another key.
  p = payload;
  const std::vector<uint8_t> hash(signer_.key_hash().begin(), signer_.key_hash().end());
  at = std::search(p.begin(), p.end(), hash.begin(), hash.end());
  ASSERT_NE(at, p.end());
  at[5] ^= 0xff;  // the first occurrence is the UEID's
  EXPECT_EQ(Verify(Sign1(p)), "the instance id does not match the IAK");
  // A malformed revocation claim: a readable domain without its records.
  TokenClaims c = claims_;
  c.domains[0].readable = true;
  std::vector<uint8_t> out(kMaxTokenSize);
  size_t n = 0;
  std::vector<uint8_t> challenge(32, 1);
  ASSERT_TRUE(EncodeClaims(c, -1, challenge, out, &n).ok());
  out.resize(n);
  const uint8_t domain_head[] = {0xa8, 0x01, 0x64, 'u', 'r', 'o', 't'};
  at = std::search(out.begin(), out.end(), std::begin(domain_head), std::end(domain_head));
  ASSERT_NE(at, out.end());
  at[0] = 0xa7;  // 7 pairs announced: the last (capacity) becomes trailing garbage
  EXPECT_NE(Verify(Sign1(out)), "");
  // No claims at all.
  EXPECT_NE(Verify(Sign1({0xa0})).find("missing"), std::string::npos);
}

// ---- The partition behind an SPM ----

inline constexpr sm::ServiceDecl kServices[] = {
    {.name = "attestation",
     .sid = BASTION_ATTESTATION_SID,
     .version = 1,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true}},
};
inline constexpr sm::PartitionDecl kTable[] = {
    {.name = "attestation",
     .id = 5,
     .kind = sm::PartitionKind::kPsaRot,
     .services = kServices,
     .storage_quota_bytes = 0,
     .key_slots = 0,
     .stack_bytes = 4096,
     .memory_bytes = 2048},
};
BASTION_SM_CHECK_PARTITION_TABLE(kTable);
constexpr psa_handle_t kHandle = sm::StatelessHandle(kTable, BASTION_ATTESTATION_SID, 1);

class AttestationServiceTest : public AttestationTest {
 protected:
  void StartService(const TokenClaims* claims) {
    service_ = std::make_unique<AttestationService>(claims, signer_);
    partitions_[0] = service_.get();
    spm_ = std::make_unique<sm::SpmBuffer<1, 4>>(kTable, partitions_, memory_);
    ASSERT_TRUE(spm_->Start().ok());
  }
  psa_status_t Call(sm::ClientId client, int32_t type, const void* in, size_t in_size, void* out,
                    size_t* out_size) {
    memory_.Clear();
    const psa_invec in_vec[1] = {{in, in_size}};
    psa_outvec out_vec[1] = {{out, *out_size}};
    memory_.Add(client, in, in_size, false);
    memory_.Add(client, out, *out_size, true);
    memory_.Add(client, in_vec, sizeof(in_vec), false);
    memory_.Add(client, out_vec, sizeof(out_vec), true);
    const psa_status_t s = spm_->Call(client, kHandle, type, in_vec, 1, out_vec, 1);
    *out_size = out_vec[0].len;
    return s;
  }
  psa_status_t Size(sm::ClientId client, uint32_t challenge_size, size_t* token_size) {
    uint8_t in[4];
    StoreLe32(in, challenge_size);
    uint8_t out[4] = {};
    size_t n = sizeof(out);
    const psa_status_t s = Call(client, BASTION_ATTESTATION_GET_TOKEN_SIZE, in, 4, out, &n);
    if (s == PSA_SUCCESS) *token_size = LoadLe32(out);
    return s;
  }

  sm::AllowedRanges<8> memory_;
  std::unique_ptr<AttestationService> service_;
  sm::Partition* partitions_[1] = {};
  std::unique_ptr<sm::SpmBuffer<1, 4>> spm_;
};

TEST_F(AttestationServiceTest, GetTokenAndItsSizeAgreeForEachChallengeSize) {
  StartService(&claims_);
  for (size_t challenge_size : {32u, 48u, 64u}) {
    size_t size = 0;
    ASSERT_EQ(Size(-3, static_cast<uint32_t>(challenge_size), &size), PSA_SUCCESS);
    std::vector<uint8_t> challenge(challenge_size, 0x44);
    std::vector<uint8_t> token(2048, 0);
    size_t n = token.size();
    ASSERT_EQ(Call(-3, BASTION_ATTESTATION_GET_TOKEN, challenge.data(), challenge.size(),
                   token.data(), &n),
              PSA_SUCCESS);
    EXPECT_EQ(n, size);
    token.resize(n);
    attest::Token t;
    ASSERT_EQ(Verify(token, challenge, &t), "");
    EXPECT_EQ(t.claims.client_id, -3);  // the caller's id, from the SPM
  }
}

TEST_F(AttestationServiceTest, RefusesBadChallengesAndShortBuffers) {
  StartService(&claims_);
  std::vector<uint8_t> challenge(33, 1);
  std::vector<uint8_t> token(2048, 0xee);
  size_t n = token.size();
  EXPECT_EQ(Call(-1, BASTION_ATTESTATION_GET_TOKEN, challenge.data(), 33, token.data(), &n),
            PSA_ERROR_INVALID_ARGUMENT);
  size_t size = 0;
  EXPECT_EQ(Size(-1, 33, &size), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Size(-1, 0, &size), PSA_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(Size(-1, 32, &size), PSA_SUCCESS);
  n = size - 1;
  challenge.resize(32);
  EXPECT_EQ(Call(-1, BASTION_ATTESTATION_GET_TOKEN, challenge.data(), 32, token.data(), &n),
            PSA_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, 0u);  // nothing written
  EXPECT_EQ(token, std::vector<uint8_t>(2048, 0xee));
  // GET_TOKEN_SIZE vectors of the wrong size are the caller's error.
  uint8_t in[4] = {32, 0, 0, 0};
  uint8_t out[8];
  n = sizeof(out);
  EXPECT_EQ(Call(-1, BASTION_ATTESTATION_GET_TOKEN_SIZE, in, 4, out, &n),
            PSA_ERROR_PROGRAMMER_ERROR);
  n = 4;
  EXPECT_EQ(Call(-1, BASTION_ATTESTATION_GET_TOKEN_SIZE, in, 3, out, &n),
            PSA_ERROR_PROGRAMMER_ERROR);
  n = 4;
  EXPECT_EQ(Call(-1, 99, in, 4, out, &n), PSA_ERROR_NOT_SUPPORTED);
}

TEST_F(AttestationServiceTest, WithoutClaimsTheServiceFails) {
  StartService(nullptr);
  size_t size = 0;
  EXPECT_EQ(Size(-1, 32, &size), PSA_ERROR_SERVICE_FAILURE);
  std::vector<uint8_t> challenge(32, 1);
  std::vector<uint8_t> token(2048);
  size_t n = token.size();
  EXPECT_EQ(Call(-1, BASTION_ATTESTATION_GET_TOKEN, challenge.data(), 32, token.data(), &n),
            PSA_ERROR_SERVICE_FAILURE);
  // A bad challenge is still the caller's error first.
  EXPECT_EQ(Size(-1, 31, &size), PSA_ERROR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace bastion::attestation
