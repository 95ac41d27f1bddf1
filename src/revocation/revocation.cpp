#include "revocation/revocation.h"

#include <cstring>

namespace bastion::revocation {

using keys::KeyRole;
using keys::SlotState;

const char* RefusalReasonName(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kAccepted:
      return "accepted";
    case RefusalReason::kMalformedCose:
      return "malformed-cose";
    case RefusalReason::kMalformedPayload:
      return "malformed-payload";
    case RefusalReason::kWrongDomain:
      return "wrong-domain";
    case RefusalReason::kRevokedSigner:
      return "revoked-signer";
    case RefusalReason::kUnknownSigner:
      return "unknown-signer";
    case RefusalReason::kBadSignature:
      return "bad-signature";
    case RefusalReason::kTooFewSignatures:
      return "too-few-signatures";
    case RefusalReason::kOtherDevice:
      return "other-device";
    case RefusalReason::kReplay:
      return "replay";
    case RefusalReason::kSequenceLogFull:
      return "sequence-log-full";
    case RefusalReason::kSlotOutOfRange:
      return "slot-out-of-range";
    case RefusalReason::kSlotNotProvisioned:
      return "slot-not-provisioned";
    case RefusalReason::kLastSigningKey:
      return "last-signing-key";
    case RefusalReason::kNoBootableImage:
      return "no-bootable-image";
    case RefusalReason::kDomainCorrupt:
      return "domain-corrupt";
  }
  return "unknown";
}

Status KeyStoreSlotKeys::SlotKey(KeyRole role, size_t index, crypto::EcPublicKey* key) {
  const size_t limit = role == KeyRole::kSigning ? otp::kSigningSlots : otp::kAuthoritySlots;
  if (index >= limit) return StatusCode::kInvalidArgument;
  const otp::OtpKeySlot& slot =
      role == KeyRole::kSigning ? domain_.raw.signing[index] : domain_.raw.authority[index];
  const size_t entry = role == KeyRole::kSigning ? index : otp::kSigningSlots + index;
  ByteBuffer<124> der;
  BASTION_TRY(keys::ReadVouchedKey(flash_, layout_, domain_.component, entry, slot, &der));
  if (!crypto::ParsePublicKeySpki(der.view(), key).ok()) return StatusCode::kDataLoss;
  return StatusCode::kOk;
}

namespace {

// The slots a kid is matched against, in this order: signing slots 0..3,
// then authority slots 0..1. Slot j is (RoleOf(j), IndexOf(j)).
constexpr size_t kDomainSlots = otp::kSigningSlots + otp::kAuthoritySlots;
KeyRole RoleOf(size_t j) {
  return j < otp::kSigningSlots ? KeyRole::kSigning : KeyRole::kAuthority;
}
size_t IndexOf(size_t j) { return j < otp::kSigningSlots ? j : j - otp::kSigningSlots; }

// What Authorize finds about a signer, the refusals in the precedence they
// refuse a command with.
enum Finding : uint8_t { kFoundRevoked, kFoundUnknown, kFoundBadSignature, kFindings, kVerified };
constexpr RefusalReason kFindingReason[kFindings] = {
    RefusalReason::kRevokedSigner, RefusalReason::kUnknownSigner, RefusalReason::kBadSignature};

bool KidMatches(ConstByteSpan kid, const otp::OtpKeySlot& slot) {
  return kid.size() == sizeof(slot.key_hash) &&
         HardenedIsTrue(HardenedEqual(kid.data(), slot.key_hash, sizeof(slot.key_hash)));
}

// Verifies signer `index` with the key of slot (role, slot); false for
// every failure, including a key that cannot be fetched.
bool SignerVerifies(const cose::ParsedCoseSign& message, size_t index, SlotKeySource& slot_keys,
                    KeyRole role, size_t slot) {
  crypto::EcPublicKey key;
  if (!slot_keys.SlotKey(role, slot, &key).ok()) return false;
  return HardenedIsTrue(cose::VerifySigner(message, index, key));
}

uint32_t PopCount(uint32_t bits) {
  uint32_t n = 0;
  for (; bits != 0; bits &= bits - 1) ++n;
  return n;
}

// Whether domain slot j is usable from the raw OTP words alone
// (keys::SlotUsable, checked hardened).
[[gnu::noinline]] bool RawSlotUsable(const otp::OtpDomain& raw, size_t j) {
  return HardenedIsTrue(j < otp::kSigningSlots ? keys::SlotUsable(raw, j)
                                               : keys::SlotUsable(raw.authority[IndexOf(j)]));
}

// The second, independent reading of the decision: raw OTP words only.
// verified: bit j, domain slot j verified.
HardenedBool QuorumFromRawWords(const otp::OtpDomain& raw, uint32_t verified, uint32_t threshold) {
  uint32_t signing = 0;
  uint32_t authority = 0;
  for (size_t j = 0; j < kDomainSlots; ++j) {
    if (((verified >> j) & 1u) == 0 || !RawSlotUsable(raw, j)) continue;
    if (RoleOf(j) == KeyRole::kSigning) {
      ++signing;
    } else {
      ++authority;
    }
  }
  return ToHardened(Launder(signing) >= threshold || Launder(authority) >= 1u);
}

}  // namespace

