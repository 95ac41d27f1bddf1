// Tests for src/cose: RFC 9052 Appendix C examples (verified with their
// published key), Sig_structure bytes, build -> parse -> verify round trips
// for ES256 / ES384 and several signers, tampering, wrong keys, every
// CoseError from a crafted message, and r||s <-> DER edge cases.
#include "cose/cose.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "cbor/cbor.h"
#include "crypto/crypto.h"
#include "crypto/ecdsa_der.h"
#include "support/hex.h"
#include "support/test_keys.h"

namespace bastion::cose {
namespace {

using Bytes = std::vector<uint8_t>;
using crypto::EcdsaDerToRaw;
using crypto::EcdsaRawToDer;
using crypto::kMaxDerSignatureSize;
using test_support::Hex;
using test_support::P256;
using test_support::P384;
using test_support::ToHex;

Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }

// ---------------------------------------------------------------- keys

// Bastion's kid: SHA-256 of the SubjectPublicKeyInfo.
Bytes Kid(const crypto::EcPublicKey& key) {
  const crypto::Digest d = crypto::Hash(crypto::HashAlg::kSha256, test_support::Spki(key));
  return Bytes(d.bytes.begin(), d.bytes.begin() + 32);
}

// RFC 9052 Appendix C key "11" (P-256).
crypto::EcPublicKey RfcKey11() {
  crypto::EcPublicKey key;
  key.curve = crypto::Curve::kP256;
  const Bytes point =
      Hex("04bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff"
          "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e");
  std::memcpy(key.point.data(), point.data(), point.size());
  key.point_size = point.size();
  return key;
}

struct SignerSpec {
  const crypto::EcKeyPair* key;
  Bytes kid;
};

Bytes BuildSign(const Bytes& payload, const std::vector<SignerSpec>& specs,
                const BuildOptions& options = {}) {
  std::vector<SignerInput> signers;
  for (const auto& s : specs) signers.push_back({s.key, s.kid});
  Bytes out(4096);
  size_t n = 0;
  EXPECT_TRUE(BuildCoseSign(payload, signers, options, out, &n).ok());
  out.resize(n);
  return out;
}

Bytes BuildSign1(const Bytes& payload, const crypto::EcKeyPair& key, const Bytes& kid,
                 const BuildOptions& options = {}) {
  Bytes out(1024);
  size_t n = 0;
  EXPECT_TRUE(BuildCoseSign1(payload, {&key, kid}, options, out, &n).ok());
  out.resize(n);
  return out;
}

CoseError ParseSignError(const Bytes& message, TagPolicy tags = TagPolicy::kAllowEither) {
  ParsedCoseSign parsed;
  return ParseCoseSign(message, tags, &parsed);
}
CoseError ParseSign1Error(const Bytes& message, TagPolicy tags = TagPolicy::kAllowEither) {
  ParsedCoseSign1 parsed;
  return ParseCoseSign1(message, tags, &parsed);
}

bool Verified(HardenedBool b) { return HardenedIsTrue(b); }

// ---------------------------------------------------------------- RFC 9052 Appendix C

constexpr const char* kRfcC11 =
    "d8628440a054546869732069732074686520636f6e74656e742e818343a10126a1044231315840"
    "e2aeafd40d69d19dfe6e52077c5d7ff4e408282cbefb5d06cbf414af2e19d982ac45ac98b8544c90"
    "8b4507de1e90b717c3d34816fe926a2b98f53afd2fa0f30a";
constexpr const char* kRfcC21 =
    "d28443a10126a10442313154546869732069732074686520636f6e74656e742e58408eb33e4ca31d"
    "1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0117e2af9a291aa32e14ab834dc56ed2a"
    "223444547e01f11d3b0916e5a4c345cacb36";
// cose-wg Examples sign-pass-02 / sign1-pass-02: external_aad 11aa22bb33cc44dd55006699.
constexpr const char* kSignPass02 =
    "d8628440a054546869732069732074686520636f6e74656e742e818343a10126a1044231315840"
    "cbb8dad9beafb890e1a414124d8bfbc26bedf2a94fcb5a882432bff6d63e15f574eeb2ab51d83fa2"
    "cbf62672ebf4c7d993b0f4c2447647d831ba57cca86b930a";
constexpr const char* kSign1Pass02 =
    "d28443a10126a10442313154546869732069732074686520636f6e74656e742e584010729cd711cb"
    "3813d8d8e944a8da7111e7b258c9bdca6135f7ae1adbee9509891267837e1e33bd36c150326ae627"
    "55c6bd8e540c3e8f92d7d225e8db72b8820b";

TEST(CoseRfc9052, C11SingleSignerVerifies) {
  const Bytes message = Hex(kRfcC11);
  ParsedCoseSign parsed;
  ASSERT_EQ(ParseCoseSign(message, TagPolicy::kRequireTag, &parsed), CoseError::kOk);
  EXPECT_TRUE(parsed.body_protected.empty());
  EXPECT_EQ(std::string(parsed.payload.begin(), parsed.payload.end()), "This is the content.");
  ASSERT_EQ(parsed.signer_count, 1u);
  EXPECT_EQ(parsed.signers[0].alg, Algorithm::kEs256);
  EXPECT_EQ(ToHex(parsed.signers[0].kid), "3131");
  EXPECT_EQ(ToHex(parsed.signers[0].protected_header), "a10126");
  EXPECT_TRUE(Verified(VerifySigner(parsed, 0, RfcKey11())));
  EXPECT_FALSE(Verified(VerifySigner(parsed, 0, P256().public_key)));
  EXPECT_FALSE(Verified(VerifySigner(parsed, 1, RfcKey11())));  // no such signer
}

TEST(CoseRfc9052, C21Sign1Verifies) {
  const Bytes message = Hex(kRfcC21);
  ParsedCoseSign1 parsed;
  ASSERT_EQ(ParseCoseSign1(message, TagPolicy::kRequireTag, &parsed), CoseError::kOk);
  EXPECT_EQ(ToHex(parsed.signer.kid), "3131");
  EXPECT_TRUE(Verified(VerifyCoseSign1(parsed, RfcKey11())));
  EXPECT_FALSE(Verified(VerifyCoseSign1(parsed, P256().public_key)));
}

TEST(CoseRfc9052, ExternalAadExamples) {
  const Bytes aad = Hex("11aa22bb33cc44dd55006699");
  const Bytes sign = Hex(kSignPass02);
  ParsedCoseSign parsed;
  ASSERT_EQ(ParseCoseSign(sign, TagPolicy::kRequireTag, &parsed), CoseError::kOk);
  EXPECT_TRUE(Verified(VerifySigner(parsed, 0, RfcKey11(), aad)));
  EXPECT_FALSE(Verified(VerifySigner(parsed, 0, RfcKey11())));
  const Bytes sign1 = Hex(kSign1Pass02);
  ParsedCoseSign1 parsed1;
  ASSERT_EQ(ParseCoseSign1(sign1, TagPolicy::kRequireTag, &parsed1), CoseError::kOk);
  EXPECT_TRUE(Verified(VerifyCoseSign1(parsed1, RfcKey11(), aad)));
  EXPECT_FALSE(Verified(VerifyCoseSign1(parsed1, RfcKey11())));
}

TEST(CoseRfc9052, SigStructureBytes) {
  // ToBeSign of C.1.1 and C.2.1 as published in the cose-wg examples.
  const Bytes payload = Str("This is the content.");
  const Bytes a10126 = Hex("a10126");
  const Bytes sign_tbs =
      Hex("85695369676e61747572654043a101264054546869732069732074686520636f6e74656e742e");
  const Bytes sign1_tbs =
      Hex("846a5369676e61747572653143a101264054546869732069732074686520636f6e74656e742e");
  EXPECT_EQ(
      ToHex(SigStructureDigest(crypto::HashAlg::kSha256, false, {}, a10126, {}, payload).view()),
      ToHex(crypto::Hash(crypto::HashAlg::kSha256, sign_tbs).view()));
  EXPECT_EQ(
      ToHex(SigStructureDigest(crypto::HashAlg::kSha256, true, a10126, {}, {}, payload).view()),
      ToHex(crypto::Hash(crypto::HashAlg::kSha256, sign1_tbs).view()));
}

TEST(CoseRfc9052, TagPolicy) {
  const Bytes tagged = Hex(kRfcC11);
  const Bytes untagged(tagged.begin() + 2, tagged.end());
  EXPECT_EQ(ParseSignError(tagged, TagPolicy::kRequireTag), CoseError::kOk);
  EXPECT_EQ(ParseSignError(tagged, TagPolicy::kForbidTag), CoseError::kUnexpectedTag);
  EXPECT_EQ(ParseSignError(untagged, TagPolicy::kRequireTag), CoseError::kMissingTag);
  EXPECT_EQ(ParseSignError(untagged, TagPolicy::kForbidTag), CoseError::kOk);
  EXPECT_EQ(ParseSignError(untagged, TagPolicy::kAllowEither), CoseError::kOk);
  // A COSE_Sign1 is not a COSE_Sign and vice versa.
  EXPECT_EQ(ParseSignError(Hex(kRfcC21)), CoseError::kWrongTag);
  EXPECT_EQ(ParseSign1Error(tagged), CoseError::kWrongTag);
  // Two tags.
  Bytes double_tag = Hex("d862");
  double_tag.insert(double_tag.end(), tagged.begin(), tagged.end());
  EXPECT_EQ(ParseSignError(double_tag), CoseError::kWrongTag);
}

// ---------------------------------------------------------------- round trips

TEST(CoseSign, RoundTripMixedCurvesThreeSigners) {
  const Bytes payload = Str("revoke slot 1 of domain app, sequence 7");
  const std::vector<SignerSpec> specs = {{&P256(0), Kid(P256(0).public_key)},
                                         {&P384(0), Kid(P384(0).public_key)},
                                         {&P256(1), Kid(P256(1).public_key)}};
  const Bytes message = BuildSign(payload, specs);
  EXPECT_EQ(message[0], 0xd8);
  EXPECT_EQ(message[1], 98);
  ASSERT_EQ(cbor::Validate(message, true), Status());
  ParsedCoseSign parsed;
  ASSERT_EQ(ParseCoseSign(message, TagPolicy::kRequireTag, &parsed), CoseError::kOk);
  ASSERT_EQ(parsed.signer_count, 3u);
  EXPECT_EQ(ToHex(parsed.payload), ToHex(payload));
  EXPECT_TRUE(parsed.body_protected.empty());
  EXPECT_EQ(parsed.signers[0].alg, Algorithm::kEs256);
  EXPECT_EQ(parsed.signers[1].alg, Algorithm::kEs384);
  EXPECT_EQ(ToHex(parsed.signers[0].protected_header), "a10126");
  EXPECT_EQ(ToHex(parsed.signers[1].protected_header), "a1013822");
  EXPECT_EQ(parsed.signers[1].signature.size(), 96u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ToHex(parsed.signers[i].kid), ToHex(specs[i].kid));
    EXPECT_TRUE(Verified(VerifySigner(parsed, i, specs[i].key->public_key))) << i;
    // Every other key fails.
    for (size_t j = 0; j < 3; ++j) {
      if (j != i) {
        EXPECT_FALSE(Verified(VerifySigner(parsed, i, specs[j].key->public_key)));
      }
    }
  }
  EXPECT_FALSE(Verified(VerifySigner(parsed, 0, P256(2).public_key)));
  EXPECT_FALSE(Verified(VerifySigner(parsed, 3, P256(0).public_key)));
  EXPECT_FALSE(Verified(VerifySigner(parsed, 100, P256(0).public_key)));
}

