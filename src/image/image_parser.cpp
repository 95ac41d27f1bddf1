#include <cstring>

#include "image/image.h"

namespace bastion::image {

const char* ImageErrorName(ImageError error) {
  switch (error) {
    case ImageError::kOk:
      return "ok";
    case ImageError::kReadFailed:
      return "read-failed";
    case ImageError::kBadMagic:
      return "bad-magic";
    case ImageError::kHeaderTooSmall:
      return "header-too-small";
    case ImageError::kHeaderPastSlot:
      return "header-past-slot";
    case ImageError::kSizeOverflow:
      return "size-overflow";
    case ImageError::kPayloadPastSlot:
      return "payload-past-slot";
    case ImageError::kProtectedAreaPastSlot:
      return "protected-area-past-slot";
    case ImageError::kBadProtectedInfoMagic:
      return "bad-protected-info-magic";
    case ImageError::kProtectedSizeMismatch:
      return "protected-size-mismatch";
    case ImageError::kBadTlvInfoMagic:
      return "bad-tlv-info-magic";
    case ImageError::kTlvAreaPastSlot:
      return "tlv-area-past-slot";
    case ImageError::kTlvAreaTooSmall:
      return "tlv-area-too-small";
    case ImageError::kTlvTruncated:
      return "tlv-truncated";
    case ImageError::kDuplicateHash:
      return "duplicate-hash";
    case ImageError::kMissingHash:
      return "missing-hash";
    case ImageError::kDuplicateSignature:
      return "duplicate-signature";
    case ImageError::kMissingSignature:
      return "missing-signature";
    case ImageError::kDuplicateKey:
      return "duplicate-key";
    case ImageError::kMissingKey:
      return "missing-key";
    case ImageError::kUnknownVendorTlv:
      return "unknown-vendor-tlv";
    case ImageError::kTlvNotAllowedUnprotected:
      return "tlv-not-allowed-unprotected";
    case ImageError::kTlvMustBeUnprotected:
      return "tlv-must-be-unprotected";
    case ImageError::kBadTlvLength:
      return "bad-tlv-length";
    case ImageError::kDuplicateTlv:
      return "duplicate-tlv";
    case ImageError::kUnsupportedHash:
      return "unsupported-hash";
    case ImageError::kUnsupportedSignature:
      return "unsupported-signature";
    case ImageError::kEncryptedImage:
      return "encrypted-image";
    case ImageError::kHashMismatch:
      return "hash-mismatch";
    case ImageError::kHashKeyMismatch:
      return "hash-key-mismatch";
    case ImageError::kKeyNotProvisioned:
      return "key-not-provisioned";
    case ImageError::kKeyRevoked:
      return "key-revoked";
    case ImageError::kBadPublicKey:
      return "bad-public-key";
    case ImageError::kSignatureInvalid:
      return "signature-invalid";
    case ImageError::kSecurityCounterRollback:
      return "security-counter-rollback";
    case ImageError::kMissingSecurityCounter:
      return "missing-security-counter";
    case ImageError::kNonBootable:
      return "non-bootable";
    case ImageError::kSlotEmpty:
      return "slot-empty";
    case ImageError::kSignatureNotCanonical:
      return "signature-not-canonical";
    case ImageError::kSignatureOutOfRange:
      return "signature-out-of-range";
    case ImageError::kRamLoad:
      return "ram-load-unsupported";
    case ImageError::kRomFixed:
      return "rom-fixed-unsupported";
    case ImageError::kUnsupportedFlags:
      return "unsupported-flags";
    case ImageError::kBadDependency:
      return "bad-dependency";
    case ImageError::kDependencyUnmet:
      return "dependency-unmet";
  }
  return "unknown";
}

uint32_t SpanImageSource::size() const {
  constexpr size_t kMax = 0xffffffffu;
  return bytes_.size() > kMax ? 0xffffffffu : static_cast<uint32_t>(bytes_.size());
}

Status SpanImageSource::Read(uint32_t offset, ByteSpan out) const {
  const uint32_t limit = size();
  if (offset > limit || out.size() > limit - offset) return StatusCode::kOutOfRange;
  if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
  return StatusCode::kOk;
}

namespace {

enum class Area : uint8_t { kProtected, kUnprotected };

bool IsHashTlv(uint16_t type) {
  return type == kTlvSha256 || type == kTlvSha384 || type == kTlvSha512;
}
bool IsKeyTlv(uint16_t type) { return type == kTlvKeyHash || type == kTlvPubKey; }
bool IsSignatureTlv(uint16_t type) {
  return type == kTlvRsa2048Pss || type == kTlvEcdsa224 || type == kTlvEcdsaSig ||
         type == kTlvRsa3072Pss || type == kTlvEd25519 || type == kTlvSigPure;
}
bool IsEncryptionTlv(uint16_t type) {
  return type >= kTlvEncRsa2048 && type <= kTlvEncX25519Sha512;
}
bool IsVendorTlv(uint16_t type) { return type >= kTlvVendorFirst && type <= kTlvVendorLast; }

ImageError ReadBytes(const ImageSource& source, uint32_t offset, ByteSpan out) {
  return source.Read(offset, out).ok() ? ImageError::kOk : ImageError::kReadFailed;
}

ImageError Record(TlvRef* ref, uint16_t type, uint16_t length, uint32_t value_offset,
                  ImageError duplicate) {
  if (ref->present) return duplicate;
  ref->type = type;
  ref->length = length;
  ref->value_offset = value_offset;
  ref->present = true;
  return ImageError::kOk;
}

// Hash, key and signature TLVs: only in the unprotected area.
ImageError HandleUnprotected(uint16_t type, uint16_t length, uint32_t value_offset,
                             ParsedImage* out) {
  if (type == kTlvSha512) return ImageError::kUnsupportedHash;
  if (type == kTlvSha384 && !crypto::HashAvailable(crypto::HashAlg::kSha384)) {
    return ImageError::kUnsupportedHash;  // a stage built without P-384 (crypto.h)
  }
  if (type == kTlvSha256 || type == kTlvSha384) {
    const crypto::HashAlg alg =
        type == kTlvSha256 ? crypto::HashAlg::kSha256 : crypto::HashAlg::kSha384;
    if (out->hash.present) return ImageError::kDuplicateHash;
    if (length != crypto::DigestSize(alg)) return ImageError::kBadTlvLength;
    out->hash_alg = alg;
    return Record(&out->hash, type, length, value_offset, ImageError::kDuplicateHash);
  }
  if (type == kTlvKeyHash || type == kTlvPubKey) {
    if (out->key.present) return ImageError::kDuplicateKey;
    // KEYHASH's length is checked against the hash algorithm once the area is read.
    if (type == kTlvPubKey && (length == 0 || length > crypto::kMaxSpkiDerSize)) {
      return ImageError::kBadTlvLength;
    }
    out->key_is_full = type == kTlvPubKey;
    return Record(&out->key, type, length, value_offset, ImageError::kDuplicateKey);
  }
  if (type == kTlvEcdsaSig) {
    if (out->signature.present) return ImageError::kDuplicateSignature;
    if (length < 8 || length > crypto::kMaxEcdsaDerSigSize) return ImageError::kBadTlvLength;
    return Record(&out->signature, type, length, value_offset, ImageError::kDuplicateSignature);
  }
  if (IsSignatureTlv(type)) return ImageError::kUnsupportedSignature;
  if (IsEncryptionTlv(type)) return ImageError::kEncryptedImage;
  return ImageError::kTlvNotAllowedUnprotected;
}

ImageError HandleProtected(const ImageSource& source, uint16_t type, uint16_t length,
                           uint32_t value_offset, ParsedImage* out) {
  if (IsHashTlv(type) || IsKeyTlv(type) || IsSignatureTlv(type)) {
    return ImageError::kTlvMustBeUnprotected;
  }
  if (IsEncryptionTlv(type)) return ImageError::kEncryptedImage;
  switch (type) {
    case kTlvSecCnt: {
      if (out->has_security_counter) return ImageError::kDuplicateTlv;
      if (length != kSecCntTlvSize) return ImageError::kBadTlvLength;
      uint8_t value[kSecCntTlvSize];
      const ImageError read = ReadBytes(source, value_offset, value);
      if (read != ImageError::kOk) return read;
      out->security_counter = LoadLe32(value);
      out->has_security_counter = true;
      return ImageError::kOk;
    }
    case kTlvDependency: {
      if (length != kDependencyTlvSize) return ImageError::kBadTlvLength;
      if (out->dependency_count == 0xff) return ImageError::kDuplicateTlv;
      if (out->dependency_count++ == 0) {
        return Record(&out->dependency, type, length, value_offset, ImageError::kDuplicateTlv);
      }
      return ImageError::kOk;
    }
    case kTlvBootRecord:
      return Record(&out->boot_record, type, length, value_offset, ImageError::kDuplicateTlv);
    case kTlvBastionRevocation:
      if (length == 0) return ImageError::kBadTlvLength;
      return Record(&out->revocation, type, length, value_offset, ImageError::kDuplicateTlv);
    default:
      break;
  }
  if (IsVendorTlv(type)) return ImageError::kUnknownVendorTlv;
  return ImageError::kOk;  // an unknown MCUboot TLV: skipped, as MCUboot does
}

// Walks the TLVs of one area, [start, end) with start just past the info.
ImageError WalkArea(const ImageSource& source, Area area, uint32_t start, uint32_t end,
                    ParsedImage* out) {
  uint32_t pos = start;
  while (pos < end) {
    if (end - pos < kTlvHeaderSize) return ImageError::kTlvTruncated;
    uint8_t tlv_header[kTlvHeaderSize];
    const ImageError read = ReadBytes(source, pos, tlv_header);
    if (read != ImageError::kOk) return read;
    const uint16_t type = LoadLe16(tlv_header);
    const uint16_t length = LoadLe16(tlv_header + 2);
    const uint32_t value_offset = pos + static_cast<uint32_t>(kTlvHeaderSize);
    if (length > end - value_offset) return ImageError::kTlvTruncated;
    const ImageError handled = area == Area::kProtected
                                   ? HandleProtected(source, type, length, value_offset, out)
                                   : HandleUnprotected(type, length, value_offset, out);
    if (handled != ImageError::kOk) return handled;
    pos = value_offset + length;
  }
  return ImageError::kOk;
}

ImageError ParseHeader(const uint8_t* raw, ImageHeader* header) {
  header->magic = LoadLe32(raw + kOffMagic);
  header->load_addr = LoadLe32(raw + kOffLoadAddr);
  header->hdr_size = LoadLe16(raw + kOffHdrSize);
  header->protect_tlv_size = LoadLe16(raw + kOffProtectTlvSize);
  header->img_size = LoadLe32(raw + kOffImgSize);
  header->flags = LoadLe32(raw + kOffFlags);
  header->version.major = raw[kOffVersion];
  header->version.minor = raw[kOffVersion + 1];
  header->version.revision = LoadLe16(raw + kOffVersion + 2);
  header->version.build = LoadLe32(raw + kOffVersion + 4);
  if (header->magic != kImageMagic) return ImageError::kBadMagic;
  if (header->hdr_size < kHeaderSize) return ImageError::kHeaderTooSmall;
  return ImageError::kOk;
}

}  // namespace

ImageError ParseImage(const ImageSource& source, ParsedImage* out) {
  *out = ParsedImage{};
  const uint32_t slot = source.size();
  if (slot < kHeaderSize) return ImageError::kHeaderPastSlot;

  uint8_t raw[kHeaderSize];
  ImageError error = ReadBytes(source, 0, raw);
  if (error != ImageError::kOk) return error;
  bool erased = true;
  for (uint8_t b : raw) erased = erased && b == 0xff;
  if (erased) return ImageError::kSlotEmpty;

  ImageHeader& header = out->header;
  error = ParseHeader(raw, &header);
  if (error != ImageError::kOk) return error;
  if (header.hdr_size > slot) return ImageError::kHeaderPastSlot;
  if ((header.flags & (kFlagEncryptedAes128 | kFlagEncryptedAes256)) != 0) {
    return ImageError::kEncryptedImage;
  }
  if ((header.flags & kFlagNonBootable) != 0) return ImageError::kNonBootable;

  uint32_t payload_end = 0;
  if (!AddNoOverflow(header.hdr_size, header.img_size, &payload_end))
    return ImageError::kSizeOverflow;
  if (payload_end > slot) return ImageError::kPayloadPastSlot;
  uint32_t signed_size = 0;
  if (!AddNoOverflow(payload_end, header.protect_tlv_size, &signed_size)) {
    return ImageError::kSizeOverflow;
  }
  if (signed_size > slot) return ImageError::kProtectedAreaPastSlot;

  // Protected area: present only when protect_tlv_size != 0, and then its
  // info total must equal protect_tlv_size.
  if (header.protect_tlv_size != 0) {
    if (header.protect_tlv_size < kTlvInfoSize) return ImageError::kTlvAreaTooSmall;
    uint8_t info[kTlvInfoSize];
    error = ReadBytes(source, payload_end, info);
    if (error != ImageError::kOk) return error;
    if (LoadLe16(info) != kTlvProtectedInfoMagic) return ImageError::kBadProtectedInfoMagic;
    if (LoadLe16(info + 2) != header.protect_tlv_size) return ImageError::kProtectedSizeMismatch;
    error = WalkArea(source, Area::kProtected, payload_end + static_cast<uint32_t>(kTlvInfoSize),
                     signed_size, out);
    if (error != ImageError::kOk) return error;
  }

  // Unprotected area, right after the signed part.
  uint32_t info_end = 0;
  if (!AddNoOverflow(signed_size, static_cast<uint32_t>(kTlvInfoSize), &info_end)) {
    return ImageError::kSizeOverflow;
  }
  if (info_end > slot) return ImageError::kTlvAreaPastSlot;
  uint8_t info[kTlvInfoSize];
  error = ReadBytes(source, signed_size, info);
  if (error != ImageError::kOk) return error;
  if (LoadLe16(info) != kTlvInfoMagic) return ImageError::kBadTlvInfoMagic;
  const uint16_t total = LoadLe16(info + 2);
  if (total < kTlvInfoSize) return ImageError::kTlvAreaTooSmall;
  uint32_t area_end = 0;
  if (!AddNoOverflow(signed_size, total, &area_end)) return ImageError::kSizeOverflow;
  if (area_end > slot) return ImageError::kTlvAreaPastSlot;
  error = WalkArea(source, Area::kUnprotected, info_end, area_end, out);
  if (error != ImageError::kOk) return error;

  if (!out->hash.present) return ImageError::kMissingHash;
  if (!out->key.present) return ImageError::kMissingKey;
  if (!out->signature.present) return ImageError::kMissingSignature;
  if (!out->key_is_full && out->key.length != crypto::DigestSize(out->hash_alg)) {
    return ImageError::kBadTlvLength;
  }
  out->signed_size = signed_size;
  out->total_size = area_end;
  return ImageError::kOk;
}

ImageError ReadDependency(const ImageSource& source, const ParsedImage& image, uint8_t index,
                          ImageDependency* out) {
  if (index >= image.dependency_count || image.header.protect_tlv_size == 0) {
    return ImageError::kBadTlvLength;
  }
  // Walk the protected area again (ParseImage keeps only the first one).
  const uint32_t start = image.header.hdr_size + image.header.img_size;
  uint32_t pos = start + static_cast<uint32_t>(kTlvInfoSize);
  const uint32_t end = start + image.header.protect_tlv_size;
  uint8_t seen = 0;
  while (pos < end && end - pos >= kTlvHeaderSize) {
    uint8_t tlv_header[kTlvHeaderSize];
    ImageError error = ReadBytes(source, pos, tlv_header);
    if (error != ImageError::kOk) return error;
    const uint16_t type = LoadLe16(tlv_header);
    const uint16_t length = LoadLe16(tlv_header + 2);
    const uint32_t value_offset = pos + static_cast<uint32_t>(kTlvHeaderSize);
    if (length > end - value_offset) return ImageError::kBadTlvLength;
    if (type == kTlvDependency && seen++ == index) {
      if (length != kDependencyTlvSize) return ImageError::kBadTlvLength;
      uint8_t value[kDependencyTlvSize];
      error = ReadBytes(source, value_offset, value);
      if (error != ImageError::kOk) return error;
      out->image_id = value[0];
      out->min_version.major = value[4];
      out->min_version.minor = value[5];
      out->min_version.revision = LoadLe16(value + 6);
      out->min_version.build = LoadLe32(value + 8);
      return ImageError::kOk;
    }
    pos = value_offset + length;
  }
  return ImageError::kBadTlvLength;
}

ImageError CheckBootFlags(const ImageHeader& header) {
  const uint32_t flags = header.flags;
  if ((flags & (kFlagEncryptedAes128 | kFlagEncryptedAes256)) != 0) {
    return ImageError::kEncryptedImage;
  }
  if ((flags & kFlagNonBootable) != 0) return ImageError::kNonBootable;
  if ((flags & kFlagRamLoad) != 0) return ImageError::kRamLoad;
  if ((flags & kFlagRomFixed) != 0) return ImageError::kRomFixed;
  if (flags != 0) return ImageError::kUnsupportedFlags;
  return ImageError::kOk;
}

}  // namespace bastion::image
