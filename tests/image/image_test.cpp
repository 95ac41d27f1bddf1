// Tests for src/image: MCUboot's published constants, the header and TLV
// layout, build -> parse -> verify round trips, every ImageError the parser
// and verifier return (each from a crafted image), and imgtool's trailer rules.
#include "image/image.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "crypto/ecdsa_der.h"
#include "image/image_format.h"
#include "support/test_keys.h"

namespace bastion::image {
namespace {

using Bytes = std::vector<uint8_t>;
using test_support::P256;
using test_support::P384;
using test_support::Spki;

// ---------------------------------------------------------------- keys

Bytes ToBytes(const crypto::Digest& d) {
  return Bytes(d.bytes.begin(), d.bytes.begin() + static_cast<long>(d.size));
}

// ---------------------------------------------------------------- composer
// An independent, test-side writer of MCUboot images, with knobs to break
// every field. It writes header fields at literal offsets on purpose.

struct Tlv {
  uint16_t type;
  Bytes value;
};

struct Spec {
  uint32_t magic = 0x96f3b83d;
  uint32_t load_addr = 0;
  uint16_t hdr_size = 32;
  uint32_t flags = 0;
  uint8_t major = 1, minor = 2;
  uint16_t revision = 3;
  uint32_t build = 4;
  Bytes payload = Bytes(100, 0x42);
  std::vector<Tlv> prot;
  std::optional<uint16_t> protect_size;  // header field override
  std::optional<uint16_t> prot_magic;
  std::optional<uint16_t> prot_total;
  std::optional<uint32_t> img_size;
  // Unprotected area: extra TLVs before and after the generated ones.
  std::vector<Tlv> unprot_before;
  std::vector<Tlv> unprot_after;
  bool add_hash = true;
  bool add_key = true;
  bool add_sig = true;
  bool full_key = false;
  const crypto::EcKeyPair* signer = nullptr;      // default P256(0)
  const crypto::EcKeyPair* key_in_tlv = nullptr;  // default signer
  std::optional<uint16_t> unprot_magic;
  std::optional<uint16_t> unprot_total;
};

void Put16(Bytes& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v);
  b[off + 1] = static_cast<uint8_t>(v >> 8);
}
void Put32(Bytes& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
void Append16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void AppendTlv(Bytes& b, const Tlv& t) {
  Append16(b, t.type);
  Append16(b, static_cast<uint16_t>(t.value.size()));
  b.insert(b.end(), t.value.begin(), t.value.end());
}
Bytes Le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}

Bytes Compose(const Spec& s) {
  const crypto::EcKeyPair& signer = s.signer ? *s.signer : P256();
  const crypto::EcKeyPair& tlv_key = s.key_in_tlv ? *s.key_in_tlv : signer;
  Bytes prot;
  if (!s.prot.empty() || s.prot_magic || s.prot_total) {
    size_t total = 4;
    for (const Tlv& t : s.prot) total += 4 + t.value.size();
    Append16(prot, s.prot_magic.value_or(0x6908));
    Append16(prot, s.prot_total.value_or(static_cast<uint16_t>(total)));
    for (const Tlv& t : s.prot) AppendTlv(prot, t);
  }
  Bytes img(s.hdr_size, 0);
  Put32(img, 0, s.magic);
  Put32(img, 4, s.load_addr);
  Put16(img, 8, s.hdr_size);
  Put16(img, 10, s.protect_size.value_or(static_cast<uint16_t>(prot.size())));
  Put32(img, 12, s.img_size.value_or(static_cast<uint32_t>(s.payload.size())));
  Put32(img, 16, s.flags);
  img[20] = s.major;
  img[21] = s.minor;
  Put16(img, 22, s.revision);
  Put32(img, 24, s.build);
  img.insert(img.end(), s.payload.begin(), s.payload.end());
  img.insert(img.end(), prot.begin(), prot.end());

  const crypto::HashAlg alg = crypto::CurveHash(signer.public_key.curve);
  const crypto::Digest digest = crypto::Hash(alg, img);
  Bytes unprot;
  for (const Tlv& t : s.unprot_before) AppendTlv(unprot, t);
  if (s.add_hash)
    AppendTlv(unprot,
              {alg == crypto::HashAlg::kSha256 ? uint16_t{0x10} : uint16_t{0x11}, ToBytes(digest)});
  if (s.add_key) {
    const Bytes spki = Spki(tlv_key.public_key);
    if (s.full_key) {
      AppendTlv(unprot, {0x02, spki});
    } else {
      AppendTlv(unprot, {0x01, ToBytes(crypto::Hash(alg, spki))});
    }
  }
  if (s.add_sig) {
    Bytes sig(crypto::kMaxEcdsaDerSigSize);
    size_t n = 0;
    EXPECT_TRUE(crypto::EcdsaSign(signer, digest.view(), sig, &n).ok());
    sig.resize(n);
    AppendTlv(unprot, {0x22, sig});
  }
  for (const Tlv& t : s.unprot_after) AppendTlv(unprot, t);
  Append16(img, s.unprot_magic.value_or(0x6907));
  Append16(img, s.unprot_total.value_or(static_cast<uint16_t>(unprot.size() + 4)));
  img.insert(img.end(), unprot.begin(), unprot.end());
  return img;
}

ImageError Parse(const Bytes& image, ParsedImage* parsed = nullptr) {
  ParsedImage local;
  SpanImageSource source(image);
  return ParseImage(source, parsed ? parsed : &local);
}

struct VerifyOutcome {
  ImageError error;
  HardenedBool decision;
  VerifiedImage verified;
};

VerifyOutcome Verify(const ImageSource& source, KeyResolver& resolver, uint32_t min_counter = 0,
                     bool require_counter = false) {
  ParsedImage parsed;
  VerifyOutcome outcome{ParseImage(source, &parsed), HardenedBool::kFalse, {}};
  if (outcome.error != ImageError::kOk) return outcome;
  outcome.error = VerifyImage(source, parsed, resolver, min_counter, require_counter,
                              &outcome.verified, &outcome.decision);
  // The decision and the error must agree.
  EXPECT_EQ(outcome.decision == HardenedBool::kTrue, outcome.error == ImageError::kOk);
  return outcome;
}

VerifyOutcome Verify(const Bytes& image, const crypto::EcPublicKey& key, uint32_t min_counter = 0,
                     bool require_counter = false) {
  SpanImageSource source(image);
  SingleKeyResolver resolver(key);
  return Verify(source, resolver, min_counter, require_counter);
}

Bytes Build(const Bytes& payload, const SignOptions& options, const crypto::EcKeyPair& key,
            BuildError* error = nullptr, size_t capacity = 0) {
  Bytes out(capacity ? capacity : payload.size() + options.header_size + options.slot_size + 1024);
  size_t written = 0;
  const BuildError e = BuildSignedImage(payload, options, key, out, &written);
  if (error) {
    *error = e;
  } else {
    EXPECT_EQ(e, BuildError::kOk) << BuildErrorName(e);
  }
  out.resize(e == BuildError::kOk ? written : 0);
  return out;
}

Bytes ZeroHeaderPayload(size_t size, size_t header = 32) {
  Bytes p(size);
  for (size_t i = header; i < size; ++i) p[i] = static_cast<uint8_t>(i * 7);
  return p;
}

// Walks the unprotected TLV area and returns the types in order.
std::vector<uint16_t> UnprotectedTypes(const Bytes& image, const ParsedImage& parsed) {
  std::vector<uint16_t> types;
  size_t pos = parsed.signed_size + 4;
  while (pos < parsed.total_size) {
    types.push_back(static_cast<uint16_t>(image[pos] | (image[pos + 1] << 8)));
    pos += 4 + static_cast<size_t>(image[pos + 2] | (image[pos + 3] << 8));
  }
  return types;
}

// ---------------------------------------------------------------- constants

TEST(ImageFormat, McubootPublishedConstants) {
  EXPECT_EQ(kImageMagic, 0x96f3b83du);
  EXPECT_EQ(kTlvInfoMagic, 0x6907);
  EXPECT_EQ(kTlvProtectedInfoMagic, 0x6908);
  EXPECT_EQ(kHeaderSize, 32u);
  EXPECT_EQ(kTlvInfoSize, 4u);
  EXPECT_EQ(kTlvHeaderSize, 4u);
  EXPECT_EQ(kTlvKeyHash, 0x01);
  EXPECT_EQ(kTlvPubKey, 0x02);
  EXPECT_EQ(kTlvSha256, 0x10);
  EXPECT_EQ(kTlvSha384, 0x11);
  EXPECT_EQ(kTlvSha512, 0x12);
  EXPECT_EQ(kTlvRsa2048Pss, 0x20);
  EXPECT_EQ(kTlvEcdsa224, 0x21);
  EXPECT_EQ(kTlvEcdsaSig, 0x22);
  EXPECT_EQ(kTlvRsa3072Pss, 0x23);
  EXPECT_EQ(kTlvEd25519, 0x24);
  EXPECT_EQ(kTlvSigPure, 0x25);
  EXPECT_EQ(kTlvEncRsa2048, 0x30);
  EXPECT_EQ(kTlvEncKw, 0x31);
  EXPECT_EQ(kTlvEncEc256, 0x32);
  EXPECT_EQ(kTlvEncX25519, 0x33);
  EXPECT_EQ(kTlvEncX25519Sha512, 0x34);
  EXPECT_EQ(kTlvDependency, 0x40);
  EXPECT_EQ(kTlvSecCnt, 0x50);
  EXPECT_EQ(kTlvBootRecord, 0x60);
  EXPECT_EQ(kTlvBastionRevocation, 0xa0);
  EXPECT_EQ(kFlagPic, 0x01u);
  EXPECT_EQ(kFlagEncryptedAes128, 0x04u);
  EXPECT_EQ(kFlagEncryptedAes256, 0x08u);
  EXPECT_EQ(kFlagNonBootable, 0x10u);
  EXPECT_EQ(kFlagRamLoad, 0x20u);
  EXPECT_EQ(kFlagRomFixed, 0x100u);
  const uint8_t boot_magic[16] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
                                  0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};
  EXPECT_EQ(std::memcmp(kBootMagic, boot_magic, 16), 0);
  const uint8_t tail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
                            0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};
  EXPECT_EQ(std::memcmp(kBootMagicAlignedTail, tail, 14), 0);
  EXPECT_EQ(kDefaultMaxSectors, 128u);
  EXPECT_EQ(kDefaultMaxAlign, 8u);
}