HardenedBool Authorize(const cose::ParsedCoseSign& message, const keys::KeyDomain& domain,
                       otp::Lifecycle lifecycle, SlotKeySource& slot_keys, Authorization* out) {
  Authorization result;
  uint32_t verified = 0;     // bit j: domain slot j verified
  uint8_t found = 0;         // bit f: finding f applies to a signer
  uint8_t first[kFindings];  // for each finding found, the first signer it applies to
  const size_t signers =
      message.signer_count < cose::kMaxSigners ? message.signer_count : cose::kMaxSigners;
  for (size_t s = 0; s < signers; ++s) {
    // The first provisioned or revoked slot whose key hash is the kid decides.
    Finding finding = kFoundUnknown;
    for (size_t j = 0; j < kDomainSlots; ++j) {
      const KeyRole role = RoleOf(j);
      const size_t i = IndexOf(j);
      const bool signing = role == KeyRole::kSigning;
      const SlotState state = signing ? domain.signing[i] : domain.authority[i];
      if (state == SlotState::kBlank || state == SlotState::kCorrupt) continue;
      if (!KidMatches(message.signers[s].kid,
                      signing ? domain.raw.signing[i] : domain.raw.authority[i])) {
        continue;
      }
      if (state == SlotState::kRevoked) {
        finding = kFoundRevoked;
      } else if (!SignerVerifies(message, s, slot_keys, role, i)) {
        finding = kFoundBadSignature;
      } else {
        finding = kVerified;
        // A role not valid in this lifecycle counts for nothing.
        if (HardenedIsTrue(keys::KeyRoleValid(role, lifecycle))) verified |= 1u << j;
      }
      break;
    }
    if (finding != kVerified && ((found >> finding) & 1u) == 0) {
      found = static_cast<uint8_t>(found | 1u << finding);
      first[finding] = static_cast<uint8_t>(s);
    }
  }
  result.signing_verified = static_cast<uint8_t>(verified & ((1u << otp::kSigningSlots) - 1));
  result.authority_verified = static_cast<uint8_t>(verified >> otp::kSigningSlots);

  uint32_t threshold = domain.raw.config.threshold;
  if (threshold == 0) threshold = 1;
  if (found != 0) {
    const auto f = static_cast<size_t>(__builtin_ctz(found));  // first in precedence
    result.reason = kFindingReason[f];
    result.offending_signer = first[f];
  } else {
    result.reason = PopCount(result.signing_verified) >= threshold || result.authority_verified != 0
                        ? RefusalReason::kAccepted
                        : RefusalReason::kTooFewSignatures;
  }
  const bool first_look = result.reason == RefusalReason::kAccepted;
  const HardenedBool second = QuorumFromRawWords(domain.raw, verified, threshold);
  *out = result;  // authorized stays kFalse unless both looks agree
  if (first_look && HardenedIsTrue(second)) out->authorized = HardenedBool::kTrue;
  return out->authorized;
}

