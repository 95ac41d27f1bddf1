// Revocation commands: who may revoke a key domain's slots, when
// a command must be refused, and how it is committed to OTP.
//
// What this module owns: the decision. A command is a COSE_Sign (src/cose)
// over a payload (revocation_command.h). It is authorised by `threshold`
// distinct provisioned, unrevoked signing slots of the domain, or by one
// provisioned, unrevoked authority slot; each signer is matched to a slot by
// its kid (= SHA-256 of the key's SubjectPublicKeyInfo = the OTP key hash),
// then verified with that slot's public key. It does not find commands
// (mailbox, image TLV) nor report outcomes (boot report): the boot stages do.
//
// Typical use in a boot stage, for one domain:
//   keys::KeyDomain domain;        BASTION_TRY(keys::LoadDomain(otp, c, &domain));
//   KeyStoreSlotKeys slot_keys(flash, layout, domain);
//   CheckOutcome outcome;
//   if (CheckCommand(message, {domain, lifecycle, instance_id, bootable, slot_keys}, &outcome)
//       == RefusalReason::kAccepted) {
//     status = ApplyRevocation(otp, c, outcome.command, outcome.accepted, bootable);
//   }
// The comparison with kAccepted is only the first gate: the commit itself
// takes the hardened decision (outcome.accepted), checks it twice, and
// re-checks the last-key and bootable-image rules from the OTP words it
// reads right before writing, so one fault that skips or zeroes the
// comparison commits nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/hardened.h"
#include "common/status.h"
#include "cose/cose.h"
#include "crypto/crypto.h"
#include "keys/key_domain.h"
#include "otp/otp_map.h"
#include "platform/platform.h"
#include "revocation/revocation_command.h"

namespace bastion::revocation {

// Why a command was refused, in the order CheckCommand tests them (the first
// that applies is reported). Stable numbers: they go into the boot report.
enum class RefusalReason : uint8_t {
  kAccepted = 0,
  kMalformedCose = 1,        // not a strict, tagged COSE_Sign (see cose_error)
  kMalformedPayload = 2,     // payload refused by DecodeCommand (see payload_error)
  kWrongDomain = 3,          // the command names another domain (see command.domain)
  kRevokedSigner = 4,        // a signer's kid is the hash of a revoked slot of the domain
  kUnknownSigner = 5,        // a signer's kid matches no provisioned slot of the domain
  kBadSignature = 6,         // a known, unrevoked signer's signature does not verify
  kTooFewSignatures = 7,     // fewer than threshold signing slots and no authority slot
  kOtherDevice = 8,          // instance_id present and not this device's
  kReplay = 9,               // sequence <= the domain's stored revocation sequence
  kSequenceLogFull = 10,     // all 16 entries of the revocation record log are used
  kSlotOutOfRange = 11,      // a slot index >= otp::kSigningSlots
  kSlotNotProvisioned = 12,  // a slot to revoke is blank (or corrupt: never valid)
  kLastSigningKey = 13,      // no provisioned, unrevoked signing slot would remain
  kNoBootableImage = 14,     // the domain's bootable image(s) would all lose their key
  kDomainCorrupt = 15,       // the domain's revocation record log is corrupt
};

// Short stable name ("too-few-signatures", ...).
const char* RefusalReasonName(RefusalReason reason);

// The public key of a domain slot, for verifying a signer. The boot stages
// use KeyStoreSlotKeys; tests may fake it.
class SlotKeySource {
 public:
  virtual ~SlotKeySource() = default;
  // Writes the public key of signing slot `index` (0..3) or authority slot
  // `index` (0..1). Implementations must only return keys whose SPKI hashes
  // to the slot's OTP key hash. Returns kOk, kNotFound (no key stored),
  // kUnauthenticated (stored key does not match OTP), kDataLoss (stored
  // entry or key malformed), kInvalidArgument (index out of range), or a
  // flash error.
  virtual Status SlotKey(keys::KeyRole role, size_t index, crypto::EcPublicKey* key) = 0;
};

// Keys from the flash key store (keys::ReadKeyStoreEntry), each checked
// against the domain's OTP key hash (SHA-256 of the DER SPKI) before use.
// Returns the codes SlotKeySource documents.
class KeyStoreSlotKeys final : public SlotKeySource {
 public:
  KeyStoreSlotKeys(platform::Flash& flash, const otp::FlashLayout& layout,
                   const keys::KeyDomain& domain)
      : flash_(flash), layout_(layout), domain_(domain) {}
  Status SlotKey(keys::KeyRole role, size_t index, crypto::EcPublicKey* key) override;

