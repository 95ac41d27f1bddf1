#include "provisioning/provisioning.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "boot/boot_update.h"
#include "counters/counter_store.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "update/slot_swap.h"
#include "update/slot_trailer.h"

namespace bastion::host {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

uint32_t ParseNumber(const json& value, const std::string& what) {
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    if (v > UINT32_MAX) throw ProfileError(what + " is too large");
    return static_cast<uint32_t>(v);
  }
  if (value.is_string()) {
    // Decimal or "0x..." only: std::stoull's base 0 would also take octal
    // ("010" = 8), signs and leading blanks.
    const std::string s = value.get<std::string>();
    const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const std::string digits = hex ? s.substr(2) : s;
    const char* allowed = hex ? "0123456789abcdefABCDEF" : "0123456789";
    if (!digits.empty() && digits.find_first_not_of(allowed) == std::string::npos) {
      try {
        const unsigned long long v = std::stoull(digits, nullptr, hex ? 16 : 10);
        if (v <= UINT32_MAX) return static_cast<uint32_t>(v);
      } catch (const std::exception&) {
      }
    }
  }
  throw ProfileError(what + " must be a non-negative number (decimal or \"0x...\")");
}

void CheckKeys(const json& object, const std::set<std::string>& allowed, const std::string& where) {
  if (!object.is_object()) throw ProfileError(where + " must be an object");
  for (const auto& [key, value] : object.items()) {
    if (!allowed.count(key)) throw ProfileError("unknown field \"" + key + "\" in " + where);
  }
}

std::vector<uint8_t> LoadPublicKeyDer(const fs::path& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ProfileError(where + ": cannot read key file " + path.string());
  std::vector<uint8_t> contents((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  crypto::EcPublicKey key;
  const Status status = crypto::ParseKeyFile(contents, &key, nullptr);
  if (!contents.empty()) SecureWipe(contents.data(), contents.size());
  if (!status.ok()) {
    throw ProfileError(where + ": " + path.string() +
                       " is not a PEM/DER ECDSA P-256 or P-384 key (public or private)");
  }
  std::vector<uint8_t> der(crypto::kMaxSpkiDerSize);
  size_t written = 0;
  if (!crypto::WritePublicKeySpki(key, der, &written).ok()) throw ProfileError(where + ": bad key");
  der.resize(written);
  return der;
}

std::vector<std::vector<uint8_t>> LoadKeyList(const json& list, const fs::path& base,
                                              const std::string& where, size_t min, size_t max) {
  if (!list.is_array()) throw ProfileError(where + " must be a list of key file paths");
  if (list.size() < min || list.size() > max) {
    throw ProfileError(where + " must hold " + std::to_string(min) + " to " + std::to_string(max) +
                       " keys");
  }
  std::vector<std::vector<uint8_t>> keys;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string())
      throw ProfileError(where + "[" + std::to_string(i) + "] must be a path");
    fs::path p = list[i].get<std::string>();
    if (p.is_relative()) p = base / p;
    keys.push_back(LoadPublicKeyDer(p, where + "[" + std::to_string(i) + "]"));
  }
  return keys;
}

otp::FlashRegion ParseRegion(const json& value, const std::string& where) {
  CheckKeys(value, {"offset", "size"}, where);
  if (!value.contains("offset") || !value.contains("size")) {
    throw ProfileError(where + " needs \"offset\" and \"size\"");
  }
  return {ParseNumber(value["offset"], where + ".offset"),
          ParseNumber(value["size"], where + ".size")};
}

uint32_t RoundUp(uint32_t v, uint32_t unit) { return (v + unit - 1) / unit * unit; }

// What a file for a slot holds beyond the image (header, payload, TLVs):
// nothing, erased padding, or imgtool's --pad / --confirm padding ending in
// MCUboot's trailer (magic in the last 16 bytes, image_ok one max_align
// unit before the magic's aligned area; every other byte erased).
struct SlotFile {
  uint32_t image_size = 0;  // the parsed image's total size: what is written
  bool image_ok = false;    // imgtool --confirm
};

