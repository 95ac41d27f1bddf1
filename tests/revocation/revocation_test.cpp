// Revocation commands (src/revocation): the payload codec, the quorum rules,
// every refusal reason, and the OTP commit with its power-loss behaviour, on
// a provisioned virtual device.
#include "revocation/revocation.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "cbor/cbor.h"
#include "cose/cose.h"
#include "crypto/crypto.h"
#include "keys/key_domain.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "revocation/revocation_command.h"
#include "support/test_keys.h"
#include "virtual_device/virtual_device.h"

namespace bastion::revocation {
namespace {

using host::VirtualDevice;
using otp::Component;
using test_support::Kid;
using test_support::MakeKey;
using test_support::Spki;
using R = RefusalReason;

// No image of the domain boots (the bootable-image rule has nothing to protect).
constexpr BootableImages kNothingBoots{};

RevocationCommand Command(Component domain, std::vector<uint8_t> slots, uint32_t sequence) {
  RevocationCommand c;
  c.domain = domain;
  for (size_t i = 0; i < slots.size(); ++i) c.slots[i] = slots[i];
  c.slot_count = static_cast<uint8_t>(slots.size());
  c.sequence = sequence;
  return c;
}

std::vector<uint8_t> Encode(const RevocationCommand& command) {
  std::vector<uint8_t> out(kMaxPayloadSize);
  size_t n = 0;
  EXPECT_TRUE(EncodeCommand(command, out, &n).ok());
  out.resize(n);
  return out;
}

// A COSE_Sign over `payload` by each key (kid = SHA-256 of its SPKI).
std::vector<uint8_t> SignPayload(const std::vector<uint8_t>& payload,
                                 const std::vector<const crypto::EcKeyPair*>& keys) {
  std::vector<std::array<uint8_t, 32>> kids;
  for (const auto* k : keys) kids.push_back(Kid(*k));
  std::vector<cose::SignerInput> signers;
  for (size_t i = 0; i < keys.size(); ++i) signers.push_back({keys[i], kids[i]});
  std::vector<uint8_t> out(2048);
  size_t n = 0;
  EXPECT_TRUE(cose::BuildCoseSign(payload, signers, {}, out, &n).ok());
  out.resize(n);
  return out;
}

std::vector<uint8_t> Sign(const RevocationCommand& command,
                          const std::vector<const crypto::EcKeyPair*>& keys) {
  return SignPayload(Encode(command), keys);
}

// ---- Payload codec ----

TEST(RevocationPayload, RoundTripsAndIsDeterministic) {
  RevocationCommand c = Command(Component::kUrot, {0, 1, 2, 3}, 0xfffffffe);
  c.has_instance_id = true;
  c.instance_id.fill(0xab);
  const std::vector<uint8_t> bytes = Encode(c);
  EXPECT_EQ(bytes.size(), 54u);  // the largest payload
  EXPECT_TRUE(cbor::Validate(bytes, true).ok());
  RevocationCommand d;
  ASSERT_EQ(DecodeCommand(bytes, &d), PayloadError::kOk);
  EXPECT_EQ(d.domain, Component::kUrot);
  EXPECT_EQ(d.slot_count, 4);
  EXPECT_EQ(d.slots[3], 3);
  EXPECT_EQ(d.sequence, 0xfffffffeu);
  EXPECT_TRUE(d.has_instance_id);
  EXPECT_EQ(d.instance_id, c.instance_id);
  EXPECT_EQ(Encode(d), bytes);
}

TEST(RevocationPayload, KnownEncoding) {
  // {1: "app", 2: [1], 3: 7}
  const std::vector<uint8_t> expected = {0xa3, 0x01, 0x63, 'a',  'p', 'p',
                                         0x02, 0x81, 0x01, 0x03, 0x07};
  EXPECT_EQ(Encode(Command(Component::kApp, {1}, 7)), expected);
}

std::vector<uint8_t> Raw(std::initializer_list<uint8_t> bytes) { return bytes; }

TEST(RevocationPayload, RefusesEveryBreach) {
  RevocationCommand c;
  struct Case {
    std::vector<uint8_t> bytes;
    PayloadError error;
  };
  const Case cases[] = {
      {Raw({}), PayloadError::kMalformedCbor},
      {Raw({0x80}), PayloadError::kMalformedCbor},  // an array
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x81, 0x01, 0x03, 0x07, 0x00}),
       PayloadError::kMalformedCbor},  // trailing byte
      {Raw({0xa3, 0x02, 0x81, 0x01, 0x01, 0x63, 'a', 'p', 'p', 0x03, 0x07}),
       PayloadError::kMalformedCbor},  // keys out of order
      {Raw({0xbf, 0x01, 0x63, 'a', 'p', 'p', 0xff}), PayloadError::kMalformedCbor},  // indefinite
      {Raw({0xa4, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x81, 0x01, 0x03, 0x07, 0x05, 0x00}),
       PayloadError::kUnknownKey},
      {Raw({0xa1, 0x20, 0x00}), PayloadError::kUnknownKey},       // negative key
      {Raw({0xa1, 0x61, 'a', 0x00}), PayloadError::kUnknownKey},  // text key
      {Raw({0xa2, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x81, 0x01}), PayloadError::kMissingField},
      {Raw({0xa3, 0x01, 0x63, 'A', 'p', 'p', 0x02, 0x81, 0x01, 0x03, 0x07}),
       PayloadError::kBadDomain},
      {Raw({0xa3, 0x01, 0x02, 0x02, 0x81, 0x01, 0x03, 0x07}), PayloadError::kBadDomain},
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x80, 0x03, 0x07}), PayloadError::kBadSlots},
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x82, 0x01, 0x01, 0x03, 0x07}),
       PayloadError::kBadSlots},  // duplicate
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x82, 0x02, 0x01, 0x03, 0x07}),
       PayloadError::kBadSlots},  // descending
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x85, 0, 1, 2, 3, 3, 0x03, 0x07}),
       PayloadError::kBadSlots},  // five
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x01, 0x03, 0x07}), PayloadError::kBadSlots},
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x81, 0x04, 0x03, 0x07}),
       PayloadError::kSlotOutOfRange},
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x81, 0x01, 0x03, 0x00}),
       PayloadError::kBadSequence},
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x81, 0x01, 0x03, 0x1a, 0xff, 0xff, 0xff, 0xff}),
       PayloadError::kBadSequence},  // 2^32 - 1
      {Raw({0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x81, 0x01, 0x03, 0x20}),
       PayloadError::kBadSequence},  // negative
      {Raw({0xa4, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x81, 0x01, 0x03, 0x07, 0x04, 0x41, 0x00}),
       PayloadError::kBadInstanceId},
  };
  for (const Case& k : cases) {
    EXPECT_EQ(DecodeCommand(k.bytes, &c), k.error)
        << PayloadErrorName(k.error) << " / got " << PayloadErrorName(DecodeCommand(k.bytes, &c));
  }
  std::vector<uint8_t> big(kMaxPayloadSize + 1, 0);
  EXPECT_EQ(DecodeCommand(big, &c), PayloadError::kTooLarge);
}