 private:
  platform::Flash& flash_;
  const otp::FlashLayout& layout_;
  const keys::KeyDomain& domain_;
};

// What Authorize found.
struct Authorization {
  HardenedBool authorized = HardenedBool::kFalse;
  // kAccepted, kRevokedSigner, kUnknownSigner, kBadSignature or kTooFewSignatures.
  RefusalReason reason = RefusalReason::kTooFewSignatures;
  uint8_t signing_verified = 0;    // bit i: signing slot i verified
  uint8_t authority_verified = 0;  // bit i: authority slot i verified
  uint8_t offending_signer = 0;    // signer index when reason names a signer
};

// Decides whether the signers of `message` authorise a command for
// `domain`. Every signer must be known: a kid equal to the hash of a revoked
// slot (signing or authority) refuses with kRevokedSigner, one that matches
// no provisioned slot with kUnknownSigner, a matched slot whose key cannot be
// fetched or whose signature fails with kBadSignature (in that precedence,
// over all signers). Otherwise authorised iff the verified signing slots
// number >= threshold (distinct slots: the same key twice counts once) or an
// authority slot verified; a role not valid in `lifecycle` (keys::kKeyPolicy)
// counts for nothing. A threshold of 0 in OTP counts as 1; one above
// otp::kSigningSlots can never be met by signing keys. The decision is taken
// twice (slot states, then the raw OTP words with keys::SlotUsable) and
// returned hardened; *out (not null) says why.
[[nodiscard]] HardenedBool Authorize(const cose::ParsedCoseSign& message,
                                     const keys::KeyDomain& domain, otp::Lifecycle lifecycle,
                                     SlotKeySource& slot_keys, Authorization* out);

// The signing-key slots of every image of the domain the boot can end up
// running: the primary image, and the image a revert would bring back
// while the primary may still be reverted (TRIAL, WRITING, REJECTED; the
// backup in the secondary slot, boot::BootableImagesOf). A command is
// refused when any of them that is provisioned today would lose its key.
constexpr uint8_t kNoImage = 0xff;
struct BootableImages {
  uint8_t primary_slot_key = kNoImage;    // key slot that signed the primary image
  uint8_t secondary_slot_key = kNoImage;  // the revert target's; kNoImage: no revert
                                          // can follow, or it does not verify
};

struct CheckContext {
  const keys::KeyDomain& domain;  // the domain being processed (OTP snapshot)
  otp::Lifecycle lifecycle;
  std::span<const uint8_t, kInstanceIdSize> instance_id;  // this device's
  BootableImages bootable;
  SlotKeySource& slot_keys;
};

struct CheckOutcome {
  RefusalReason reason = RefusalReason::kMalformedCose;
  cose::CoseError cose_error = cose::CoseError::kOk;
  cbor::CborError cbor_error = cbor::CborError::kOk;
  PayloadError payload_error = PayloadError::kOk;
  RevocationCommand command;  // valid from kWrongDomain on
  Authorization authorization;
  // The decision to carry to ApplyRevocation: kTrue only with reason
  // kAccepted, computed from the hardened authorisation (checked twice) and
  // the last-key and bootable-image rules evaluated again from the
  // snapshot's raw OTP words (CommitRulesHold). kFalse otherwise.
  HardenedBool accepted = HardenedBool::kFalse;
};

// Checks a revocation command against the domain and this device, in this
// order: COSE_Sign (tag 98 required), payload, domain, signers (Authorize),
// instance ID, replay, free log entry, slot range and state, last signing
// key, bootable image (every one in `bootable` keeps its key). Returns the first refusal or
// kAccepted (also in out->reason, with the decoded command). kAccepted is returned only after the
// hardened authorisation was checked twice. Reads no flash or OTP other than through `slot_keys`;
// changes nothing.
[[nodiscard]] RefusalReason CheckCommand(ConstByteSpan message, const CheckContext& context,
                                         CheckOutcome* out);

// The rules a commit must keep, evaluated from raw OTP words only
// (keys::SlotUsable: markers and committed records): revoking the slots in
// `mask` leaves at least one usable signing slot, and revokes no slot in
// `bootable` that is usable now. kTrue when both hold; otherwise kFalse
// and *why (not null) is kLastSigningKey or kNoBootableImage (kAccepted
// when they hold). CheckCommand's second look at its rules, and the
// commit's check of the words it is about to write after.
[[nodiscard]] HardenedBool CommitRulesHold(const otp::OtpDomain& raw, uint8_t mask,
                                           const BootableImages& bootable, RefusalReason* why);

// Commits an accepted command for `component` to OTP (docs/revocation.md,
// "Commit"). `accepted` is CheckCommand's hardened decision
// (CheckOutcome::accepted), `bootable` the BootableImages it was checked
// with. Before anything is written: `accepted` must be kTrue (checked on
// entry and again, laundered, right before the commit point; a value that
// is neither kTrue nor kFalse, or two reads that disagree, trap through
// HardenedTrap), and the domain is read again from OTP and CommitRulesHold
// re-evaluated on those words. Then, in two steps:
//  1. the commit point: ONE 8-byte OTP write appends the record
//     {sequence + 1, slot mask, check} to the domain's revocation record
//     log. From then on the slots are revoked (keys::LoadDomain) and the
//     sequence is raised, together.
//  2. the roll-forward: the revoked marker of each slot the record (or an
//     earlier record whose markers are pending) names, as
//     CompleteRevocations does at every boot if power is lost here.
// A power loss before the record leaves nothing written; after it, the
// revocation is applied and the next boot finishes the markers. Nothing
// needs the command again. Idempotent: when the log's last record already
// commits this command (same sequence and slots), only missing markers are
// written. Only sets bits.
// Returns kOk; kUnauthenticated (`accepted` is kFalse: nothing read or
// written); kInvalidArgument (command for another component, or breaks
// ValidateCommand); kFailedPrecondition (domain not configured, a slot
// blank, the sequence is not above the last record's and that record is
// not this command's, or — from the words just read — the command would
// revoke the last usable signing slot or a usable slot in `bootable`);
// kDataLoss (record log corrupt); kResourceExhausted (log full);
// kPermissionDenied (HDPL past the domain's area); kUnavailable (power
// lost); other OTP errors as platform::Otp returns them.
[[nodiscard]] Status ApplyRevocation(platform::Otp& otp, otp::Component component,
                                     const RevocationCommand& command, HardenedBool accepted,
                                     const BootableImages& bootable);

// Revokes signing slot `slot` of `component`'s domain by its marker word
// alone (revoke_older_on_confirm: no record, the sequence unchanged), under
// the same guard as ApplyRevocation: `decision` (the caller's hardened
// decision that the slot goes) checked on entry and again, laundered,
// right before the write (trap on an impossible value), and CommitRulesHold
// for this slot on the domain read from OTP right before the write.
// Returns kOk (written, or the marker word is already non-zero: nothing to
// write); kUnauthenticated (`decision` is kFalse); kInvalidArgument (slot
// out of range); kFailedPrecondition (domain not configured, the slot
// blank or corrupt, or the rules would break); kDataLoss (record log
// corrupt); kPermissionDenied; kUnavailable; other OTP errors.
[[nodiscard]] Status RevokeSlotMarker(platform::Otp& otp, otp::Component component, size_t slot,
                                      HardenedBool decision, const BootableImages& bootable);

// Rolls committed revocations of `component`'s domain forward: writes the
// revoked marker of every signing slot that a committed record names and
// whose marker word is 0 (a marker word holding other bits already reads as
// revoked and cannot take the marker). Idempotent (a second call programs
// nothing) and power-fail safe (each marker is one independent word; an
// interrupted call is finished by the next). The boot stages call it for
// each domain they own before anything verifies an image.
// Returns kOk; kFailedPrecondition (domain not configured); kDataLoss
// (record log corrupt: nothing written); kPermissionDenied (HDPL past the
// domain's area); kUnavailable (power lost); other OTP errors.
Status CompleteRevocations(platform::Otp& otp, otp::Component component);

}  // namespace bastion::revocation