SlotFile CheckSlotFile(const std::vector<uint8_t>& bytes, uint8_t erased) {
  const image::SpanImageSource source(bytes);
  image::ParsedImage parsed;
  const image::ImageError error = image::ParseImage(source, &parsed);
  if (error != image::ImageError::kOk) {
    throw DeviceError(std::string("not a valid image: ") + image::ImageErrorName(error));
  }
  SlotFile file;
  file.image_size = parsed.total_size;
  const size_t tail = bytes.size() - parsed.total_size;
  auto erased_range = [&](size_t from, size_t to, size_t skip) {
    for (size_t i = from; i < to; ++i) {
      if (i != skip && bytes[i] != erased) return false;
    }
    return true;
  };
  if (erased_range(parsed.total_size, bytes.size(), bytes.size())) return file;
  const std::string not_padding =
      "the " + std::to_string(tail) +
      " bytes after the image are neither erased padding nor imgtool's trailer";
  if (tail < image::kBootMagicSize) throw DeviceError(not_padding);
  const uint8_t* magic = bytes.data() + bytes.size() - image::kBootMagicSize;
  uint32_t max_align = 0;
  if (std::memcmp(magic, image::kBootMagic, image::kBootMagicSize) == 0) {
    max_align = image::kDefaultMaxAlign;
  } else if (std::memcmp(magic + 2, image::kBootMagicAlignedTail,
                         sizeof(image::kBootMagicAlignedTail)) == 0) {
    max_align = LoadLe16(magic);
    if (max_align != 16 && max_align != 32) throw DeviceError(not_padding);
  } else {
    throw DeviceError(not_padding);
  }
  const size_t magic_area = (image::kBootMagicSize + max_align - 1) / max_align * max_align;
  // image_ok, copy_done, swap_info, swap_size, then the magic's area.
  if (tail < magic_area + 4 * max_align) throw DeviceError(not_padding);
  const size_t image_ok_at = bytes.size() - (magic_area + max_align);
  if (!erased_range(parsed.total_size, bytes.size() - image::kBootMagicSize, image_ok_at)) {
    throw DeviceError(not_padding + " (a trailer field other than image_ok is set)");
  }
  const uint8_t image_ok = bytes[image_ok_at];
  if (image_ok != erased && image_ok != image::kImageOkSet) {
    throw DeviceError("the trailer's image_ok is neither erased nor 0x01");
  }
  file.image_ok = image_ok == image::kImageOkSet;
  return file;
}

// An image larger than the swap can move could be programmed but never
// updated (every install would end in no-room): refused with the limit.
void RequireSwappable(const SlotFile& file, const platform::FlashGeometry& geometry,
                      const update::SlotSet& slots, otp::Component component) {
  const uint32_t room = update::MaxSwapSectors(geometry, slots, 1) * geometry.sector_size;
  if (file.image_size > room) {
    throw DeviceError("the image (" + std::to_string(file.image_size) +
                      " bytes) does not fit the " + std::to_string(room) + " bytes the " +
                      otp::ComponentName(component) +
                      " slots can swap (the primary slot less its trailer sector): it could "
                      "never be updated");
  }
}

}  // namespace

otp::Component ParseComponent(const std::string& name) {
  if (name == "urot") return otp::Component::kUrot;
  if (name == "sm") return otp::Component::kSm;
  if (name == "app") return otp::Component::kApp;
  throw std::invalid_argument("unknown component \"" + name + "\" (urot, sm or app)");
}

otp::Lifecycle ParseLifecycle(const std::string& name) {
  for (uint32_t code = 0x1000; code <= 0x6000; code += 0x1000) {
    const auto lc = static_cast<otp::Lifecycle>(code);
    if (name == otp::LifecycleName(lc)) return lc;
  }
  throw std::invalid_argument("unknown lifecycle \"" + name +
                              "\" (assembly-and-test, psa-rot-provisioning, secured, "
                              "non-psa-rot-debug, recoverable-psa-rot-debug, decommissioned)");
}

