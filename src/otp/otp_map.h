// The OTP map: where lifecycle, instance ID, flash layout, key domains and
// security counters live. Pinned with static_asserts.
//
//   0x000 OtpHeader      readable at every HDPL, programmed at provisioning
//   0x100 HDPL0 area     `urot` key domain and uROT security counter (iROT only)
//   0x300 HDPL1 area     `sm`, `app` key domains and their counters (<= uROT)
//
// OTP bits start at 0 and can only be set. Every field that changes after
// provisioning is append-only: a slot is revoked by writing a marker word,
// counters are logs of 16 words where the last written entry is the current
// value (stored as value + 1; 0 = empty), and each domain's revocations are a
// log of 16 revocation records (OtpRevocationRecord, below).
// Marker words are random 32-bit patterns; any other non-zero value in a
// marker word (a torn write) is treated as the safe state (see key_domain.h).
//
// Power loss during a record's 8-byte program (docs/revocation.md,
// "Commit"): the record is written in one Otp::Program at an 8-aligned
// offset. Should the part's OTP tear it (program in smaller units), the
// record's check fails and the log reader treats it as abandoned: that
// commit never happened (nothing revoked, sequence not raised), the device
// still boots, and the next record goes in the following entry. Marker
// words and counter entries assume an atomic 32-bit program.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "platform/platform.h"

