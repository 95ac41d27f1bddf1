// bastion sign / verify / dumpinfo: MCUboot-format images.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "image/image.h"

namespace bastion::cli {
namespace {

constexpr const char* kSignUsage =
    "usage: bastion sign -k KEY -v VERSION [options] INFILE OUTFILE\n"
    "\n"
    "Signs the binary INFILE into the MCUboot image OUTFILE (imgtool's options).\n"
    "OUTFILE is written atomically: on any error no file is left behind.\n"
    "  -k, --key FILE              ECDSA P-256 or P-384 private key (PEM or DER)\n"
    "  -v, --version V             major.minor.revision+build, later parts optional\n"
    "                              (e.g. 1.2.3+4); major, minor < 256, revision < 65536\n"
    "  -H, --header-size N         header size, >= 32 (default 32)\n"
    "      --pad-header            prepend N zero bytes for the header; otherwise\n"
    "                              INFILE must start with N zero bytes\n"
    "  -S, --slot-size N           slot size; image + trailer must fit (0: no limit).\n"
    "                              Bastion's swap moves at most the slot less one\n"
    "                              sector: a bigger image is signed (as imgtool\n"
    "                              would) with a warning, and `device flash` /\n"
    "                              `device install` refuse it\n"
    "      --sector-size N         flash sector size for that warning (default 8192,\n"
    "                              the default geometry's; 0: no warning)\n"
    "      --align N               flash write size: 1, 2, 4, 8, 16, 32 (default 1)\n"
    "      --max-align N           8, 16 or 32 (default max(align, 8))\n"
    "  -M, --max-sectors N         sectors the swap status covers (default 128)\n"
    "  -s, --security-counter N    protected SEC_CNT value, or 'auto':\n"
    "                              (major << 24) + (minor << 16) + revision\n"
    "      --public-key-format F   hash (default): KEYHASH TLV; full: PUBKEY TLV\n"
    "      --pad                   pad to --slot-size and add the trailer magic\n"
    "      --confirm               like --pad, and mark the image confirmed (image_ok)\n"
    "  -L, --load-addr ADDR        RAM load address (sets IMAGE_F_RAM_LOAD; Bastion's\n"
    "                              boot chain refuses such images)\n"
    "  -d, --dependencies DEPS     protected DEPENDENCY TLVs, imgtool's syntax:\n"
    "                              \"(ID, VERSION)[,(ID, VERSION)...]\" with ID the\n"
    "                              component this image needs (0 urot, 1 sm, 2 app)\n"
    "                              and VERSION its minimum, e.g. -d \"(1, 1.2.0)\"\n"
    "      --revocation FILE       embed a COSE revocation command (protected TLV 0xa0)\n"
    "  -h, --help                  this text\n"
    "Numbers are decimal or 0x hexadecimal.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

constexpr const char* kVerifyUsage =
    "usage: bastion verify -k KEY IMAGE\n"
    "\n"
    "Verifies IMAGE (hash, key TLV, ECDSA signature) against KEY.\n"
    "  -k, --key FILE   public or private key (PEM or DER)\n"
    "  -h, --help       this text\n"
    "Exit status: 0 verified, 1 not verified or unreadable, 2 usage error.\n";

constexpr const char* kDumpinfoUsage =
    "usage: bastion dumpinfo [--json] IMAGE\n"
    "\n"
    "Prints IMAGE's header, flags, each TLV and, when the file is padded to a\n"
    "slot, the swap trailer. Does not verify signatures.\n"
    "      --json   print one JSON object\n"
    "  -h, --help   this text\n"
    "Exit status: 0 success, 1 malformed or unreadable image, 2 usage error.\n";

// ---- Sentences for errors ----

const char* DescribeImageError(image::ImageError error) {
  using image::ImageError;
  switch (error) {
    case ImageError::kOk:
      return "no error";
    case ImageError::kReadFailed:
      return "the image could not be read";
    case ImageError::kBadMagic:
      return "the header magic is not 0x96f3b83d; is this an MCUboot image?";
    case ImageError::kHeaderTooSmall:
      return "the header size is smaller than 32 bytes";
    case ImageError::kHeaderPastSlot:
      return "the header runs past the end of the file";
    case ImageError::kSizeOverflow:
      return "the header sizes overflow 32 bits";
    case ImageError::kPayloadPastSlot:
      return "the payload runs past the end of the file (truncated?)";
    case ImageError::kProtectedAreaPastSlot:
      return "the protected TLV area runs past the end of the file";
    case ImageError::kBadProtectedInfoMagic:
      return "the protected TLV area does not start with 0x6908";
    case ImageError::kProtectedSizeMismatch:
      return "the protected TLV area size disagrees with the header";
    case ImageError::kBadTlvInfoMagic:
      return "the TLV area does not start with 0x6907";
    case ImageError::kTlvAreaPastSlot:
      return "the TLV area runs past the end of the file (truncated?)";
    case ImageError::kTlvAreaTooSmall:
      return "a TLV area is smaller than its own info header";
    case ImageError::kTlvTruncated:
      return "a TLV runs past the end of its area";
    case ImageError::kDuplicateHash:
      return "the image has more than one hash TLV";
    case ImageError::kMissingHash:
      return "the image has no hash TLV";
    case ImageError::kDuplicateSignature:
      return "the image has more than one signature TLV";
    case ImageError::kMissingSignature:
      return "the image is not signed";
    case ImageError::kDuplicateKey:
      return "the image has more than one key TLV";
    case ImageError::kMissingKey:
      return "the image has neither a KEYHASH nor a PUBKEY TLV";
    case ImageError::kUnknownVendorTlv:
      return "the image has a protected vendor TLV Bastion does not know";
    case ImageError::kTlvNotAllowedUnprotected:
      return "a TLV that must be signed stands in the unprotected area";
    case ImageError::kTlvMustBeUnprotected:
      return "a hash, key or signature TLV stands in the protected area";
    case ImageError::kBadTlvLength:
      return "a TLV has the wrong length for its type";
    case ImageError::kDuplicateTlv:
      return "a TLV that may appear once appears twice";
    case ImageError::kUnsupportedHash:
      return "the image uses a hash Bastion does not accept";
    case ImageError::kUnsupportedSignature:
      return "the image uses a signature type other than ECDSA";
    case ImageError::kEncryptedImage:
      return "encrypted images are not supported";
    case ImageError::kHashMismatch:
      return "the image hash does not match its hash TLV (modified image)";
    case ImageError::kHashKeyMismatch:
      return "the image hash does not fit the key's curve";
    case ImageError::kKeyNotProvisioned:
      return "the image was not signed with the given key";
    case ImageError::kKeyRevoked:
      return "the signing key is revoked";
    case ImageError::kBadPublicKey:
      return "the image's public key does not parse";
    case ImageError::kSignatureInvalid:
      return "the signature does not verify with the given key";
    case ImageError::kSecurityCounterRollback:
      return "the security counter is below the minimum";
    case ImageError::kMissingSecurityCounter:
      return "the image has no security counter";
    case ImageError::kNonBootable:
      return "the image is marked non-bootable";
    case ImageError::kSlotEmpty:
      return "the file is erased (no image)";
    case ImageError::kSignatureNotCanonical:
      return "the signature is not canonical DER (long-form length, extra or missing zero "
             "byte, or padding past imgtool's)";
    case ImageError::kSignatureOutOfRange:
      return "the signature's r or s is zero or not below the curve order";
    case ImageError::kRamLoad:
      return "the image asks to be loaded into RAM (IMAGE_F_RAM_LOAD); Bastion runs images "
             "in place";
    case ImageError::kRomFixed:
      return "the image is built for a fixed flash address (IMAGE_F_ROM_FIXED), not supported";
    case ImageError::kUnsupportedFlags:
      return "the image header sets a flag the boot chain does not implement";
    case ImageError::kBadDependency:
      return "a DEPENDENCY TLV names no other component (0 urot, 1 sm, 2 app)";
    case ImageError::kDependencyUnmet:
      return "a DEPENDENCY TLV is not met by the device's other images";
  }
  return "unknown error";
}

const char* DescribeBuildError(image::BuildError error) {
  using image::BuildError;
  switch (error) {
    case BuildError::kOk:
      return "no error";
    case BuildError::kHeaderTooSmall:
      return "the header size must be at least 32";
    case BuildError::kHeaderNotZero:
      return "INFILE does not start with header-size zero bytes (use --pad-header)";
    case BuildError::kBadAlign:
      return "--align must be 1, 2, 4, 8, 16 or 32";
    case BuildError::kTooLarge:
      return "image + trailer do not fit in --slot-size";
    case BuildError::kOutputTooSmall:
      return "internal output buffer too small";
    case BuildError::kPadWithoutSlotSize:
      return "--pad and --confirm need --slot-size";
    case BuildError::kSigningFailed:
      return "signing failed";
  }
  return "unknown error";
}

[[noreturn]] void ThrowImageError(const std::string& path, image::ImageError error) {
  throw CliError(path + ": " + image::ImageErrorName(error) + ": " + DescribeImageError(error));
}

// ---- Parsing of sign options ----

// imgtool's version rule: maj[.min[.rev[+build]]], decimal without leading zeros.
image::ImageVersion ParseVersion(const std::string& text) {
  const std::string bad =
      "invalid version '" + text + "': expected major.minor.revision+build, later parts optional";
  std::vector<std::string> parts;
  std::string rest = text;
  const size_t plus = rest.find('+');
  std::string build;
  bool has_build = false;
  if (plus != std::string::npos) {
    build = rest.substr(plus + 1);
    rest.resize(plus);
    has_build = true;
  }
  size_t start = 0;
  while (true) {
    const size_t dot = rest.find('.', start);
    parts.push_back(rest.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() > 3 || (has_build && parts.size() != 3)) throw UsageError(bad);
  if (has_build) parts.push_back(build);
  const uint64_t limits[4] = {0xff, 0xff, 0xffff, 0xffffffff};
  const char* names[4] = {"major", "minor", "revision", "build"};
  uint64_t values[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (p.empty() || p.size() > 10 || (p.size() > 1 && p[0] == '0') ||
        !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw UsageError(bad);
    }
    values[i] = std::stoull(p);
    if (values[i] > limits[i]) {
      throw UsageError("invalid version '" + text + "': " + names[i] + " exceeds " +
                       std::to_string(limits[i]));
    }
  }
  image::ImageVersion v;
  v.major = static_cast<uint8_t>(values[0]);
  v.minor = static_cast<uint8_t>(values[1]);
  v.revision = static_cast<uint16_t>(values[2]);
  v.build = static_cast<uint32_t>(values[3]);
  return v;
}

std::string VersionString(const image::ImageVersion& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." +
         std::to_string(v.revision) + "+" + std::to_string(v.build);
}

uint32_t ParseChoice(const std::string& text, const std::string& what,
                     std::initializer_list<uint32_t> allowed) {
  const uint64_t value = ParseNumber(text, what);
  for (uint32_t a : allowed) {
    if (value == a) return a;
  }
  std::string list;
  for (uint32_t a : allowed) list += (list.empty() ? "" : ", ") + std::to_string(a);
  throw UsageError(what + " must be one of " + list);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---- TLV listing (after ParseImage succeeded, so bounds are known good) ----

struct TlvEntry {
  bool is_protected = false;
  uint16_t type = 0;
  uint16_t length = 0;
  uint32_t offset = 0;  // of the value
};

std::vector<TlvEntry> ListTlvs(ConstByteSpan file, const image::ParsedImage& parsed) {
  std::vector<TlvEntry> out;
  auto walk = [&](uint32_t area, bool is_protected) {
    if (area + image::kTlvInfoSize > file.size()) return;
    const uint32_t total = LoadLe16(&file[area + 2]);
    const uint32_t end = std::min<uint32_t>(area + total, static_cast<uint32_t>(file.size()));
    uint32_t off = area + static_cast<uint32_t>(image::kTlvInfoSize);
    while (off + image::kTlvHeaderSize <= end) {
      TlvEntry e;
      e.is_protected = is_protected;
      e.type = LoadLe16(&file[off]);
      e.length = LoadLe16(&file[off + 2]);
      e.offset = off + static_cast<uint32_t>(image::kTlvHeaderSize);
      if (e.offset + e.length > end) break;
      out.push_back(e);
      off = e.offset + e.length;
    }
  };
  const uint32_t payload_end = parsed.header.hdr_size + parsed.header.img_size;
  if (parsed.header.protect_tlv_size != 0) walk(payload_end, true);
  walk(parsed.signed_size, false);
  return out;
}

std::string TlvName(uint16_t type) {
  using namespace image;
  switch (type) {
    case kTlvKeyHash:
      return "KEYHASH";
    case kTlvPubKey:
      return "PUBKEY";
    case kTlvSha256:
      return "SHA256";
    case kTlvSha384:
      return "SHA384";
    case kTlvSha512:
      return "SHA512";
    case kTlvRsa2048Pss:
      return "RSA2048_PSS";
    case kTlvEcdsa224:
      return "ECDSA224";
    case kTlvEcdsaSig:
      return "ECDSA_SIG";
    case kTlvRsa3072Pss:
      return "RSA3072_PSS";
    case kTlvEd25519:
      return "ED25519";
    case kTlvSigPure:
      return "SIG_PURE";
    case kTlvEncRsa2048:
      return "ENC_RSA2048";
    case kTlvEncKw:
      return "ENC_KW";
    case kTlvEncEc256:
      return "ENC_EC256";
    case kTlvEncX25519:
      return "ENC_X25519";
    case kTlvEncX25519Sha512:
      return "ENC_X25519_SHA512";
    case kTlvDependency:
      return "DEPENDENCY";
    case kTlvSecCnt:
      return "SEC_CNT";
    case kTlvBootRecord:
      return "BOOT_RECORD";
    case kTlvBastionRevocation:
      return "BASTION_REVOCATION";
    default:
      return "UNKNOWN";
  }
}

std::vector<std::string> FlagNames(uint32_t flags) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {image::kFlagPic, "PIC"},
      {image::kFlagEncryptedAes128, "ENCRYPTED_AES128"},
      {image::kFlagEncryptedAes256, "ENCRYPTED_AES256"},
      {image::kFlagNonBootable, "NON_BOOTABLE"},
      {image::kFlagRamLoad, "RAM_LOAD"},
      {image::kFlagRomFixed, "ROM_FIXED"},
  };
  std::vector<std::string> names;
  uint32_t rest = flags;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) {
      names.emplace_back(name);
      rest &= ~bit;
    }
  }
  if (rest != 0) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%x", rest);
    names.emplace_back(buf);
  }
  return names;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// ---- Trailer (MCUboot swap trailer at the end of the slot) ----