TEST(CoseSign, MaxSignersAndContentTypeAndUntagged) {
  std::vector<SignerSpec> specs;
  for (size_t i = 0; i < kMaxSigners; ++i) {
    const auto& key = i % 2 == 0 ? P256(static_cast<int>(i % 3)) : P384(static_cast<int>(i % 3));
    specs.push_back({&key, Kid(key.public_key)});
  }
  BuildOptions options;
  options.tagged = false;
  options.has_content_type = true;
  options.content_type = 60;  // application/cbor
  const Bytes message = BuildSign(Str("x"), specs, options);
  ParsedCoseSign parsed;
  ASSERT_EQ(ParseCoseSign(message, TagPolicy::kForbidTag, &parsed), CoseError::kOk);
  EXPECT_EQ(ToHex(parsed.body_protected), "a103183c");
  ASSERT_TRUE(parsed.content_type.present);
  EXPECT_FALSE(parsed.content_type.is_text);
  EXPECT_EQ(parsed.content_type.number, 60u);
  ASSERT_EQ(parsed.signer_count, kMaxSigners);
  for (size_t i = 0; i < kMaxSigners; ++i) {
    EXPECT_TRUE(Verified(VerifySigner(parsed, i, specs[i].key->public_key))) << i;
  }
  // One more is refused by the builder.
  specs.push_back(specs[0]);
  std::vector<SignerInput> inputs;
  for (const auto& s : specs) inputs.push_back({s.key, s.kid});
  Bytes out(8192);
  size_t n = 0;
  EXPECT_EQ(BuildCoseSign(Str("x"), inputs, {}, out, &n), Status(StatusCode::kInvalidArgument));
}