otp::FlashLayout DefaultLayout(const platform::FlashGeometry& g) {
  otp::FlashLayout l{};
  uint32_t next = 0;
  auto take = [&](uint32_t size) {
    const otp::FlashRegion r{next, RoundUp(size, g.sector_size)};
    next += r.size;
    return r;
  };
  l.key_store = take(otp::kKeyStoreSize);
  const uint32_t slot_sizes[otp::kComponentCount] = {64u * 1024, 128u * 1024, 384u * 1024};
  for (size_t c = 0; c < otp::kComponentCount; ++c) {
    // At least two sectors: the last holds the image-state trailer and no
    // image, so a one-sector primary could never take an update.
    l.primary[c] = take(std::max(slot_sizes[c], 2 * g.sector_size));
    l.secondary[c] = take(l.primary[c].size + g.sector_size);  // + the swap's offset sector
  }
  l.scratch = take(std::max(16u * 1024, 2 * g.sector_size));  // swap journal: >= 2 sectors
  l.storage = take(32u * 1024);
  // HDPL0's and HDPL1's own boot state: urot's swap journal, then the two
  // counter stores (two sectors each: one to compact into).
  l.urot_scratch = take(2 * g.sector_size);
  l.urot_counters = take(2 * g.sector_size);
  l.counters = take(2 * g.sector_size);
  return l;
}