struct TrailerInfo {
  bool present = false;  // the file extends past the image
  std::string magic;     // "good", "unset", "bad"
  uint32_t max_align = 8;
  std::string image_ok;  // "set", "unset", "bad (0x..)"
  std::string copy_done;
  std::string swap_info;
  uint32_t padding_bytes = 0;
  uint32_t slot_size = 0;
};

std::string FlagState(uint8_t v) {
  if (v == 0x01) return "set";
  if (v == 0xff) return "unset";
  char buf[24];
  std::snprintf(buf, sizeof(buf), "bad (0x%02x)", v);
  return buf;
}

TrailerInfo ReadTrailer(ConstByteSpan file, const image::ParsedImage& parsed) {
  TrailerInfo t;
  if (file.size() <= parsed.total_size) return t;
  t.present = true;
  t.slot_size = static_cast<uint32_t>(file.size());
  t.padding_bytes = t.slot_size - parsed.total_size;
  if (t.padding_bytes < image::kBootMagicSize) {
    t.magic = "bad";
    return t;
  }
  const uint8_t* magic = &file[file.size() - image::kBootMagicSize];
  if (std::equal(magic, magic + image::kBootMagicSize, image::kBootMagic)) {
    t.magic = "good";
    t.max_align = 8;
  } else if (std::equal(magic + 2, magic + image::kBootMagicSize, image::kBootMagicAlignedTail) &&
             (LoadLe16(magic) == 16 || LoadLe16(magic) == 32)) {
    t.magic = "good";
    t.max_align = LoadLe16(magic);
  } else if (std::all_of(magic, magic + image::kBootMagicSize,
                         [](uint8_t b) { return b == 0xff; })) {
    t.magic = "unset";
  } else {
    t.magic = "bad";
  }
  const uint32_t magic_area =
      (static_cast<uint32_t>(image::kBootMagicSize) + t.max_align - 1) / t.max_align * t.max_align;
  if (t.padding_bytes < magic_area + 3 * t.max_align) return t;
  const size_t end = file.size();
  t.image_ok = FlagState(file[end - magic_area - t.max_align]);
  t.copy_done = FlagState(file[end - magic_area - 2 * t.max_align]);
  const uint8_t swap_info = file[end - magic_area - 3 * t.max_align];
  if (swap_info == 0xff) {
    t.swap_info = "unset";
  } else {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "swap type %u, image %u", swap_info & 0x0fu, swap_info >> 4);
    t.swap_info = buf;
  }
  return t;
}

}  // namespace

