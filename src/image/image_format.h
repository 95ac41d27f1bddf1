// MCUboot image format, byte for byte.
//
//   +--------------------+ 0
//   | header (32 bytes)  |
//   | ...padding...      |
//   +--------------------+ hdr_size
//   | payload            |
//   +--------------------+ hdr_size + img_size
//   | protected TLVs     |   info {0x6908, total incl. info} + TLVs; absent when
//   |                    |   protect_tlv_size == 0
//   +--------------------+ hdr_size + img_size + protect_tlv_size  (= signed size)
//   | unprotected TLVs   |   info {0x6907, total incl. info} + TLVs
//   +--------------------+
//   ... erased padding ... | trailer (image_ok, copy_done, swap_info, magic) at slot end
//
// The signature covers everything before the unprotected TLV area. All fields
// are little-endian.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bastion::image {

constexpr uint32_t kImageMagic = 0x96f3b83d;
constexpr uint16_t kTlvInfoMagic = 0x6907;           // unprotected area
constexpr uint16_t kTlvProtectedInfoMagic = 0x6908;  // protected area
constexpr size_t kHeaderSize = 32;
constexpr size_t kTlvInfoSize = 4;
constexpr size_t kTlvHeaderSize = 4;  // uint16 type, uint16 length

// Header field offsets.
constexpr size_t kOffMagic = 0;
constexpr size_t kOffLoadAddr = 4;
constexpr size_t kOffHdrSize = 8;
constexpr size_t kOffProtectTlvSize = 10;
constexpr size_t kOffImgSize = 12;
constexpr size_t kOffFlags = 16;
constexpr size_t kOffVersion = 20;  // major u8, minor u8, revision u16, build u32
constexpr size_t kOffPad1 = 28;

// Header flags (MCUboot image.h).
constexpr uint32_t kFlagPic = 0x01;
constexpr uint32_t kFlagEncryptedAes128 = 0x04;
constexpr uint32_t kFlagEncryptedAes256 = 0x08;
constexpr uint32_t kFlagNonBootable = 0x10;
constexpr uint32_t kFlagRamLoad = 0x20;
constexpr uint32_t kFlagRomFixed = 0x100;
constexpr uint32_t kFlagCompressedLzma1 = 0x200;
constexpr uint32_t kFlagCompressedLzma2 = 0x400;
constexpr uint32_t kFlagCompressedArmThumb = 0x800;

// TLV types (MCUboot image.h).
enum TlvType : uint16_t {
  kTlvKeyHash = 0x01,
  kTlvPubKey = 0x02,
  kTlvSha256 = 0x10,
  kTlvSha384 = 0x11,
  kTlvSha512 = 0x12,
  kTlvRsa2048Pss = 0x20,
  kTlvEcdsa224 = 0x21,
  kTlvEcdsaSig = 0x22,
  kTlvRsa3072Pss = 0x23,
  kTlvEd25519 = 0x24,
  kTlvSigPure = 0x25,
  kTlvEncRsa2048 = 0x30,
  kTlvEncKw = 0x31,
  kTlvEncEc256 = 0x32,
  kTlvEncX25519 = 0x33,
  kTlvEncX25519Sha512 = 0x34,
  kTlvDependency = 0x40,
  kTlvSecCnt = 0x50,
  kTlvBootRecord = 0x60,
  // Bastion's own TLVs: vendor range, always protected.
  kTlvVendorFirst = 0xa0,
  kTlvBastionRevocation = 0xa0,  // COSE_Sign revocation command (docs/revocation.md)
  kTlvVendorLast = 0xfe,
};

constexpr size_t kDependencyTlvSize = 12;  // image_id u8, pad[3], min version (8)
constexpr size_t kSecCntTlvSize = 4;

// Trailer (MCUboot bootutil): magic of 16 bytes at the very end of the slot,
// preceded by image_ok, copy_done, swap_info, swap_size fields each padded to
// max_align. For max_align == 8 the magic is kBootMagic; other alignments
// replace its first two bytes with the alignment (little-endian) and use
// kBootMagicAlignedTail for the rest.
constexpr uint8_t kBootMagic[16] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
                                    0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};
constexpr uint8_t kBootMagicAlignedTail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
                                               0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};
constexpr size_t kBootMagicSize = 16;
constexpr uint32_t kDefaultMaxAlign = 8;
constexpr uint32_t kDefaultMaxSectors = 128;
constexpr uint8_t kImageOkSet = 0x01;

struct ImageVersion {
  uint8_t major = 0;
  uint8_t minor = 0;
  uint16_t revision = 0;
  uint32_t build = 0;
};

struct ImageHeader {
  uint32_t magic = 0;
  uint32_t load_addr = 0;
  uint16_t hdr_size = 0;
  uint16_t protect_tlv_size = 0;
  uint32_t img_size = 0;
  uint32_t flags = 0;
  ImageVersion version;
};

}  // namespace bastion::image
