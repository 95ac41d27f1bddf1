// libFuzzer target: the revocation payload decoder and CheckCommand against
// a fixed fake domain (revocation_fuzz_domain.h). The first input byte picks
// the mode (bit 0: payload only) and the bootable images (bits 1-3); the
// rest is the payload or the COSE_Sign message. Invariants:
//   - a decoded payload re-encodes to exactly its input (one encoding);
//   - an accepted command is authorised, above the stored sequence, for this
//     device, keeps a signing key, and commits to a fake OTP that then reads
//     back a second record (the new sequence) and the marker of every slot
//     the records name (the pending one included); re-applying and
//     CompleteRevocations change nothing.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "revocation/revocation.h"
#include "revocation_fuzz_domain.h"

namespace {

using namespace bastion;
using revocation::RefusalReason;

struct Fixture {
  crypto::EcKeyPair keys[2];
  keys::KeyDomain domain;
};

const Fixture& Fixed() {
  static Fixture f;
  static bool made = false;
  if (!made) {
    if (!fuzz::FuzzDomain(f.keys, &f.domain)) __builtin_trap();
    made = true;
  }
  return f;
}

class FuzzKeys final : public revocation::SlotKeySource {
 public:
  Status SlotKey(keys::KeyRole role, size_t index, crypto::EcPublicKey* key) override {
    if (role != keys::KeyRole::kSigning || index >= 2) return StatusCode::kNotFound;
    *key = Fixed().keys[index].public_key;
    return StatusCode::kOk;
  }
};

class FakeOtp final : public platform::Otp {
 public:
  uint8_t bytes[otp::kOtpSize] = {};
  uint32_t size() const override { return otp::kOtpSize; }
  Status Read(uint32_t offset, ByteSpan out) override {
    if (offset > otp::kOtpSize || out.size() > otp::kOtpSize - offset)
      return StatusCode::kOutOfRange;
    std::memcpy(out.data(), bytes + offset, out.size());
    return StatusCode::kOk;
  }
  Status Program(uint32_t offset, ConstByteSpan data) override {
    if (offset % 4 != 0 || data.size() % 4 != 0) return StatusCode::kInvalidArgument;
    if (offset > otp::kOtpSize || data.size() > otp::kOtpSize - offset)
      return StatusCode::kOutOfRange;
    for (size_t i = 0; i < data.size(); ++i) {
      if ((bytes[offset + i] & ~data[i]) != 0) return StatusCode::kFailedPrecondition;
    }
    for (size_t i = 0; i < data.size(); ++i) bytes[offset + i] |= data[i];
    ++programs;
    return StatusCode::kOk;
  }
  size_t programs = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const ConstByteSpan input(data + 1, size - 1);

  if ((data[0] & 1) != 0) {
    revocation::RevocationCommand command;
    if (revocation::DecodeCommand(input, &command) != revocation::PayloadError::kOk) return 0;
    if (revocation::ValidateCommand(command) != revocation::PayloadError::kOk) __builtin_trap();
    uint8_t again[revocation::kMaxPayloadSize];
    size_t n = 0;
    if (!revocation::EncodeCommand(command, again, &n).ok()) __builtin_trap();
    if (n != input.size() || std::memcmp(again, input.data(), n) != 0) __builtin_trap();
    return 0;
  }

  const Fixture& f = Fixed();
  FuzzKeys slot_keys;
  static constexpr uint8_t kImages[8][2] = {
      {0, 1}, {0, revocation::kNoImage}, {1, 0}, {1, revocation::kNoImage},
      {2, 0}, {revocation::kNoImage, 1}, {0, 0}, {revocation::kNoImage, revocation::kNoImage}};
  const uint8_t* images = kImages[(data[0] >> 1) & 7];
  const revocation::CheckContext context{f.domain,
                                         otp::Lifecycle::kSecured,
                                         std::span<const uint8_t, 32>(fuzz::kFuzzInstanceId),
                                         {images[0], images[1]},
                                         slot_keys};
  revocation::CheckOutcome outcome;
  const RefusalReason reason = revocation::CheckCommand(input, context, &outcome);
  if (reason != outcome.reason) __builtin_trap();
  if (revocation::RefusalReasonName(reason)[0] == '\0') __builtin_trap();
  if (reason != RefusalReason::kAccepted) return 0;

  const revocation::RevocationCommand& c = outcome.command;
  if (outcome.authorization.authorized != HardenedBool::kTrue) __builtin_trap();
  if (outcome.accepted != HardenedBool::kTrue) __builtin_trap();
  if (c.sequence <= fuzz::kFuzzStoredSequence || c.domain != otp::Component::kApp) __builtin_trap();
  if (c.has_instance_id && c.instance_id != fuzz::kFuzzInstanceId) __builtin_trap();
  bool keeps_key = false;
  for (size_t i = 0; i < 3; ++i) keeps_key = keeps_key || !c.Revokes(i);
  if (!keeps_key) __builtin_trap();

  FakeOtp fake;
  std::memcpy(fake.bytes + otp::DomainOffset(otp::Component::kApp), &f.domain.raw,
              sizeof(f.domain.raw));
  if (!revocation::ApplyRevocation(fake, otp::Component::kApp, c, outcome.accepted,
                                   context.bootable)
           .ok())
    __builtin_trap();
  const size_t programs = fake.programs;
  if (!revocation::ApplyRevocation(fake, otp::Component::kApp, c, outcome.accepted,
                                   context.bootable)
           .ok())
    __builtin_trap();
  if (fake.programs != programs) __builtin_trap();
  otp::OtpDomain after;
  std::memcpy(&after, fake.bytes + otp::DomainOffset(otp::Component::kApp), sizeof(after));
  otp::RevocationLog log;
  if (!otp::ReadRevocationLog(after.revocations, &log) || log.sequence != c.sequence ||
      log.used != 2) {
    __builtin_trap();
  }
  // Committed and rolled forward: every slot the log names has its marker.
  for (size_t i = 0; i < otp::kSigningSlots; ++i) {
    if (((log.revoked >> i) & 1u) != 0 && after.signing[i].revoked != otp::kSlotRevokedMarker) {
      __builtin_trap();
    }
  }
  for (size_t i = 0; i < c.slot_count; ++i) {
    if ((log.revoked & (1u << c.slots[i])) == 0) __builtin_trap();
  }
  if (!revocation::CompleteRevocations(fake, otp::Component::kApp).ok() ||
      fake.programs != programs) {
    __builtin_trap();
  }
  return 0;
}