// imgtool's -d: "(ID, VERSION)" tuples separated by commas, whitespace
// allowed around each part. Stricter than imgtool's regular expressions:
// anything else in the text is an error, and ID must name a component.
std::vector<image::ImageDependency> ParseDependencies(const std::string& text) {
  const std::string bad = "invalid --dependencies '" + text +
                          "': expected \"(ID, VERSION)[,(ID, VERSION)...]\", ID 0 (urot), "
                          "1 (sm) or 2 (app)";
  auto trim = [](const std::string& v) {
    const size_t a = v.find_first_not_of(" \t");
    const size_t b = v.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : v.substr(a, b - a + 1);
  };
  std::vector<image::ImageDependency> out;
  size_t i = 0;
  while (true) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size() || text[i] != '(') throw UsageError(bad);
    const size_t close = text.find(')', i);
    if (close == std::string::npos) throw UsageError(bad);
    const std::string inner = text.substr(i + 1, close - i - 1);
    const size_t comma = inner.find(',');
    if (comma == std::string::npos) throw UsageError(bad);
    const std::string id = trim(inner.substr(0, comma));
    if (id.size() != 1 || id[0] < '0' || id[0] > '2') throw UsageError(bad);
    image::ImageDependency d;
    d.image_id = static_cast<uint8_t>(id[0] - '0');
    d.min_version = ParseVersion(trim(inner.substr(comma + 1)));
    out.push_back(d);
    if (out.size() > 8) throw UsageError("--dependencies: at most 8 dependencies");
    i = close + 1;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i == text.size()) return out;
    if (text[i] != ',') throw UsageError(bad);
    ++i;
  }
}