Profile LoadProfile(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
    throw ProfileError(path.string() + " is not a regular file");
  }
  std::ifstream in(path);
  if (!in) throw ProfileError("cannot read profile " + path.string());
  json root;
  try {
    root = json::parse(in);
  } catch (const json::parse_error& e) {
    throw ProfileError(path.string() + " is not valid JSON: " + e.what());
  }
  const fs::path base = path.parent_path();
  CheckKeys(root, {"lifecycle", "flash", "layout", "domains"}, "the profile");

  Profile profile;
  if (root.contains("lifecycle")) {
    if (!root["lifecycle"].is_string()) throw ProfileError("\"lifecycle\" must be a string");
    try {
      profile.lifecycle = ParseLifecycle(root["lifecycle"].get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw ProfileError(e.what());
    }
  }
  profile.geometry = DefaultGeometry();
  if (root.contains("flash")) {
    const json& f = root["flash"];
    CheckKeys(f, {"size", "sector_size", "program_unit"}, "\"flash\"");
    if (f.contains("size")) profile.geometry.size = ParseNumber(f["size"], "flash.size");
    if (f.contains("sector_size")) {
      profile.geometry.sector_size = ParseNumber(f["sector_size"], "flash.sector_size");
    }
    if (f.contains("program_unit")) {
      profile.geometry.program_unit = ParseNumber(f["program_unit"], "flash.program_unit");
    }
    const auto& g = profile.geometry;
    if (!otp::GeometrySupported(g) || g.size > 64u * 1024 * 1024) {
      throw ProfileError("\"flash\": sector_size and program_unit must be powers of two with " +
                         std::to_string(otp::kMinProgramUnit) +
                         " <= program_unit <= " + std::to_string(otp::kMaxProgramUnit) +
                         " and program_unit <= sector_size (every journal, trailer and counter "
                         "record is one program unit of at least 8 bytes), size a multiple of "
                         "sector_size and at most 64 MiB");
    }
  }
  profile.layout = DefaultLayout(profile.geometry);
  if (root.contains("layout")) {
    const json& l = root["layout"];
    CheckKeys(l,
              {"key_store", "urot", "sm", "app", "scratch", "storage", "urot_scratch",
               "urot_counters", "counters"},
              "\"layout\"");
    const std::pair<const char*, otp::FlashRegion*> regions[] = {
        {"key_store", &profile.layout.key_store},
        {"scratch", &profile.layout.scratch},
        {"storage", &profile.layout.storage},
        {"urot_scratch", &profile.layout.urot_scratch},
        {"urot_counters", &profile.layout.urot_counters},
        {"counters", &profile.layout.counters},
    };
    for (const auto& [name, region] : regions) {
      if (l.contains(name)) *region = ParseRegion(l[name], std::string("layout.") + name);
    }
    for (size_t c = 0; c < otp::kComponentCount; ++c) {
      const std::string name = otp::ComponentName(static_cast<otp::Component>(c));
      if (!l.contains(name)) continue;
      const json& s = l[name];
      const std::string where = "layout." + name;
      CheckKeys(s, {"primary", "secondary", "size"}, where);
      if (!s.contains("primary") || !s.contains("secondary") || !s.contains("size")) {
        throw ProfileError(where + " needs \"primary\", \"secondary\" and \"size\"");
      }
      const uint32_t size = ParseNumber(s["size"], where + ".size");
      profile.layout.primary[c] = {ParseNumber(s["primary"], where + ".primary"), size};
      // The secondary is one sector larger (the swap's offset sector).
      profile.layout.secondary[c] = {ParseNumber(s["secondary"], where + ".secondary"),
                                     size + profile.geometry.sector_size};
    }
  }
  if (!otp::LayoutValid(profile.layout, profile.geometry)) {
    throw ProfileError(
        "the flash layout is invalid: regions must be sector-aligned, inside the "
        "flash, non-overlapping, each secondary slot one sector larger than its "
        "primary (\"size\" is the primary's), scratch, urot_scratch, urot_counters "
        "and counters of at least two sectors each, "
        "and the key store at least " +
        std::to_string(otp::kKeyStoreSize) + " bytes");
  }

  if (!root.contains("domains")) throw ProfileError("the profile has no \"domains\"");
  const json& domains = root["domains"];
  CheckKeys(domains, {"urot", "sm", "app"}, "\"domains\"");
  for (size_t c = 0; c < otp::kComponentCount; ++c) {
    const std::string name = otp::ComponentName(static_cast<otp::Component>(c));
    const std::string where = "domains." + name;
    if (!domains.contains(name)) throw ProfileError("the profile has no " + where);
    const json& d = domains[name];
    CheckKeys(d, {"keys", "threshold", "authority", "revoke_older_on_confirm", "security_counter"},
              where);
    if (!d.contains("keys")) throw ProfileError(where + " has no \"keys\"");
    DomainProfile& dp = profile.domains[c];
    dp.keys = LoadKeyList(d["keys"], base, where + ".keys", 1, otp::kSigningSlots);
    if (d.contains("authority")) {
      dp.authority =
          LoadKeyList(d["authority"], base, where + ".authority", 0, otp::kAuthoritySlots);
    }
    if (d.contains("threshold")) {
      if (!d["threshold"].is_number_unsigned())
        throw ProfileError(where + ".threshold must be 1..4");
      const uint64_t t = d["threshold"].get<uint64_t>();
      if (t < 1 || t > otp::kSigningSlots) throw ProfileError(where + ".threshold must be 1..4");
      dp.threshold = static_cast<uint8_t>(t);
    }
    if (d.contains("revoke_older_on_confirm")) {
      if (!d["revoke_older_on_confirm"].is_boolean()) {
        throw ProfileError(where + ".revoke_older_on_confirm must be true or false");
      }
      dp.revoke_older_on_confirm = d["revoke_older_on_confirm"].get<bool>();
    }
    if (d.contains("security_counter")) {
      dp.security_counter = ParseNumber(d["security_counter"], where + ".security_counter");
    }
    if (dp.threshold > dp.keys.size() && dp.authority.empty()) {
      throw ProfileError(where + ": threshold " + std::to_string(dp.threshold) +
                         " needs at least " + std::to_string(dp.threshold) +
                         " signing keys, or an authority key (" + std::to_string(dp.keys.size()) +
                         " given): no revocation could ever be authorised");
    }
    if (static_cast<otp::Component>(c) == otp::Component::kUrot) {
      // iROT verifies P-256 only (p256-m, no Mbed TLS ECP: the boot stages'
      // curve table in targets/): a P-384 urot key could never be used.
      for (const auto* list : {&dp.keys, &dp.authority}) {
        for (size_t i = 0; i < list->size(); ++i) {
          crypto::EcPublicKey key;
          if (!crypto::ParsePublicKeySpki((*list)[i], &key).ok() ||
              key.curve != crypto::Curve::kP256) {
            throw ProfileError(where + (list == &dp.keys ? ".keys[" : ".authority[") +
                               std::to_string(i) +
                               "] is not a P-256 key: iROT verifies the urot domain with "
                               "P-256 only");
          }
        }
      }
    }
    std::set<std::vector<uint8_t>> seen;
    for (const auto& k : dp.keys) {
      if (!seen.insert(k).second) throw ProfileError(where + " lists the same key twice");
    }
    for (const auto& k : dp.authority) {
      if (!seen.insert(k).second) {
        throw ProfileError(where + ": a key cannot be both a signing and an authority key");
      }
    }
  }
  return profile;
}

