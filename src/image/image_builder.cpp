// Builds images exactly as MCUboot's imgtool (scripts/imgtool/image.py) does,
// so `bastion sign` and `imgtool sign` outputs are interchangeable. The rules
// followed, as checked against imgtool:
//
// - Hash: SHA-256 for P-256 keys, SHA-384 for P-384 keys (imgtool picks the
//   hash from the key). It covers header + payload + protected TLV area; the
//   ECDSA_SIG TLV (0x22) is a DER signature over that digest.
// - KEYHASH (0x01) is the digest, with the image's hash algorithm (so SHA-384
//   for P-384, 48 bytes), of the DER SubjectPublicKeyInfo; PUBKEY (0x02,
//   --public-key-format full) is that DER itself. MCUboot's bootutil hashes
//   its built-in keys with the same image hash.
// - Protected area: only when there is a protected TLV; info {0x6908, total}
//   where total counts the 4-byte info, and the header's protect_tlv_size
//   equals it. imgtool emits SEC_CNT first (4 bytes LE), then BOOT_RECORD,
//   DEPENDENCY, custom TLVs; Bastion's revocation TLV goes where custom TLVs go.
//   A DEPENDENCY value is {u8 image_id, 3 zero bytes, u8 major, u8 minor,
//   u16 revision, u32 build}, one TLV per -d entry, in the order given.
// - Unprotected area: info {0x6907, total} then hash, KEYHASH or PUBKEY, then
//   the signature, in that order.
// - Trailer size (swap modes): max_sectors * 3 * align (status area)
//   + max_align * 4 (image_ok, copy_done, swap_info, swap_size)
//   + align_up(16, max_align) (magic). max_align defaults to max(align, 8);
//   align must be 1, 2, 4, 8, 16 or 32. With -S, image + trailer must fit.
// - --pad fills with the erased value 0xff up to slot_size and puts the boot
//   magic in the last 16 bytes. For max_align != 8 the magic's first two bytes
//   are max_align (little-endian) followed by a different 14-byte tail.
// - --confirm implies --pad and writes image_ok = 0x01 at
//   slot_size - (align_up(16, max_align) + max_align).
// - --pad-header prepends header_size erased (0xff) bytes; the header then
//   overwrites the first 32. Without it the input must start with header_size
//   zero bytes (imgtool refuses otherwise).
// - -L/--load-addr: the header's load_addr, and IMAGE_F_RAM_LOAD (0x20) set
//   when it is non-zero.
// - -s auto: security counter = (major << 24) + (minor << 16) + revision
//   (AutoSecurityCounter in image.h).
#include <cstring>

#include "image/image.h"