// ---------------------------------------------------------------------------

int RunSign(const std::vector<std::string>& args) {
  const ParsedArgs parsed = ParseArgs(args, {{'k', "key", true, false},
                                             {'v', "version", true, false},
                                             {'H', "header-size", true, false},
                                             {0, "pad-header", false, false},
                                             {'S', "slot-size", true, false},
                                             {0, "align", true, false},
                                             {0, "max-align", true, false},
                                             {'M', "max-sectors", true, false},
                                             {'s', "security-counter", true, false},
                                             {0, "public-key-format", true, false},
                                             {0, "pad", false, false},
                                             {0, "confirm", false, false},
                                             {'L', "load-addr", true, false},
                                             {'d', "dependencies", true, false},
                                             {0, "sector-size", true, false},
                                             {0, "revocation", true, false}});
  if (parsed.help()) {
    std::fputs(kSignUsage, stdout);
    return kExitOk;
  }
  if (parsed.positional().size() != 2) {
    throw UsageError("sign needs INFILE and OUTFILE (got " +
                     std::to_string(parsed.positional().size()) + " arguments)");
  }
  const std::string& infile = parsed.positional()[0];
  const std::string& outfile = parsed.positional()[1];
  if (EndsWith(infile, ".hex") || EndsWith(outfile, ".hex")) {
    throw UsageError("Intel HEX files are not supported; use binary files");
  }

  image::SignOptions options;
  const std::string key_path = parsed.Require("key");
  options.version = ParseVersion(parsed.Require("version"));
  if (auto h = parsed.Get("header-size")) {
    options.header_size = static_cast<uint16_t>(ParseNumber(*h, "--header-size", 0xffff));
    if (options.header_size < image::kHeaderSize) {
      throw UsageError("--header-size must be at least 32");
    }
  }
  options.pad_header = parsed.Has("pad-header");
  if (auto s = parsed.Get("slot-size")) {
    // No flash Bastion drives is larger than 64 MiB; a bigger slot is a typo
    // that would make --pad write gigabytes.
    options.slot_size = static_cast<uint32_t>(ParseNumber(*s, "--slot-size", 64u * 1024 * 1024));
  }
  if (auto a = parsed.Get("align"))
    options.align = ParseChoice(*a, "--align", {1, 2, 4, 8, 16, 32});
  if (auto m = parsed.Get("max-align"))
    options.max_align = ParseChoice(*m, "--max-align", {8, 16, 32});
  if (options.max_align != 0 && options.max_align < options.align) {
    throw UsageError("--max-align must not be smaller than --align");
  }
  if (auto m = parsed.Get("max-sectors")) {
    options.max_sectors = static_cast<uint32_t>(ParseNumber(*m, "--max-sectors", 0xffff));
    if (options.max_sectors == 0) throw UsageError("--max-sectors must be at least 1");
  }
  if (auto s = parsed.Get("security-counter")) {
    options.has_security_counter = true;
    if (*s == "auto" || *s == "AUTO" || *s == "Auto") {
      options.security_counter = image::AutoSecurityCounter(options.version);
    } else {
      options.security_counter = static_cast<uint32_t>(ParseNumber(*s, "--security-counter"));
    }
  }
  const std::string key_format = parsed.Get("public-key-format").value_or("hash");
  if (key_format != "hash" && key_format != "full") {
    throw UsageError("--public-key-format must be hash or full");
  }
  options.full_public_key = key_format == "full";
  options.confirm = parsed.Has("confirm");
  options.pad = parsed.Has("pad") || options.confirm;  // --confirm implies --pad (imgtool)
  if (options.pad && options.slot_size == 0) {
    throw UsageError(std::string(options.confirm ? "--confirm" : "--pad") + " needs --slot-size");
  }
  if (auto l = parsed.Get("load-addr"))
    options.load_addr = static_cast<uint32_t>(ParseNumber(*l, "--load-addr"));
  uint32_t sector_size = 8192;
  if (auto z = parsed.Get("sector-size")) {
    sector_size = static_cast<uint32_t>(ParseNumber(*z, "--sector-size", 1u << 20));
  }
  std::vector<image::ImageDependency> dependencies;
  if (auto d = parsed.Get("dependencies")) dependencies = ParseDependencies(*d);
  options.dependencies = dependencies;
  std::vector<uint8_t> revocation;
  if (auto r = parsed.Get("revocation")) {
    revocation = ReadFile(*r);
    if (revocation.empty() || revocation.size() > 0xffff - 64) {
      throw CliError(*r + ": revocation command must be 1..65471 bytes");
    }
    options.revocation = revocation;
  }

  const crypto::EcKeyPair key = LoadPrivateKey(key_path);
  const std::vector<uint8_t> payload = ReadFile(infile);

  size_t capacity =
      payload.size() + (options.pad_header ? options.header_size : 0) + revocation.size() + 1024;
  if (options.pad) capacity = std::max<size_t>(capacity, options.slot_size);
  std::vector<uint8_t> out(capacity);
  size_t written = 0;
  const image::BuildError error = image::BuildSignedImage(payload, options, key, out, &written);
  if (error != image::BuildError::kOk) {
    throw CliError(std::string("cannot sign ") + infile + ": " + image::BuildErrorName(error) +
                   ": " + DescribeBuildError(error));
  }
  if (written > out.size()) throw CliError("internal error: image larger than its buffer");
  out.resize(written);
  WriteFileAtomic(outfile, out);
  // imgtool's -S rule (image + trailer <= S) is kept byte for byte; Bastion's
  // own limit is tighter (docs/update-swap.md "What fits a slot").
  if (options.slot_size != 0 && sector_size != 0) {
    const image::SpanImageSource source(out);
    image::ParsedImage image_info;
    const uint32_t room = options.slot_size > sector_size ? options.slot_size - sector_size : 0;
    if (image::ParseImage(source, &image_info) == image::ImageError::kOk &&
        image_info.total_size > room) {
      std::fprintf(stderr,
                   "bastion sign: warning: the image (%u bytes) is larger than the slot less one "
                   "%u-byte sector (%u bytes): a device with such sectors refuses to flash or "
                   "install it, as the swap could never update it\n",
                   image_info.total_size, sector_size, room);
    }
  }
  return kExitOk;
}