bool ReadHeader(const VirtualDevice& device, otp::OtpHeader* header) {
  std::memcpy(header, device.raw_otp().data() + otp::kHeaderOffset, sizeof(*header));
  const platform::FlashGeometry g = device.geometry();
  return header->magic == otp::kOtpMagic && header->complete == otp::kHeaderCompleteMarker &&
         otp::LayoutValid(header->layout, g);
}

void WriteLayoutHeader(VirtualDevice& device, const otp::FlashLayout& layout) {
  otp::OtpHeader header{};
  header.magic = otp::kOtpMagic;
  header.format_version = otp::kOtpFormatVersion;
  header.layout = layout;
  header.complete = otp::kHeaderCompleteMarker;
  std::vector<uint8_t> bytes(sizeof(header));
  std::memcpy(bytes.data(), &header, sizeof(header));
  device.FactoryProgramOtp(otp::kHeaderOffset, bytes);
}

void Provision(VirtualDevice& device, const Profile& profile) {
  for (uint8_t b : device.raw_otp()) {
    if (b != 0) throw DeviceError("the device is already provisioned");
  }
  const platform::FlashGeometry g = device.geometry();
  if (g.size != profile.geometry.size || g.sector_size != profile.geometry.sector_size ||
      g.program_unit != profile.geometry.program_unit) {
    throw DeviceError("the device's flash geometry differs from the profile's");
  }
  // Checked before anything is written (profiles built in code skip
  // LoadProfile): the boot chain would refuse this layout.
  if (!otp::LayoutValid(profile.layout, g)) {
    throw DeviceError(otp::GeometrySupported(g)
                          ? "the flash layout is invalid for this device"
                          : "the device's flash geometry is not supported (program unit " +
                                std::to_string(g.program_unit) + " bytes: at least " +
                                std::to_string(otp::kMinProgramUnit) + " needed)");
  }

  // Key store (flash) first: the OTP hashes written after it vouch for it.
  std::vector<uint8_t> store(otp::kKeyStoreSize, g.erased_value);
  StoreLe32(store.data(), otp::kKeyStoreMagic);
  auto put_entry = [&](otp::Component c, size_t slot, const std::vector<uint8_t>& der) {
    otp::KeyStoreEntry entry{};
    entry.der_size = static_cast<uint16_t>(der.size());
    std::memcpy(entry.der, der.data(), der.size());
    std::memcpy(store.data() + otp::KeyStoreEntryOffset(c, slot), &entry, sizeof(entry));
  };

  otp::Hdpl0Area hdpl0{};
  otp::Hdpl1Area hdpl1{};
  for (size_t c = 0; c < otp::kComponentCount; ++c) {
    const auto component = static_cast<otp::Component>(c);
    const DomainProfile& dp = profile.domains[c];
    otp::OtpDomain& domain = component == otp::Component::kUrot ? hdpl0.urot
                             : component == otp::Component::kSm ? hdpl1.sm
                                                                : hdpl1.app;
    domain.configured = otp::kDomainConfiguredMarker;
    domain.config.threshold = dp.threshold;
    domain.config.flags = dp.revoke_older_on_confirm ? otp::kDomainFlagRevokeOlderOnConfirm : 0;
    for (size_t i = 0; i < dp.keys.size(); ++i) {
      const crypto::Digest h = crypto::Hash(crypto::HashAlg::kSha256, dp.keys[i]);
      std::memcpy(domain.signing[i].key_hash, h.bytes.data(), 32);
      domain.signing[i].provisioned = otp::kSlotProvisionedMarker;
      put_entry(component, i, dp.keys[i]);
    }
    for (size_t i = 0; i < dp.authority.size(); ++i) {
      const crypto::Digest h = crypto::Hash(crypto::HashAlg::kSha256, dp.authority[i]);
      std::memcpy(domain.authority[i].key_hash, h.bytes.data(), 32);
      domain.authority[i].provisioned = otp::kSlotProvisionedMarker;
      put_entry(component, otp::kSigningSlots + i, dp.authority[i]);
    }
  }
  device.FactoryWriteFlash(profile.layout.key_store.offset, store);

  // The counter stores: each one's first sector live with the floors, the
  // second erased (the first compaction's target).
  auto format_store = [&](const otp::FlashRegion& area, std::vector<otp::Component> components) {
    std::vector<uint32_t> floors;
    for (const otp::Component c : components) {
      floors.push_back(profile.domains[static_cast<size_t>(c)].security_counter);
    }
    std::vector<uint8_t> sector(g.sector_size);
    if (!counters::FormatSector(g, area.offset, components.data(), floors.data(), components.size(),
                                sector)
             .ok()) {
      throw DeviceError("cannot format the counter store");
    }
    device.FactoryWriteFlash(area.offset, sector);
    device.FactoryWriteFlash(area.offset + g.sector_size,
                             std::vector<uint8_t>(area.size - g.sector_size, g.erased_value));
  };
  format_store(profile.layout.urot_counters, {otp::Component::kUrot});
  format_store(profile.layout.counters, {otp::Component::kSm, otp::Component::kApp});

  auto bytes_of = [](const auto& value) {
    const auto* p = reinterpret_cast<const uint8_t*>(&value);
    return std::vector<uint8_t>(p, p + sizeof(value));
  };
  device.FactoryProgramOtp(otp::kHdpl0AreaOffset, bytes_of(hdpl0));
  device.FactoryProgramOtp(otp::kHdpl1AreaOffset, bytes_of(hdpl1));

  otp::OtpHeader header{};
  header.magic = otp::kOtpMagic;
  header.format_version = otp::kOtpFormatVersion;
  const uint32_t states = static_cast<uint32_t>(profile.lifecycle) / 0x1000;
  for (uint32_t i = 0; i < states && i < otp::kLifecycleStates; ++i) {
    header.lifecycle_marks[i] = otp::kLifecycleMark;
  }
  if (!device.Fill(ByteSpan(header.instance_id, sizeof(header.instance_id))).ok()) {
    throw DeviceError("no entropy for the instance ID");
  }
  header.layout = profile.layout;
  header.complete = 0;
  device.FactoryProgramOtp(otp::kHeaderOffset, bytes_of(header));
  // The completion marker last: a half-provisioned device never boots.
  std::vector<uint8_t> marker(4);
  StoreLe32(marker.data(), otp::kHeaderCompleteMarker);
  device.FactoryProgramOtp(otp::kHeaderOffset + offsetof(otp::OtpHeader, complete), marker);
}