TEST(RevocationPayload, EncoderRefusesInvalidCommands) {
  std::array<uint8_t, kMaxPayloadSize> out{};
  size_t n = 0;
  EXPECT_EQ(EncodeCommand(Command(Component::kApp, {}, 1), out, &n).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeCommand(Command(Component::kApp, {2, 1}, 1), out, &n).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeCommand(Command(Component::kApp, {4}, 1), out, &n).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeCommand(Command(Component::kApp, {1}, 0), out, &n).code(),
            StatusCode::kInvalidArgument);
  std::array<uint8_t, 8> small{};
  EXPECT_EQ(EncodeCommand(Command(Component::kApp, {1}, 1), small, &n).code(),
            StatusCode::kResourceExhausted);
}

TEST(RevocationNames, AreStable) {
  EXPECT_STREQ(RefusalReasonName(R::kAccepted), "accepted");
  EXPECT_STREQ(RefusalReasonName(R::kTooFewSignatures), "too-few-signatures");
  EXPECT_STREQ(RefusalReasonName(R::kDomainCorrupt), "domain-corrupt");
  EXPECT_EQ(static_cast<int>(R::kDomainCorrupt), 15);
  for (int i = 0; i <= 15; ++i) {
    EXPECT_STRNE(RefusalReasonName(static_cast<R>(i)), "unknown") << i;
  }
  EXPECT_STREQ(PayloadErrorName(PayloadError::kBadInstanceId), "bad-instance-id");
}

// ---- On a provisioned device ----
//
// app domain: signing slots 0 (P-256), 1 (P-384), 2 (P-256), slot 3 blank;
// threshold 2; authority slots 0 and 1.

class RevocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint8_t i = 0; i < 3; ++i) {
      signing_[i] = MakeKey(i == 1 ? crypto::Curve::kP384 : crypto::Curve::kP256, 20 + i);
    }
    authority_[0] = MakeKey(crypto::Curve::kP256, 30);
    authority_[1] = MakeKey(crypto::Curve::kP384, 31);
    stranger_ = MakeKey(crypto::Curve::kP256, 40);
    const auto urot = MakeKey(crypto::Curve::kP256, 50);
    const auto sm = MakeKey(crypto::Curve::kP256, 51);
    host::Profile profile;
    profile.geometry = host::DefaultGeometry();
    profile.layout = host::DefaultLayout(profile.geometry);
    profile.domains[0].keys = {Spki(urot)};
    profile.domains[0].threshold = 1;
    profile.domains[1].keys = {Spki(sm)};
    profile.domains[1].threshold = 1;
    profile.domains[2].keys = {Spki(signing_[0]), Spki(signing_[1]), Spki(signing_[2])};
    profile.domains[2].authority = {Spki(authority_[0]), Spki(authority_[1])};
    profile.domains[2].threshold = 2;
    device_ = VirtualDevice::InMemory(profile.geometry);
    host::Provision(*device_, profile);
    ASSERT_TRUE(host::ReadHeader(*device_, &header_));
  }

  keys::KeyDomain Domain() {
    keys::KeyDomain domain;
    EXPECT_TRUE(keys::LoadDomain(device_->platform().otp, Component::kApp, &domain).ok());
    return domain;
  }

  R Check(const std::vector<uint8_t>& message, BootableImages bootable = {0, 1},
          CheckOutcome* outcome = nullptr, const keys::KeyDomain* fake_domain = nullptr) {
    const keys::KeyDomain domain = fake_domain ? *fake_domain : Domain();
    KeyStoreSlotKeys slot_keys(*device_, header_.layout, domain);
    CheckOutcome local;
    CheckOutcome* o = outcome ? outcome : &local;
    const CheckContext context{domain, otp::Lifecycle::kSecured,
                               std::span<const uint8_t, 32>(header_.instance_id), bootable,
                               slot_keys};
    const R reason = CheckCommand(message, context, o);
    EXPECT_EQ(o->reason, reason);
    return reason;
  }

  // Checks and, when accepted, applies.
  R CheckAndApply(const std::vector<uint8_t>& message, BootableImages bootable = {0, 1}) {
    CheckOutcome outcome;
    const R reason = Check(message, bootable, &outcome);
    if (reason == R::kAccepted) {
      EXPECT_TRUE(ApplyRevocation(device_->platform().otp, Component::kApp, outcome.command,
                                  outcome.accepted, bootable)
                      .ok());
    }
    return reason;
  }

  void FactoryWord(uint32_t offset, uint32_t value) {
    std::vector<uint8_t> bytes(4);
    StoreLe32(bytes.data(), value);
    device_->FactoryProgramOtp(offset, bytes);
  }
  static uint32_t AuthorityRevokedOffset(size_t slot) {
    return static_cast<uint32_t>(
        otp::DomainOffset(Component::kApp) + offsetof(otp::OtpDomain, authority) +
        slot * sizeof(otp::OtpKeySlot) + offsetof(otp::OtpKeySlot, revoked));
  }
  static uint32_t RecordOffset(size_t entry) {
    return static_cast<uint32_t>(otp::DomainOffset(Component::kApp) +
                                 offsetof(otp::OtpDomain, revocations) +
                                 entry * sizeof(otp::OtpRevocationRecord));
  }
  static uint32_t SigningRevokedOffset(size_t slot) {
    return static_cast<uint32_t>(
        otp::DomainOffset(Component::kApp) + offsetof(otp::OtpDomain, signing) +
        slot * sizeof(otp::OtpKeySlot) + offsetof(otp::OtpKeySlot, revoked));
  }
  void FactoryRecord(size_t entry, const otp::OtpRevocationRecord& record) {
    std::vector<uint8_t> bytes(8);
    StoreLe32(bytes.data(), record.sequence);
    StoreLe32(bytes.data() + 4, record.slots);
    device_->FactoryProgramOtp(RecordOffset(entry), bytes);
  }
  otp::OtpDomain RawDomain() const {
    otp::OtpDomain d;
    std::memcpy(&d, device_->raw_otp().data() + otp::DomainOffset(Component::kApp), sizeof(d));
    return d;
  }
  // The app domain's OTP bytes (the rest of the OTP differs between devices:
  // the instance ID is random).
  std::vector<uint8_t> AppDomainBytes() const {
    const auto& raw = device_->raw_otp();
    const size_t at = otp::DomainOffset(Component::kApp);
    return std::vector<uint8_t>(raw.begin() + static_cast<ptrdiff_t>(at),
                                raw.begin() + static_cast<ptrdiff_t>(at + sizeof(otp::OtpDomain)));
  }

  std::array<crypto::EcKeyPair, 3> signing_;
  std::array<crypto::EcKeyPair, 2> authority_;
  crypto::EcKeyPair stranger_;
  std::unique_ptr<VirtualDevice> device_;
  otp::OtpHeader header_{};
};

// -- quorum rules (threshold 2) --

TEST_F(RevocationTest, OneSigningKeyIsTooFew) {
  CheckOutcome o;
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 1), {&signing_[0]}), {0, 1}, &o),
            R::kTooFewSignatures);
  EXPECT_EQ(o.authorization.signing_verified, 0b001);
  EXPECT_EQ(o.authorization.authorized, HardenedBool::kFalse);
}

TEST_F(RevocationTest, TwoDistinctSigningKeysAuthorise) {
  CheckOutcome o;
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 1), {&signing_[0], &signing_[1]}), {0, 1}, &o),
            R::kAccepted);
  EXPECT_EQ(o.authorization.signing_verified, 0b011);
  EXPECT_EQ(o.authorization.authorized, HardenedBool::kTrue);
  EXPECT_EQ(o.command.sequence, 1u);
}