namespace bastion::otp {

static_assert(std::endian::native == std::endian::little,
              "OTP structures are little-endian and read by memcpy");

enum class Component : uint8_t { kUrot = 0, kSm = 1, kApp = 2 };
constexpr size_t kComponentCount = 3;
const char* ComponentName(Component c);  // "urot", "sm", "app"

constexpr uint32_t kOtpSize = 0x800;
constexpr uint32_t kHeaderOffset = 0x000;
constexpr uint32_t kHdpl0AreaOffset = 0x100;
constexpr uint32_t kHdpl1AreaOffset = 0x300;
constexpr uint32_t kHdpl1AreaEnd = 0x800;

constexpr uint32_t kOtpMagic = 0x5b7a0e93;
// 2: revocation records replace the sequence log. 3: per-owner swap status
// areas and flash counter stores in the layout; no counter logs in OTP.
constexpr uint32_t kOtpFormatVersion = 3;
constexpr uint32_t kHeaderCompleteMarker = 0xc1d2e3f4 ^ 0x2a5f19b6;
constexpr uint32_t kLifecycleMark = 0x4e1fa6d3;
constexpr uint32_t kSlotProvisionedMarker = 0x6a5c39e1;
constexpr uint32_t kSlotRevokedMarker = 0x93c6b52d;
constexpr uint32_t kDomainConfiguredMarker = 0x2d9b74c5;

// PSA lifecycle states (PSA Security Model / attestation token codes).
enum class Lifecycle : uint32_t {
  kUnknown = 0x0000,
  kAssemblyAndTest = 0x1000,
  kPsaRotProvisioning = 0x2000,
  kSecured = 0x3000,
  kNonPsaRotDebug = 0x4000,
  kRecoverablePsaRotDebug = 0x5000,
  kDecommissioned = 0x6000,
};
constexpr size_t kLifecycleStates = 6;    // mark i set => state (i + 1) * 0x1000 reached
const char* LifecycleName(Lifecycle lc);  // "secured", ...

struct FlashRegion {
  uint32_t offset;
  uint32_t size;
};
static_assert(sizeof(FlashRegion) == 8);

// The flash regions, each with one owner (platform/access_policy.h). The
// boot state a stage resumes or trusts — swap journals, security counters —
// lives in regions only that stage or an earlier one can write. Slots are
// different: a later stage may write downloads (and the sm/app trailers),
// so what is in a slot is verified before it runs or installs, and a
// trailer can only choose among verified images (docs/decisions.md, "Who
// writes what a stage acts on").
struct FlashLayout {
  FlashRegion key_store;                   // public keys (OTP hashes vouch for them)
  FlashRegion primary[kComponentCount];    // run slots
  FlashRegion secondary[kComponentCount];  // download slots (one sector larger)
  FlashRegion scratch;                     // swap status area of sm and app (HDPL <= 1)
  FlashRegion storage;                     // Secure Manager storage (HDPL <= 2), may be empty
  FlashRegion urot_scratch;                // swap status area of urot (HDPL 0)
  FlashRegion urot_counters;               // counter store of urot (HDPL 0)
  FlashRegion counters;                    // counter store of sm and app (HDPL <= 1)
};
static_assert(sizeof(FlashLayout) == 96);
static_assert(offsetof(FlashLayout, scratch) == 56 && offsetof(FlashLayout, storage) == 64 &&
              offsetof(FlashLayout, urot_scratch) == 72 &&
              offsetof(FlashLayout, urot_counters) == 80 && offsetof(FlashLayout, counters) == 88);

struct OtpHeader {
  uint32_t magic;
  uint32_t format_version;
  uint32_t lifecycle_marks[kLifecycleStates];
  uint8_t instance_id[32];
  FlashLayout layout;
  uint32_t complete;  // kHeaderCompleteMarker, written last at provisioning
  uint8_t reserved[256 - 4 - 4 - 24 - 32 - 96 - 4];
};
static_assert(sizeof(OtpHeader) == 256);
static_assert(offsetof(OtpHeader, lifecycle_marks) == 8);
static_assert(offsetof(OtpHeader, instance_id) == 32);
static_assert(offsetof(OtpHeader, layout) == 64);
static_assert(offsetof(OtpHeader, complete) == 160);

constexpr size_t kSigningSlots = 4;
constexpr size_t kAuthoritySlots = 2;
constexpr size_t kLogEntries = 16;

struct OtpKeySlot {
  uint8_t key_hash[32];  // SHA-256 of the public key's SubjectPublicKeyInfo DER
  uint32_t provisioned;  // kSlotProvisionedMarker
  uint32_t revoked;      // kSlotRevokedMarker once revoked
};
static_assert(sizeof(OtpKeySlot) == 40);

constexpr uint8_t kDomainFlagRevokeOlderOnConfirm = 0x01;

struct OtpDomainConfig {
  uint8_t threshold;  // signatures needed for a revocation command
  uint8_t flags;      // kDomainFlag*
  uint8_t reserved[2];
};
static_assert(sizeof(OtpDomainConfig) == 4);

// One committed revocation command: its sequence and the signing slots it
// revokes, programmed by ONE 8-byte OTP write (8-aligned: the commit point).
// Once a record is written the slots it names are revoked, whether or not
// their marker words are written yet (revocation::CompleteRevocations writes
// them). `slots` packs the slot mask with a check so that a stray or torn
// value is never read as a valid record:
//   bits 0..7   slot mask (bit i = signing slot i; bits >= kSigningSlots 0)
//   bits 8..15  Berger check: the number of 0 bits in `sequence` and in the
//               mask byte (0..40). A torn write only leaves set bits unset:
//               that raises the zero count of the data and can only lower
//               the check, so a torn record never checks.
//   bits 16..31 kRevocationRecordTag
// Empty entry: both words 0.
struct OtpRevocationRecord {
  uint32_t sequence;  // the command's sequence + 1 (never 0 in a written record)
  uint32_t slots;     // slot mask | check << 8 | tag << 16
};
static_assert(sizeof(OtpRevocationRecord) == 8);
static_assert(kSigningSlots <= 8, "the slot mask is one byte");

constexpr uint32_t kRevocationRecordTag = 0xb46e;

struct OtpDomain {
  uint32_t configured;  // kDomainConfiguredMarker
  OtpDomainConfig config;
  OtpKeySlot signing[kSigningSlots];
  OtpKeySlot authority[kAuthoritySlots];
  OtpRevocationRecord revocations[kLogEntries];  // oldest first
};
static_assert(sizeof(OtpDomain) == 376);
static_assert(offsetof(OtpDomain, revocations) == 248);
static_assert(offsetof(OtpDomain, revocations) % 8 == 0 && sizeof(OtpDomain) % 8 == 0,
              "records must stay 8-aligned in every domain");

// Security counters are not in OTP: a 16-entry OTP log ran out after 16
// raises. They live in the HDPL-owned flash counter stores
// (FlashLayout::urot_counters / counters, src/counters).
struct Hdpl0Area {
  OtpDomain urot;
};
static_assert(sizeof(Hdpl0Area) == 376);
static_assert(kHdpl0AreaOffset + sizeof(Hdpl0Area) <= kHdpl1AreaOffset);

struct Hdpl1Area {
  OtpDomain sm;
  OtpDomain app;
};
static_assert(sizeof(Hdpl1Area) == 752);
static_assert(kHdpl1AreaOffset + sizeof(Hdpl1Area) <= kHdpl1AreaEnd);

// OTP offset of a component's key domain and security counter.
constexpr uint32_t DomainOffset(Component c) {
  return c == Component::kUrot ? kHdpl0AreaOffset + offsetof(Hdpl0Area, urot)
         : c == Component::kSm ? kHdpl1AreaOffset + offsetof(Hdpl1Area, sm)
                               : kHdpl1AreaOffset + offsetof(Hdpl1Area, app);
}
static_assert(DomainOffset(Component::kUrot) % 8 == 0 && DomainOffset(Component::kSm) % 8 == 0 &&
                  DomainOffset(Component::kApp) % 8 == 0,
              "revocation records are programmed as aligned 8-byte units");

// The swap status area (journal) of `c`'s swaps and the counter store that
// holds `c`'s security counter: urot's are HDPL0's own, sm's and app's
// HDPL1's.
constexpr const FlashRegion& SwapStatusArea(const FlashLayout& l, Component c) {
  return c == Component::kUrot ? l.urot_scratch : l.scratch;
}
constexpr const FlashRegion& CounterStoreArea(const FlashLayout& l, Component c) {
  return c == Component::kUrot ? l.urot_counters : l.counters;
}

// The flash key store holds the public keys whose hashes OTP holds (public
// data; integrity comes from the OTP hash). One 128-byte entry per slot:
// entry index = component * 6 + (signing 0..3 | authority 4..5).
constexpr uint32_t kKeyStoreMagic = 0x8e41c07b;
constexpr size_t kKeyStoreEntrySize = 128;
constexpr size_t kKeyStoreSlotsPerDomain = kSigningSlots + kAuthoritySlots;
struct KeyStoreEntry {
  uint16_t der_size;  // 0 or 0xffff: empty
  uint16_t reserved;
  uint8_t der[kKeyStoreEntrySize - 4];
};
static_assert(sizeof(KeyStoreEntry) == kKeyStoreEntrySize);
constexpr uint32_t KeyStoreEntryOffset(Component c, size_t slot) {
  return 16 + static_cast<uint32_t>((static_cast<size_t>(c) * kKeyStoreSlotsPerDomain + slot) *
                                    kKeyStoreEntrySize);
}
constexpr uint32_t kKeyStoreSize =
    16 + kComponentCount * kKeyStoreSlotsPerDomain * kKeyStoreEntrySize;

// The record committing a command with `sequence` (1 .. 2^32 - 2) that
// revokes the signing slots in `slot_mask`.
OtpRevocationRecord MakeRevocationRecord(uint32_t sequence, uint8_t slot_mask);
// True when `record` is a written, well-formed record: tag and check right,
// sequence word non-zero, slot mask non-zero and within kSigningSlots.
bool RevocationRecordValid(const OtpRevocationRecord& record);

// What a domain's record log says.
struct RevocationLog {
  uint32_t sequence = 0;  // the last committed command's sequence; 0: none
  size_t used = 0;        // entries written (committed or abandoned)
  size_t abandoned = 0;   // written entries that are not valid records (torn commits)
  uint8_t revoked = 0;    // union of the committed records' slot masks
};
// Reads a record log. A written entry that is not a valid record
// (RevocationRecordValid) is an abandoned, torn commit: counted in `used`,
// otherwise ignored. Returns false (corrupt) when a written entry follows an
// empty one, or the committed sequences are not strictly increasing.
bool ReadRevocationLog(const OtpRevocationRecord (&records)[kLogEntries], RevocationLog* out);

// Current lifecycle from the marks (highest marked state).
Lifecycle LifecycleFromMarks(const uint32_t (&marks)[kLifecycleStates]);

}  // namespace bastion::otp

namespace bastion::otp {
// Program units the boot chain's flash formats support: every journal,
// trailer and counter record is one unit holding an 8-byte record, so a
// unit below 8 bytes could never hold one whole (a record would span two
// programs, and a power loss between them leaves half a record).
constexpr uint32_t kMinProgramUnit = 8;
constexpr uint32_t kMaxProgramUnit = 256;

// True when the geometry is one the boot chain supports: sector size and
// program unit powers of two, kMinProgramUnit <= program unit <=
// kMaxProgramUnit and <= sector size, flash size a non-zero multiple of the
// sector size.
bool GeometrySupported(const platform::FlashGeometry& geometry);

// True when the geometry is supported and every region is sector-aligned,
// inside the flash, non-empty (storage may be empty), no two regions
// overlap, each secondary slot is exactly one sector larger than its primary
// (the swap's offset sector), both swap status areas and both counter
// stores hold at least two sectors, and the key store holds kKeyStoreSize.
bool LayoutValid(const FlashLayout& layout, const platform::FlashGeometry& geometry);
}  // namespace bastion::otp