void InstallSecondarySlot(VirtualDevice& device, otp::Component component,
                          const std::vector<uint8_t>& bytes, bool permanent) {
  otp::OtpHeader header;
  if (!ReadHeader(device, &header)) throw DeviceError("the device is not provisioned");
  const size_t c = static_cast<size_t>(component);
  const update::SlotSet slots{header.layout.primary[c], header.layout.secondary[c],
                              otp::SwapStatusArea(header.layout, component)};
  platform::Platform p = device.platform();
  const boot::ImageState primary = boot::PrimaryState(p.flash, slots);
  if (primary != boot::ImageState::kReady) {
    throw DeviceError(std::string("the ") + otp::ComponentName(component) + " primary slot is " +
                      boot::ImageStateName(static_cast<uint8_t>(primary)) +
                      ": boot (and confirm or reject) first; the secondary slot holds the "
                      "image to revert to");
  }
  const uint32_t sector = device.geometry().sector_size;
  if (bytes.empty()) throw DeviceError("the image is empty");
  if (bytes.size() > slots.secondary.size) {
    throw DeviceError("the file (" + std::to_string(bytes.size()) + " bytes) is larger than the " +
                      otp::ComponentName(component) + " secondary slot (" +
                      std::to_string(slots.secondary.size) + " bytes)");
  }
  const SlotFile file = CheckSlotFile(bytes, device.geometry().erased_value);
  RequireSwappable(file, device.geometry(), slots, component);
  // As a download would: the image one sector into the secondary slot, the
  // rest erased (imgtool's padding and trailer dropped), then the trailer
  // marks it STAGED (magic; image_ok too when permanent, or when imgtool's
  // --confirm set it). Its signature is checked at boot, not here.
  permanent = permanent || file.image_ok;
  std::vector<uint8_t> full(slots.secondary.size, device.geometry().erased_value);
  std::copy(bytes.begin(), bytes.begin() + file.image_size, full.begin() + sector);
  device.FactoryWriteFlash(slots.secondary.offset, full);
  Status s = StatusCode::kOk;
  if (permanent) {
    s = update::WriteTrailerField(p.flash, slots.secondary, update::TrailerField::kImageOk,
                                  update::kFlagSet);
  }
  if (s.ok()) s = update::WriteTrailerMagic(p.flash, slots.secondary);
  if (!s.ok()) throw DeviceError("cannot write the secondary slot's trailer");
}