TEST(CoseSign, BuilderRefusals) {
  Bytes out(4096);
  size_t n = 0;
  const Bytes kid = Kid(P256().public_key);
  EXPECT_EQ(BuildCoseSign(Str("x"), {}, {}, out, &n), Status(StatusCode::kInvalidArgument));
  const SignerInput no_key[] = {{nullptr, kid}};
  EXPECT_EQ(BuildCoseSign(Str("x"), no_key, {}, out, &n), Status(StatusCode::kInvalidArgument));
  const SignerInput no_kid[] = {{&P256(), {}}};
  EXPECT_EQ(BuildCoseSign(Str("x"), no_kid, {}, out, &n), Status(StatusCode::kInvalidArgument));
  const Bytes long_kid(kMaxKidSize + 1, 1);
  const SignerInput big_kid[] = {{&P256(), long_kid}};
  EXPECT_EQ(BuildCoseSign(Str("x"), big_kid, {}, out, &n), Status(StatusCode::kInvalidArgument));
  const SignerInput good[] = {{&P256(), kid}};
  ASSERT_TRUE(BuildCoseSign(Str("x"), good, {}, out, &n).ok());
  const size_t full = n;
  for (size_t size = 0; size < full; ++size) {
    EXPECT_EQ(BuildCoseSign(Str("x"), good, {}, ByteSpan(out.data(), size), &n),
              Status(StatusCode::kResourceExhausted))
        << size;
  }
  EXPECT_EQ(BuildCoseSign1(Str("x"), {nullptr, kid}, {}, out, &n),
            Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(BuildCoseSign1(Str("x"), {&P256(), kid}, {}, ByteSpan(out.data(), 20), &n),
            Status(StatusCode::kResourceExhausted));
}

TEST(CoseSign1, RoundTripBothCurves) {
  for (const crypto::EcKeyPair* key : {&P256(), &P384()}) {
    const Bytes kid = Kid(key->public_key);
    BuildOptions options;
    options.has_content_type = true;
    options.content_type = 60;
    const Bytes message = BuildSign1(Str("payload"), *key, kid, options);
    EXPECT_EQ(message[0], 0xd2);
    ParsedCoseSign1 parsed;
    ASSERT_EQ(ParseCoseSign1(message, TagPolicy::kRequireTag, &parsed), CoseError::kOk);
    EXPECT_EQ(parsed.signer.alg, CurveAlgorithm(key->public_key.curve));
    EXPECT_EQ(ToHex(parsed.signer.kid), ToHex(kid));
    EXPECT_TRUE(parsed.content_type.present);
    EXPECT_TRUE(Verified(VerifyCoseSign1(parsed, key->public_key)));
    EXPECT_FALSE(Verified(VerifyCoseSign1(parsed, P256(1).public_key)));
    EXPECT_FALSE(Verified(VerifyCoseSign1(parsed, P384(1).public_key)));
    EXPECT_FALSE(Verified(VerifyCoseSign1(parsed, key->public_key, Str("aad"))));
  }
}

TEST(CoseSign1, ExternalAad) {
  BuildOptions options;
  const Bytes aad = Str("device-1234");
  options.external_aad = aad;
  const Bytes message = BuildSign1(Str("p"), P256(), Kid(P256().public_key), options);
  ParsedCoseSign1 parsed;
  ASSERT_EQ(ParseCoseSign1(message, TagPolicy::kRequireTag, &parsed), CoseError::kOk);
  EXPECT_TRUE(Verified(VerifyCoseSign1(parsed, P256().public_key, Str("device-1234"))));
  EXPECT_FALSE(Verified(VerifyCoseSign1(parsed, P256().public_key, Str("device-1235"))));
  EXPECT_FALSE(Verified(VerifyCoseSign1(parsed, P256().public_key)));
}

// ---------------------------------------------------------------- tampering

// Every single-bit flip of a signed message either fails to parse or fails
// to verify, except in the unprotected kid (which the signature does not
// cover: the revocation engine matches kid to key, then the key must verify).
TEST(CoseTamper, EveryBitFlipOfASign1) {
  const Bytes kid = Kid(P256().public_key);
  const Bytes message = BuildSign1(Str("revoke"), P256(), kid);
  ParsedCoseSign1 original;
  ASSERT_EQ(ParseCoseSign1(message, TagPolicy::kRequireTag, &original), CoseError::kOk);
  const size_t kid_start = static_cast<size_t>(original.signer.kid.data() - message.data());
  for (size_t i = 0; i < message.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes tampered = message;
      tampered[i] ^= static_cast<uint8_t>(1 << bit);
      ParsedCoseSign1 parsed;
      if (ParseCoseSign1(tampered, TagPolicy::kRequireTag, &parsed) != CoseError::kOk) continue;
      const bool in_kid = i >= kid_start && i < kid_start + kid.size();
      EXPECT_EQ(Verified(VerifyCoseSign1(parsed, P256().public_key)), in_kid)
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(CoseTamper, PayloadProtectedHeaderAndSignatureOfACoseSign) {
  BuildOptions options;
  options.has_content_type = true;
  options.content_type = 42;
  const std::vector<SignerSpec> specs = {{&P256(), Kid(P256().public_key)},
                                         {&P384(), Kid(P384().public_key)}};
  const Bytes message = BuildSign(Str("payload bytes"), specs, options);
  ParsedCoseSign parsed;
  ASSERT_EQ(ParseCoseSign(message, TagPolicy::kRequireTag, &parsed), CoseError::kOk);
  auto offset_of = [&](ConstByteSpan s) { return static_cast<size_t>(s.data() - message.data()); };

  auto expect_all_fail = [&](const Bytes& tampered, const char* what) {
    ParsedCoseSign p;
    ASSERT_EQ(ParseCoseSign(tampered, TagPolicy::kRequireTag, &p), CoseError::kOk) << what;
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_FALSE(Verified(VerifySigner(p, i, specs[i].key->public_key))) << what << " " << i;
    }
  };
  Bytes t = message;
  t[offset_of(parsed.payload)] ^= 1;
  expect_all_fail(t, "payload");
  t = message;
  t[offset_of(parsed.body_protected) + 3] ^= 1;  // content type 42 -> 43
  expect_all_fail(t, "body protected");

  // A signer's protected header, the signature: only that signer fails.
  for (size_t i = 0; i < 2; ++i) {
    t = message;
    t[offset_of(parsed.signers[i].signature) + 5] ^= 0x80;
    ParsedCoseSign p;
    ASSERT_EQ(ParseCoseSign(t, TagPolicy::kRequireTag, &p), CoseError::kOk);
    EXPECT_FALSE(Verified(VerifySigner(p, i, specs[i].key->public_key)));
    EXPECT_TRUE(Verified(VerifySigner(p, 1 - i, specs[1 - i].key->public_key)));
  }
  // Signer protected header {1: -7} -> {1: -35}: the signature size no longer fits.
  t = message;
  const size_t alg_at = offset_of(parsed.signers[0].protected_header) + 2;
  ASSERT_EQ(t[alg_at], 0x26);
  EXPECT_EQ(ParseSignError(t), CoseError::kOk);  // unchanged
  t[alg_at] = 0x27;                              // -8: EdDSA
  EXPECT_EQ(ParseSignError(t), CoseError::kUnsupportedAlgorithm);
  // Swap the two signers' signatures: neither verifies.
  ParsedCoseSign swapped = parsed;
  swapped.signers[0].signature = parsed.signers[1].signature.first(64);
  EXPECT_FALSE(Verified(VerifySigner(swapped, 0, specs[0].key->public_key)));
  // A signer's protected header is bound: moving signer 0's signature under
  // a different signer header fails.
  ParsedCoseSign moved = parsed;
  const Bytes other = Hex("a201260300");
  moved.signers[0].protected_header = other;
  EXPECT_FALSE(Verified(VerifySigner(moved, 0, specs[0].key->public_key)));
}

TEST(CoseTamper, WrongCurveKeyIsRefusedBeforeCrypto) {
  const Bytes message = BuildSign1(Str("p"), P256(), Kid(P256().public_key));
  ParsedCoseSign1 parsed;
  ASSERT_EQ(ParseCoseSign1(message, TagPolicy::kRequireTag, &parsed), CoseError::kOk);
  EXPECT_FALSE(Verified(VerifyCoseSign1(parsed, P384().public_key)));
  crypto::EcPublicKey broken = P256().public_key;
  broken.point_size = 10;
  EXPECT_FALSE(Verified(VerifyCoseSign1(parsed, broken)));
}

// ---------------------------------------------------------------- refusals
// Messages crafted with the encoder, one defect each.

struct Craft {
  bool tag = true;
  uint64_t tag_number = kTagCoseSign;
  int outer_count = 4;
  std::function<void(cbor::Encoder&)> body_protected = [](cbor::Encoder& e) { e.WriteBytes({}); };
  std::function<void(cbor::Encoder&)> body_unprotected = [](cbor::Encoder& e) { e.BeginMap(0); };
  std::function<void(cbor::Encoder&)> payload = [](cbor::Encoder& e) {
    const uint8_t p[] = {1, 2, 3};
    e.WriteBytes(p);
  };
  int signer_count = 1;
  int signer_fields = 3;
  std::function<void(cbor::Encoder&)> signer_protected = [](cbor::Encoder& e) {
    const uint8_t p[] = {0xa1, 0x01, 0x26};
    e.WriteBytes(p);
  };
  std::function<void(cbor::Encoder&)> signer_unprotected = [](cbor::Encoder& e) {
    const uint8_t kid[] = {1, 2};
    e.BeginMap(1);
    e.WriteUnsigned(4);
    e.WriteBytes(kid);
  };
  size_t signature_size = 64;
};

Bytes Make(const Craft& c) {
  Bytes out(16384);
  cbor::Encoder e(out);
  if (c.tag) e.WriteTag(c.tag_number);
  e.BeginArray(static_cast<uint64_t>(c.outer_count));
  c.body_protected(e);
  c.body_unprotected(e);
  c.payload(e);
  e.BeginArray(static_cast<uint64_t>(c.signer_count));
  for (int i = 0; i < c.signer_count; ++i) {
    e.BeginArray(static_cast<uint64_t>(c.signer_fields));
    c.signer_protected(e);
    c.signer_unprotected(e);
    const Bytes sig(c.signature_size, 0x11);
    if (c.signer_fields > 2) e.WriteBytes(sig);
  }
  EXPECT_TRUE(e.status().ok());
  out.resize(e.size());
  return out;
}

std::function<void(cbor::Encoder&)> Raw(const std::string& hex) {
  const Bytes bytes = Hex(hex);
  return [bytes](cbor::Encoder& e) { e.WriteRaw(bytes); };
}
std::function<void(cbor::Encoder&)> Bstr(const std::string& hex) {
  const Bytes bytes = Hex(hex);
  return [bytes](cbor::Encoder& e) { e.WriteBytes(bytes); };
}

TEST(CoseRefusal, CraftedBaselineParses) {
  EXPECT_EQ(ParseSignError(Make(Craft{})), CoseError::kOk);
}

TEST(CoseRefusal, Structure) {
  Craft c;
  c.outer_count = 3;  // but four items follow
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kMalformedCbor);
  EXPECT_EQ(ParseSignError(Hex("d8628340a04100")), CoseError::kBadStructure);
  c = Craft{};
  c.signer_fields = 2;
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadStructure);
  c = Craft{};
  c.body_unprotected = Raw("80");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadStructure);
  c = Craft{};
  c.payload = Raw("6161");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadStructure);
  c = Craft{};
  c.tag_number = 97;
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kWrongTag);
  EXPECT_EQ(ParseSignError(Hex("d86201")), CoseError::kBadStructure);
  EXPECT_EQ(ParseSignError(Hex("a0")), CoseError::kBadStructure);
}