int RunVerify(const std::vector<std::string>& args) {
  const ParsedArgs parsed = ParseArgs(args, {{'k', "key", true, false}});
  if (parsed.help()) {
    std::fputs(kVerifyUsage, stdout);
    return kExitOk;
  }
  if (parsed.positional().size() != 1) throw UsageError("verify needs exactly one IMAGE");
  const std::string& path = parsed.positional()[0];
  const crypto::EcPublicKey key = LoadPublicKey(parsed.Require("key"));
  const std::vector<uint8_t> bytes = ReadFile(path);
  if (bytes.size() > UINT32_MAX) throw CliError(path + ": file too large");

  image::SpanImageSource source(bytes);
  image::ParsedImage image_info;
  const image::ImageError parse_error = image::ParseImage(source, &image_info);
  if (parse_error != image::ImageError::kOk) ThrowImageError(path, parse_error);

  image::SingleKeyResolver resolver(key);
  image::VerifiedImage verified;
  HardenedBool decision = HardenedBool::kFalse;
  const image::ImageError error =
      image::VerifyImage(source, image_info, resolver, 0, false, &verified, &decision);
  if (error != image::ImageError::kOk) ThrowImageError(path, error);
  if (!HardenedIsTrue(decision)) {
    throw CliError(path + ": not verified (inconsistent verification result)");
  }
  const char* hash_name = image_info.hash_alg == crypto::HashAlg::kSha256 ? "sha256" : "sha384";
  const char* curve_name = key.curve == crypto::Curve::kP256 ? "ecdsa-p256" : "ecdsa-p384";
  std::string counter = image_info.has_security_counter
                            ? "security counter " + std::to_string(image_info.security_counter)
                            : std::string("no security counter");
  std::printf("%s: verified (%s, %s, version %s, %s)\n", path.c_str(), curve_name, hash_name,
              VersionString(image_info.header.version).c_str(), counter.c_str());
  return kExitOk;
}