namespace bastion::image {

namespace {

constexpr uint8_t kErased = 0xff;
constexpr size_t kSecCntTlvTotal = kTlvHeaderSize + kSecCntTlvSize;

bool ValidAlign(uint32_t align) {
  return align == 1 || align == 2 || align == 4 || align == 8 || align == 16 || align == 32;
}

uint32_t EffectiveMaxAlign(uint32_t align, uint32_t max_align) {
  if (max_align != 0) return max_align;
  return align > kDefaultMaxAlign ? align : kDefaultMaxAlign;
}

uint32_t AlignUp(uint32_t value, uint32_t align) { return (value + align - 1) & ~(align - 1); }

uint8_t* PutTlv(uint8_t* p, uint16_t type, ConstByteSpan value) {
  StoreLe16(p, type);
  StoreLe16(p + 2, static_cast<uint16_t>(value.size()));
  if (!value.empty()) std::memcpy(p + kTlvHeaderSize, value.data(), value.size());
  return p + kTlvHeaderSize + value.size();
}

void WriteHeader(uint8_t* p, const SignOptions& options, uint16_t protect_tlv_size,
                 uint32_t img_size) {
  std::memset(p, 0, kHeaderSize);
  uint32_t flags = 0;
  if (options.load_addr != 0) flags |= kFlagRamLoad;
  StoreLe32(p + kOffMagic, kImageMagic);
  StoreLe32(p + kOffLoadAddr, options.load_addr);
  StoreLe16(p + kOffHdrSize, options.header_size);
  StoreLe16(p + kOffProtectTlvSize, protect_tlv_size);
  StoreLe32(p + kOffImgSize, img_size);
  StoreLe32(p + kOffFlags, flags);
  p[kOffVersion] = options.version.major;
  p[kOffVersion + 1] = options.version.minor;
  StoreLe16(p + kOffVersion + 2, options.version.revision);
  StoreLe32(p + kOffVersion + 4, options.version.build);
  StoreLe32(p + kOffPad1, 0);
}

}  // namespace

const char* BuildErrorName(BuildError error) {
  switch (error) {
    case BuildError::kOk:
      return "ok";
    case BuildError::kHeaderTooSmall:
      return "header-too-small";
    case BuildError::kHeaderNotZero:
      return "header-not-zero";
    case BuildError::kBadAlign:
      return "bad-align";
    case BuildError::kTooLarge:
      return "too-large";
    case BuildError::kOutputTooSmall:
      return "output-too-small";
    case BuildError::kPadWithoutSlotSize:
      return "pad-without-slot-size";
    case BuildError::kSigningFailed:
      return "signing-failed";
  }
  return "unknown";
}

uint32_t TrailerSize(uint32_t align, uint32_t max_align, uint32_t max_sectors) {
  const uint64_t effective = EffectiveMaxAlign(align, max_align);
  const uint64_t magic_area = (kBootMagicSize + effective - 1) / effective * effective;
  const uint64_t size = uint64_t{max_sectors} * 3 * align + effective * 4 + magic_area;
  return size > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(size);  // saturates
}

BuildError BuildSignedImage(ConstByteSpan payload, const SignOptions& options,
                            const crypto::EcKeyPair& key, ByteSpan out, size_t* written) {
  *written = 0;
  if (options.header_size < kHeaderSize) return BuildError::kHeaderTooSmall;
  if (!ValidAlign(options.align)) return BuildError::kBadAlign;
  const uint32_t max_align = EffectiveMaxAlign(options.align, options.max_align);
  if (max_align != 8 && max_align != 16 && max_align != 32) return BuildError::kBadAlign;
  if (max_align < options.align) return BuildError::kBadAlign;
  const bool pad = options.pad || options.confirm;
  if (pad && options.slot_size == 0) return BuildError::kPadWithoutSlotSize;

  const size_t header_size = options.header_size;
  // Headroom for header, both TLV areas: every size below fits in 32 bits.
  if (payload.size() > 0xffffffffu - 0x30000u) return BuildError::kTooLarge;
  if (!options.pad_header) {
    if (payload.size() < header_size) return BuildError::kHeaderNotZero;
    for (size_t i = 0; i < header_size; ++i) {
      if (payload[i] != 0) return BuildError::kHeaderNotZero;
    }
  }
  const size_t body_size = options.pad_header ? header_size + payload.size() : payload.size();
  const size_t img_size = body_size - header_size;

  size_t protect_size = 0;
  if (options.has_security_counter) protect_size += kSecCntTlvTotal;
  if (options.dependencies.size() > 0xff) return BuildError::kTooLarge;
  protect_size += options.dependencies.size() * (kTlvHeaderSize + kDependencyTlvSize);
  if (!options.revocation.empty()) protect_size += kTlvHeaderSize + options.revocation.size();
  if (protect_size != 0) protect_size += kTlvInfoSize;
  if (protect_size > 0xffff || options.revocation.size() > 0xffff) return BuildError::kTooLarge;
  const size_t signed_size = body_size + protect_size;
  if (out.size() < signed_size) return BuildError::kOutputTooSmall;

  // Header, payload, protected TLVs.
  uint8_t* const base = out.data();
  if (options.pad_header) {
    std::memset(base, kErased, header_size);
    if (!payload.empty()) std::memcpy(base + header_size, payload.data(), payload.size());
  } else if (!payload.empty()) {
    std::memcpy(base, payload.data(), payload.size());
  }
  WriteHeader(base, options, static_cast<uint16_t>(protect_size), static_cast<uint32_t>(img_size));
  if (protect_size != 0) {
    uint8_t* p = base + body_size;
    StoreLe16(p, kTlvProtectedInfoMagic);
    StoreLe16(p + 2, static_cast<uint16_t>(protect_size));
    p += kTlvInfoSize;
    if (options.has_security_counter) {
      uint8_t counter[kSecCntTlvSize];
      StoreLe32(counter, options.security_counter);
      p = PutTlv(p, kTlvSecCnt, counter);
    }
    for (const ImageDependency& d : options.dependencies) {
      // imgtool: struct.pack('<B3xBBHI', image_id, major, minor, revision, build).
      uint8_t value[kDependencyTlvSize] = {};
      value[0] = d.image_id;
      value[4] = d.min_version.major;
      value[5] = d.min_version.minor;
      StoreLe16(value + 6, d.min_version.revision);
      StoreLe32(value + 8, d.min_version.build);
      p = PutTlv(p, kTlvDependency, value);
    }
    if (!options.revocation.empty()) p = PutTlv(p, kTlvBastionRevocation, options.revocation);
  }

  // Hash and sign.
  const crypto::HashAlg alg = crypto::CurveHash(key.public_key.curve);
  const crypto::Digest digest = crypto::Hash(alg, ConstByteSpan(base, signed_size));
  uint8_t signature[crypto::kMaxEcdsaDerSigSize];
  size_t signature_size = 0;
  if (!crypto::EcdsaSign(key, digest.view(), signature, &signature_size).ok()) {
    return BuildError::kSigningFailed;
  }
  uint8_t spki[crypto::kMaxSpkiDerSize];
  size_t spki_size = 0;
  if (!crypto::WritePublicKeySpki(key.public_key, spki, &spki_size).ok()) {
    return BuildError::kSigningFailed;
  }
  const crypto::Digest key_hash = crypto::Hash(alg, ConstByteSpan(spki, spki_size));
  const ConstByteSpan key_value =
      options.full_public_key ? ConstByteSpan(spki, spki_size) : key_hash.view();

  const size_t unprotected_size = kTlvInfoSize + kTlvHeaderSize + digest.size + kTlvHeaderSize +
                                  key_value.size() + kTlvHeaderSize + signature_size;
  const size_t total_size = signed_size + unprotected_size;
  if (options.slot_size != 0) {
    const size_t trailer = TrailerSize(options.align, options.max_align, options.max_sectors);
    if (total_size > options.slot_size || trailer > options.slot_size - total_size) {
      return BuildError::kTooLarge;
    }
  }
  const size_t output_size = pad ? options.slot_size : total_size;
  if (out.size() < output_size) return BuildError::kOutputTooSmall;

  uint8_t* p = base + signed_size;
  StoreLe16(p, kTlvInfoMagic);
  StoreLe16(p + 2, static_cast<uint16_t>(unprotected_size));
  p += kTlvInfoSize;
  p = PutTlv(p, alg == crypto::HashAlg::kSha256 ? kTlvSha256 : kTlvSha384, digest.view());
  p = PutTlv(p, options.full_public_key ? kTlvPubKey : kTlvKeyHash, key_value);
  p = PutTlv(p, kTlvEcdsaSig, ConstByteSpan(signature, signature_size));

  if (pad) {
    std::memset(base + total_size, kErased, output_size - total_size);
    uint8_t* const magic = base + output_size - kBootMagicSize;
    if (max_align == kDefaultMaxAlign) {
      std::memcpy(magic, kBootMagic, kBootMagicSize);
    } else {
      StoreLe16(magic, static_cast<uint16_t>(max_align));
      std::memcpy(magic + 2, kBootMagicAlignedTail, sizeof(kBootMagicAlignedTail));
    }
    if (options.confirm) {
      const size_t magic_area = AlignUp(static_cast<uint32_t>(kBootMagicSize), max_align);
      base[output_size - (magic_area + max_align)] = kImageOkSet;
    }
  }
  *written = output_size;
  return BuildError::kOk;
}

}  // namespace bastion::image