TEST(CoseRefusal, MalformedCborAndTrailingBytes) {
  Bytes m = Make(Craft{});
  cbor::CborError detail = cbor::CborError::kOk;
  ParsedCoseSign parsed;
  Bytes trailing = m;
  trailing.push_back(0);
  EXPECT_EQ(ParseCoseSign(trailing, TagPolicy::kAllowEither, &parsed, &detail),
            CoseError::kMalformedCbor);
  EXPECT_EQ(detail, cbor::CborError::kTrailingBytes);
  for (size_t n = 0; n < m.size(); ++n) {
    const Bytes prefix(m.begin(), m.begin() + static_cast<long>(n));
    EXPECT_EQ(ParseCoseSign(prefix, TagPolicy::kAllowEither, &parsed, &detail),
              CoseError::kMalformedCbor);
    EXPECT_EQ(detail, cbor::CborError::kTruncated);
  }
  // Unsorted or duplicate keys in an unprotected header.
  Craft c;
  c.signer_unprotected = Raw("a204420102206161");  // {4: h'0102', -1: "a"}: 0x04 < 0x20 ok
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kOk);
  c.signer_unprotected = Raw("a220616104420102");
  EXPECT_EQ(ParseCoseSign(Make(c), TagPolicy::kAllowEither, &parsed, &detail),
            CoseError::kMalformedCbor);
  EXPECT_EQ(detail, cbor::CborError::kKeyOrder);
  c.signer_unprotected = Raw("a2044201020441ff");
  EXPECT_EQ(ParseCoseSign(Make(c), TagPolicy::kAllowEither, &parsed, &detail),
            CoseError::kMalformedCbor);
  EXPECT_EQ(detail, cbor::CborError::kDuplicateKey);
  // Non-deterministic head inside the protected header.
  c = Craft{};
  c.signer_protected = Bstr("a1013806");
  EXPECT_EQ(ParseCoseSign(Make(c), TagPolicy::kAllowEither, &parsed, &detail),
            CoseError::kMalformedCbor);
  EXPECT_EQ(detail, cbor::CborError::kNonShortestHead);
  // Too large.
  Bytes huge(kMaxMessageSize + 1, 0);
  EXPECT_EQ(ParseSignError(huge), CoseError::kMessageTooLarge);
}