TEST_F(RevocationTest, SameKeyTwiceCountsOnce) {
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 1), {&signing_[0], &signing_[0]})),
            R::kTooFewSignatures);
}

TEST_F(RevocationTest, OneAuthorityKeyAuthorises) {
  CheckOutcome o;
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 1), {&authority_[1]}), {0, 1}, &o),
            R::kAccepted);
  EXPECT_EQ(o.authorization.authority_verified, 0b10);
  EXPECT_EQ(o.authorization.signing_verified, 0);
}

TEST_F(RevocationTest, RevokedAuthorityIsRefused) {
  FactoryWord(AuthorityRevokedOffset(0), otp::kSlotRevokedMarker);
  CheckOutcome o;
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 1), {&authority_[0]}), {0, 1}, &o),
            R::kRevokedSigner);
  EXPECT_EQ(o.authorization.offending_signer, 0);
  // Even next to a quorum that would suffice on its own.
  EXPECT_EQ(
      Check(Sign(Command(Component::kApp, {2}, 1), {&signing_[0], &signing_[1], &authority_[0]})),
      R::kRevokedSigner);
}

TEST_F(RevocationTest, RevokedSigningKeyIsRefused) {
  ASSERT_EQ(CheckAndApply(Sign(Command(Component::kApp, {2}, 1), {&signing_[0], &signing_[1]})),
            R::kAccepted);
  CheckOutcome o;
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {1}, 2), {&signing_[0], &signing_[2]}), {0, 0}, &o),
            R::kRevokedSigner);
  EXPECT_EQ(o.authorization.offending_signer, 1);
}

TEST_F(RevocationTest, UnknownSignerIsRefused) {
  CheckOutcome o;
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 1), {&signing_[0], &signing_[1], &stranger_}),
                  {0, 1}, &o),
            R::kUnknownSigner);
  EXPECT_EQ(o.authorization.offending_signer, 2);
}

TEST_F(RevocationTest, BadSignatureIsRefused) {
  std::vector<uint8_t> message =
      Sign(Command(Component::kApp, {2}, 1), {&signing_[0], &signing_[2]});
  message.back() ^= 0x01;  // the last signer's s
  CheckOutcome o;
  EXPECT_EQ(Check(message, {0, 1}, &o), R::kBadSignature);
  EXPECT_EQ(o.authorization.offending_signer, 1);
}

// A key source that hands out the wrong key: the signature cannot verify.
class WrongKeys final : public SlotKeySource {
 public:
  explicit WrongKeys(const crypto::EcKeyPair& key) : key_(key) {}
  Status SlotKey(keys::KeyRole, size_t, crypto::EcPublicKey* key) override {
    *key = key_.public_key;
    return StatusCode::kOk;
  }

 private:
  const crypto::EcKeyPair& key_;
};

TEST_F(RevocationTest, KeySourceIsTheOnlyKeyAuthority) {
  const keys::KeyDomain domain = Domain();
  WrongKeys wrong(stranger_);
  cose::ParsedCoseSign parsed;
  const std::vector<uint8_t> message =
      Sign(Command(Component::kApp, {2}, 1), {&signing_[0], &signing_[2]});
  ASSERT_EQ(cose::ParseCoseSign(message, cose::TagPolicy::kRequireTag, &parsed),
            cose::CoseError::kOk);
  Authorization a;
  EXPECT_EQ(Authorize(parsed, domain, otp::Lifecycle::kSecured, wrong, &a), HardenedBool::kFalse);
  EXPECT_EQ(a.reason, R::kBadSignature);
  // The real key store: accepted.
  KeyStoreSlotKeys store(*device_, header_.layout, domain);
  EXPECT_EQ(Authorize(parsed, domain, otp::Lifecycle::kSecured, store, &a), HardenedBool::kTrue);
  crypto::EcPublicKey key;
  EXPECT_EQ(store.SlotKey(keys::KeyRole::kSigning, 3, &key).code(), StatusCode::kNotFound);
  EXPECT_EQ(store.SlotKey(keys::KeyRole::kAuthority, 2, &key).code(), StatusCode::kInvalidArgument);
}

TEST_F(RevocationTest, KeysOutsideTheirLifecycleCountForNothing) {
  const keys::KeyDomain domain = Domain();
  KeyStoreSlotKeys store(*device_, header_.layout, domain);
  cose::ParsedCoseSign parsed;
  const std::vector<uint8_t> message =
      Sign(Command(Component::kApp, {2}, 1), {&signing_[0], &signing_[1], &authority_[0]});
  ASSERT_EQ(cose::ParseCoseSign(message, cose::TagPolicy::kRequireTag, &parsed),
            cose::CoseError::kOk);
  Authorization a;
  EXPECT_EQ(Authorize(parsed, domain, otp::Lifecycle::kDecommissioned, store, &a),
            HardenedBool::kFalse);
  EXPECT_EQ(a.reason, R::kTooFewSignatures);
}

// -- malformed input, domain, device --

TEST_F(RevocationTest, MalformedCoseIsRefused) {
  CheckOutcome o;
  EXPECT_EQ(Check(Raw({0x01, 0x02, 0x03}), {0, 1}, &o), R::kMalformedCose);
  std::vector<uint8_t> untagged = Sign(Command(Component::kApp, {2}, 1), {&signing_[0]});
  untagged.erase(untagged.begin());  // drop the tag 98 head (0xd8 0x62) first byte...
  untagged.erase(untagged.begin());  // ...and its argument
  EXPECT_EQ(Check(untagged, {0, 1}, &o), R::kMalformedCose);
  EXPECT_EQ(o.cose_error, cose::CoseError::kMissingTag);
}

TEST_F(RevocationTest, MalformedPayloadIsRefused) {
  CheckOutcome o;
  const std::vector<uint8_t> payload = {0xa4, 0x01, 0x63, 'a',  'p',  'p', 0x02,
                                        0x81, 0x01, 0x03, 0x07, 0x05, 0x00};
  EXPECT_EQ(Check(SignPayload(payload, {&signing_[0], &signing_[1]}), {0, 1}, &o),
            R::kMalformedPayload);
  EXPECT_EQ(o.payload_error, PayloadError::kUnknownKey);
}

TEST_F(RevocationTest, SlotOutOfRangeIsRefused) {
  CheckOutcome o;
  const std::vector<uint8_t> payload = {0xa3, 0x01, 0x63, 'a',  'p', 'p',
                                        0x02, 0x81, 0x04, 0x03, 0x07};
  EXPECT_EQ(Check(SignPayload(payload, {&signing_[0], &signing_[1]}), {0, 1}, &o),
            R::kSlotOutOfRange);
  EXPECT_EQ(o.payload_error, PayloadError::kSlotOutOfRange);
}

TEST_F(RevocationTest, WrongDomainIsReportedForRouting) {
  CheckOutcome o;
  EXPECT_EQ(Check(Sign(Command(Component::kSm, {0}, 1), {&signing_[0], &signing_[1]}), {0, 1}, &o),
            R::kWrongDomain);
  EXPECT_EQ(o.command.domain, Component::kSm);
}