TEST(ImageFormat, HeaderFieldOffsets) {
  EXPECT_EQ(kOffMagic, 0u);
  EXPECT_EQ(kOffLoadAddr, 4u);
  EXPECT_EQ(kOffHdrSize, 8u);
  EXPECT_EQ(kOffProtectTlvSize, 10u);
  EXPECT_EQ(kOffImgSize, 12u);
  EXPECT_EQ(kOffFlags, 16u);
  EXPECT_EQ(kOffVersion, 20u);
  EXPECT_EQ(kOffPad1, 28u);
}

TEST(ImageFormat, ErrorNamesAreDistinct) {
  std::set<std::string> names;
  for (uint16_t i = 0; i <= 44; ++i) {
    const std::string name = ImageErrorName(static_cast<ImageError>(i));
    EXPECT_NE(name, "unknown") << i;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 45u);
  EXPECT_STREQ(ImageErrorName(ImageError::kHashMismatch), "hash-mismatch");
  EXPECT_STREQ(ImageErrorName(static_cast<ImageError>(999)), "unknown");
  for (uint16_t i = 0; i <= 7; ++i)
    EXPECT_STRNE(BuildErrorName(static_cast<BuildError>(i)), "unknown");
}

// ---------------------------------------------------------------- parsing

TEST(ImageParser, HandBuiltHeaderIsReadFromMcubootOffsets) {
  Spec s;
  s.load_addr = 0x20001000;
  s.hdr_size = 0x80;
  s.flags = kFlagPic;
  s.major = 7;
  s.minor = 9;
  s.revision = 0x1234;
  s.build = 0xdeadbeef;
  s.prot = {{0x50, Le32(42)}};
  const Bytes image = Compose(s);
  // Raw bytes at MCUboot's offsets, little-endian.
  EXPECT_EQ(image[0], 0x3d);
  EXPECT_EQ(image[3], 0x96);
  EXPECT_EQ(image[8], 0x80);
  EXPECT_EQ(image[10], 12);  // protected area: info 4 + SEC_CNT 8
  EXPECT_EQ(image[20], 7);
  EXPECT_EQ(image[22], 0x34);
  EXPECT_EQ(image[23], 0x12);
  ParsedImage parsed;
  ASSERT_EQ(Parse(image, &parsed), ImageError::kOk);
  EXPECT_EQ(parsed.header.magic, kImageMagic);
  EXPECT_EQ(parsed.header.load_addr, 0x20001000u);
  EXPECT_EQ(parsed.header.hdr_size, 0x80);
  EXPECT_EQ(parsed.header.protect_tlv_size, 12);
  EXPECT_EQ(parsed.header.img_size, 100u);
  EXPECT_EQ(parsed.header.flags, kFlagPic);
  EXPECT_EQ(parsed.header.version.major, 7);
  EXPECT_EQ(parsed.header.version.minor, 9);
  EXPECT_EQ(parsed.header.version.revision, 0x1234);
  EXPECT_EQ(parsed.header.version.build, 0xdeadbeefu);
  EXPECT_EQ(parsed.signed_size, 0x80u + 100 + 12);
  EXPECT_EQ(parsed.total_size, image.size());
  EXPECT_TRUE(parsed.has_security_counter);
  EXPECT_EQ(parsed.security_counter, 42u);
  EXPECT_EQ(parsed.hash_alg, crypto::HashAlg::kSha256);
  EXPECT_TRUE(parsed.hash.present);
  EXPECT_EQ(parsed.hash.value_offset, parsed.signed_size + 8);
  EXPECT_EQ(parsed.key.length, 32);
  EXPECT_FALSE(parsed.key_is_full);
  EXPECT_TRUE(Verify(image, P256().public_key).error == ImageError::kOk);
}

TEST(ImageParser, UnknownMcubootProtectedTlvIsSkipped) {
  Spec s;
  s.prot = {{0x70, Bytes(5, 1)}, {0x50, Le32(1)}, {0x41, {}}};
  const Bytes image = Compose(s);
  EXPECT_EQ(Verify(image, P256().public_key).error, ImageError::kOk);
}

TEST(ImageParser, SeveralDependenciesAndBootRecord) {
  Spec s;
  s.prot = {{0x40, Bytes(12, 1)}, {0x40, Bytes(12, 2)}, {0x60, Bytes(20, 3)}};
  ParsedImage parsed;
  ASSERT_EQ(Parse(Compose(s), &parsed), ImageError::kOk);
  EXPECT_EQ(parsed.dependency_count, 2);
  EXPECT_TRUE(parsed.dependency.present);
  EXPECT_TRUE(parsed.boot_record.present);
  EXPECT_EQ(parsed.boot_record.length, 20);
}

TEST(ImageParser, TlvOrderInUnprotectedAreaIsFree) {
  Spec bare;
  bare.add_hash = bare.add_key = bare.add_sig = false;
  const Bytes unsigned_image = Compose(bare);
  const crypto::Digest digest =
      crypto::Hash(crypto::HashAlg::kSha256, ConstByteSpan(unsigned_image.data(), 132));
  Bytes sig(crypto::kMaxEcdsaDerSigSize);
  size_t n = 0;
  ASSERT_TRUE(crypto::EcdsaSign(P256(), digest.view(), sig, &n).ok());
  sig.resize(n);
  // Signature first, then key, then hash.
  Spec s = bare;
  s.unprot_before = {
      {0x22, sig},
      {0x01, ToBytes(crypto::Hash(crypto::HashAlg::kSha256, Spki(P256().public_key)))},
      {0x10, ToBytes(digest)}};
  EXPECT_EQ(Verify(Compose(s), P256().public_key).error, ImageError::kOk);
}

class FailingSource final : public ImageSource {
 public:
  FailingSource(const Bytes& bytes, uint32_t fail_from) : bytes_(bytes), fail_from_(fail_from) {}
  uint32_t size() const override { return static_cast<uint32_t>(bytes_.size()); }
  Status Read(uint32_t offset, ByteSpan out) const override {
    if (offset + out.size() > fail_from_) return StatusCode::kDataLoss;
    return SpanImageSource(bytes_).Read(offset, out);
  }

 private:
  const Bytes& bytes_;
  uint32_t fail_from_;
};

