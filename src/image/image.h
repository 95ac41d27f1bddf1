// Parsing, verifying and building MCUboot-format images.
//
// The parser is total: every offset and length is checked before use, and
// each way an image can be malformed has its own ImageError. Images are read
// through an ImageSource (a flash slot on the device, a buffer in tools), so
// a 1 MiB image is hashed in chunks without being copied.
#pragma once

#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/hardened.h"
#include "common/status.h"
#include "crypto/crypto.h"
#include "image/image_format.h"

namespace bastion::image {

// Why an image was refused. Stable numbers: they appear in boot reports.
enum class ImageError : uint16_t {
  kOk = 0,
  kReadFailed = 1,             // the source could not be read
  kBadMagic = 2,               // header magic is not 0x96f3b83d
  kHeaderTooSmall = 3,         // hdr_size < 32
  kHeaderPastSlot = 4,         // hdr_size runs past the slot
  kSizeOverflow = 5,           // hdr_size + img_size + TLV sizes overflow 32 bits
  kPayloadPastSlot = 6,        // payload runs past the slot
  kProtectedAreaPastSlot = 7,  // protected TLV area runs past the slot
  kBadProtectedInfoMagic = 8,  // protected area does not start with 0x6908
  kProtectedSizeMismatch = 9,  // protected info total != header protect_tlv_size
  kBadTlvInfoMagic = 10,       // unprotected area does not start with 0x6907
  kTlvAreaPastSlot = 11,       // unprotected TLV area runs past the slot
  kTlvAreaTooSmall = 12,       // a TLV info total is smaller than the info itself
  kTlvTruncated = 13,          // a TLV header or value runs past its area
  kDuplicateHash = 14,
  kMissingHash = 15,
  kDuplicateSignature = 16,
  kMissingSignature = 17,
  kDuplicateKey = 18,
  kMissingKey = 19,                // neither KEYHASH nor PUBKEY
  kUnknownVendorTlv = 20,          // protected TLV in 0xa0..0xfe Bastion does not know
  kTlvNotAllowedUnprotected = 21,  // only hash/key/signature/encryption may be unprotected
  kTlvMustBeUnprotected = 22,      // hash/key/signature in the protected area
  kBadTlvLength = 23,              // a known TLV has the wrong length
  kDuplicateTlv = 24,              // SEC_CNT / BOOT_RECORD / vendor TLV given twice
  kUnsupportedHash = 25,           // SHA-512 or another hash Bastion does not accept
  kUnsupportedSignature = 26,      // RSA, Ed25519, ... (only ECDSA_SIG)
  kEncryptedImage = 27,            // encryption flags or TLVs (not supported yet)
  kHashMismatch = 28,              // computed hash != hash TLV
  kHashKeyMismatch = 29,           // SHA-256 image with a P-384 key or vice versa
  kKeyNotProvisioned = 30,         // no provisioned slot holds the signing key
  kKeyRevoked = 31,                // the signing key's slot is revoked
  kBadPublicKey = 32,              // PUBKEY TLV or key store entry does not parse
  kSignatureInvalid = 33,          // ECDSA verification failed
  kSecurityCounterRollback = 34,   // SEC_CNT below the stored counter
  kMissingSecurityCounter = 35,    // the domain requires SEC_CNT and there is none
  kNonBootable = 36,               // IMAGE_F_NON_BOOTABLE set
  kSlotEmpty = 37,                 // the slot is erased (no image)
  kSignatureNotCanonical = 38,     // ECDSA_SIG is not canonical DER (BER forms, long-form
                                   // lengths, extra or missing zero bytes, padding longer
                                   // than imgtool's)
  kSignatureOutOfRange = 39,       // r or s is 0 or not below the curve order
  kRamLoad = 40,                   // IMAGE_F_RAM_LOAD: Bastion runs images in place only
  kRomFixed = 41,                  // IMAGE_F_ROM_FIXED: fixed-address images not implemented
  kUnsupportedFlags = 42,          // another header flag the boot chain does not implement
                                   // (PIC, compression, unknown bits)
  kBadDependency = 43,             // a DEPENDENCY TLV names no other component
  kDependencyUnmet = 44,           // a DEPENDENCY TLV is not satisfied by the device
};

// Short stable name of an error ("hash-mismatch", ...).
const char* ImageErrorName(ImageError error);

// Where an image's bytes come from. Read must fail (not return garbage) for
// any range past size().
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // Size of the slot (or buffer) that holds the image.
  virtual uint32_t size() const = 0;
  // Returns kOk, or kOutOfRange / a device error.
  virtual Status Read(uint32_t offset, ByteSpan out) const = 0;
};