TEST_F(RevocationTest, InstanceIdMatchMismatchAbsent) {
  RevocationCommand c = Command(Component::kApp, {2}, 1);
  c.has_instance_id = true;
  std::memcpy(c.instance_id.data(), header_.instance_id, 32);
  EXPECT_EQ(Check(Sign(c, {&signing_[0], &signing_[1]})), R::kAccepted);
  c.instance_id[31] ^= 0x01;
  EXPECT_EQ(Check(Sign(c, {&signing_[0], &signing_[1]})), R::kOtherDevice);
  c.has_instance_id = false;
  EXPECT_EQ(Check(Sign(c, {&signing_[0], &signing_[1]})), R::kAccepted);
}

// -- sequence --

TEST_F(RevocationTest, ReplayIsRefused) {
  ASSERT_EQ(CheckAndApply(Sign(Command(Component::kApp, {2}, 5), {&authority_[0]})), R::kAccepted);
  EXPECT_EQ(Domain().revocation_sequence, 5u);
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 5), {&authority_[0]})), R::kReplay);
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 4), {&authority_[0]})), R::kReplay);
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 6), {&authority_[0]})), R::kAccepted);
}

TEST_F(RevocationTest, FullSequenceLogIsRefused) {
  for (size_t i = 0; i < otp::kLogEntries; ++i) {
    FactoryRecord(i, otp::MakeRevocationRecord(static_cast<uint32_t>(10 + i), 1u << 2));
  }
  EXPECT_EQ(Domain().revocation_sequence, 25u);
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 26), {&authority_[0]})), R::kSequenceLogFull);
  CheckOutcome o;
  ASSERT_EQ(Check(Sign(Command(Component::kApp, {0}, 27), {&authority_[0]}), {1, 2}, &o),
            R::kSequenceLogFull);
  EXPECT_EQ(ApplyRevocation(device_->platform().otp, Component::kApp, o.command,
                            HardenedBool::kTrue, {1, 2})
                .code(),
            StatusCode::kResourceExhausted);
  // A full log still rolls forward.
  EXPECT_EQ(Domain().signing[2], keys::SlotState::kRevoked);
  EXPECT_EQ(RawDomain().signing[2].revoked, 0u);
  EXPECT_TRUE(CompleteRevocations(device_->platform().otp, Component::kApp).ok());
  EXPECT_EQ(RawDomain().signing[2].revoked, otp::kSlotRevokedMarker);
}

TEST_F(RevocationTest, CorruptLogInTheSnapshotIsRefused) {
  keys::KeyDomain domain = Domain();
  domain.raw.revocations[0] = otp::MakeRevocationRecord(9, 1u << 2);
  domain.raw.revocations[1] = otp::MakeRevocationRecord(3, 1u << 2);  // falls: not a log
  EXPECT_EQ(
      Check(Sign(Command(Component::kApp, {2}, 20), {&authority_[0]}), {0, 1}, nullptr, &domain),
      R::kDomainCorrupt);
  domain.raw.revocations[1] = otp::OtpRevocationRecord{};
  domain.raw.revocations[2] = otp::MakeRevocationRecord(10, 1u << 2);  // after a gap
  EXPECT_EQ(
      Check(Sign(Command(Component::kApp, {2}, 20), {&authority_[0]}), {0, 1}, nullptr, &domain),
      R::kDomainCorrupt);
}

// -- slot and image protection --

TEST_F(RevocationTest, BlankSlotIsRefused) {
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {3}, 1), {&signing_[0], &signing_[1]})),
            R::kSlotNotProvisioned);
}

TEST_F(RevocationTest, LastSigningKeyIsProtected) {
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {0, 1, 2}, 1), {&authority_[0]}), {0, kNoImage}),
            R::kLastSigningKey);
  ASSERT_EQ(
      CheckAndApply(Sign(Command(Component::kApp, {0, 1}, 1), {&authority_[0]}), {2, kNoImage}),
      R::kAccepted);
  EXPECT_EQ(Domain().ActiveSigningKeys(), 1u);
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {2}, 2), {&authority_[0]}), {2, kNoImage}),
            R::kLastSigningKey);
}

// Every image the boot can end up running (the primary, and the image a
// revert would bring back) keeps its key: one surviving is not enough.
TEST_F(RevocationTest, EveryBootableImageKeepsItsKey) {
  const auto message = Sign(Command(Component::kApp, {0}, 1), {&signing_[1], &signing_[2]});
  EXPECT_EQ(Check(message, {0, kNoImage}), R::kNoBootableImage);
  EXPECT_EQ(Check(message, {0, 0}), R::kNoBootableImage);
  EXPECT_EQ(Check(message, {0, 2}), R::kNoBootableImage);  // the primary would not boot
  EXPECT_EQ(Check(message, {2, 0}), R::kNoBootableImage);  // the revert target would not
  EXPECT_EQ(Check(message, {kNoImage, 0}), R::kNoBootableImage);
  EXPECT_EQ(Check(message, {1, 2}), R::kAccepted);
  EXPECT_EQ(Check(message, {1, kNoImage}), R::kAccepted);
  EXPECT_EQ(Check(message, {kNoImage, kNoImage}), R::kAccepted);  // nothing boots today
  // A slot already revoked boots nothing today: nothing to protect.
  const auto revoke2 = Sign(Command(Component::kApp, {2}, 1), {&authority_[0]});
  ASSERT_EQ(CheckAndApply(revoke2, {1, kNoImage}), R::kAccepted);
  EXPECT_EQ(Check(Sign(Command(Component::kApp, {0, 2}, 2), {&authority_[0]}), {1, 2}),
            R::kAccepted);
}

TEST_F(RevocationTest, AlreadyRevokedSlotIsANoOp) {
  ASSERT_EQ(CheckAndApply(Sign(Command(Component::kApp, {0}, 1), {&authority_[0]}), {1, 2}),
            R::kAccepted);
  EXPECT_EQ(CheckAndApply(Sign(Command(Component::kApp, {0}, 2), {&authority_[0]}), {1, 2}),
            R::kAccepted);
  EXPECT_EQ(Domain().revocation_sequence, 2u);
}

// -- commit --

// Records every OTP program (offset, size) on its way to the device.
class RecordingOtp final : public platform::Otp {
 public:
  explicit RecordingOtp(platform::Otp& inner) : inner_(inner) {}
  uint32_t size() const override { return inner_.size(); }
  Status Read(uint32_t offset, ByteSpan out) override { return inner_.Read(offset, out); }
  Status Program(uint32_t offset, ConstByteSpan data) override {
    programs.push_back({offset, data.size()});
    return inner_.Program(offset, data);
  }
  std::vector<std::pair<uint32_t, size_t>> programs;

 private:
  platform::Otp& inner_;
};