void FlashPrimarySlot(VirtualDevice& device, otp::Component component,
                      const std::vector<uint8_t>& bytes) {
  otp::OtpHeader header;
  if (!ReadHeader(device, &header)) throw DeviceError("the device is not provisioned");
  const otp::FlashRegion slot = header.layout.primary[static_cast<size_t>(component)];
  if (bytes.empty()) throw DeviceError("the image is empty");
  if (bytes.size() > slot.size) {
    throw DeviceError("the image (" + std::to_string(bytes.size()) + " bytes) does not fit the " +
                      otp::ComponentName(component) + " primary slot (" +
                      std::to_string(slot.size) + " bytes)");
  }
  const SlotFile file = CheckSlotFile(bytes, device.geometry().erased_value);
  const size_t c = static_cast<size_t>(component);
  RequireSwappable(file, device.geometry(),
                   {header.layout.primary[c], header.layout.secondary[c],
                    otp::SwapStatusArea(header.layout, component)},
                   component);
  // The image only: imgtool's padding and trailer are dropped (a factory
  // image is READY whatever its trailer says), the rest of the slot erased.
  std::vector<uint8_t> full(slot.size, device.geometry().erased_value);
  std::copy(bytes.begin(), bytes.begin() + file.image_size, full.begin());
  device.FactoryWriteFlash(slot.offset, full);
}

}  // namespace bastion::host