TEST(CoseRefusal, ProtectedHeaders) {
  Craft c;
  c.signer_protected = Raw("a10126");  // a map, not a bstr
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadProtectedHeader);
  c.signer_protected = Bstr("a0");  // empty map must be h''
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadProtectedHeader);
  c.signer_protected = Bstr("820126");  // not a map
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadProtectedHeader);
  c.signer_protected = Bstr("a1012600");  // trailing byte
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadProtectedHeader);
  Bytes big = Hex("a20126");
  big.push_back(0x20);  // label -1
  big.push_back(0x58);
  big.push_back(kMaxProtectedHeaderSize);
  big.insert(big.end(), kMaxProtectedHeaderSize, 0);
  c.signer_protected = [big](cbor::Encoder& e) { e.WriteBytes(big); };
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kProtectedHeaderTooLarge);
  // Too many labels.
  std::string many = "b1";  // 17 pairs
  many += "0126";
  for (int label = 5; label < 21; ++label) {
    char pair[8];
    snprintf(pair, sizeof(pair), "%02x00", label < 24 ? label : 0);
    many += pair;
  }
  c.signer_protected = Bstr(many);
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadProtectedHeader);
}

TEST(CoseRefusal, Algorithms) {
  Craft c;
  c.signer_protected = Bstr("a10127");  // EdDSA
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnsupportedAlgorithm);
  c.signer_protected = Bstr("a10124");  // -5 (A256KW)
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnsupportedAlgorithm);
  c.signer_protected = Bstr("a101654553323536");  // "ES256" as text
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnsupportedAlgorithm);
  c.signer_protected = Bstr("a10140");  // alg as bstr
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadHeaderValue);
  c.signer_protected = Bstr("a1013bffffffffffffffff");  // beyond int64
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnsupportedAlgorithm);
  // alg only unprotected.
  c.signer_protected = Bstr("");
  c.signer_unprotected = Raw("a20126044102");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kMissingAlgorithm);
  // no alg at all.
  c.signer_unprotected = Raw("a1044102");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kMissingAlgorithm);
  // alg in both buckets.
  c.signer_protected = Bstr("a10126");
  c.signer_unprotected = Raw("a20126044102");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kDuplicateHeader);
  // alg in the body of a COSE_Sign.
  c = Craft{};
  c.body_protected = Bstr("a10126");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnexpectedAlgorithm);
  c = Craft{};
  c.body_unprotected = Raw("a10126");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnexpectedAlgorithm);
  // Signature size follows alg.
  c = Craft{};
  c.signature_size = 96;
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadSignatureSize);
  c.signer_protected = Bstr("a1013822");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kOk);
  c.signature_size = 64;
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadSignatureSize);
  c.signature_size = 0;
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadSignatureSize);
}