TEST_F(RevocationTest, ApplyWritesOneRecordThenMarkersAndOnlySetsBits) {
  const std::vector<uint8_t> before = device_->raw_otp();
  CheckOutcome o;
  ASSERT_EQ(Check(Sign(Command(Component::kApp, {0, 2}, 7), {&signing_[1], &signing_[2]}),
                  {1, kNoImage}, &o),
            R::kAccepted);
  platform::Platform p = device_->platform();
  RecordingOtp recording(p.otp);
  ASSERT_TRUE(
      ApplyRevocation(recording, Component::kApp, o.command, o.accepted, {1, kNoImage}).ok());
  // The commit point is the first write, one aligned 8-byte record; the
  // markers follow.
  ASSERT_EQ(recording.programs.size(), 3u);
  EXPECT_EQ(recording.programs[0], std::make_pair(RecordOffset(0), size_t{8}));
  EXPECT_EQ(recording.programs[0].first % 8, 0u);
  EXPECT_EQ(recording.programs[1], std::make_pair(SigningRevokedOffset(0), size_t{4}));
  EXPECT_EQ(recording.programs[2], std::make_pair(SigningRevokedOffset(2), size_t{4}));
  const std::vector<uint8_t>& after = device_->raw_otp();
  size_t changed = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i] & ~after[i], 0) << "bit cleared at " << i;
    changed += before[i] != after[i];
  }
  EXPECT_LE(changed, 16u);  // one record and two marker words
  const keys::KeyDomain d = Domain();
  EXPECT_EQ(d.signing[0], keys::SlotState::kRevoked);
  EXPECT_EQ(d.signing[1], keys::SlotState::kProvisioned);
  EXPECT_EQ(d.signing[2], keys::SlotState::kRevoked);
  EXPECT_EQ(d.signing[3], keys::SlotState::kBlank);
  EXPECT_EQ(d.raw.signing[0].revoked, otp::kSlotRevokedMarker);
  EXPECT_EQ(d.revocation_sequence, 7u);
  EXPECT_EQ(d.recorded_revocations, 0b101);
  EXPECT_EQ(d.raw.revocations[0].sequence, 8u);  // value + 1
  EXPECT_EQ(d.raw.revocations[0].slots, otp::MakeRevocationRecord(7, 0b101).slots);
  // Re-applying and rolling forward program nothing.
  const uint64_t ops = device_->operations();
  const std::vector<uint8_t> settled = device_->raw_otp();
  RevocationCommand c = Command(Component::kApp, {0, 2}, 7);
  EXPECT_TRUE(ApplyRevocation(device_->platform().otp, Component::kApp, c, HardenedBool::kTrue,
                              kNothingBoots)
                  .ok());
  EXPECT_TRUE(CompleteRevocations(device_->platform().otp, Component::kApp).ok());
  EXPECT_EQ(device_->operations(), ops);
  EXPECT_EQ(device_->raw_otp(), settled);
  // An older command, or another with the same sequence, is not this record.
  EXPECT_EQ(ApplyRevocation(device_->platform().otp, Component::kApp,
                            Command(Component::kApp, {0}, 7), HardenedBool::kTrue, kNothingBoots)
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyRevocation(device_->platform().otp, Component::kApp,
                            Command(Component::kApp, {0, 2}, 6), HardenedBool::kTrue, kNothingBoots)
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(device_->raw_otp(), settled);
}