namespace {

uint8_t SlotMask(const RevocationCommand& command) {
  uint8_t mask = 0;
  for (size_t i = 0; i < command.slot_count && i < command.slots.size(); ++i) {
    if (command.slots[i] < otp::kSigningSlots) {
      mask = static_cast<uint8_t>(mask | (1u << command.slots[i]));
    }
  }
  return mask;
}

bool InMask(uint8_t mask, size_t slot) { return ((mask >> slot) & 1u) != 0; }

// The last-key and bootable-image rules for revoking the signing slots in
// `mask`: a slot in `keep` (bit i: slot i counts as a usable key) must
// remain, and no image in `bootable` may lose its key when that key's slot
// is in `usable_images`. kAccepted, kLastSigningKey or kNoBootableImage.
// Both looks at the rules apply it, each to words of its own.
RefusalReason RulesFor(uint32_t keep, uint32_t usable_images, uint8_t mask,
                       const BootableImages& bootable) {
  if ((keep & ~uint32_t{mask}) == 0) return RefusalReason::kLastSigningKey;
  // An image the boot can end up running (the primary and, when a revert
  // may follow, the image it reverts to) must keep its key.
  for (const uint8_t slot : {bootable.primary_slot_key, bootable.secondary_slot_key}) {
    if (slot < otp::kSigningSlots && InMask(mask, slot) && ((usable_images >> slot) & 1u) != 0) {
      return RefusalReason::kNoBootableImage;
    }
  }
  return RefusalReason::kAccepted;
}

}  // namespace

HardenedBool CommitRulesHold(const otp::OtpDomain& raw, uint8_t mask,
                             const BootableImages& bootable, RefusalReason* why) {
  uint32_t usable = 0;  // bit i: signing slot i usable, from the raw words alone
  for (size_t i = 0; i < otp::kSigningSlots; ++i) {
    if (RawSlotUsable(raw, i)) usable |= 1u << i;
  }
  usable = Launder(usable);
  *why = RulesFor(usable, usable, mask, bootable);
  return *why == RefusalReason::kAccepted ? HardenedBool::kTrue : HardenedBool::kFalse;
}

namespace {

// CheckCommand's checks in order; the refusal (or kAccepted), with the
// details in *o.
RefusalReason Check(ConstByteSpan message, const CheckContext& context, CheckOutcome& o) {
  const keys::KeyDomain& domain = context.domain;

  cose::ParsedCoseSign parsed;
  o.cose_error = cose::ParseCoseSign(message, cose::TagPolicy::kRequireTag, &parsed, &o.cbor_error);
  if (o.cose_error != cose::CoseError::kOk) return RefusalReason::kMalformedCose;

  o.payload_error = DecodeCommand(parsed.payload, &o.command);
  if (o.payload_error == PayloadError::kSlotOutOfRange) return RefusalReason::kSlotOutOfRange;
  if (o.payload_error != PayloadError::kOk) return RefusalReason::kMalformedPayload;
  const RevocationCommand& command = o.command;

  if (command.domain != domain.component) return RefusalReason::kWrongDomain;

  const HardenedBool authorized =
      Authorize(parsed, domain, context.lifecycle, context.slot_keys, &o.authorization);
  if (o.authorization.reason != RefusalReason::kAccepted) return o.authorization.reason;
  if (!HardenedIsTrue(authorized)) return RefusalReason::kTooFewSignatures;

  if (command.has_instance_id &&
      !HardenedIsTrue(
          HardenedEqual(command.instance_id.data(), context.instance_id.data(), kInstanceIdSize))) {
    return RefusalReason::kOtherDevice;
  }

  otp::RevocationLog log;
  if (!otp::ReadRevocationLog(domain.raw.revocations, &log)) return RefusalReason::kDomainCorrupt;
  if (command.sequence <= log.sequence || command.sequence <= domain.revocation_sequence) {
    return RefusalReason::kReplay;
  }
  if (log.used >= otp::kLogEntries) return RefusalReason::kSequenceLogFull;

  // The slots to revoke (all below kSigningSlots: DecodeCommand checked)
  // must be provisioned or already revoked (a no-op for that slot). The
  // first look at the rules, from the slot states: a slot to keep is
  // provisioned and usable, an image's key is lost with a provisioned slot.
  const uint8_t mask = SlotMask(command);
  uint32_t revocable = 0;
  uint32_t provisioned = 0;
  uint32_t keep = 0;
  for (size_t i = 0; i < otp::kSigningSlots; ++i) {
    const SlotState state = domain.signing[i];
    if (state == SlotState::kRevoked) revocable |= 1u << i;
    if (state != SlotState::kProvisioned) continue;
    revocable |= 1u << i;
    provisioned |= 1u << i;
    if (RawSlotUsable(domain.raw, i)) keep |= 1u << i;
  }
  if ((mask & ~revocable) != 0) return RefusalReason::kSlotNotProvisioned;
  const RefusalReason first_look = RulesFor(keep, provisioned, mask, context.bootable);
  if (first_look != RefusalReason::kAccepted) return first_look;

  // The second look at the rules, from the raw words; then the decision
  // the commit takes, built from both hardened values.
  RefusalReason why = RefusalReason::kAccepted;
  const HardenedBool rules = CommitRulesHold(domain.raw, mask, context.bootable, &why);
  if (!HardenedIsTrue(rules)) return why;
  if (!HardenedIsTrue(authorized)) return RefusalReason::kTooFewSignatures;
  o.accepted = HardenedIsTrue(Launder(authorized)) && HardenedIsTrue(Launder(rules))
                   ? HardenedBool::kTrue
                   : HardenedBool::kFalse;
  return RefusalReason::kAccepted;
}

}  // namespace