TEST(CoseRefusal, Kid) {
  Craft c;
  c.signer_unprotected = Raw("a0");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kMissingKid);
  c.signer_unprotected = Raw("a10440");  // empty kid
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadHeaderValue);
  c.signer_unprotected = Raw("a1046131");  // text kid
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadHeaderValue);
  const Bytes long_kid(kMaxKidSize + 1, 7);
  c.signer_unprotected = [long_kid](cbor::Encoder& e) {
    e.BeginMap(1);
    e.WriteUnsigned(4);
    e.WriteBytes(long_kid);
  };
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadHeaderValue);
  // A protected kid is fine.
  c.signer_protected = Bstr("a2012604420102");
  c.signer_unprotected = Raw("a0");
  ParsedCoseSign parsed;
  const Bytes message = Make(c);
  ASSERT_EQ(ParseCoseSign(message, TagPolicy::kAllowEither, &parsed), CoseError::kOk);
  EXPECT_EQ(ToHex(parsed.signers[0].kid), "0102");
  // ... but not in both buckets.
  c.signer_unprotected = Raw("a1044102");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kDuplicateHeader);
}

TEST(CoseRefusal, Critical) {
  Craft c;
  // crit [1]: understood and present.
  c.signer_protected = Bstr("a20126028101");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kOk);
  // crit naming an unknown label (-70000 / "x" / 5).
  c.signer_protected = Bstr("a2012602813a0001116f");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnknownCriticalHeader);
  c.signer_protected = Bstr("a3012602816178617800");  // {1:-7, 2:["x"], "x":0}
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnknownCriticalHeader);
  c.signer_protected = Bstr("a30126028105050a");  // {1:-7, 2:[5], 5:10}
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kUnknownCriticalHeader);
  // crit naming an understood label that is not in the protected header.
  c.signer_protected = Bstr("a20126028103");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadCritical);
  // crit empty, not an array, unprotected.
  c.signer_protected = Bstr("a201260280");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadCritical);
  c.signer_protected = Bstr("a201260201");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadCritical);
  c.signer_protected = Bstr("a20126028140");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadCritical);
  c.signer_protected = Bstr("a10126");
  c.signer_unprotected = Raw("a202810104420102");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadCritical);
  // Unknown labels that are not critical are ignored.
  c.signer_unprotected = Raw("a3044201020a0b3a0001116f6161");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kOk);
  // Labels must be int or text.
  c.signer_unprotected = Raw("a2044201024100f6");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadStructure);
}