// An ImageSource over bytes in memory.
class SpanImageSource final : public ImageSource {
 public:
  explicit SpanImageSource(ConstByteSpan bytes) : bytes_(bytes) {}
  uint32_t size() const override;
  Status Read(uint32_t offset, ByteSpan out) const override;

 private:
  ConstByteSpan bytes_;
};

// A TLV found in the image: where its value is, not a copy.
struct TlvRef {
  uint16_t type = 0;
  uint16_t length = 0;
  uint32_t value_offset = 0;  // absolute offset of the value in the source
  bool present = false;
};

// The result of a successful parse. Offsets are absolute within the source.
struct ParsedImage {
  ImageHeader header;
  uint32_t signed_size = 0;  // hdr_size + img_size + protect_tlv_size
  uint32_t total_size = 0;   // end of the unprotected TLV area
  crypto::HashAlg hash_alg = crypto::HashAlg::kSha256;
  TlvRef hash;       // SHA256 or SHA384
  TlvRef signature;  // ECDSA_SIG (DER)
  TlvRef key;        // KEYHASH or PUBKEY (see key_is_full)
  bool key_is_full = false;
  bool has_security_counter = false;
  uint32_t security_counter = 0;
  TlvRef boot_record;
  TlvRef dependency;             // the first DEPENDENCY TLV (MCUboot allows several)
  uint8_t dependency_count = 0;  // how many DEPENDENCY TLVs the protected area holds
  TlvRef revocation;             // kTlvBastionRevocation, protected
};

// Parses the header and both TLV areas. Does not hash or verify signatures.
// Returns the first problem found, or kOk.
[[nodiscard]] ImageError ParseImage(const ImageSource& source, ParsedImage* out);

// Turns a parsed image's key TLV into a public key and the key-slot index
// that vouches for it. Implemented by the boot chain over OTP key domains,
// and by tools over a key given on the command line.
class KeyResolver {
 public:
  virtual ~KeyResolver() = default;
  // Returns kOk with *key and *slot set, or kKeyNotProvisioned, kKeyRevoked,
  // kBadPublicKey, kHashKeyMismatch.
  [[nodiscard]] virtual ImageError Resolve(const ImageSource& source, const ParsedImage& image,
                                           crypto::EcPublicKey* key, uint8_t* slot) = 0;
};

struct VerifiedImage {
  crypto::Digest measurement;  // the image hash (over the signed part)
  uint8_t key_slot = 0;
  uint32_t security_counter = 0;
};

// Verifies a parsed image: recomputes the hash over [0, signed_size),
// compares it with the hash TLV in constant time, resolves the signing key,
// checks that the signature TLV is one canonical DER signature (short-form
// lengths, minimal positive INTEGERs, r and s in [1, n-1]; trailing zeros
// only as imgtool --pad-sig writes them, up to the curve's longest DER),
// checks the ECDSA signature over the hash, and enforces
// security_counter >= min_security_counter (a missing SEC_CNT counts as 0;
// when require_security_counter is set it is an error).
// Signature refusals: kSignatureNotCanonical, kSignatureOutOfRange,
// kSignatureInvalid (does not verify, or non-zero bytes after the DER).
// The decision is returned hardened: `*decision` is kTrue only on success,
// and the ImageError says why not. Both must agree.
[[nodiscard]] ImageError VerifyImage(const ImageSource& source, const ParsedImage& image,
                                     KeyResolver& keys, uint32_t min_security_counter,
                                     bool require_security_counter, VerifiedImage* out,
                                     HardenedBool* decision);

// A KeyResolver for one known public key (tools: `bastion verify -k`).
// KEYHASH must match the key's hash; PUBKEY must equal the key.
class SingleKeyResolver final : public KeyResolver {
 public:
  explicit SingleKeyResolver(const crypto::EcPublicKey& key) : key_(key) {}
  ImageError Resolve(const ImageSource& source, const ParsedImage& image, crypto::EcPublicKey* key,
                     uint8_t* slot) override;

 private:
  crypto::EcPublicKey key_;
};

// ---- Dependencies (DEPENDENCY TLV, imgtool -d) ----

