#include "keys/key_domain.h"

#include <cstring>

namespace bastion::keys {

using image::ImageError;

const char* SlotStateName(SlotState state) {
  switch (state) {
    case SlotState::kBlank:
      return "blank";
    case SlotState::kProvisioned:
      return "provisioned";
    case SlotState::kRevoked:
      return "revoked";
    case SlotState::kCorrupt:
      return "corrupt";
  }
  return "corrupt";
}

HardenedBool KeyRoleValid(KeyRole role, otp::Lifecycle lifecycle) {
  for (const KeyPolicyRow& row : kKeyPolicy) {
    if (row.lifecycle == lifecycle) {
      return role == KeyRole::kSigning ? row.signing_valid : row.authority_valid;
    }
  }
  return HardenedBool::kFalse;
}

SlotState ClassifySlot(const otp::OtpKeySlot& slot) {
  if (slot.revoked != 0) return SlotState::kRevoked;  // torn or complete: revoked
  if (slot.provisioned == otp::kSlotProvisionedMarker) return SlotState::kProvisioned;
  if (slot.provisioned != 0) return SlotState::kCorrupt;
  for (uint8_t b : slot.key_hash) {
    if (b != 0) return SlotState::kCorrupt;  // hash written, marker missing
  }
  return SlotState::kBlank;
}

SlotState ClassifySigningSlot(const otp::OtpDomain& domain, size_t index, uint8_t recorded) {
  if (index >= otp::kSigningSlots) return SlotState::kCorrupt;
  if (((recorded >> index) & 1u) != 0) return SlotState::kRevoked;
  return ClassifySlot(domain.signing[index]);
}

namespace {
// kTrue exactly when `diff` (laundered) is 0, without branches.
HardenedBool TrueWhenZero(uint32_t diff) {
  diff = Launder(diff);
  const uint32_t is_zero = ((diff | (0u - diff)) >> 31) ^ 1u;
  const uint32_t mask = 0u - is_zero;
  return static_cast<HardenedBool>((static_cast<uint32_t>(HardenedBool::kTrue) & mask) |
                                   (static_cast<uint32_t>(HardenedBool::kFalse) & ~mask));
}
}  // namespace

HardenedBool SlotUsable(const otp::OtpKeySlot& slot) {
  // diff == 0 exactly when provisioned holds its marker and revoked is 0.
  return TrueWhenZero((slot.provisioned ^ otp::kSlotProvisionedMarker) | slot.revoked);
}

HardenedBool SlotUsable(const otp::OtpDomain& domain, size_t index) {
  if (index >= otp::kSigningSlots) return HardenedBool::kFalse;
  uint32_t named = 0;
  // Committed records only: an entry that does not check is a torn commit
  // that never happened (otp::ReadRevocationLog).
  for (const otp::OtpRevocationRecord& record : domain.revocations) {
    if (otp::RevocationRecordValid(record)) named |= record.slots;
  }
  const otp::OtpKeySlot& slot = domain.signing[index];
  return TrueWhenZero((slot.provisioned ^ otp::kSlotProvisionedMarker) | slot.revoked |
                      ((named >> index) & 1u));
}

uint32_t KeyDomain::ActiveSigningKeys() const {
  uint32_t n = 0;
  for (SlotState s : signing) n += s == SlotState::kProvisioned ? 1u : 0u;
  return n;
}

Status LoadDomain(platform::Otp& otp, otp::Component component, KeyDomain* out) {
  KeyDomain domain;
  domain.component = component;
  BASTION_TRY(otp.Read(otp::DomainOffset(component),
                       ByteSpan(reinterpret_cast<uint8_t*>(&domain.raw), sizeof(domain.raw))));
  if (domain.raw.configured != otp::kDomainConfiguredMarker) return StatusCode::kFailedPrecondition;
  otp::RevocationLog log;
  if (!otp::ReadRevocationLog(domain.raw.revocations, &log)) return StatusCode::kDataLoss;
  domain.revocation_sequence = log.sequence;
  domain.recorded_revocations = log.revoked;
  domain.records_used = static_cast<uint8_t>(log.used);
  for (size_t i = 0; i < otp::kSigningSlots; ++i) {
    domain.signing[i] = ClassifySigningSlot(domain.raw, i, log.revoked);
  }
  for (size_t i = 0; i < otp::kAuthoritySlots; ++i) {
    domain.authority[i] = ClassifySlot(domain.raw.authority[i]);
  }
  *out = domain;
  return StatusCode::kOk;
}

Status ReadKeyStoreEntry(platform::Flash& flash, const otp::FlashLayout& layout,
                         otp::Component component, size_t slot, ByteBuffer<124>* der) {
  if (slot >= otp::kKeyStoreSlotsPerDomain) return StatusCode::kInvalidArgument;
  if (layout.key_store.size < otp::kKeyStoreSize) return StatusCode::kDataLoss;
  otp::KeyStoreEntry entry{};
  BASTION_TRY(flash.Read(layout.key_store.offset + otp::KeyStoreEntryOffset(component, slot),
                         ByteSpan(reinterpret_cast<uint8_t*>(&entry), sizeof(entry))));
  if (entry.der_size == 0 || entry.der_size == 0xffff) return StatusCode::kNotFound;
  if (entry.der_size > sizeof(entry.der)) return StatusCode::kDataLoss;
  (void)der->Assign(ConstByteSpan(entry.der, entry.der_size));
  return StatusCode::kOk;
}

Status ReadVouchedKey(platform::Flash& flash, const otp::FlashLayout& layout,
                      otp::Component component, size_t entry, const otp::OtpKeySlot& slot,
                      ByteBuffer<124>* der) {
  BASTION_TRY(ReadKeyStoreEntry(flash, layout, component, entry, der));
  const crypto::Digest hash = crypto::Hash(crypto::HashAlg::kSha256, der->view());
  if (!HardenedIsTrue(HardenedEqual(hash.bytes.data(), slot.key_hash, sizeof(slot.key_hash)))) {
    return StatusCode::kUnauthenticated;
  }
  return StatusCode::kOk;
}

ImageError DomainKeyResolver::Accept(size_t slot_index, ConstByteSpan der,
                                     const image::ParsedImage& image, crypto::EcPublicKey* key,
                                     uint8_t* slot) {
  if (domain_.signing[slot_index] == SlotState::kRevoked) return ImageError::kKeyRevoked;
  if (domain_.signing[slot_index] != SlotState::kProvisioned) return ImageError::kKeyNotProvisioned;
  if (!HardenedIsTrue(SlotUsable(domain_.raw, slot_index))) return ImageError::kKeyRevoked;
  if (!HardenedIsTrue(KeyRoleValid(KeyRole::kSigning, lifecycle_))) {
    return ImageError::kKeyNotProvisioned;
  }
  crypto::EcPublicKey parsed;
  if (!crypto::ParsePublicKeySpki(der, &parsed).ok()) return ImageError::kBadPublicKey;
  if (crypto::CurveHash(parsed.curve) != image.hash_alg) return ImageError::kHashKeyMismatch;
  *key = parsed;
  *slot = static_cast<uint8_t>(slot_index);
  return ImageError::kOk;
}

ImageError DomainKeyResolver::Resolve(const image::ImageSource& source,
                                      const image::ParsedImage& image, crypto::EcPublicKey* key,
                                      uint8_t* slot) {
  if (!image.key.present) return ImageError::kMissingKey;
  if (image.key.length > crypto::kMaxSpkiDerSize) return ImageError::kBadPublicKey;
  uint8_t tlv[crypto::kMaxSpkiDerSize];
  const ByteSpan tlv_value(tlv, image.key.length);
  if (!source.Read(image.key.value_offset, tlv_value).ok()) return ImageError::kReadFailed;

  if (image.key_is_full) {
    // PUBKEY: the OTP slot holding SHA-256(SPKI) vouches for it.
    const crypto::Digest h = crypto::Hash(crypto::HashAlg::kSha256, tlv_value);
    for (size_t i = 0; i < otp::kSigningSlots; ++i) {
      if (domain_.signing[i] == SlotState::kBlank) continue;
      if (HardenedIsTrue(HardenedEqual(h.bytes.data(), domain_.raw.signing[i].key_hash, 32))) {
        return Accept(i, tlv_value, image, key, slot);
      }
    }
    return ImageError::kKeyNotProvisioned;
  }

  // KEYHASH: find the key-store entry whose hash (with the image's hash
  // algorithm) matches, after checking the entry against OTP.
  for (size_t i = 0; i < otp::kSigningSlots; ++i) {
    if (domain_.signing[i] == SlotState::kBlank || domain_.signing[i] == SlotState::kCorrupt) {
      continue;
    }
    ByteBuffer<124> der;
    if (!ReadVouchedKey(flash_, layout_, domain_.component, i, domain_.raw.signing[i], &der).ok()) {
      continue;  // no entry, or one OTP does not vouch for: never trust it
    }
    const crypto::Digest h = crypto::Hash(image.hash_alg, der.view());
    if (h.size == image.key.length &&
        HardenedIsTrue(HardenedEqual(h.bytes.data(), tlv, static_cast<uint32_t>(h.size)))) {
      return Accept(i, der.view(), image, key, slot);
    }
  }
  return ImageError::kKeyNotProvisioned;
}

}  // namespace bastion::keys