RefusalReason CheckCommand(ConstByteSpan message, const CheckContext& context, CheckOutcome* out) {
  *out = CheckOutcome{};
  out->reason = Check(message, context, *out);
  return out->reason;
}

namespace {

uint32_t RevokedMarkerOffset(otp::Component component, size_t slot) {
  return otp::DomainOffset(component) +
         static_cast<uint32_t>(offsetof(otp::OtpDomain, signing) + slot * sizeof(otp::OtpKeySlot) +
                               offsetof(otp::OtpKeySlot, revoked));
}

// Reads the domain (zeroed first) and its record log. kFailedPrecondition
// (not configured), kDataLoss (log corrupt), or an OTP error.
Status ReadDomain(platform::Otp& otp, otp::Component component, otp::OtpDomain* raw,
                  otp::RevocationLog* log) {
  *raw = otp::OtpDomain{};
  BASTION_TRY(otp.Read(otp::DomainOffset(component),
                       ByteSpan(reinterpret_cast<uint8_t*>(raw), sizeof(*raw))));
  if (raw->configured != otp::kDomainConfiguredMarker) return StatusCode::kFailedPrecondition;
  if (!otp::ReadRevocationLog(raw->revocations, log)) return StatusCode::kDataLoss;
  return StatusCode::kOk;
}

// The roll-forward step: the revoked marker of each slot in `mask` whose
// marker word (as read in `raw`) is 0.
Status WriteMissingMarkers(platform::Otp& otp, otp::Component component, const otp::OtpDomain& raw,
                           uint8_t mask) {
  for (size_t slot = 0; slot < otp::kSigningSlots; ++slot) {
    if (((mask >> slot) & 1u) == 0) continue;
    // The marker, or a torn one (any other bits already read as revoked and
    // could not take the marker): nothing to write.
    if (raw.signing[slot].revoked != 0) continue;
    uint8_t marker[4];
    StoreLe32(marker, otp::kSlotRevokedMarker);
    BASTION_TRY(otp.Program(RevokedMarkerOffset(component, slot), marker));
  }
  return StatusCode::kOk;
}

// The second check of a commit decision, right before the write that
// commits: a value other than kTrue here, after the first check passed, is
// a fault.
void RecheckDecision(HardenedBool decision, const char* what) {
  if (static_cast<uint32_t>(Launder(decision)) != static_cast<uint32_t>(HardenedBool::kTrue)) {
    HardenedTrap(what);
  }
}

}  // namespace