// One DEPENDENCY TLV: the image with id `image_id` must run at least
// `min_version`. Bastion's image ids are the component numbers
// (otp::Component: 0 urot, 1 sm, 2 app); boot/boot_dependencies.h decides.
struct ImageDependency {
  uint8_t image_id = 0;
  ImageVersion min_version;
};

// Reads the `index`-th DEPENDENCY TLV of the protected area (in order).
// Returns kOk, kReadFailed, kBadTlvLength (index past the last one, or an
// area that no longer parses: callers pass a ParsedImage of this source).
[[nodiscard]] ImageError ReadDependency(const ImageSource& source, const ParsedImage& image,
                                        uint8_t index, ImageDependency* out);

// MCUboot's version order (bootutil boot_version_cmp without
// MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER): major, minor, revision; the build
// number is ignored. True when `version` >= `minimum`.
constexpr bool VersionAtLeast(const ImageVersion& version, const ImageVersion& minimum) {
  if (version.major != minimum.major) return version.major > minimum.major;
  if (version.minor != minimum.minor) return version.minor > minimum.minor;
  return version.revision >= minimum.revision;
}

// The header flags the boot chain implements: none. Every flag set is a
// reason to refuse booting the image (docs/boot-chain.md "Header flags"):
// kEncryptedImage (ENCRYPTED_AES128/256), kNonBootable (NON_BOOTABLE),
// kRamLoad (RAM_LOAD), kRomFixed (ROM_FIXED), kUnsupportedFlags (PIC,
// compression, any other bit). Returns kOk when no flag is set. ParseImage
// already refuses the encryption and non-bootable flags; tools that only
// inspect or verify a signature (`bastion verify`, dumpinfo) do not call this.
[[nodiscard]] ImageError CheckBootFlags(const ImageHeader& header);

// ---- Building (bastion sign) ----

struct SignOptions {
  ImageVersion version;
  uint16_t header_size = 32;  // -H
  bool pad_header = false;    // --pad-header: prepend header_size bytes (erased 0xff, as
                              // imgtool; the first 32 become the header)
  uint32_t slot_size = 0;     // -S (0: no limit, no padding possible)
  uint32_t align = 1;         // --align: flash write size 1,2,4,8,16,32
  uint32_t max_align = 0;     // 0: max(align, 8)
  uint32_t max_sectors = kDefaultMaxSectors;
  bool has_security_counter = false;
  uint32_t security_counter = 0;  // -s
  bool full_public_key = false;   // --public-key-format full
  bool pad = false;               // --pad: pad to slot_size and add trailer magic
  bool confirm = false;           // --confirm: like pad, and image_ok = 0x01
  uint32_t load_addr = 0;         // -L: sets IMAGE_F_RAM_LOAD when non-zero
  ConstByteSpan revocation;       // protected kTlvBastionRevocation value, if any
  // -d: one DEPENDENCY TLV each, in the order given.
  std::span<const ImageDependency> dependencies;
};

// Why building failed (tools print the name).
enum class BuildError : uint16_t {
  kOk = 0,
  kHeaderTooSmall,      // header_size < 32
  kHeaderNotZero,       // input does not start with header_size zeros and no --pad-header
  kBadAlign,            // align not in {1,2,4,8,16,32}
  kTooLarge,            // image + trailer does not fit slot_size
  kOutputTooSmall,      // output buffer too small
  kPadWithoutSlotSize,  // --pad / --confirm need -S
  kSigningFailed,
};
const char* BuildErrorName(BuildError error);

// Size MCUboot's swap trailer takes at the end of a slot (imgtool's rule).
// max_align 0 means max(align, 8).
uint32_t TrailerSize(uint32_t align, uint32_t max_align, uint32_t max_sectors);

// imgtool's `-s auto`: the security counter derived from the version,
// (major << 24) + (minor << 16) + revision (the build number is ignored).
constexpr uint32_t AutoSecurityCounter(const ImageVersion& v) {
  return (static_cast<uint32_t>(v.major) << 24) + (static_cast<uint32_t>(v.minor) << 16) +
         static_cast<uint32_t>(v.revision);
}

// Signs `payload` into `out` (the whole output file: padded to slot_size when
// pad/confirm). *written is the output length.
[[nodiscard]] BuildError BuildSignedImage(ConstByteSpan payload, const SignOptions& options,
                                          const crypto::EcKeyPair& key, ByteSpan out,
                                          size_t* written);

}  // namespace bastion::image