// A huge slot: the given bytes at offset 0, zeros after, then (optionally)
// given bytes at a far offset. Reaches the 32-bit overflow paths.
class HugeSource final : public ImageSource {
 public:
  HugeSource(Bytes head, uint32_t size) : head_(std::move(head)), size_(size) {}
  void Place(uint32_t offset, Bytes bytes) {
    far_offset_ = offset;
    far_ = std::move(bytes);
  }
  uint32_t size() const override { return size_; }
  Status Read(uint32_t offset, ByteSpan out) const override {
    if (offset > size_ || out.size() > size_ - offset) return StatusCode::kOutOfRange;
    for (size_t i = 0; i < out.size(); ++i) {
      const uint64_t at = uint64_t{offset} + i;
      uint8_t v = 0;
      if (at < head_.size()) v = head_[at];
      if (at >= far_offset_ && at < uint64_t{far_offset_} + far_.size()) v = far_[at - far_offset_];
      out[i] = v;
    }
    return StatusCode::kOk;
  }

 private:
  Bytes head_;
  uint32_t size_;
  uint32_t far_offset_ = 0;
  Bytes far_;
};

Bytes RawHeader(uint16_t hdr_size, uint16_t protect, uint32_t img_size) {
  Bytes h(32, 0);
  Put32(h, 0, kImageMagic);
  Put16(h, 8, hdr_size);
  Put16(h, 10, protect);
  Put32(h, 12, img_size);
  return h;
}

TEST(ImageParserErrors, ReadFailed) {
  const Bytes image = Compose(Spec{});
  FailingSource source(image, 0);
  ParsedImage parsed;
  EXPECT_EQ(ParseImage(source, &parsed), ImageError::kReadFailed);
  FailingSource late(image, 140);  // fails in the TLV area
  EXPECT_EQ(ParseImage(late, &parsed), ImageError::kReadFailed);
}

TEST(ImageParserErrors, SlotEmpty) { EXPECT_EQ(Parse(Bytes(4096, 0xff)), ImageError::kSlotEmpty); }

TEST(ImageParserErrors, BadMagic) {
  Spec s;
  s.magic = 0x96f3b83c;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kBadMagic);
  EXPECT_EQ(Parse(Bytes(64, 0)), ImageError::kBadMagic);
}

TEST(ImageParserErrors, HeaderTooSmall) {
  Spec s;
  s.hdr_size = 32;
  Bytes image = Compose(s);
  Put16(image, 8, 31);
  EXPECT_EQ(Parse(image), ImageError::kHeaderTooSmall);
  Put16(image, 8, 0);
  EXPECT_EQ(Parse(image), ImageError::kHeaderTooSmall);
}

TEST(ImageParserErrors, HeaderPastSlot) {
  Bytes image = Compose(Spec{});
  Put16(image, 8, static_cast<uint16_t>(image.size() + 1));
  EXPECT_EQ(Parse(image), ImageError::kHeaderPastSlot);
  EXPECT_EQ(Parse(Bytes(image.begin(), image.begin() + 31)), ImageError::kHeaderPastSlot);
  EXPECT_EQ(Parse(Bytes()), ImageError::kHeaderPastSlot);
}

TEST(ImageParserErrors, SizeOverflow) {
  ParsedImage parsed;
  // hdr_size + img_size wraps.
  {
    HugeSource source(RawHeader(32, 0, 0xffffffe0u), 0x1000);
    EXPECT_EQ(ParseImage(source, &parsed), ImageError::kSizeOverflow);
  }
  // hdr_size + img_size fits a 4 GiB slot, + protect_tlv_size wraps.
  {
    HugeSource source(RawHeader(32, 0x100, 0xffffffffu - 32 - 0x10), 0xffffffffu);
    EXPECT_EQ(ParseImage(source, &parsed), ImageError::kSizeOverflow);
  }
  // Signed part ends exactly at 2^32 - 2: the unprotected info wraps.
  {
    HugeSource source(RawHeader(32, 0, 0xffffffffu - 32 - 1), 0xffffffffu);
    EXPECT_EQ(ParseImage(source, &parsed), ImageError::kSizeOverflow);
  }
  // Unprotected total wraps.
  {
    const uint32_t signed_size = 0xffffff00u;
    HugeSource source(RawHeader(32, 0, signed_size - 32), 0xffffffffu);
    Bytes info;
    Append16(info, 0x6907);
    Append16(info, 0x200);
    source.Place(signed_size, info);
    EXPECT_EQ(ParseImage(source, &parsed), ImageError::kSizeOverflow);
  }
}

TEST(ImageParserErrors, PayloadPastSlot) {
  Spec s;
  Bytes image = Compose(s);
  Put32(image, 12, static_cast<uint32_t>(image.size()));
  EXPECT_EQ(Parse(image), ImageError::kPayloadPastSlot);
}

TEST(ImageParserErrors, ProtectedAreaPastSlot) {
  Spec s;
  s.protect_size = 0x8000;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kProtectedAreaPastSlot);
}

TEST(ImageParserErrors, BadProtectedInfoMagic) {
  Spec s;
  s.prot = {{0x50, Le32(1)}};
  s.prot_magic = 0x6907;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kBadProtectedInfoMagic);
}

TEST(ImageParserErrors, ProtectedSizeMismatch) {
  Spec s;
  s.prot = {{0x50, Le32(1)}};
  s.prot_total = 16;  // header says 12
  EXPECT_EQ(Parse(Compose(s)), ImageError::kProtectedSizeMismatch);
  Spec t;
  t.prot = {{0x50, Le32(1)}};
  t.protect_size = 16;  // info says 12; the extra 4 bytes eat into the unprotected info
  EXPECT_EQ(Parse(Compose(t)), ImageError::kProtectedSizeMismatch);
}

TEST(ImageParserErrors, BadTlvInfoMagic) {
  Spec s;
  s.unprot_magic = 0x6908;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kBadTlvInfoMagic);
  // A protected area the header does not announce is not skipped.
  Spec t;
  t.prot = {{0x50, Le32(1)}};
  t.protect_size = 0;
  EXPECT_EQ(Parse(Compose(t)), ImageError::kBadTlvInfoMagic);
}

TEST(ImageParserErrors, TlvAreaPastSlot) {
  Bytes image = Compose(Spec{});
  image.resize(image.size() - 1);  // truncated image
  EXPECT_EQ(Parse(image), ImageError::kTlvAreaPastSlot);
  Bytes payload_only(image.begin(), image.begin() + 32 + 100 + 2);
  EXPECT_EQ(Parse(payload_only), ImageError::kTlvAreaPastSlot);
}

TEST(ImageParserErrors, TlvAreaTooSmall) {
  Spec s;
  s.unprot_total = 3;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kTlvAreaTooSmall);
  Spec t;
  t.prot = {};
  t.prot_magic = 0x6908;
  t.prot_total = 2;
  t.protect_size = 2;
  EXPECT_EQ(Parse(Compose(t)), ImageError::kTlvAreaTooSmall);
}

TEST(ImageParserErrors, TlvTruncated) {
  // A TLV whose length runs past the end of its area.
  Spec s;
  s.prot = {{0x50, Le32(1)}};
  s.prot_total = 10;
  s.protect_size = 10;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kTlvTruncated);
  // Dangling bytes too short for a TLV header.
  Spec t;
  Bytes image = Compose(t);
  image.insert(image.end(), {0x10, 0x00});
  const uint16_t total = static_cast<uint16_t>(image.size() - (32 + 100));
  Put16(image, 32 + 100 + 2, total);
  EXPECT_EQ(Parse(image), ImageError::kTlvTruncated);
  // Unprotected TLV running past the area (area total shorter than the TLVs).
  Spec u;
  Bytes image_u = Compose(u);
  Put16(image_u, 32 + 100 + 2, static_cast<uint16_t>(image_u.size() - 132 - 1));
  EXPECT_EQ(Parse(image_u), ImageError::kTlvTruncated);
}

TEST(ImageParserErrors, DuplicateHash) {
  Spec s;
  s.unprot_after = {{0x10, Bytes(32, 0)}};
  EXPECT_EQ(Parse(Compose(s)), ImageError::kDuplicateHash);
  Spec t;
  t.unprot_after = {{0x11, Bytes(48, 0)}};
  EXPECT_EQ(Parse(Compose(t)), ImageError::kDuplicateHash);
}

TEST(ImageParserErrors, MissingHash) {
  Spec s;
  s.add_hash = false;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kMissingHash);
}

TEST(ImageParserErrors, DuplicateSignature) {
  Spec s;
  s.unprot_after = {{0x22, Bytes(70, 0x30)}};
  EXPECT_EQ(Parse(Compose(s)), ImageError::kDuplicateSignature);
}

TEST(ImageParserErrors, MissingSignature) {
  Spec s;
  s.add_sig = false;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kMissingSignature);
}