TEST(CoseRefusal, ContentType) {
  Craft c;
  c.body_protected = Bstr("a103781b6170706c69636174696f6e2f636f73653b20636f73652d74797065");
  ParsedCoseSign parsed;
  const Bytes message = Make(c);
  ASSERT_EQ(ParseCoseSign(message, TagPolicy::kAllowEither, &parsed), CoseError::kOk);
  EXPECT_TRUE(parsed.content_type.present);
  EXPECT_TRUE(parsed.content_type.is_text);
  EXPECT_EQ(parsed.content_type.text.size(), 27u);
  c.body_protected = Bstr("a10320");  // negative
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadHeaderValue);
  c.body_protected = Bstr("a10340");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kBadHeaderValue);
}

TEST(CoseRefusal, PayloadAndSigners) {
  Craft c;
  c.payload = Raw("f6");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kDetachedPayload);
  c = Craft{};
  c.signer_count = 0;
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kNoSigners);
  c.signer_count = static_cast<int>(kMaxSigners);
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kOk);
  c.signer_count = static_cast<int>(kMaxSigners) + 1;
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kTooManySigners);
  c = Craft{};
  c.payload = Bstr("");
  EXPECT_EQ(ParseSignError(Make(c)), CoseError::kOk);  // an empty payload is present
}

TEST(CoseRefusal, Sign1Specific) {
  const Bytes good = BuildSign1(Str("p"), P256(), Hex("0102"));
  EXPECT_EQ(ParseSign1Error(good), CoseError::kOk);
  // Body protected header must carry alg for COSE_Sign1.
  Bytes out(512);
  cbor::Encoder e(out);
  e.WriteTag(kTagCoseSign1);
  e.BeginArray(4);
  e.WriteBytes({});
  e.WriteRaw(Hex("a20126044102"));
  e.WriteBytes(Str("p"));
  e.WriteBytes(Bytes(64, 1));
  out.resize(e.size());
  EXPECT_EQ(ParseSign1Error(out), CoseError::kMissingAlgorithm);
  // Nil payload.
  Bytes detached(512);
  cbor::Encoder d(detached);
  d.WriteTag(kTagCoseSign1);
  d.BeginArray(4);
  d.WriteBytes(Hex("a10126"));
  d.WriteRaw(Hex("a1044102"));
  d.WriteNull();
  d.WriteBytes(Bytes(64, 1));
  detached.resize(d.size());
  EXPECT_EQ(ParseSign1Error(detached), CoseError::kDetachedPayload);
}

TEST(CoseRefusal, ErrorNames) {
  for (int i = 0; i <= static_cast<int>(CoseError::kBadSignatureSize); ++i) {
    const auto e = static_cast<CoseError>(i);
    EXPECT_STRNE(CoseErrorName(e), "unknown");
    EXPECT_EQ(CoseErrorStatus(e).ok(), e == CoseError::kOk);
  }
  EXPECT_EQ(CoseErrorStatus(CoseError::kTooManySigners), Status(StatusCode::kResourceExhausted));
  EXPECT_EQ(CoseErrorStatus(CoseError::kWrongTag), Status(StatusCode::kInvalidArgument));
}

// ---------------------------------------------------------------- r||s <-> DER

std::string RawToDerHex(const std::string& raw_hex) {
  const Bytes raw = Hex(raw_hex);
  Bytes der(kMaxDerSignatureSize);
  size_t n = 0;
  EXPECT_TRUE(EcdsaRawToDer(raw, der, &n).ok());
  der.resize(n);
  // And back.
  Bytes back(raw.size());
  EXPECT_TRUE(EcdsaDerToRaw(der, raw.size() / 2, back).ok());
  EXPECT_EQ(ToHex(back), raw_hex);
  return ToHex(der);
}