int RunDumpinfo(const std::vector<std::string>& args) {
  const ParsedArgs parsed = ParseArgs(args, {{0, "json", false, false}});
  if (parsed.help()) {
    std::fputs(kDumpinfoUsage, stdout);
    return kExitOk;
  }
  if (parsed.positional().size() != 1) throw UsageError("dumpinfo needs exactly one IMAGE");
  const std::string& path = parsed.positional()[0];
  const std::vector<uint8_t> bytes = ReadFile(path);
  if (bytes.size() > UINT32_MAX) throw CliError(path + ": file too large");
  image::SpanImageSource source(bytes);
  image::ParsedImage info;
  const image::ImageError error = image::ParseImage(source, &info);
  if (error != image::ImageError::kOk) ThrowImageError(path, error);

  const image::ImageHeader& h = info.header;
  const std::vector<TlvEntry> tlvs = ListTlvs(bytes, info);
  const TrailerInfo trailer = ReadTrailer(bytes, info);
  const std::vector<std::string> flags = FlagNames(h.flags);
  auto value_of = [&](const TlvEntry& e) {
    return Hex(ConstByteSpan(bytes.data() + e.offset, e.length));
  };

  if (parsed.Has("json")) {
    nlohmann::ordered_json j;
    j["file"] = path;
    j["file_size"] = bytes.size();
    nlohmann::ordered_json header;
    header["magic"] = Hex32(h.magic);
    header["load_addr"] = Hex32(h.load_addr);
    header["hdr_size"] = h.hdr_size;
    header["protect_tlv_size"] = h.protect_tlv_size;
    header["img_size"] = h.img_size;
    header["flags"] = Hex32(h.flags);
    header["flag_names"] = flags;
    header["version"] = VersionString(h.version);
    j["header"] = header;
    j["signed_size"] = info.signed_size;
    j["total_size"] = info.total_size;
    j["hash_alg"] = info.hash_alg == crypto::HashAlg::kSha256 ? "sha256" : "sha384";
    j["key_format"] = info.key_is_full ? "full" : "hash";
    if (info.has_security_counter) {
      j["security_counter"] = info.security_counter;
    } else {
      j["security_counter"] = nullptr;
    }
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const TlvEntry& e : tlvs) {
      nlohmann::ordered_json t;
      t["area"] = e.is_protected ? "protected" : "unprotected";
      t["type"] = e.type;
      t["name"] = TlvName(e.type);
      t["length"] = e.length;
      t["offset"] = e.offset;
      t["value"] = value_of(e);
      list.push_back(t);
    }
    j["tlvs"] = list;
    if (trailer.present) {
      nlohmann::ordered_json t;
      t["slot_size"] = trailer.slot_size;
      t["magic"] = trailer.magic;
      t["max_align"] = trailer.max_align;
      t["image_ok"] = trailer.image_ok.empty() ? nlohmann::ordered_json()
                                               : nlohmann::ordered_json(trailer.image_ok);
      t["copy_done"] = trailer.copy_done.empty() ? nlohmann::ordered_json()
                                                 : nlohmann::ordered_json(trailer.copy_done);
      t["swap_info"] = trailer.swap_info.empty() ? nlohmann::ordered_json()
                                                 : nlohmann::ordered_json(trailer.swap_info);
      j["trailer"] = t;
    } else {
      j["trailer"] = nullptr;
    }
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }

  std::string flag_text;
  for (const auto& f : flags) flag_text += (flag_text.empty() ? "" : " | ") + f;
  std::printf("%s:\n", path.c_str());
  std::printf("header:\n");
  std::printf("  magic:            %s\n", Hex32(h.magic).c_str());
  std::printf("  load_addr:        %s\n", Hex32(h.load_addr).c_str());
  std::printf("  hdr_size:         0x%04x (%u)\n", h.hdr_size, h.hdr_size);
  std::printf("  protect_tlv_size: 0x%04x (%u)\n", h.protect_tlv_size, h.protect_tlv_size);
  std::printf("  img_size:         0x%08x (%u)\n", h.img_size, h.img_size);
  std::printf("  flags:            %s%s%s%s\n", Hex32(h.flags).c_str(),
              flag_text.empty() ? "" : " (", flag_text.c_str(), flag_text.empty() ? "" : ")");
  std::printf("  version:          %s\n", VersionString(h.version).c_str());
  std::printf("signed size: %u, end of TLVs: %u, file size: %zu\n", info.signed_size,
              info.total_size, bytes.size());
  std::printf("tlvs:\n");
  for (const TlvEntry& e : tlvs) {
    std::string value;
    if (e.type == image::kTlvSecCnt && e.length == 4) {
      value = std::to_string(LoadLe32(&bytes[e.offset]));
    } else if (e.type == image::kTlvDependency && e.length == image::kDependencyTlvSize) {
      // {u8 image_id, pad[3], version}: image ids are components (0 urot, 1 sm, 2 app).
      const uint8_t* d = &bytes[e.offset];
      const image::ImageVersion v{d[4], d[5], LoadLe16(d + 6), LoadLe32(d + 8)};
      const char* names[] = {"urot", "sm", "app"};
      value = std::string("image ") + std::to_string(d[0]) +
              (d[0] < 3 ? std::string(" (") + names[d[0]] + ")" : std::string()) +
              " >= " + VersionString(v);
    } else if (e.length <= 64) {
      value = value_of(e);
    } else {
      value = Hex(ConstByteSpan(bytes.data() + e.offset, 32)) + "... (" + std::to_string(e.length) +
              " bytes)";
    }
    std::printf("  %-11s 0x%02x %-18s len %-5u %s\n", e.is_protected ? "protected" : "unprotected",
                e.type, TlvName(e.type).c_str(), e.length, value.c_str());
  }
  if (trailer.present) {
    std::printf("trailer (slot size %u, %u bytes after the image):\n", trailer.slot_size,
                trailer.padding_bytes);
    std::printf("  magic:     %s (max_align %u)\n", trailer.magic.c_str(), trailer.max_align);
    if (!trailer.image_ok.empty()) {
      std::printf("  image_ok:  %s\n", trailer.image_ok.c_str());
      std::printf("  copy_done: %s\n", trailer.copy_done.c_str());
      std::printf("  swap_info: %s\n", trailer.swap_info.c_str());
    }
  } else {
    std::printf("trailer: none (file not padded to a slot)\n");
  }
  return kExitOk;
}

}  // namespace bastion::cli