TEST(ImageParserErrors, DuplicateKey) {
  Spec s;
  s.unprot_after = {{0x02, Spki(P256().public_key)}};
  EXPECT_EQ(Parse(Compose(s)), ImageError::kDuplicateKey);
  Spec t;
  t.unprot_after = {{0x01, Bytes(32, 0)}};
  EXPECT_EQ(Parse(Compose(t)), ImageError::kDuplicateKey);
}

TEST(ImageParserErrors, MissingKey) {
  Spec s;
  s.add_key = false;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kMissingKey);
}

TEST(ImageParserErrors, UnknownVendorTlv) {
  for (uint16_t type : std::initializer_list<uint16_t>{0xa1, 0xc0, 0xfe}) {
    Spec s;
    s.prot = {{type, Bytes(4, 0)}};
    EXPECT_EQ(Parse(Compose(s)), ImageError::kUnknownVendorTlv) << type;
  }
}

TEST(ImageParserErrors, TlvNotAllowedUnprotected) {
  for (uint16_t type : std::initializer_list<uint16_t>{0x50, 0x40, 0x60, 0xa0, 0xa1, 0x70, 0x03}) {
    Spec s;
    s.unprot_after = {{type, Bytes(type == 0x40 ? 12 : 4, 0)}};
    EXPECT_EQ(Parse(Compose(s)), ImageError::kTlvNotAllowedUnprotected) << type;
  }
}

TEST(ImageParserErrors, TlvMustBeUnprotected) {
  for (uint16_t type : std::initializer_list<uint16_t>{0x10, 0x11, 0x01, 0x02, 0x22, 0x20}) {
    Spec s;
    s.prot = {{type, Bytes(32, 0)}};
    EXPECT_EQ(Parse(Compose(s)), ImageError::kTlvMustBeUnprotected) << type;
  }
}

TEST(ImageParserErrors, BadTlvLength) {
  Spec sec;
  sec.prot = {{0x50, Bytes(3, 0)}};
  EXPECT_EQ(Parse(Compose(sec)), ImageError::kBadTlvLength);
  Spec dep;
  dep.prot = {{0x40, Bytes(8, 0)}};
  EXPECT_EQ(Parse(Compose(dep)), ImageError::kBadTlvLength);
  Spec rev;
  rev.prot = {{0xa0, {}}};
  EXPECT_EQ(Parse(Compose(rev)), ImageError::kBadTlvLength);
  // KEYHASH of 48 bytes next to a SHA-256 hash.
  Spec keyhash;
  keyhash.add_key = false;
  keyhash.unprot_after = {{0x01, Bytes(48, 0)}};
  EXPECT_EQ(Parse(Compose(keyhash)), ImageError::kBadTlvLength);
  // KEYHASH of 32 bytes next to a SHA-384 hash.
  Spec keyhash384;
  keyhash384.signer = &P384();
  keyhash384.add_key = false;
  keyhash384.unprot_after = {{0x01, Bytes(32, 0)}};
  EXPECT_EQ(Parse(Compose(keyhash384)), ImageError::kBadTlvLength);
  Spec hash;
  hash.add_hash = false;
  hash.unprot_after = {{0x10, Bytes(31, 0)}};
  EXPECT_EQ(Parse(Compose(hash)), ImageError::kBadTlvLength);
  Spec sig;
  sig.add_sig = false;
  sig.unprot_after = {{0x22, Bytes(crypto::kMaxEcdsaDerSigSize + 1, 0)}};
  EXPECT_EQ(Parse(Compose(sig)), ImageError::kBadTlvLength);
  Spec pub;
  pub.add_key = false;
  pub.unprot_after = {{0x02, {}}};
  EXPECT_EQ(Parse(Compose(pub)), ImageError::kBadTlvLength);
}

TEST(ImageParserErrors, DuplicateTlv) {
  Spec sec;
  sec.prot = {{0x50, Le32(1)}, {0x50, Le32(2)}};
  EXPECT_EQ(Parse(Compose(sec)), ImageError::kDuplicateTlv);
  Spec rev;
  rev.prot = {{0xa0, Bytes(3, 1)}, {0xa0, Bytes(3, 1)}};
  EXPECT_EQ(Parse(Compose(rev)), ImageError::kDuplicateTlv);
  Spec rec;
  rec.prot = {{0x60, Bytes(3, 1)}, {0x60, Bytes(3, 1)}};
  EXPECT_EQ(Parse(Compose(rec)), ImageError::kDuplicateTlv);
}

TEST(ImageParserErrors, UnsupportedHash) {
  Spec s;
  s.add_hash = false;
  s.unprot_before = {{0x12, Bytes(64, 0)}};
  EXPECT_EQ(Parse(Compose(s)), ImageError::kUnsupportedHash);
}

TEST(ImageParserErrors, UnsupportedSignature) {
  for (uint16_t type : std::initializer_list<uint16_t>{0x20, 0x21, 0x23, 0x24, 0x25}) {
    Spec s;
    s.add_sig = false;
    s.unprot_after = {{type, Bytes(64, 0)}};
    EXPECT_EQ(Parse(Compose(s)), ImageError::kUnsupportedSignature) << type;
  }
}

TEST(ImageParserErrors, EncryptedImage) {
  for (uint32_t flag : {kFlagEncryptedAes128, kFlagEncryptedAes256}) {
    Spec s;
    s.flags = flag;
    EXPECT_EQ(Parse(Compose(s)), ImageError::kEncryptedImage);
  }
  for (uint16_t type : std::initializer_list<uint16_t>{0x30, 0x31, 0x32, 0x33, 0x34}) {
    Spec s;
    s.unprot_after = {{type, Bytes(24, 0)}};
    EXPECT_EQ(Parse(Compose(s)), ImageError::kEncryptedImage) << type;
  }
}

TEST(ImageParserErrors, NonBootable) {
  Spec s;
  s.flags = kFlagNonBootable;
  EXPECT_EQ(Parse(Compose(s)), ImageError::kNonBootable);
}