TEST(EcdsaSignatureEncoding, RawToDerEdgeCases) {
  const std::string r_plain(64, '1');
  const std::string s_plain(64, '2');
  EXPECT_EQ(RawToDerHex(r_plain + s_plain), "30440220" + r_plain + "0220" + s_plain);
  // High bit set: a 0x00 is prepended.
  const std::string r_high = "80" + std::string(62, '0');
  const std::string s_high = "ff" + std::string(62, 'f');
  EXPECT_EQ(RawToDerHex(r_high + s_high), "3046022100" + r_high + "022100" + s_high);
  // Leading zeros are stripped; one zero byte kept for zero.
  const std::string r_lead = "0000" + std::string(60, '7');
  EXPECT_EQ(RawToDerHex(r_lead + s_plain), "3042021e" + std::string(60, '7') + "0220" + s_plain);
  // Leading zero then high bit: strip, then pad again.
  const std::string r_zero_high = "00" + std::string("80") + std::string(60, '0');
  EXPECT_EQ(RawToDerHex(r_zero_high + s_plain),
            "30440220" + std::string("00") + "80" + std::string(60, '0') + "0220" + s_plain);
  const std::string zero(64, '0');
  EXPECT_EQ(RawToDerHex(zero + "00" + std::string(62, '0').replace(60, 2, "01")),
            "3006020100020101");
  // r = 1 (only the last byte).
  EXPECT_EQ(RawToDerHex(std::string(62, '0') + "01" + s_high), "3026020101022100" + s_high);
  // P-384 with both high bits: the longest DER (104 bytes), still short-form length.
  const std::string r384 = "c1" + std::string(94, '5');
  const std::string der384 = RawToDerHex(r384 + r384);
  EXPECT_EQ(der384.size() / 2, kMaxDerSignatureSize);
  EXPECT_EQ(der384.substr(0, 4), "3066");
}

TEST(EcdsaSignatureEncoding, RawToDerRefusals) {
  Bytes der(kMaxDerSignatureSize);
  size_t n = 0;
  EXPECT_EQ(EcdsaRawToDer(Bytes(63, 1), der, &n), Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(EcdsaRawToDer(Bytes(), der, &n), Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(EcdsaRawToDer(Bytes(128, 1), der, &n), Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(EcdsaRawToDer(Bytes(64, 0x80), ByteSpan(der.data(), 71), &n),
            Status(StatusCode::kResourceExhausted));
  EXPECT_TRUE(EcdsaRawToDer(Bytes(64, 0x80), ByteSpan(der.data(), 72), &n).ok());
  EXPECT_EQ(n, 72u);
}

TEST(EcdsaSignatureEncoding, DerToRawIsStrict) {
  Bytes raw(64);
  auto refuse = [&](const std::string& hex) {
    EXPECT_EQ(EcdsaDerToRaw(Hex(hex), 32, raw), Status(StatusCode::kInvalidArgument)) << hex;
  };
  EXPECT_TRUE(EcdsaDerToRaw(Hex("3006020101020102"), 32, raw).ok());
  refuse("");
  refuse(
      "3006020101020102"
      "00");                     // trailing byte
  refuse("3007020101020102");    // length too long
  refuse("3005020101020102");    // length too short
  refuse("3106020101020102");    // not a SEQUENCE
  refuse("3006030101020102");    // not an INTEGER
  refuse("300702020001020102");  // non-minimal: 00 01
  refuse("3006020180020102");    // negative r
  refuse("3006020101020180");    // negative s
  refuse("30050200020102");      // empty integer
  refuse("308106020101020102");  // long-form length
  refuse(
      "3008020101020102"
      "0000");                     // extra element? length mismatch/trailing element
  refuse("30080201010201020500");  // a third element
  // An integer longer than the coordinate.
  const std::string too_long = "3026022101" + std::string(64, '1') + "020101";
  refuse(too_long);
  // 33 bytes with a 0x00 pad is fine.
  const std::string padded = "3026022100" + std::string("8") + std::string(63, '1') + "020101";
  EXPECT_TRUE(EcdsaDerToRaw(Hex(padded), 32, raw).ok());
  EXPECT_EQ(EcdsaDerToRaw(Hex("3006020101020102"), 31, raw), Status(StatusCode::kInvalidArgument));
  EXPECT_EQ(EcdsaDerToRaw(Hex("3006020101020102"), 48, raw),
            Status(StatusCode::kResourceExhausted));
}

// The facade's DER signatures survive DER -> r||s -> DER byte for byte.
TEST(EcdsaSignatureEncoding, FacadeSignaturesRoundTrip) {
  for (const crypto::EcKeyPair* key : {&P256(), &P384()}) {
    const size_t coordinate = crypto::CoordinateSize(key->public_key.curve);
    for (int i = 0; i < 64; ++i) {
      const Bytes message = {static_cast<uint8_t>(i), 1, 2};
      const crypto::Digest digest = crypto::Hash(crypto::CurveHash(key->public_key.curve), message);
      Bytes der(crypto::kMaxEcdsaDerSigSize);
      size_t n = 0;
      ASSERT_TRUE(crypto::EcdsaSign(*key, digest.view(), der, &n).ok());
      der.resize(n);
      Bytes raw(2 * coordinate);
      ASSERT_TRUE(EcdsaDerToRaw(der, coordinate, raw).ok());
      Bytes again(kMaxDerSignatureSize);
      size_t m = 0;
      ASSERT_TRUE(EcdsaRawToDer(raw, again, &m).ok());
      again.resize(m);
      EXPECT_EQ(ToHex(again), ToHex(der));
    }
  }
}

}  // namespace
}  // namespace bastion::cose
