#include <cstring>

#include "crypto/ecdsa_der.h"
#include "image/image.h"

namespace bastion::image {

namespace {

constexpr size_t kHashChunkSize = 1024;

// Hashes [0, length) of the source in fixed-size chunks.
ImageError HashSigned(const ImageSource& source, uint32_t length, crypto::HashAlg alg,
                      crypto::Digest* out) {
  uint8_t chunk[kHashChunkSize];
  crypto::Hasher hasher(alg);
  uint32_t offset = 0;
  while (offset < length) {
    const uint32_t remaining = length - offset;
    const uint32_t n =
        remaining < kHashChunkSize ? remaining : static_cast<uint32_t>(kHashChunkSize);
    if (!source.Read(offset, ByteSpan(chunk, n)).ok()) return ImageError::kReadFailed;
    hasher.Update(ConstByteSpan(chunk, n));
    offset += n;
  }
  hasher.Finish(out);
  return ImageError::kOk;
}

// The signature TLV holds one DER signature, optionally followed by zeros
// up to the longest DER signature of the curve: imgtool --pad-sig (for
// MCUboot < 1.5) pads to 72 bytes (P-256) / 103 (P-384) that way, and
// MCUboot still accepts it. Sets *der_length to the length of the DER
// itself. Returns kOk, kSignatureNotCanonical (no short-form SEQUENCE header,
// the sequence runs past the TLV, or padding past the curve's longest DER),
// kSignatureInvalid (non-zero bytes after the sequence: not a signature).
ImageError SplitSignaturePadding(const uint8_t* sig, size_t length, size_t max_der,
                                 size_t* der_length) {
  if (length < 2 || sig[0] != 0x30 || sig[1] >= 0x80) return ImageError::kSignatureNotCanonical;
  const size_t der = static_cast<size_t>(sig[1]) + 2;
  if (der > length) return ImageError::kSignatureNotCanonical;
  for (size_t i = der; i < length; ++i) {
    if (sig[i] != 0) return ImageError::kSignatureInvalid;
  }
  if (der < length && length > max_der) return ImageError::kSignatureNotCanonical;
  *der_length = der;
  return ImageError::kOk;
}

}  // namespace

ImageError VerifyImage(const ImageSource& source, const ParsedImage& image, KeyResolver& keys,
                       uint32_t min_security_counter, bool require_security_counter,
                       VerifiedImage* out, HardenedBool* decision) {
  *decision = HardenedBool::kFalse;
  *out = VerifiedImage{};
  const size_t digest_size = crypto::DigestSize(image.hash_alg);
  if (!image.hash.present) return ImageError::kMissingHash;
  if (!image.signature.present) return ImageError::kMissingSignature;
  if (!image.key.present) return ImageError::kMissingKey;
  if (image.hash.length != digest_size) return ImageError::kBadTlvLength;
  if (image.signature.length == 0 || image.signature.length > crypto::kMaxEcdsaDerSigSize) {
    return ImageError::kBadTlvLength;
  }

  // Security counter. A missing SEC_CNT counts as 0.
  if (require_security_counter && !image.has_security_counter) {
    return ImageError::kMissingSecurityCounter;
  }
  const uint32_t counter = image.has_security_counter ? image.security_counter : 0;
  if (counter < min_security_counter) return ImageError::kSecurityCounterRollback;

  crypto::Digest expected;
  expected.size = digest_size;
  if (!source.Read(image.hash.value_offset, ByteSpan(expected.bytes.data(), digest_size)).ok()) {
    return ImageError::kReadFailed;
  }
  // Fold the anti-rollback result into the expected digest without a branch:
  // if the check above was skipped (a glitch), a too-old image still cannot
  // match its own hash. rollback_mask is 0xff..ff when counter < min, else 0.
  uint32_t difference = 0;
  const uint32_t borrow = static_cast<uint32_t>(
      __builtin_sub_overflow(Launder(counter), min_security_counter, &difference));
  const uint8_t rollback_mask = static_cast<uint8_t>(0u - Launder(borrow));
  for (size_t i = 0; i < digest_size; ++i) expected.bytes[i] ^= rollback_mask;

  crypto::Digest computed;
  const ImageError hashed = HashSigned(source, image.signed_size, image.hash_alg, &computed);
  if (hashed != ImageError::kOk) return hashed;
  const HardenedBool hash_ok = HardenedEqual(computed.bytes.data(), expected.bytes.data(),
                                             static_cast<uint32_t>(digest_size));
  if (!HardenedIsTrue(hash_ok)) return ImageError::kHashMismatch;

  crypto::EcPublicKey key;
  uint8_t slot = 0;
  const ImageError resolved = keys.Resolve(source, image, &key, &slot);
  if (resolved != ImageError::kOk) return resolved;
  if (crypto::CurveHash(key.curve) != image.hash_alg) return ImageError::kHashKeyMismatch;

  uint8_t signature[crypto::kMaxEcdsaDerSigSize];
  if (!source.Read(image.signature.value_offset, ByteSpan(signature, image.signature.length))
           .ok()) {
    return ImageError::kReadFailed;
  }
  // Exactly one encoding: canonical DER (plus imgtool's zero padding), r
  // and s in [1, n-1]; BER variants would give one signature many images.
  size_t der_size = 0;
  const ImageError split = SplitSignaturePadding(signature, image.signature.length,
                                                 crypto::MaxEcdsaDerSize(key.curve), &der_size);
  if (split != ImageError::kOk) return split;
  // Decoded once (strict DER) into r || s, range-checked, verified.
  const size_t raw_size = 2 * crypto::CoordinateSize(key.curve);
  uint8_t raw[crypto::kMaxRawSignatureSize];
  if (!crypto::EcdsaDerToRaw(ConstByteSpan(signature, der_size), raw_size / 2, raw).ok()) {
    return ImageError::kSignatureNotCanonical;
  }
  if (!crypto::CheckEcdsaRawSignature(key.curve, ConstByteSpan(raw, raw_size)).ok()) {
    return ImageError::kSignatureOutOfRange;
  }
  const HardenedBool signature_ok =
      crypto::EcdsaVerifyRaw(key, computed.view(), ConstByteSpan(raw, raw_size));
  if (!HardenedIsTrue(signature_ok)) return ImageError::kSignatureInvalid;

  out->measurement = computed;
  out->key_slot = slot;
  out->security_counter = counter;
  // Both checks again, laundered, before the decision is handed out.
  if (HardenedIsTrue(hash_ok) && HardenedIsTrue(signature_ok) &&
      Launder(counter) >= min_security_counter) {
    *decision = HardenedBool::kTrue;
    return ImageError::kOk;
  }
  HardenedTrap("image decision re-check");
}

ImageError SingleKeyResolver::Resolve(const ImageSource& source, const ParsedImage& image,
                                      crypto::EcPublicKey* key, uint8_t* slot) {
  if (crypto::CurveHash(key_.curve) != image.hash_alg) return ImageError::kHashKeyMismatch;
  uint8_t spki[crypto::kMaxSpkiDerSize];
  size_t spki_size = 0;
  if (!crypto::WritePublicKeySpki(key_, spki, &spki_size).ok()) return ImageError::kBadPublicKey;
  if (!image.key.present) return ImageError::kMissingKey;

  HardenedBool match = HardenedBool::kFalse;
  if (image.key_is_full) {
    uint8_t embedded[crypto::kMaxSpkiDerSize];
    if (image.key.length == 0 || image.key.length > sizeof(embedded))
      return ImageError::kBadPublicKey;
    if (!source.Read(image.key.value_offset, ByteSpan(embedded, image.key.length)).ok()) {
      return ImageError::kReadFailed;
    }
    crypto::EcPublicKey parsed;
    if (!crypto::ParsePublicKeySpki(ConstByteSpan(embedded, image.key.length), &parsed).ok()) {
      return ImageError::kBadPublicKey;
    }
    if (image.key.length != spki_size) return ImageError::kKeyNotProvisioned;
    match = HardenedEqual(embedded, spki, static_cast<uint32_t>(spki_size));
  } else {
    const crypto::Digest key_hash = crypto::Hash(image.hash_alg, ConstByteSpan(spki, spki_size));
    uint8_t embedded[crypto::kMaxDigestSize];
    if (image.key.length != key_hash.size) return ImageError::kKeyNotProvisioned;
    if (!source.Read(image.key.value_offset, ByteSpan(embedded, key_hash.size)).ok()) {
      return ImageError::kReadFailed;
    }
    match = HardenedEqual(embedded, key_hash.bytes.data(), static_cast<uint32_t>(key_hash.size));
  }
  if (!HardenedIsTrue(match)) return ImageError::kKeyNotProvisioned;
  *key = key_;
  *slot = 0;
  return ImageError::kOk;
}

}  // namespace bastion::image
