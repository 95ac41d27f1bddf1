// Key domains: K signing-key slots and optional revocation-
// authority slots per kind of image, held in OTP as key hashes, with the full
// public keys in the flash key store.
//
// Slot states only move forward: blank -> provisioned -> revoked. A marker
// word holding anything but its canonical pattern (a torn OTP write) reads as
// the safer state: a torn "revoked" marker is revoked, a torn "provisioned"
// marker is corrupt (never valid). A signing slot is also revoked as soon as
// a committed revocation record of its domain names it, before its marker
// word is written (docs/revocation.md, "Commit").
#pragma once

#include <cstdint>

#include "common/status.h"
#include "image/image.h"
#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::keys {

enum class SlotState : uint8_t { kBlank = 0, kProvisioned = 1, kRevoked = 2, kCorrupt = 3 };
const char* SlotStateName(SlotState state);

enum class KeyRole : uint8_t { kSigning = 0, kAuthority = 1 };

// Key policy as data: in which lifecycle states each role of key is valid.
struct KeyPolicyRow {
  otp::Lifecycle lifecycle;
  HardenedBool signing_valid;
  HardenedBool authority_valid;
};
inline constexpr HardenedBool kYes = HardenedBool::kTrue;
inline constexpr HardenedBool kNo = HardenedBool::kFalse;
inline constexpr KeyPolicyRow kKeyPolicy[] = {
    {otp::Lifecycle::kAssemblyAndTest, kNo, kNo},
    {otp::Lifecycle::kPsaRotProvisioning, kYes, kYes},
    {otp::Lifecycle::kSecured, kYes, kYes},
    {otp::Lifecycle::kNonPsaRotDebug, kYes, kYes},
    {otp::Lifecycle::kRecoverablePsaRotDebug, kNo, kNo},
    {otp::Lifecycle::kDecommissioned, kNo, kNo},
};
// Looks `lifecycle` up in kKeyPolicy; unknown states are never valid.
HardenedBool KeyRoleValid(KeyRole role, otp::Lifecycle lifecycle);

// The state of one slot from its own words (marker words only).
SlotState ClassifySlot(const otp::OtpKeySlot& slot);
// The state of signing slot `index` of `domain`: ClassifySlot, except that a
// slot named in `recorded` (otp::RevocationLog::revoked of the domain's
// record log) is revoked whatever its marker word says.
SlotState ClassifySigningSlot(const otp::OtpDomain& domain, size_t index, uint8_t recorded);

// kTrue only when the raw marker words say "provisioned, not revoked":
// computed without branches from the OTP words themselves, as the second,
// independent check of a key decision (ClassifySlot is the first). For
// authority slots; signing slots take the overload below.
HardenedBool SlotUsable(const otp::OtpKeySlot& slot);
// The same for signing slot `index` of a raw domain, also kFalse when a
// committed record of the domain's log (otp::RevocationRecordValid, read
// from the raw words) names the slot. kFalse for an index out of range. The
// second check of every signing-key decision.
HardenedBool SlotUsable(const otp::OtpDomain& domain, size_t index);

// A snapshot of one domain read from OTP.
struct KeyDomain {
  otp::Component component = otp::Component::kUrot;
  otp::OtpDomain raw{};
  SlotState signing[otp::kSigningSlots]{};
  SlotState authority[otp::kAuthoritySlots]{};
  uint32_t revocation_sequence = 0;  // the last committed record's sequence; 0: none
  uint8_t recorded_revocations = 0;  // signing slots the committed records name
  uint8_t records_used = 0;          // record log entries written (committed or
                                     // abandoned: otp::RevocationLog::used)

  // Number of provisioned, unrevoked signing slots.
  uint32_t ActiveSigningKeys() const;
};

// Reads a domain; signing slots named by a committed revocation record read
// as revoked (ClassifySigningSlot). (Security counters live in the flash
// counter stores: src/counters.) Returns kOk, kPermissionDenied (HDPL too
// high for the area), kFailedPrecondition (domain never configured),
// kDataLoss (the revocation record log is corrupt: otp::ReadRevocationLog).
// `*out` is written only on kOk.
Status LoadDomain(platform::Otp& otp, otp::Component component, KeyDomain* out);

// Resolves an image's KEYHASH / PUBKEY against a domain's signing slots
// (provisioned or revoked; revoked -> kKeyRevoked). KEYHASH images take the
// public key from the flash key store, after checking it against the OTP
// hash. Only keys whose role is valid in `lifecycle` are accepted.
class DomainKeyResolver final : public image::KeyResolver {
 public:
  DomainKeyResolver(const KeyDomain& domain, platform::Flash& flash, const otp::FlashLayout& layout,
                    otp::Lifecycle lifecycle)
      : domain_(domain), flash_(flash), layout_(layout), lifecycle_(lifecycle) {}
  image::ImageError Resolve(const image::ImageSource& source, const image::ParsedImage& image,
                            crypto::EcPublicKey* key, uint8_t* slot) override;

 private:
  image::ImageError Accept(size_t slot_index, ConstByteSpan der, const image::ParsedImage& image,
                           crypto::EcPublicKey* key, uint8_t* slot);
  const KeyDomain& domain_;
  platform::Flash& flash_;
  const otp::FlashLayout& layout_;
  otp::Lifecycle lifecycle_;
};

// Reads the key-store entry of (component, slot index 0..5) into `der`.
// Returns kOk, kNotFound (empty), kDataLoss (bad size), or a flash error.
Status ReadKeyStoreEntry(platform::Flash& flash, const otp::FlashLayout& layout,
                         otp::Component component, size_t slot, ByteBuffer<124>* der);

// ReadKeyStoreEntry, then the entry's SHA-256 against the hash `slot`
// holds in OTP: a key-store entry is trusted only when OTP vouches for it.
// Returns what ReadKeyStoreEntry returns, or kUnauthenticated.
Status ReadVouchedKey(platform::Flash& flash, const otp::FlashLayout& layout,
                      otp::Component component, size_t entry, const otp::OtpKeySlot& slot,
                      ByteBuffer<124>* der);

}  // namespace bastion::keys