Status ApplyRevocation(platform::Otp& otp, otp::Component component,
                       const RevocationCommand& command, HardenedBool accepted,
                       const BootableImages& bootable) {
  if (!HardenedIsTrue(accepted)) return StatusCode::kUnauthenticated;
  if (command.domain != component || ValidateCommand(command) != PayloadError::kOk) {
    return StatusCode::kInvalidArgument;
  }
  otp::OtpDomain raw;
  otp::RevocationLog log;
  BASTION_TRY(ReadDomain(otp, component, &raw, &log));
  for (size_t i = 0; i < command.slot_count; ++i) {
    if (keys::ClassifySigningSlot(raw, command.slots[i], log.revoked) == SlotState::kBlank) {
      return StatusCode::kFailedPrecondition;
    }
  }
  const uint8_t mask = SlotMask(command);
  const otp::OtpRevocationRecord record = otp::MakeRevocationRecord(command.sequence, mask);

  if (log.used > 0 && command.sequence <= log.sequence) {
    // Committed already (this very command is the last record): only the
    // roll-forward may be left. Anything else is not ours to write.
    size_t last = log.used - 1;  // the last committed record (skip torn entries)
    while (last > 0 && !otp::RevocationRecordValid(raw.revocations[last])) --last;
    if (raw.revocations[last].sequence != record.sequence ||
        raw.revocations[last].slots != record.slots) {
      return StatusCode::kFailedPrecondition;
    }
    return WriteMissingMarkers(otp, component, raw, log.revoked);
  }
  if (log.used >= otp::kLogEntries) return StatusCode::kResourceExhausted;

  // The rules again, on the words just read: whatever the caller decided,
  // no commit revokes the last usable key or a bootable image's key.
  RefusalReason why = RefusalReason::kAccepted;
  if (!HardenedIsTrue(CommitRulesHold(raw, mask, bootable, &why))) {
    return StatusCode::kFailedPrecondition;
  }
  RecheckDecision(accepted, "revocation commit decision");

  // Step 1, the commit point: one 8-byte write.
  uint8_t bytes[sizeof(otp::OtpRevocationRecord)];
  StoreLe32(bytes, record.sequence);
  StoreLe32(bytes + 4, record.slots);
  const uint32_t offset = otp::DomainOffset(component) +
                          static_cast<uint32_t>(offsetof(otp::OtpDomain, revocations) +
                                                log.used * sizeof(otp::OtpRevocationRecord));
  BASTION_TRY(otp.Program(offset, bytes));

  // Step 2, the roll-forward of this record and of any earlier one left
  // pending (CompleteRevocations finishes it after a power loss).
  return WriteMissingMarkers(otp, component, raw, static_cast<uint8_t>(log.revoked | mask));
}

Status RevokeSlotMarker(platform::Otp& otp, otp::Component component, size_t slot,
                        HardenedBool decision, const BootableImages& bootable) {
  if (!HardenedIsTrue(decision)) return StatusCode::kUnauthenticated;
  if (slot >= otp::kSigningSlots) return StatusCode::kInvalidArgument;
  otp::OtpDomain raw;
  otp::RevocationLog log;
  BASTION_TRY(ReadDomain(otp, component, &raw, &log));
  if (raw.signing[slot].revoked != 0) return StatusCode::kOk;  // marker (or torn one) there
  const SlotState state = keys::ClassifySigningSlot(raw, slot, log.revoked);
  if (state != SlotState::kProvisioned && state != SlotState::kRevoked) {
    return StatusCode::kFailedPrecondition;
  }
  RefusalReason why = RefusalReason::kAccepted;
  if (!HardenedIsTrue(CommitRulesHold(raw, static_cast<uint8_t>(1u << slot), bootable, &why))) {
    return StatusCode::kFailedPrecondition;
  }
  RecheckDecision(decision, "revoked marker decision");
  // The marker word is 0 (checked above): this programs the marker.
  return WriteMissingMarkers(otp, component, raw, static_cast<uint8_t>(1u << slot));
}

Status CompleteRevocations(platform::Otp& otp, otp::Component component) {
  otp::OtpDomain raw;
  otp::RevocationLog log;
  BASTION_TRY(ReadDomain(otp, component, &raw, &log));
  return WriteMissingMarkers(otp, component, raw, log.revoked);
}

}  // namespace bastion::revocation