TEST(SpanImageSource, ReadsAreBoundsChecked) {
  const Bytes bytes = {1, 2, 3, 4};
  SpanImageSource source(bytes);
  EXPECT_EQ(source.size(), 4u);
  uint8_t out[4] = {};
  EXPECT_TRUE(source.Read(1, ByteSpan(out, 3)).ok());
  EXPECT_EQ(out[2], 4);
  EXPECT_EQ(source.Read(2, ByteSpan(out, 3)).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(source.Read(5, ByteSpan(out, 0)).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(source.Read(0xffffffffu, ByteSpan(out, 2)).code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(source.Read(4, ByteSpan(out, 0)).ok());
}

// ---------------------------------------------------------------- verifying

TEST(ImageVerifier, HandBuiltImageVerifies) {
  const Bytes image = Compose(Spec{});
  const VerifyOutcome v = Verify(image, P256().public_key);
  ASSERT_EQ(v.error, ImageError::kOk) << ImageErrorName(v.error);
  EXPECT_EQ(v.decision, HardenedBool::kTrue);
  EXPECT_EQ(v.verified.key_slot, 0);
  const crypto::Digest expected =
      crypto::Hash(crypto::HashAlg::kSha256, ConstByteSpan(image.data(), 132));
  EXPECT_EQ(ToBytes(v.verified.measurement), ToBytes(expected));
}

TEST(ImageVerifierErrors, HashMismatchOnTamperedPayload) {
  Bytes image = Compose(Spec{});
  image[60] ^= 1;
  const VerifyOutcome v = Verify(image, P256().public_key);
  EXPECT_EQ(v.error, ImageError::kHashMismatch);
  EXPECT_EQ(v.decision, HardenedBool::kFalse);
}

TEST(ImageVerifierErrors, HashMismatchOnTamperedHeaderAndProtectedTlv) {
  Spec s;
  s.prot = {{0x50, Le32(5)}, {0xa0, Bytes(8, 0x11)}};
  Bytes image = Compose(s);
  ASSERT_EQ(Verify(image, P256().public_key).error, ImageError::kOk);
  Bytes raised = image;
  raised[32 + 100 + 8] = 6;  // SEC_CNT 5 -> 6
  EXPECT_EQ(Verify(raised, P256().public_key).error, ImageError::kHashMismatch);
  Bytes revocation = image;
  revocation[32 + 100 + 12 + 4] ^= 0x80;
  EXPECT_EQ(Verify(revocation, P256().public_key).error, ImageError::kHashMismatch);
  Bytes version = image;
  version[20] = 9;
  EXPECT_EQ(Verify(version, P256().public_key).error, ImageError::kHashMismatch);
}

TEST(ImageVerifierErrors, SignatureInvalid) {
  // Hash and KEYHASH name key 0; the signature is key 1's.
  Spec s;
  s.signer = &P256(1);
  s.key_in_tlv = &P256(0);
  EXPECT_EQ(Verify(Compose(s), P256(0).public_key).error, ImageError::kSignatureInvalid);
  // A flipped bit inside r.
  Bytes image = Compose(Spec{});
  image[image.size() - 10] ^= 0x04;
  const VerifyOutcome v = Verify(image, P256().public_key);
  EXPECT_EQ(v.error, ImageError::kSignatureInvalid);
  EXPECT_EQ(v.decision, HardenedBool::kFalse);
}

TEST(ImageVerifierErrors, KeyNotProvisioned) {
  Spec s;
  s.signer = &P256(1);
  EXPECT_EQ(Verify(Compose(s), P256(0).public_key).error, ImageError::kKeyNotProvisioned);
  s.full_key = true;
  EXPECT_EQ(Verify(Compose(s), P256(0).public_key).error, ImageError::kKeyNotProvisioned);
  Spec t;
  t.signer = &P384(1);
  t.full_key = true;
  EXPECT_EQ(Verify(Compose(t), P384(0).public_key).error, ImageError::kKeyNotProvisioned);
}

TEST(ImageVerifierErrors, HashKeyMismatch) {
  EXPECT_EQ(Verify(Compose(Spec{}), P384().public_key).error, ImageError::kHashKeyMismatch);
  Spec s;
  s.signer = &P384();
  EXPECT_EQ(Verify(Compose(s), P256().public_key).error, ImageError::kHashKeyMismatch);
}

TEST(ImageVerifierErrors, BadPublicKey) {
  Spec s;
  s.add_key = false;
  Bytes garbage = Spki(P256().public_key);
  garbage[garbage.size() - 1] ^= 0xff;  // point no longer on the curve
  s.unprot_after = {{0x02, garbage}};
  EXPECT_EQ(Verify(Compose(s), P256().public_key).error, ImageError::kBadPublicKey);
}

TEST(ImageVerifierErrors, SecurityCounterRollback) {
  Spec s;
  s.prot = {{0x50, Le32(5)}};
  const Bytes image = Compose(s);
  const VerifyOutcome low = Verify(image, P256().public_key, 6);
  EXPECT_EQ(low.error, ImageError::kSecurityCounterRollback);
  EXPECT_EQ(low.decision, HardenedBool::kFalse);
  const VerifyOutcome equal = Verify(image, P256().public_key, 5);
  EXPECT_EQ(equal.error, ImageError::kOk);
  EXPECT_EQ(equal.verified.security_counter, 5u);
  // No SEC_CNT counts as 0.
  const Bytes none = Compose(Spec{});
  EXPECT_EQ(Verify(none, P256().public_key, 0).error, ImageError::kOk);
  EXPECT_EQ(Verify(none, P256().public_key, 1).error, ImageError::kSecurityCounterRollback);
}

TEST(ImageVerifierErrors, MissingSecurityCounter) {
  const VerifyOutcome v = Verify(Compose(Spec{}), P256().public_key, 0, true);
  EXPECT_EQ(v.error, ImageError::kMissingSecurityCounter);
  Spec s;
  s.prot = {{0x50, Le32(0)}};
  EXPECT_EQ(Verify(Compose(s), P256().public_key, 0, true).error, ImageError::kOk);
}

TEST(ImageVerifierErrors, ReadFailedWhileHashing) {
  const Bytes image = Compose(Spec{});
  ParsedImage parsed;
  ASSERT_EQ(Parse(image, &parsed), ImageError::kOk);
  FailingSource source(image, 64);
  SingleKeyResolver resolver(P256().public_key);
  VerifiedImage verified;
  HardenedBool decision = HardenedBool::kTrue;
  EXPECT_EQ(VerifyImage(source, parsed, resolver, 0, false, &verified, &decision),
            ImageError::kReadFailed);
  EXPECT_EQ(decision, HardenedBool::kFalse);
}

class FixedResolver final : public KeyResolver {
 public:
  explicit FixedResolver(ImageError answer) : answer_(answer) {}
  ImageError Resolve(const ImageSource&, const ParsedImage&, crypto::EcPublicKey* key,
                     uint8_t* slot) override {
    *key = P256().public_key;
    *slot = 3;
    return answer_;
  }

 private:
  ImageError answer_;
};

TEST(ImageVerifierErrors, ResolverDecisionsPropagate) {
  const Bytes image = Compose(Spec{});
  SpanImageSource source(image);
  FixedResolver revoked(ImageError::kKeyRevoked);
  const VerifyOutcome v = Verify(source, revoked);
  EXPECT_EQ(v.error, ImageError::kKeyRevoked);
  EXPECT_EQ(v.decision, HardenedBool::kFalse);
  FixedResolver ok(ImageError::kOk);
  const VerifyOutcome w = Verify(source, ok);
  EXPECT_EQ(w.error, ImageError::kOk);
  EXPECT_EQ(w.verified.key_slot, 3);
}

TEST(ImageVerifier, AcceptsZeroPaddedSignature) {
  // imgtool --pad-sig (MCUboot < 1.5) pads the DER signature with zeros.
  Spec s;
  s.add_sig = false;
  Bytes image = Compose(s);
  const crypto::Digest digest =
      crypto::Hash(crypto::HashAlg::kSha256, ConstByteSpan(image.data(), 132));
  Bytes sig(crypto::kMaxEcdsaDerSigSize);
  size_t n = 0;
  ASSERT_TRUE(crypto::EcdsaSign(P256(), digest.view(), sig, &n).ok());
  sig.resize(n);
  sig.resize(72, 0);
  Spec padded = s;
  padded.unprot_after = {{0x22, sig}};
  EXPECT_EQ(Verify(Compose(padded), P256().public_key).error, ImageError::kOk);
  // Non-zero padding is not a signature.
  sig[71] = 1;
  if (n < 72) {
    padded.unprot_after = {{0x22, sig}};
    EXPECT_EQ(Verify(Compose(padded), P256().public_key).error, ImageError::kSignatureInvalid);
  }
}

// The image `spec` describes, with `sig_tlv` as its ECDSA_SIG value.
Bytes ImageWithSignature(const Spec& spec, const Bytes& sig_tlv) {
  Spec s = spec;
  s.add_sig = false;
  s.unprot_after = {{0x22, sig_tlv}};
  return Compose(s);
}

// r || s of a valid signature over the image `spec` describes.
Bytes RawSignatureFor(const Spec& spec, const crypto::EcKeyPair& key) {
  const Bytes image = Compose(spec);  // signed part as without the signature
  ParsedImage parsed;
  EXPECT_EQ(Parse(image, &parsed), ImageError::kOk);
  const crypto::Digest digest = crypto::Hash(crypto::CurveHash(key.public_key.curve),
                                             ConstByteSpan(image.data(), parsed.signed_size));
  Bytes der(crypto::kMaxEcdsaDerSigSize);
  size_t n = 0;
  EXPECT_TRUE(crypto::EcdsaSign(key, digest.view(), der, &n).ok());
  Bytes raw(2 * crypto::CoordinateSize(key.public_key.curve));
  EXPECT_TRUE(crypto::EcdsaDerToRaw(ConstByteSpan(der.data(), n), raw.size() / 2, raw).ok());
  return raw;
}

// DER INTEGER content of a big-endian value: minimal, sign byte when needed.
Bytes MinimalDerInteger(Bytes v) {
  while (v.size() > 1 && v[0] == 0) v.erase(v.begin());
  if (v[0] & 0x80) v.insert(v.begin(), 0);
  return v;
}

Bytes DerSequence(const Bytes& r_content, const Bytes& s_content) {
  Bytes body = {0x02, static_cast<uint8_t>(r_content.size())};
  body.insert(body.end(), r_content.begin(), r_content.end());
  body.push_back(0x02);
  body.push_back(static_cast<uint8_t>(s_content.size()));
  body.insert(body.end(), s_content.begin(), s_content.end());
  Bytes der = {0x30, static_cast<uint8_t>(body.size())};
  der.insert(der.end(), body.begin(), body.end());
  return der;
}

TEST(ImageVerifierErrors, SignatureMustBeCanonicalDer) {
  for (const crypto::EcKeyPair* key : {&P256(), &P384()}) {
    Spec spec;
    spec.signer = key;
    const size_t half = crypto::CoordinateSize(key->public_key.curve);
    Bytes raw = RawSignatureFor(spec, *key);
    const Bytes r(raw.begin(), raw.begin() + static_cast<long>(half));
    const Bytes s(raw.begin() + static_cast<long>(half), raw.end());
    const Bytes canonical = DerSequence(MinimalDerInteger(r), MinimalDerInteger(s));
    auto verdict = [&](const Bytes& tlv) {
      return Verify(ImageWithSignature(spec, tlv), key->public_key).error;
    };
    ASSERT_EQ(verdict(canonical), ImageError::kOk);

    // BER forms of the same (r, s): each refused, none verifies.
    Bytes long_sequence = canonical;  // 30 81 LL ...
    long_sequence.insert(long_sequence.begin() + 1, 0x81);
    EXPECT_EQ(verdict(long_sequence), ImageError::kSignatureNotCanonical);
    Bytes long_integer = {0x02, 0x81, static_cast<uint8_t>(MinimalDerInteger(r).size())};
    {
      const Bytes rc = MinimalDerInteger(r), sc = MinimalDerInteger(s);
      long_integer.insert(long_integer.end(), rc.begin(), rc.end());
      long_integer.push_back(0x02);
      long_integer.push_back(static_cast<uint8_t>(sc.size()));
      long_integer.insert(long_integer.end(), sc.begin(), sc.end());
      long_integer.insert(long_integer.begin(), {0x30, static_cast<uint8_t>(long_integer.size())});
    }
    EXPECT_EQ(verdict(long_integer), ImageError::kSignatureNotCanonical);
    Bytes extra_zero = MinimalDerInteger(r);
    extra_zero.insert(extra_zero.begin(), 0);  // 00 00 .. or 00 <7-bit>
    EXPECT_EQ(verdict(DerSequence(extra_zero, MinimalDerInteger(s))),
              ImageError::kSignatureNotCanonical);
    // A missing sign byte: an integer with its high bit set and no 00 in
    // front. Mbed TLS reads it as the same positive number, so it verified.
    // Signatures are deterministic: vary the payload until one needs the
    // sign byte, in r or in s.
    bool tested_sign_byte = false;
    for (uint8_t salt = 0; salt < 32 && !tested_sign_byte; ++salt) {
      Spec varied = spec;
      varied.payload[0] = salt;
      const Bytes raw2 = RawSignatureFor(varied, *key);
      const Bytes r2(raw2.begin(), raw2.begin() + static_cast<long>(half));
      const Bytes s2(raw2.begin() + static_cast<long>(half), raw2.end());
      Bytes rc = MinimalDerInteger(r2), sc = MinimalDerInteger(s2);
      if (rc[0] != 0 && sc[0] != 0) continue;
      if (rc[0] == 0) rc.erase(rc.begin());
      if (sc[0] == 0) sc.erase(sc.begin());
      EXPECT_EQ(Verify(ImageWithSignature(varied, DerSequence(rc, sc)), key->public_key).error,
                ImageError::kSignatureNotCanonical);
      tested_sign_byte = true;
    }
    EXPECT_TRUE(tested_sign_byte);
    Bytes third = canonical;  // a third element inside the SEQUENCE
    third.insert(third.end(), {0x05, 0x00});
    third[1] = static_cast<uint8_t>(third.size() - 2);
    EXPECT_EQ(verdict(third), ImageError::kSignatureNotCanonical);
    Bytes not_sequence = canonical;
    not_sequence[0] = 0x31;
    EXPECT_EQ(verdict(not_sequence), ImageError::kSignatureNotCanonical);
    Bytes truncated = canonical;  // SEQUENCE length past the TLV
    truncated[1] = static_cast<uint8_t>(truncated[1] + 1);
    EXPECT_EQ(verdict(truncated), ImageError::kSignatureNotCanonical);

    // r or s outside [1, n-1].
    EXPECT_EQ(verdict(DerSequence({0x00}, MinimalDerInteger(s))), ImageError::kSignatureOutOfRange);
    EXPECT_EQ(verdict(DerSequence(MinimalDerInteger(r), {0x00})), ImageError::kSignatureOutOfRange);
    Bytes all_ones(half, 0xff);  // above n for both curves
    EXPECT_EQ(verdict(DerSequence(MinimalDerInteger(all_ones), MinimalDerInteger(s))),
              ImageError::kSignatureOutOfRange);
    EXPECT_EQ(verdict(DerSequence(MinimalDerInteger(r), MinimalDerInteger(all_ones))),
              ImageError::kSignatureOutOfRange);
    // An integer longer than the coordinate (e.g. r + n would need one).
    Bytes too_long(half + 1, 0x01);
    EXPECT_EQ(verdict(DerSequence(too_long, MinimalDerInteger(s))),
              ImageError::kSignatureNotCanonical);

    // imgtool --pad-sig: zeros up to the longest DER of the curve verify;
    // one more zero, or any non-zero byte, does not.
    const size_t longest = crypto::MaxEcdsaDerSize(key->public_key.curve);
    for (const size_t length : {longest - 1, longest}) {  // imgtool pads P-384 to 103
      if (length < canonical.size()) continue;
      Bytes padded = canonical;
      padded.resize(length, 0);
      EXPECT_EQ(verdict(padded), ImageError::kOk) << length;
    }
    Bytes over = canonical;
    over.resize(longest + 1, 0);
    // Past 104 bytes the parser already refuses the TLV's length.
    EXPECT_EQ(verdict(over), longest + 1 > crypto::kMaxEcdsaDerSigSize
                                 ? ImageError::kBadTlvLength
                                 : ImageError::kSignatureNotCanonical);
    Bytes garbage = canonical;
    garbage.push_back(0x01);
    EXPECT_EQ(verdict(garbage), ImageError::kSignatureInvalid);
  }
}

TEST(EcdsaDerSignature, RangeIsOneToOrderMinusOne) {
  // n - 1 is in range, n is not (P-256).
  Bytes n = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
             0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
             0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  Bytes n_minus_1 = n;
  n_minus_1.back() = 0x50;
  EXPECT_TRUE(crypto::CheckEcdsaDerSignature(crypto::Curve::kP256,
                                             DerSequence(MinimalDerInteger(n_minus_1), {0x01}))
                  .ok());
  EXPECT_EQ(crypto::CheckEcdsaDerSignature(crypto::Curve::kP256,
                                           DerSequence({0x01}, MinimalDerInteger(n)))
                .code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(
      crypto::CheckEcdsaDerSignature(crypto::Curve::kP256, DerSequence({0x01}, {0x01})).code(),
      StatusCode::kOk);
  EXPECT_EQ(crypto::CheckEcdsaDerSignature(crypto::Curve::kP256, Bytes{0x30, 0x00}).code(),
            StatusCode::kInvalidArgument);
}

TEST(ImageBootFlags, EveryFlagIsRefusedWithItsReason) {
  ImageHeader h;
  EXPECT_EQ(CheckBootFlags(h), ImageError::kOk);
  const std::pair<uint32_t, ImageError> cases[] = {
      {kFlagPic, ImageError::kUnsupportedFlags},
      {kFlagEncryptedAes128, ImageError::kEncryptedImage},
      {kFlagEncryptedAes256, ImageError::kEncryptedImage},
      {kFlagNonBootable, ImageError::kNonBootable},
      {kFlagRamLoad, ImageError::kRamLoad},
      {kFlagRomFixed, ImageError::kRomFixed},
      {kFlagCompressedLzma1, ImageError::kUnsupportedFlags},
      {kFlagCompressedLzma2, ImageError::kUnsupportedFlags},
      {kFlagCompressedArmThumb, ImageError::kUnsupportedFlags},
      {0x80000000u, ImageError::kUnsupportedFlags},
      {kFlagRamLoad | kFlagRomFixed, ImageError::kRamLoad},
  };
  for (const auto& [flag, error] : cases) {
    h.flags = flag;
    EXPECT_EQ(CheckBootFlags(h), error) << flag;
  }
}

TEST(ImageDependencies, VersionOrderIgnoresBuild) {
  EXPECT_TRUE(VersionAtLeast({1, 2, 3, 0}, {1, 2, 3, 9}));
  EXPECT_TRUE(VersionAtLeast({1, 2, 4, 0}, {1, 2, 3, 0}));
  EXPECT_TRUE(VersionAtLeast({2, 0, 0, 0}, {1, 255, 65535, 0}));
  EXPECT_FALSE(VersionAtLeast({1, 2, 2, 99}, {1, 2, 3, 0}));
  EXPECT_FALSE(VersionAtLeast({1, 1, 9, 0}, {1, 2, 0, 0}));
  EXPECT_FALSE(VersionAtLeast({0, 9, 0, 0}, {1, 0, 0, 0}));
}

TEST(ImageDependencies, BuilderWritesImgtoolBytesAndReadDependencyReadsThemBack) {
  const ImageDependency deps[] = {{1, {1, 2, 3, 4}}, {0, {9, 8, 0x0706, 0x05040302}}};
  SignOptions options;
  options.version = {2, 0, 0, 0};
  options.has_security_counter = true;
  options.security_counter = 7;
  options.dependencies = deps;
  const Bytes image = Build(ZeroHeaderPayload(64), options, P256());
  ParsedImage parsed;
  ASSERT_EQ(Parse(image, &parsed), ImageError::kOk);
  EXPECT_EQ(parsed.dependency_count, 2);
  // imgtool: SEC_CNT first, then struct.pack('<B3xBBHI') per dependency.
  const Bytes expected_prot = {0x08, 0x69, 0x2c, 0x00,                          // info, 44 bytes
                               0x50, 0x00, 0x04, 0x00, 0x07, 0x00, 0x00, 0x00,  // SEC_CNT 7
                               0x40, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00,  // DEPENDENCY
                               0x01, 0x02, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00,
                               0x40, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,  // DEPENDENCY
                               0x09, 0x08, 0x06, 0x07, 0x02, 0x03, 0x04, 0x05};
  EXPECT_EQ(Bytes(image.begin() + 64, image.begin() + 64 + 44), expected_prot);
  SpanImageSource source(image);
  for (uint8_t i = 0; i < 2; ++i) {
    ImageDependency d;
    ASSERT_EQ(ReadDependency(source, parsed, i, &d), ImageError::kOk);
    EXPECT_EQ(d.image_id, deps[i].image_id);
    EXPECT_EQ(d.min_version.major, deps[i].min_version.major);
    EXPECT_EQ(d.min_version.minor, deps[i].min_version.minor);
    EXPECT_EQ(d.min_version.revision, deps[i].min_version.revision);
    EXPECT_EQ(d.min_version.build, deps[i].min_version.build);
  }
  ImageDependency d;
  EXPECT_EQ(ReadDependency(source, parsed, 2, &d), ImageError::kBadTlvLength);
  EXPECT_EQ(Verify(image, P256().public_key).error, ImageError::kOk);
}

// ---------------------------------------------------------------- building

struct RoundTripCase {
  crypto::Curve curve;
  bool full_key;
};

class ImageRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(ImageRoundTrip, BuildParseVerify) {
  const RoundTripCase c = GetParam();
  const crypto::EcKeyPair& key = c.curve == crypto::Curve::kP256 ? P256() : P384();
  const crypto::HashAlg alg = crypto::CurveHash(c.curve);
  const size_t digest_size = crypto::DigestSize(alg);
  SignOptions options;
  options.version = {1, 2, 3, 4};
  options.full_public_key = c.full_key;
  options.has_security_counter = true;
  options.security_counter = 7;
  const Bytes payload = ZeroHeaderPayload(1000 + 32);
  const Bytes image = Build(payload, options, key);

  ParsedImage parsed;
  ASSERT_EQ(Parse(image, &parsed), ImageError::kOk);
  EXPECT_EQ(parsed.header.img_size, 1000u);
  EXPECT_EQ(parsed.header.protect_tlv_size, 12);
  EXPECT_EQ(parsed.total_size, image.size());
  EXPECT_EQ(parsed.hash_alg, alg);
  EXPECT_EQ(parsed.hash.length, digest_size);
  EXPECT_EQ(parsed.key_is_full, c.full_key);
  EXPECT_EQ(parsed.security_counter, 7u);
  // imgtool's unprotected order: hash, key, signature.
  const std::vector<uint16_t> expected_types = {
      static_cast<uint16_t>(alg == crypto::HashAlg::kSha256 ? 0x10 : 0x11),
      static_cast<uint16_t>(c.full_key ? 0x02 : 0x01), 0x22};
  EXPECT_EQ(UnprotectedTypes(image, parsed), expected_types);
  // Key TLV: SPKI DER, or its digest with the image's hash (SHA-384 for P-384).
  const Bytes spki = Spki(key.public_key);
  const Bytes key_tlv(image.begin() + parsed.key.value_offset,
                      image.begin() + parsed.key.value_offset + parsed.key.length);
  EXPECT_EQ(key_tlv, c.full_key ? spki : ToBytes(crypto::Hash(alg, spki)));

  const VerifyOutcome v = Verify(image, key.public_key, 7, true);
  ASSERT_EQ(v.error, ImageError::kOk) << ImageErrorName(v.error);
  EXPECT_EQ(v.decision, HardenedBool::kTrue);
  EXPECT_EQ(ToBytes(v.verified.measurement),
            ToBytes(crypto::Hash(alg, ConstByteSpan(image.data(), parsed.signed_size))));
  EXPECT_EQ(v.verified.security_counter, 7u);

  // The test-side composer, written independently, produces the same bytes
  // (deterministic ECDSA).
  Spec s;
  s.major = 1;
  s.minor = 2;
  s.revision = 3;
  s.build = 4;
  s.payload.assign(payload.begin() + 32, payload.end());
  s.prot = {{0x50, Le32(7)}};
  s.signer = &key;
  s.full_key = c.full_key;
  EXPECT_EQ(Compose(s), image);

  // Another key does not verify it.
  const crypto::EcKeyPair& other = c.curve == crypto::Curve::kP256 ? P256(1) : P384(1);
  EXPECT_EQ(Verify(image, other.public_key).error, ImageError::kKeyNotProvisioned);
}

INSTANTIATE_TEST_SUITE_P(Keys, ImageRoundTrip,
                         ::testing::Values(RoundTripCase{crypto::Curve::kP256, false},
                                           RoundTripCase{crypto::Curve::kP256, true},
                                           RoundTripCase{crypto::Curve::kP384, false},
                                           RoundTripCase{crypto::Curve::kP384, true}),
                         [](const ::testing::TestParamInfo<RoundTripCase>& param_info) {
                           return std::string(param_info.param.curve == crypto::Curve::kP256
                                                  ? "P256"
                                                  : "P384") +
                                  (param_info.param.full_key ? "FullKey" : "KeyHash");
                         });

TEST(ImageBuilder, HeaderFieldsAndRamLoadFlag) {
  SignOptions options;
  options.version = {2, 0, 0x0102, 0x01020304};
  options.load_addr = 0x20000000;
  const Bytes image = Build(ZeroHeaderPayload(64), options, P256());
  EXPECT_EQ(image[0], 0x3d);
  EXPECT_EQ(image[1], 0xb8);
  EXPECT_EQ(image[2], 0xf3);
  EXPECT_EQ(image[3], 0x96);
  EXPECT_EQ(image[7], 0x20);  // load_addr
  EXPECT_EQ(image[8], 32);    // hdr_size
  EXPECT_EQ(image[10], 0);    // no protected TLVs
  EXPECT_EQ(image[11], 0);
  EXPECT_EQ(image[12], 32);    // img_size
  EXPECT_EQ(image[16], 0x20);  // IMAGE_F_RAM_LOAD
  EXPECT_EQ(image[20], 2);
  EXPECT_EQ(image[22], 0x02);
  EXPECT_EQ(image[23], 0x01);
  EXPECT_EQ(image[24], 0x04);
  EXPECT_EQ(image[28] | image[29] | image[30] | image[31], 0);
  EXPECT_EQ(image[64], 0x07);  // unprotected info right after the payload
  EXPECT_EQ(image[65], 0x69);
  SignOptions no_load;
  const Bytes plain = Build(ZeroHeaderPayload(64), no_load, P256());
  EXPECT_EQ(plain[16], 0);
  EXPECT_EQ(Verify(image, P256().public_key).error, ImageError::kOk);
}

TEST(ImageBuilder, ProtectedAreaOrderSecCntThenRevocation) {
  SignOptions options;
  options.has_security_counter = true;
  options.security_counter = 0x01020304;
  const Bytes revocation = {0xd8, 0x62, 0x84, 0x40};
  options.revocation = revocation;
  const Bytes image = Build(ZeroHeaderPayload(48), options, P256());
  const size_t p = 48;
  EXPECT_EQ(image[p], 0x08);
  EXPECT_EQ(image[p + 1], 0x69);
  EXPECT_EQ(image[p + 2], 4 + 8 + 4 + 4);  // total counts the info
  EXPECT_EQ(image[10], 4 + 8 + 4 + 4);     // header protect_tlv_size equals it
  EXPECT_EQ(image[p + 4], 0x50);
  EXPECT_EQ(image[p + 6], 4);
  EXPECT_EQ(image[p + 8], 0x04);  // LE counter
  EXPECT_EQ(image[p + 11], 0x01);
  EXPECT_EQ(image[p + 12], 0xa0);
  EXPECT_EQ(image[p + 14], 4);
  ParsedImage parsed;
  ASSERT_EQ(Parse(image, &parsed), ImageError::kOk);
  EXPECT_TRUE(parsed.revocation.present);
  EXPECT_EQ(parsed.revocation.length, 4);
  EXPECT_EQ(parsed.revocation.value_offset, p + 16);
  EXPECT_EQ(Verify(image, P256().public_key, 0x01020304).error, ImageError::kOk);
  EXPECT_EQ(Verify(image, P256().public_key, 0x01020305).error,
            ImageError::kSecurityCounterRollback);
}

TEST(ImageBuilder, AutoSecurityCounterFromVersion) {
  EXPECT_EQ(AutoSecurityCounter({1, 2, 3, 4}), 0x01020003u);
  EXPECT_EQ(AutoSecurityCounter({255, 255, 0xffff, 0xffffffff}), 0xffffffffu);
  EXPECT_EQ(AutoSecurityCounter({0, 0, 0, 99}), 0u);
}

TEST(ImageBuilder, TrailerSizeFollowsImgtool) {
  // max_sectors * 3 * align + max_align * 4 + align_up(16, max_align)
  EXPECT_EQ(TrailerSize(1, 0, 128), 128u * 3 + 8 * 4 + 16);
  EXPECT_EQ(TrailerSize(4, 0, 128), 128u * 3 * 4 + 8 * 4 + 16);
  EXPECT_EQ(TrailerSize(8, 0, 128), 3072u + 32 + 16);
  EXPECT_EQ(TrailerSize(16, 0, 128), 6144u + 64 + 16);
  EXPECT_EQ(TrailerSize(32, 0, 128), 12288u + 128 + 32);
  EXPECT_EQ(TrailerSize(8, 32, 64), 64u * 3 * 8 + 128 + 32);
  EXPECT_EQ(TrailerSize(1, 16, 128), 384u + 64 + 16);
}

uint32_t ImageEnd(const Bytes& image) {
  ParsedImage parsed;
  EXPECT_EQ(Parse(image, &parsed), ImageError::kOk);
  return parsed.total_size;
}

TEST(ImageBuilder, PadFillsErasedAndEndsWithBootMagic) {
  SignOptions options;
  options.slot_size = 0x8000;
  options.pad = true;
  const Bytes image = Build(ZeroHeaderPayload(500), options, P256());
  ASSERT_EQ(image.size(), 0x8000u);
  const uint32_t end = ImageEnd(image);
  for (size_t i = end; i < image.size() - 16; ++i) ASSERT_EQ(image[i], 0xff) << i;
  EXPECT_EQ(std::memcmp(image.data() + image.size() - 16, kBootMagic, 16), 0);
  EXPECT_EQ(Verify(image, P256().public_key).error, ImageError::kOk);
}

TEST(ImageBuilder, ConfirmImpliesPadAndSetsImageOk) {
  SignOptions options;
  options.slot_size = 0x8000;
  options.confirm = true;  // pad left false: confirm implies it
  const Bytes image = Build(ZeroHeaderPayload(500), options, P256());
  ASSERT_EQ(image.size(), 0x8000u);
  // image_ok sits at -(align_up(16, 8) + 8) = -24 from the slot end.
  EXPECT_EQ(image[image.size() - 24], 0x01);
  for (size_t i = image.size() - 23; i < image.size() - 16; ++i) EXPECT_EQ(image[i], 0xff);
  EXPECT_EQ(image[image.size() - 25], 0xff);
  EXPECT_EQ(std::memcmp(image.data() + image.size() - 16, kBootMagic, 16), 0);
  EXPECT_EQ(Verify(image, P256().public_key).error, ImageError::kOk);
}

TEST(ImageBuilder, LargeMaxAlignUsesAlignedMagic) {
  SignOptions options;
  options.slot_size = 0x10000;
  options.align = 16;  // max_align defaults to 16
  options.confirm = true;
  const Bytes image = Build(ZeroHeaderPayload(500), options, P256());
  ASSERT_EQ(image.size(), 0x10000u);
  const uint8_t* magic = image.data() + image.size() - 16;
  EXPECT_EQ(magic[0], 16);
  EXPECT_EQ(magic[1], 0);
  EXPECT_EQ(std::memcmp(magic + 2, kBootMagicAlignedTail, 14), 0);
  EXPECT_EQ(image[image.size() - (16 + 16)], 0x01);  // -(align_up(16,16) + 16)

  SignOptions wide;
  wide.slot_size = 0x10000;
  wide.max_align = 32;
  wide.confirm = true;
  const Bytes w = Build(ZeroHeaderPayload(500), wide, P256());
  EXPECT_EQ(w[w.size() - 16], 32);
  EXPECT_EQ(w[w.size() - 15], 0);
  EXPECT_EQ(w[w.size() - (32 + 32)], 0x01);  // -(align_up(16,32) + 32)
  EXPECT_EQ(w[w.size() - (32 + 32) + 1], 0xff);
}

TEST(ImageBuilder, PadHeaderPrependsErasedHeader) {
  SignOptions options;
  options.header_size = 0x200;
  options.pad_header = true;
  Bytes payload(300);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i + 1);
  const Bytes image = Build(payload, options, P256());
  ParsedImage parsed;
  ASSERT_EQ(Parse(image, &parsed), ImageError::kOk);
  EXPECT_EQ(parsed.header.hdr_size, 0x200);
  EXPECT_EQ(parsed.header.img_size, 300u);
  for (size_t i = 32; i < 0x200; ++i) ASSERT_EQ(image[i], 0xff) << i;
  EXPECT_EQ(std::memcmp(image.data() + 0x200, payload.data(), payload.size()), 0);
  EXPECT_EQ(Verify(image, P256().public_key).error, ImageError::kOk);
}

TEST(ImageBuilder, Errors) {
  BuildError error = BuildError::kOk;
  SignOptions small;
  small.header_size = 16;
  Build(ZeroHeaderPayload(64), small, P256(), &error);
  EXPECT_EQ(error, BuildError::kHeaderTooSmall);

  Bytes nonzero = ZeroHeaderPayload(64);
  nonzero[5] = 1;
  Build(nonzero, SignOptions{}, P256(), &error);
  EXPECT_EQ(error, BuildError::kHeaderNotZero);
  Build(Bytes(16, 0), SignOptions{}, P256(), &error);
  EXPECT_EQ(error, BuildError::kHeaderNotZero);
  SignOptions pad_header;
  pad_header.pad_header = true;
  Build(nonzero, pad_header, P256(), &error);
  EXPECT_EQ(error, BuildError::kOk);

  for (uint32_t align : {0u, 3u, 64u}) {
    SignOptions bad;
    bad.align = align;
    Build(ZeroHeaderPayload(64), bad, P256(), &error);
    EXPECT_EQ(error, BuildError::kBadAlign) << align;
  }
  SignOptions bad_max;
  bad_max.max_align = 12;
  Build(ZeroHeaderPayload(64), bad_max, P256(), &error);
  EXPECT_EQ(error, BuildError::kBadAlign);

  SignOptions pad;
  pad.pad = true;
  Build(ZeroHeaderPayload(64), pad, P256(), &error);
  EXPECT_EQ(error, BuildError::kPadWithoutSlotSize);
  SignOptions confirm;
  confirm.confirm = true;
  Build(ZeroHeaderPayload(64), confirm, P256(), &error);
  EXPECT_EQ(error, BuildError::kPadWithoutSlotSize);

  // Image + trailer must fit the slot (checked with -S even without --pad).
  SignOptions tight;
  tight.slot_size = 1024;
  Build(ZeroHeaderPayload(600), tight, P256(), &error);  // 600 + ~110 TLVs + 432 trailer
  EXPECT_EQ(error, BuildError::kTooLarge);
  Build(ZeroHeaderPayload(400), tight, P256(), &error);
  EXPECT_EQ(error, BuildError::kOk);

  Build(ZeroHeaderPayload(64), SignOptions{}, P256(), &error, 100);
  EXPECT_EQ(error, BuildError::kOutputTooSmall);
  Build(ZeroHeaderPayload(64), SignOptions{}, P256(), &error, 60);
  EXPECT_EQ(error, BuildError::kOutputTooSmall);
  SignOptions padded;
  padded.slot_size = 0x2000;
  padded.pad = true;
  Build(ZeroHeaderPayload(64), padded, P256(), &error, 0x1fff);
  EXPECT_EQ(error, BuildError::kOutputTooSmall);
}

}  // namespace
}  // namespace bastion::image