TEST_F(RevocationTest, ApplyRefusesMisuse) {
  auto& otp = device_->platform().otp;
  EXPECT_EQ(ApplyRevocation(otp, Component::kSm, Command(Component::kApp, {0}, 1),
                            HardenedBool::kTrue, kNothingBoots)
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyRevocation(otp, Component::kApp, Command(Component::kApp, {}, 1),
                            HardenedBool::kTrue, kNothingBoots)
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyRevocation(otp, Component::kApp, Command(Component::kApp, {3}, 1),
                            HardenedBool::kTrue, kNothingBoots)
                .code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(device_->Raise(platform::Hdpl::kSecureManager).ok());
  EXPECT_EQ(ApplyRevocation(otp, Component::kApp, Command(Component::kApp, {0}, 1),
                            HardenedBool::kTrue, kNothingBoots)
                .code(),
            StatusCode::kPermissionDenied);
}

// -- the commit's own guard: the hardened decision and the rules, re-checked --

// CheckCommand's hardened decision is kTrue only with kAccepted.
TEST_F(RevocationTest, OutcomeCarriesTheHardenedDecision) {
  CheckOutcome o;
  ASSERT_EQ(Check(Sign(Command(Component::kApp, {0}, 1), {&signing_[1], &signing_[2]}),
                  {1, kNoImage}, &o),
            R::kAccepted);
  EXPECT_EQ(o.accepted, HardenedBool::kTrue);
  ASSERT_EQ(Check(Sign(Command(Component::kApp, {0}, 1), {&stranger_}), {1, kNoImage}, &o),
            R::kUnknownSigner);
  EXPECT_EQ(o.accepted, HardenedBool::kFalse);
  ASSERT_EQ(Check(Sign(Command(Component::kApp, {0}, 1), {&signing_[1]}), {1, kNoImage}, &o),
            R::kTooFewSignatures);
  EXPECT_EQ(o.accepted, HardenedBool::kFalse);
  ASSERT_EQ(
      Check(Sign(Command(Component::kApp, {0, 1, 2}, 1), {&authority_[0]}), kNothingBoots, &o),
      R::kLastSigningKey);
  EXPECT_EQ(o.accepted, HardenedBool::kFalse);
  ASSERT_EQ(Check(Sign(Command(Component::kApp, {1}, 1), {&authority_[0]}), {1, kNoImage}, &o),
            R::kNoBootableImage);
  EXPECT_EQ(o.accepted, HardenedBool::kFalse);
}

// One fault that skips or zeroes the "reason == kAccepted" comparison hands
// the commit a command signed only by a stranger that revokes every key:
// the commit refuses it on its own, writing nothing.
TEST_F(RevocationTest, ApplyRefusesWithoutAnAcceptedDecision) {
  CheckOutcome o;
  ASSERT_EQ(Check(Sign(Command(Component::kApp, {0, 1, 2}, 1), {&stranger_}), kNothingBoots, &o),
            R::kUnknownSigner);
  const std::vector<uint8_t> before = device_->raw_otp();
  const uint64_t ops = device_->operations();
  EXPECT_EQ(ApplyRevocation(device_->platform().otp, Component::kApp, o.command, o.accepted, {1, 2})
                .code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(ApplyRevocation(device_->platform().otp, Component::kApp,
                            Command(Component::kApp, {0}, 1), HardenedBool::kFalse, kNothingBoots)
                .code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(device_->raw_otp(), before);
  EXPECT_EQ(device_->operations(), ops);
  EXPECT_EQ(Domain().ActiveSigningKeys(), 3u);
}

// A decision that is neither kTrue nor kFalse (a zeroed register, a flipped
// bit) is a fault: it traps, nothing is written.
TEST_F(RevocationTest, ApplyTrapsOnAnImpossibleDecision) {
  const RevocationCommand c = Command(Component::kApp, {0}, 1);
  for (const uint32_t value : {0u, 1u, 0x738u, 0xffffffffu}) {
    SCOPED_TRACE(value);
    EXPECT_DEATH((void)ApplyRevocation(device_->platform().otp, Component::kApp, c,
                                       static_cast<HardenedBool>(value), {1, kNoImage}),
                 "");
    EXPECT_DEATH((void)RevokeSlotMarker(device_->platform().otp, Component::kApp, 0,
                                        static_cast<HardenedBool>(value), {1, kNoImage}),
                 "");
  }
  EXPECT_EQ(Domain().ActiveSigningKeys(), 3u);
}

// Even with a true decision (a second fault, or a caller's bug) the commit
// re-reads the domain and refuses to revoke the last usable key or a
// bootable image's key, judged from the OTP words themselves.
TEST_F(RevocationTest, ApplyRechecksTheRulesOnTheWordsItReads) {
  const std::vector<uint8_t> before = device_->raw_otp();
  auto apply = [&](std::initializer_list<uint8_t> slots, uint32_t sequence,
                   BootableImages bootable) {
    return ApplyRevocation(device_->platform().otp, Component::kApp,
                           Command(Component::kApp, std::vector<uint8_t>(slots), sequence),
                           HardenedBool::kTrue, bootable)
        .code();
  };
  EXPECT_EQ(apply({0, 1, 2}, 1, kNothingBoots), StatusCode::kFailedPrecondition);
  EXPECT_EQ(apply({0}, 1, {0, kNoImage}), StatusCode::kFailedPrecondition);
  EXPECT_EQ(apply({0}, 1, {1, 0}), StatusCode::kFailedPrecondition);  // the revert target
  EXPECT_EQ(device_->raw_otp(), before);
  // Slots 0 and 1 revoked by a record the snapshot did not see (their
  // marker words still 0): slot 2 is now the last usable one.
  FactoryRecord(0, otp::MakeRevocationRecord(1, 0b0011));
  const std::vector<uint8_t> recorded = device_->raw_otp();
  EXPECT_EQ(apply({2}, 2, kNothingBoots), StatusCode::kFailedPrecondition);
  EXPECT_EQ(device_->raw_otp(), recorded);
  // Within the rules it commits.
  EXPECT_EQ(apply({0}, 2, {1, 2}), StatusCode::kOk);
}

TEST_F(RevocationTest, CommitRulesAreReadFromTheRawWords) {
  otp::OtpDomain raw = RawDomain();
  R why = R::kAccepted;
  EXPECT_EQ(CommitRulesHold(raw, 0b0001, {1, 2}, &why), HardenedBool::kTrue);
  EXPECT_EQ(why, R::kAccepted);
  EXPECT_EQ(CommitRulesHold(raw, 0b0111, kNothingBoots, &why), HardenedBool::kFalse);
  EXPECT_EQ(why, R::kLastSigningKey);
  EXPECT_EQ(CommitRulesHold(raw, 0b0010, {0, 1}, &why), HardenedBool::kFalse);
  EXPECT_EQ(why, R::kNoBootableImage);
  // A torn (non-canonical) revoked word is revoked: slot 2 does not count.
  raw.signing[2].revoked = 0x10;
  EXPECT_EQ(CommitRulesHold(raw, 0b0011, kNothingBoots, &why), HardenedBool::kFalse);
  EXPECT_EQ(why, R::kLastSigningKey);
  // A bootable image whose slot is already revoked boots nothing.
  EXPECT_EQ(CommitRulesHold(raw, 0b0101, {2, kNoImage}, &why), HardenedBool::kTrue);
}

// revoke_older_on_confirm's marker writes take the same guard.
TEST_F(RevocationTest, RevokeSlotMarkerIsGuardedLikeACommit) {
  auto& otp = device_->platform().otp;
  const std::vector<uint8_t> before = device_->raw_otp();
  EXPECT_EQ(RevokeSlotMarker(otp, Component::kApp, 0, HardenedBool::kFalse, {2, kNoImage}).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(RevokeSlotMarker(otp, Component::kApp, 0, HardenedBool::kTrue, {0, kNoImage}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(RevokeSlotMarker(otp, Component::kApp, 3, HardenedBool::kTrue, {0, kNoImage}).code(),
            StatusCode::kFailedPrecondition);  // blank
  EXPECT_EQ(RevokeSlotMarker(otp, Component::kApp, 4, HardenedBool::kTrue, {0, kNoImage}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(device_->raw_otp(), before);
  ASSERT_TRUE(RevokeSlotMarker(otp, Component::kApp, 0, HardenedBool::kTrue, {2, kNoImage}).ok());
  ASSERT_TRUE(RevokeSlotMarker(otp, Component::kApp, 1, HardenedBool::kTrue, {2, kNoImage}).ok());
  EXPECT_EQ(RawDomain().signing[0].revoked, otp::kSlotRevokedMarker);
  EXPECT_EQ(Domain().revocation_sequence, 0u) << "markers only, no record";
  // Slot 2 is the last one left.
  const std::vector<uint8_t> two_left = device_->raw_otp();
  EXPECT_EQ(RevokeSlotMarker(otp, Component::kApp, 2, HardenedBool::kTrue, kNothingBoots).code(),
            StatusCode::kFailedPrecondition);
  const uint64_t ops = device_->operations();
  EXPECT_TRUE(RevokeSlotMarker(otp, Component::kApp, 0, HardenedBool::kTrue, {2, kNoImage}).ok());
  EXPECT_EQ(device_->operations(), ops) << "already revoked: nothing written";
  EXPECT_EQ(device_->raw_otp(), two_left);
}

// Power loss at every OTP operation of the commit (one record, then two
// markers), then a reset. Cut at the record: nothing written, the command
// still fresh. Cut after it: applied (slots revoked, sequence raised) and
// CompleteRevocations finishes the markers. The signers include slot 0, one
// of the slots the command revokes: it could not be re-run, and need not be.
TEST_F(RevocationTest, InterruptedCommitIsAllOrNothingAndRollsForward) {
  const std::vector<uint8_t> message =
      Sign(Command(Component::kApp, {0, 2}, 3), {&signing_[0], &signing_[1]});
  const std::vector<uint8_t> pristine = AppDomainBytes();
  ASSERT_EQ(CheckAndApply(message, {1, kNoImage}), R::kAccepted);
  const std::vector<uint8_t> reference = AppDomainBytes();
  for (uint64_t cut = 1; cut <= 3; ++cut) {
    SCOPED_TRACE(testing::Message() << "power loss at OTP write " << cut);
    SetUp();  // same keys, fresh device
    CheckOutcome o;
    ASSERT_EQ(Check(message, {1, kNoImage}, &o), R::kAccepted);
    device_->SetPowerLossAfter(cut);
    EXPECT_EQ(ApplyRevocation(device_->platform().otp, Component::kApp, o.command, o.accepted,
                              {1, kNoImage})
                  .code(),
              StatusCode::kUnavailable);
    device_->WarmReset();
    device_->SetPowerLossAfter(0);
    const keys::KeyDomain mid = Domain();
    if (cut == 1) {
      // Before the commit point: not applied at all.
      EXPECT_EQ(AppDomainBytes(), pristine);
      EXPECT_EQ(mid.revocation_sequence, 0u);
      EXPECT_EQ(mid.ActiveSigningKeys(), 3u);
      EXPECT_EQ(CheckAndApply(message, {1, kNoImage}), R::kAccepted);
    } else {
      // After it: applied, whatever the markers say.
      EXPECT_EQ(mid.revocation_sequence, 3u);
      EXPECT_EQ(mid.signing[0], keys::SlotState::kRevoked);
      EXPECT_EQ(mid.signing[2], keys::SlotState::kRevoked);
      EXPECT_EQ(mid.raw.signing[2].revoked, 0u) << "the last marker was cut";
      EXPECT_EQ(keys::SlotUsable(mid.raw, 0), HardenedBool::kFalse);
      EXPECT_EQ(keys::SlotUsable(mid.raw, 2), HardenedBool::kFalse);
      EXPECT_EQ(keys::SlotUsable(mid.raw, 1), HardenedBool::kTrue);
      EXPECT_EQ(Check(message, {1, kNoImage}), R::kRevokedSigner);
      EXPECT_TRUE(CompleteRevocations(device_->platform().otp, Component::kApp).ok());
    }
    EXPECT_EQ(AppDomainBytes(), reference);
    EXPECT_EQ(Check(Sign(Command(Component::kApp, {0, 2}, 3), {&authority_[0]}), {1, kNoImage}),
              R::kReplay);
  }
}

// ---- roll-forward (CompleteRevocations) ----

TEST_F(RevocationTest, CompleteRevocationsWritesMissingMarkersOnceAndSurvivesPowerLoss) {
  // A committed record whose markers were never written.
  FactoryRecord(0, otp::MakeRevocationRecord(4, 0b0101));
  const std::vector<uint8_t> committed = AppDomainBytes();
  EXPECT_EQ(Domain().signing[0], keys::SlotState::kRevoked);
  EXPECT_EQ(Domain().signing[2], keys::SlotState::kRevoked);
  EXPECT_EQ(Domain().signing[1], keys::SlotState::kProvisioned);
  EXPECT_EQ(Domain().revocation_sequence, 4u);
  auto& otp = device_->platform().otp;
  ASSERT_TRUE(CompleteRevocations(otp, Component::kApp).ok());
  const std::vector<uint8_t> reference = AppDomainBytes();
  EXPECT_EQ(RawDomain().signing[0].revoked, otp::kSlotRevokedMarker);
  EXPECT_EQ(RawDomain().signing[1].revoked, 0u);
  EXPECT_EQ(RawDomain().signing[2].revoked, otp::kSlotRevokedMarker);
  const uint64_t ops = device_->operations();
  ASSERT_TRUE(CompleteRevocations(otp, Component::kApp).ok());
  EXPECT_EQ(device_->operations(), ops) << "idempotent";

  for (uint64_t cut = 1; cut <= 2; ++cut) {
    SCOPED_TRACE(testing::Message() << "power loss at marker " << cut);
    SetUp();
    FactoryRecord(0, otp::MakeRevocationRecord(4, 0b0101));
    ASSERT_EQ(AppDomainBytes(), committed);
    device_->SetPowerLossAfter(cut);
    EXPECT_EQ(CompleteRevocations(device_->platform().otp, Component::kApp).code(),
              StatusCode::kUnavailable);
    device_->WarmReset();
    device_->SetPowerLossAfter(0);
    EXPECT_EQ(Domain().ActiveSigningKeys(), 1u);  // revoked all along
    EXPECT_TRUE(CompleteRevocations(device_->platform().otp, Component::kApp).ok());
    EXPECT_EQ(AppDomainBytes(), reference);
  }
}

TEST_F(RevocationTest, CompleteRevocationsLeavesATornMarkerAlone) {
  FactoryRecord(0, otp::MakeRevocationRecord(1, 0b0001));
  ASSERT_EQ(otp::kSlotRevokedMarker & 0x2u, 0u);
  FactoryWord(SigningRevokedOffset(0), 0x2u);  // stray bit: the marker cannot be written over it
  EXPECT_TRUE(CompleteRevocations(device_->platform().otp, Component::kApp).ok());
  EXPECT_EQ(RawDomain().signing[0].revoked, 0x2u);
  EXPECT_EQ(Domain().signing[0], keys::SlotState::kRevoked);
}

TEST_F(RevocationTest, CorruptRecordLogMakesTheDomainUnavailableAndWritesNothing) {
  FactoryRecord(0, otp::MakeRevocationRecord(1, 0b0001));
  FactoryRecord(2, otp::MakeRevocationRecord(2, 0b0100));  // after an empty entry
  const std::vector<uint8_t> before = device_->raw_otp();
  keys::KeyDomain domain;
  EXPECT_EQ(keys::LoadDomain(device_->platform().otp, Component::kApp, &domain).code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(CompleteRevocations(device_->platform().otp, Component::kApp).code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ApplyRevocation(device_->platform().otp, Component::kApp,
                            Command(Component::kApp, {1}, 3), HardenedBool::kTrue, kNothingBoots)
                .code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(device_->raw_otp(), before);
}

TEST_F(RevocationTest, TornRecordNeverHappenedAndTheNextCommitGoesAfterIt) {
  FactoryRecord(0, otp::MakeRevocationRecord(1, 0b0001));
  otp::OtpRevocationRecord torn = otp::MakeRevocationRecord(2, 0b0100);
  torn.slots = 0;  // only the first word reached OTP
  FactoryRecord(1, torn);
  keys::KeyDomain domain;
  ASSERT_TRUE(keys::LoadDomain(device_->platform().otp, Component::kApp, &domain).ok());
  EXPECT_EQ(domain.revocation_sequence, 1u);
  EXPECT_EQ(domain.signing[2], keys::SlotState::kProvisioned);
  EXPECT_TRUE(HardenedIsTrue(keys::SlotUsable(domain.raw, 2)));
  EXPECT_TRUE(CompleteRevocations(device_->platform().otp, Component::kApp).ok());
  ASSERT_TRUE(ApplyRevocation(device_->platform().otp, Component::kApp,
                              Command(Component::kApp, {2}, 2), HardenedBool::kTrue, kNothingBoots)
                  .ok());
  ASSERT_TRUE(keys::LoadDomain(device_->platform().otp, Component::kApp, &domain).ok());
  EXPECT_EQ(domain.revocation_sequence, 2u);
  EXPECT_EQ(domain.signing[2], keys::SlotState::kRevoked);
  EXPECT_TRUE(otp::RevocationRecordValid(domain.raw.revocations[2]));
}

TEST_F(RevocationTest, NonMonotonicRecordLogIsCorrupt) {
  FactoryRecord(0, otp::MakeRevocationRecord(5, 0b0001));
  FactoryRecord(1, otp::MakeRevocationRecord(5, 0b0100));  // same sequence twice
  keys::KeyDomain domain;
  EXPECT_EQ(keys::LoadDomain(device_->platform().otp, Component::kApp, &domain).code(),
            StatusCode::kDataLoss);
}

TEST_F(RevocationTest, CompleteRevocationsNeedsTheDomainsArea) {
  FactoryRecord(0, otp::MakeRevocationRecord(1, 0b0001));
  ASSERT_TRUE(device_->Raise(platform::Hdpl::kSecureManager).ok());
  EXPECT_EQ(CompleteRevocations(device_->platform().otp, Component::kApp).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(CompleteRevocations(device_->platform().otp, Component::kUrot).code(),
            StatusCode::kPermissionDenied);
}

TEST_F(RevocationTest, EmptyLogCompletesNothing) {
  const uint64_t ops = device_->operations();
  for (const Component c : {Component::kUrot, Component::kSm, Component::kApp}) {
    EXPECT_TRUE(CompleteRevocations(device_->platform().otp, c).ok());
  }
  EXPECT_EQ(device_->operations(), ops);
}

// ---- the record format (otp_map.h) ----

TEST(RevocationRecord, RoundTripsAndReads) {
  const otp::OtpRevocationRecord r = otp::MakeRevocationRecord(7, 0b1010);
  EXPECT_EQ(r.sequence, 8u);
  EXPECT_EQ(r.slots & 0xffu, 0b1010u);
  EXPECT_EQ(r.slots >> 16, otp::kRevocationRecordTag);
  EXPECT_TRUE(otp::RevocationRecordValid(r));
  EXPECT_TRUE(otp::RevocationRecordValid(otp::MakeRevocationRecord(0xfffffffe, 0b1111)));
  EXPECT_TRUE(otp::RevocationRecordValid(otp::MakeRevocationRecord(1, 0b0001)));
  EXPECT_FALSE(otp::RevocationRecordValid(otp::MakeRevocationRecord(7, 0)));           // no slot
  EXPECT_FALSE(otp::RevocationRecordValid(otp::MakeRevocationRecord(7, 0x10)));        // slot 4
  EXPECT_FALSE(otp::RevocationRecordValid(otp::MakeRevocationRecord(0xffffffff, 1)));  // word 0
  EXPECT_FALSE(otp::RevocationRecordValid(otp::OtpRevocationRecord{0, 0}));

  otp::OtpRevocationRecord log[otp::kLogEntries]{};
  otp::RevocationLog read;
  ASSERT_TRUE(otp::ReadRevocationLog(log, &read));
  EXPECT_EQ(read.sequence, 0u);
  EXPECT_EQ(read.used, 0u);
  EXPECT_EQ(read.revoked, 0u);
  log[0] = otp::MakeRevocationRecord(3, 0b0001);
  log[1] = otp::MakeRevocationRecord(9, 0b0100);
  ASSERT_TRUE(otp::ReadRevocationLog(log, &read));
  EXPECT_EQ(read.sequence, 9u);
  EXPECT_EQ(read.used, 2u);
  EXPECT_EQ(read.revoked, 0b0101);
  for (size_t i = 0; i < otp::kLogEntries; ++i) {
    log[i] = otp::MakeRevocationRecord(static_cast<uint32_t>(100 + i), 0b0010);
  }
  ASSERT_TRUE(otp::ReadRevocationLog(log, &read));
  EXPECT_EQ(read.used, otp::kLogEntries);
  EXPECT_EQ(read.sequence, 115u);
}

TEST(RevocationRecord, CorruptLogsAreRefused) {
  const auto corrupt = [](auto edit) {
    otp::OtpRevocationRecord log[otp::kLogEntries]{};
    log[0] = otp::MakeRevocationRecord(3, 0b0001);
    log[1] = otp::MakeRevocationRecord(9, 0b0100);
    edit(log);
    otp::RevocationLog read;
    return !otp::ReadRevocationLog(log, &read);
  };
  using Log = otp::OtpRevocationRecord*;
  EXPECT_FALSE(corrupt([](Log) {}));
  EXPECT_TRUE(corrupt([](Log l) { l[1] = otp::MakeRevocationRecord(2, 0b0100); }));   // falls
  EXPECT_TRUE(corrupt([](Log l) { l[1] = otp::MakeRevocationRecord(3, 0b0100); }));   // equal
  EXPECT_TRUE(corrupt([](Log l) { l[3] = otp::MakeRevocationRecord(12, 0b0100); }));  // gap
  EXPECT_TRUE(corrupt([](Log l) { l[5].slots = 1; }));  // stray bit after the end
}

// A record whose check fails is a commit a power loss tore: it never
// happened. The log stays readable (the device boots), the entry stays
// used, and a later record after it counts.
TEST(RevocationRecord, InvalidRecordIsAnAbandonedCommit) {
  const auto read_after = [](auto edit) {
    otp::OtpRevocationRecord log[otp::kLogEntries]{};
    log[0] = otp::MakeRevocationRecord(3, 0b0001);
    log[1] = otp::MakeRevocationRecord(9, 0b0100);
    edit(log);
    otp::RevocationLog read;
    EXPECT_TRUE(otp::ReadRevocationLog(log, &read));
    return read;
  };
  using Log = otp::OtpRevocationRecord*;
  for (const auto& edit : {+[](Log l) { l[1].slots |= 0b0010; },  // mask bit added
                           +[](Log l) { l[1].sequence |= 1u << 30; },
                           +[](Log l) { l[1].slots &= 0xffff; },  // tag not written
                           +[](Log l) { l[1].sequence = 0; }}) {  // first word not written
    const otp::RevocationLog read = read_after(edit);
    EXPECT_EQ(read.sequence, 3u);
    EXPECT_EQ(read.revoked, 0b0001);
    EXPECT_EQ(read.used, 2u);
    EXPECT_EQ(read.abandoned, 1u);
  }
  // The retry after the torn entry commits.
  const otp::RevocationLog read = read_after([](Log l) {
    l[1].slots &= 0xffff;
    l[2] = otp::MakeRevocationRecord(9, 0b0100);
  });
  EXPECT_EQ(read.sequence, 9u);
  EXPECT_EQ(read.revoked, 0b0101);
  EXPECT_EQ(read.used, 3u);
  EXPECT_EQ(read.abandoned, 1u);
  // The first entry torn: nothing committed yet.
  otp::OtpRevocationRecord log[otp::kLogEntries]{};
  log[0].sequence = 4;
  otp::RevocationLog first;
  ASSERT_TRUE(otp::ReadRevocationLog(log, &first));
  EXPECT_EQ(first.sequence, 0u);
  EXPECT_EQ(first.revoked, 0u);
  EXPECT_EQ(first.used, 1u);
}

// A torn write leaves a subset of the record's bits set: the Berger check
// (count of zero bits) and the tag reject every such subset. Checked for
// every single bit lost, every byte prefix, and many random subsets.
TEST(RevocationRecord, TornRecordsNeverCheck) {
  uint64_t state = 0x243f6a8885a308d3ull;
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const otp::OtpRevocationRecord records[] = {
      otp::MakeRevocationRecord(1, 0b0001), otp::MakeRevocationRecord(2, 0b1111),
      otp::MakeRevocationRecord(0x7fffffff, 0b0110), otp::MakeRevocationRecord(0xfffffffe, 0b1000),
      otp::MakeRevocationRecord(123456, 0b0101)};
  for (const otp::OtpRevocationRecord& r : records) {
    const uint64_t full = r.sequence | static_cast<uint64_t>(r.slots) << 32;
    const auto make = [](uint64_t v) {
      return otp::OtpRevocationRecord{static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
    };
    ASSERT_TRUE(otp::RevocationRecordValid(make(full)));
    for (int bit = 0; bit < 64; ++bit) {
      if (((full >> bit) & 1u) == 0) continue;
      EXPECT_FALSE(otp::RevocationRecordValid(make(full & ~(uint64_t{1} << bit)))) << bit;
    }
    for (int bytes = 0; bytes < 8; ++bytes) {  // a write cut after `bytes` bytes
      const uint64_t prefix = bytes == 0 ? 0 : full & (~uint64_t{0} >> (64 - 8 * bytes));
      EXPECT_FALSE(otp::RevocationRecordValid(make(prefix))) << bytes;
    }
    for (int i = 0; i < 20000; ++i) {
      const uint64_t subset = full & next();
      if (subset == full) continue;
      ASSERT_FALSE(otp::RevocationRecordValid(make(subset))) << std::hex << subset;
    }
  }
}

// Stray values (random words where a record would be) almost never check:
// the 16-bit tag alone lets 1 in 65536 through, the check a fraction of those.
TEST(RevocationRecord, StrayValuesAreNotRecords) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    accepted += otp::RevocationRecordValid(otp::OtpRevocationRecord{
                    static_cast<uint32_t>(state), static_cast<uint32_t>(state >> 32)})
                    ? 1
                    : 0;
  }
  EXPECT_EQ(accepted, 0);
}

}  // namespace
}  // namespace bastion::revocation
