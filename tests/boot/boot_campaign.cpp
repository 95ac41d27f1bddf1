// Boot-level power-fail campaign (issue 3 item 7): the whole boot chain on
// the virtual device, cut at every flash/OTP operation of the boot that
// installs, reverts, rejects or confirms an update, or commits a revocation
// (or refuses one posted during a trial, and reverts).
//
// For each geometry (4 KiB/8 B, 8 KiB/16 B default, 128 KiB/32 B; DefaultLayout
// each), each updatable component (kComponents) and each scenario: the
// scenario's boot runs once uninterrupted to count its flash+OTP operations
// N; then for each chosen n in 1..N and each cut (clean, torn, torn-empty:
// see Cut) a fresh device in the prepared state has that boot cut at
// operation n, and is power-cycled and booted until a boot writes nothing
// (at most kMaxBoots). Checked at every boot after the cut: the chain
// reaches the application (report outcome booted) with every image
// verified; each component's primary is exactly its old or new image
// (measurement and bytes); security counters never fall, and a raised
// counter means the new image runs confirmed; the OTP and flash of the other
// components are unchanged. Once stable: the primary is READY; no
// revocation is half-applied (every slot of the command revoked and the
// domain's sequence raised to the command's, or neither); and the state is
// one the scenario allows (old image, nothing applied; or new image
// confirmed, with its counter and revocations).
//
// Understood failures are listed in kKnownFailures: reported and counted,
// they do not fail the run.
//
//   boot_campaign          bounded (the ctest run): every scenario on every
//                          geometry, at most kSampleBudget points each (the
//                          first and last kEdgePoints and an even spread),
//                          the cuts in turn
//   boot_campaign --full   every operation, every cut
//   --scenario NAME        that scenario only (e.g. trial-revocation)
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "boot/boot_report.h"
#include "boot/boot_stages.h"
#include "boot/boot_update.h"
#include "cose/cose.h"
#include "counters/counter_store.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "keys/key_domain.h"
#include "mailbox/mailbox.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "revocation/revocation_command.h"
#include "support/counters.h"
#include "support/geometries.h"
#include "support/test_images.h"
#include "support/test_keys.h"
#include "update/slot_swap.h"
#include "virtual_device/virtual_device.h"

namespace bastion {
namespace {

using host::VirtualDevice;
using otp::Component;
using PowerLossMode = VirtualDevice::PowerLossMode;

// How the power loss cuts the operation (VirtualDevice::PowerLossMode).
// The torn cut point is a fixed function of the device's operation number,
// so kTornEmpty first runs harmless operations until a program of one
// trailer field (one write unit) cut at that number would leave nothing
// visible: the unit programmed, still reading erased. That is the worst
// tear of a flag and plain kTorn meets it only by chance.
enum class Cut : uint8_t { kClean = 0, kTorn = 1, kTornEmpty = 2 };
constexpr size_t kCuts = 3;
const char* CutName(Cut c) {
  return c == Cut::kClean ? "clean" : c == Cut::kTorn ? "torn" : "torn-empty";
}

// ---- what the campaign covers ----

using GeometryCase = test_support::NamedGeometry;
std::vector<GeometryCase> Geometries() { return test_support::TestGeometries(); }

// Every component: iROT runs the update engine and requests for `urot`,
// uROT for `sm` and `app`.
constexpr Component kComponents[] = {Component::kUrot, Component::kSm, Component::kApp};

enum class Scenario : uint8_t {
  kInstall,                // staged trial download swapped in, boots TRIAL
  kInstallPermanent,       // staged permanent download swapped in, boots READY
  kRevert,                 // TRIAL not confirmed before the reset: reverted
  kReject,                 // reject request: reverted now
  kConfirm,                // confirm request: image_ok, then the counter
  kConfirmWithRevocation,  // ... of an image carrying a revocation command,
                           // with revoke_older_on_confirm
  kMailboxRevocation,      // revoke request: slot markers, then the sequence
  kConfirmCompacting,      // confirm request whose counter raise finds the live
                           // counter-store sector full: a compaction
  kTrialRevocation,        // revoke request naming the backup's key while the new
                           // image runs in TRIAL, no confirm: refused, reverted
};
constexpr Scenario kScenarios[] = {
    Scenario::kInstall,
    Scenario::kInstallPermanent,
    Scenario::kRevert,
    Scenario::kReject,
    Scenario::kConfirm,
    Scenario::kConfirmWithRevocation,
    Scenario::kMailboxRevocation,
    Scenario::kConfirmCompacting,
    Scenario::kTrialRevocation,
};

const char* ScenarioName(Scenario s) {
  switch (s) {
    case Scenario::kInstall:
      return "install";
    case Scenario::kInstallPermanent:
      return "install-permanent";
    case Scenario::kRevert:
      return "revert";
    case Scenario::kReject:
      return "reject";
    case Scenario::kConfirm:
      return "confirm";
    case Scenario::kConfirmWithRevocation:
      return "confirm+revocation";
    case Scenario::kMailboxRevocation:
      return "mailbox-revocation";
    case Scenario::kConfirmCompacting:
      return "confirm+compaction";
    case Scenario::kTrialRevocation:
      return "trial-revocation";
  }
  return "?";
}

bool NeedsUpdateEngine(Scenario s) { return s != Scenario::kMailboxRevocation; }

// Why a point failed.
enum class FailureKind : uint8_t {
  kBaseline,               // the uninterrupted scenario did not end as intended
  kNotCut,                 // the power loss did not happen
  kNotBooted,              // a boot after the cut did not reach the application
  kWrongImage,             // a primary is neither the old nor the new image
  kCounter,                // a counter fell, or rose without a confirmed image
  kUnrelatedChanged,       // OTP or flash of another component changed
  kNotStable,              // still writing after kMaxBoots boots
  kRevocationHalfApplied,  // some but not all of a command, or markers without the sequence
  kStuckUpdate,            // stable with the primary not READY (WRITING, TRIAL, REJECTED)
  kWrongFinalState,        // a stable state the scenario does not allow
};

const char* FailureKindName(FailureKind k) {
  switch (k) {
    case FailureKind::kBaseline:
      return "baseline";
    case FailureKind::kNotCut:
      return "not-cut";
    case FailureKind::kNotBooted:
      return "not-booted";
    case FailureKind::kWrongImage:
      return "wrong-image";
    case FailureKind::kCounter:
      return "counter";
    case FailureKind::kUnrelatedChanged:
      return "unrelated-changed";
    case FailureKind::kNotStable:
      return "not-stable";
    case FailureKind::kRevocationHalfApplied:
      return "revocation-half-applied";
    case FailureKind::kStuckUpdate:
      return "stuck-update";
    case FailureKind::kWrongFinalState:
      return "wrong-final-state";
  }
  return "?";
}

// Failures that are understood and being fixed elsewhere: reported, counted
// apart, and they do not fail the run. Remove an entry once its fix merges
// (the run says so when the scenario no longer fails that way).
struct KnownFailure {
  Scenario scenario;
  FailureKind kind;
  bool torn_only;  // seen only with torn power loss (kTorn, kTornEmpty)
  const char* why;
};
// None today. The two the campaign found when it was written are fixed: a
// mailbox revocation cut between markers and sequence (now one OTP record
// is the commit point, rolled forward at the next boot), and a torn program
// of a trailer flag leaving its unit unprogrammable (now the flag goes to a
// spare unit, slot_trailer.h).
constexpr std::array<KnownFailure, 0> kKnownFailures{};

const KnownFailure* FindKnownFailure(Scenario s, FailureKind k, Cut cut) {
  for (const KnownFailure& f : kKnownFailures) {
    if (f.scenario == s && f.kind == k && (!f.torn_only || cut != Cut::kClean)) {
      return &f;
    }
  }
  return nullptr;
}

constexpr int kMaxBoots = 8;           // boots after the cut before "not stable"
constexpr uint64_t kEdgePoints = 2;    // bounded: first and last points always run
constexpr uint64_t kSampleBudget = 6;  // bounded: points per scenario at most

// ---- keys, images, commands ----

constexpr uint32_t kOldCounter = 3;
constexpr uint32_t kNewCounter = 5;
constexpr uint32_t kCommandSequence = 1;

struct Keys {
  // Per component, signing slots 0..3.
  std::array<std::array<crypto::EcKeyPair, otp::kSigningSlots>, otp::kComponentCount> slots;
};

const Keys& CampaignKeys() {
  static const Keys* keys = [] {
    auto* k = new Keys;
    for (size_t c = 0; c < otp::kComponentCount; ++c) {
      for (size_t s = 0; s < otp::kSigningSlots; ++s) {
        k->slots[c][s] = test_support::MakeKey(static_cast<uint8_t>(100 + 10 * c + s));
      }
    }
    return k;
  }();
  return *keys;
}

// test_support::SignTestImage, stopping the program if the image cannot be
// built (no test framework runs here to report it).
std::vector<uint8_t> SignImage(const crypto::EcKeyPair& key, uint8_t major, uint32_t counter,
                               size_t payload_size, bool full_key = false,
                               const std::vector<uint8_t>& revocation = {}) {
  std::vector<uint8_t> out =
      test_support::SignTestImage(key, major, counter, payload_size, full_key, revocation);
  if (out.empty()) {
    std::fprintf(stderr, "cannot build an image\n");
    std::exit(2);
  }
  return out;
}

// A revocation command (COSE_Sign, kid = key hash) for `domain`.
std::vector<uint8_t> RevokeCommand(Component domain, uint8_t mask, uint32_t sequence,
                                   const std::vector<const crypto::EcKeyPair*>& signers) {
  revocation::RevocationCommand c;
  c.domain = domain;
  for (uint8_t i = 0; i < otp::kSigningSlots; ++i) {
    if ((mask & (1u << i)) != 0) c.slots[c.slot_count++] = i;
  }
  c.sequence = sequence;
  std::vector<uint8_t> payload(revocation::kMaxPayloadSize);
  size_t n = 0;
  std::vector<std::array<uint8_t, 32>> kids;
  for (const auto* k : signers) kids.push_back(test_support::Kid(*k));
  std::vector<cose::SignerInput> inputs;
  for (size_t i = 0; i < signers.size(); ++i) inputs.push_back({signers[i], kids[i]});
  std::vector<uint8_t> out(2048);
  size_t m = 0;
  if (!revocation::EncodeCommand(c, payload, &n).ok() ||
      !cose::BuildCoseSign(ConstByteSpan(payload.data(), n), inputs, {}, out, &m).ok()) {
    std::fprintf(stderr, "cannot build a revocation command\n");
    std::exit(2);
  }
  out.resize(m);
  return out;
}

std::array<uint8_t, 32> Measurement(const std::vector<uint8_t>& image) {
  const image::SpanImageSource source(ConstByteSpan(image.data(), image.size()));
  image::ParsedImage parsed;
  std::array<uint8_t, 32> m{};
  if (image::ParseImage(source, &parsed) == image::ImageError::kOk && parsed.hash.length >= 32) {
    std::memcpy(m.data(), image.data() + parsed.hash.value_offset, 32);
  }
  return m;
}

// ---- one (geometry, component, scenario) ----

// A stable state: which image the component runs, its counter, its domain's
// revoked slots and revocation sequence.
struct FinalState {
  bool new_image = false;
  uint32_t counter = 0;
  uint8_t revoked = 0;
  uint32_t sequence = 0;
  bool operator==(const FinalState&) const = default;
};

std::string Describe(const FinalState& s) {
  char b[96];
  std::snprintf(b, sizeof(b), "{%s image, counter %u, revoked 0x%x, sequence %u}",
                s.new_image ? "new" : "old", s.counter, s.revoked, s.sequence);
  return b;
}

struct Command {
  uint8_t mask = 0;
  uint32_t sequence = 0;
};

struct Spec {
  const GeometryCase* geometry = nullptr;
  Component component = Component::kApp;
  Scenario scenario = Scenario::kInstall;
  host::Profile profile;
  std::vector<uint8_t> old_image;  // in the primary before the scenario
  std::vector<uint8_t> new_image;  // the download (== old_image when there is none)
  std::array<std::vector<uint8_t>, otp::kComponentCount> factory;  // primaries of the others
  std::vector<uint8_t> mailbox_command;                            // kMailboxRevocation
  bool has_command = false;  // a command that must apply whole or not at all
  Command command;
  FinalState intended;              // without power loss
  std::vector<FinalState> allowed;  // after a power loss
};

size_t Index(Component c) { return static_cast<size_t>(c); }

// Payload sizes: the old image 20 000 bytes, the new one 26 000 or, when
// larger, one sector and a sixteenth, so the swap always covers at least two
// sectors; both within the slot minus its trailer sector. 0: no room.
size_t PayloadSize(const GeometryCase& g, const otp::FlashLayout& layout, Component c,
                   bool larger) {
  const uint32_t sector = g.geometry.sector_size;
  const update::SlotSet slots{layout.primary[Index(c)], layout.secondary[Index(c)],
                              otp::SwapStatusArea(layout, c)};
  const uint32_t room = update::MaxSwapSectors(g.geometry, slots, 1) * sector;
  constexpr size_t kOverhead = 0x200 + 2048;  // header, TLVs
  if (room < 20000 + kOverhead) return 0;
  if (!larger) return 20000;
  // The new image spans more sectors than the old where the slot allows;
  // else (one swappable sector) it fills that sector.
  const size_t want = std::max<size_t>(26000, sector + sector / 16);
  return room >= want + kOverhead ? want : room - kOverhead;
}

bool BuildSpec(const GeometryCase& g, Component c, Scenario s, Spec* spec) {
  const Keys& keys = CampaignKeys();
  const auto& k = keys.slots[Index(c)];
  spec->geometry = &g;
  spec->component = c;
  spec->scenario = s;
  host::Profile& p = spec->profile;
  p.geometry = g.geometry;
  p.layout = host::DefaultLayout(g.geometry);
  for (size_t d = 0; d < otp::kComponentCount; ++d) {
    p.domains[d].keys.clear();
    for (const auto& key : keys.slots[d]) p.domains[d].keys.push_back(test_support::Spki(key));
    p.domains[d].threshold = 2;
  }
  p.domains[Index(c)].revoke_older_on_confirm = s == Scenario::kConfirmWithRevocation;
  // The floor provisioned at the old image's counter: what its first boot
  // would set (the campaign's points start from the state before the update).
  p.domains[Index(c)].security_counter = kOldCounter;

  for (const Component other : {Component::kUrot, Component::kSm, Component::kApp}) {
    spec->factory[Index(other)] = SignImage(keys.slots[Index(other)][0], 1, 0, 3000);
  }

  const size_t old_size = PayloadSize(g, p.layout, c, false);
  const size_t new_size = PayloadSize(g, p.layout, c, true);
  if (NeedsUpdateEngine(s) && (old_size == 0 || new_size == 0)) return false;

  const FinalState before{false, kOldCounter, 0, 0};
  switch (s) {
    case Scenario::kInstall:
    case Scenario::kRevert:
    case Scenario::kReject:
      spec->old_image = SignImage(k[0], 1, kOldCounter, old_size);
      spec->new_image = SignImage(k[2], 2, kNewCounter, new_size);
      spec->intended = before;  // never confirmed: reverted
      spec->allowed = {before};
      break;
    case Scenario::kInstallPermanent:
      spec->old_image = SignImage(k[0], 1, kOldCounter, old_size);
      spec->new_image = SignImage(k[2], 2, kNewCounter, new_size);
      spec->intended = {true, kNewCounter, 0, 0};
      spec->allowed = {spec->intended};
      break;
    case Scenario::kConfirm:
    case Scenario::kConfirmCompacting:
      spec->old_image = SignImage(k[0], 1, kOldCounter, old_size);
      spec->new_image = SignImage(k[2], 2, kNewCounter, new_size);
      spec->intended = {true, kNewCounter, 0, 0};
      spec->allowed = {spec->intended, before};
      break;
    case Scenario::kConfirmWithRevocation: {
      // Key 0 (signs the old image) is compromised: the update, signed by
      // key 2, carries a command revoking it (quorum: keys 1 and 2), and
      // revoke_older_on_confirm then revokes keys 0 and 1.
      spec->has_command = true;
      spec->command = {0x01, kCommandSequence};
      const std::vector<uint8_t> command =
          RevokeCommand(c, spec->command.mask, kCommandSequence, {&k[1], &k[2]});
      spec->old_image = SignImage(k[0], 1, kOldCounter, old_size);
      spec->new_image = SignImage(k[2], 2, kNewCounter, new_size, false, command);
      spec->intended = {true, kNewCounter, 0x03, kCommandSequence};
      spec->allowed = {spec->intended, before};
      break;
    }
    case Scenario::kMailboxRevocation:
      // The running image is signed by key 2; keys 0 and 1 are revoked by a
      // command signed by keys 2 and 3 (threshold 2).
      spec->has_command = true;
      spec->command = {0x03, kCommandSequence};
      spec->mailbox_command =
          RevokeCommand(c, spec->command.mask, kCommandSequence, {&k[2], &k[3]});
      spec->old_image = SignImage(k[2], 1, kOldCounter, 20000);
      spec->new_image = spec->old_image;
      spec->intended = {false, kOldCounter, 0x03, kCommandSequence};
      spec->allowed = {spec->intended, before};
      break;
    case Scenario::kTrialRevocation:
      // The old image (key 1) is the backup of the new one (key 2) running
      // in TRIAL; a valid command (keys 2 and 3) revoking slots 0 and 1 is
      // posted and the reset comes without a confirm. The revert brings
      // the old image back, so the command is refused whole
      // (no-bootable-image) and nothing is ever revoked.
      spec->has_command = true;
      spec->command = {0x03, kCommandSequence};
      spec->mailbox_command =
          RevokeCommand(c, spec->command.mask, kCommandSequence, {&k[2], &k[3]});
      spec->old_image = SignImage(k[1], 1, kOldCounter, old_size);
      spec->new_image = SignImage(k[2], 2, kNewCounter, new_size);
      spec->intended = before;
      spec->allowed = {before};
      break;
  }
  return true;
}

void Queue(VirtualDevice& device, const mailbox::Request& request) {
  ByteSpan region;
  if (!device.Region(platform::RamRegion::kMailbox, &region).ok() ||
      !mailbox::BuildMailbox(&request, 1, region).ok()) {
    std::fprintf(stderr, "cannot queue a request\n");
    std::exit(2);
  }
}

const boot::BootReportImage* Entry(const VirtualDevice::BootRun& run, Component c) {
  for (size_t i = 0; i < run.report.image_count; ++i) {
    if (run.report.images[i].component == static_cast<uint8_t>(c)) return &run.report.images[i];
  }
  return nullptr;
}

// Fills every free unit of the live sector of the component's counter store
// with records that restate its current value: the next raise compacts.
bool FillCounterStore(const Spec& spec, VirtualDevice& device, std::string* why) {
  const otp::FlashRegion& area = otp::CounterStoreArea(spec.profile.layout, spec.component);
  device.WarmReset();  // HDPL0: may write either store
  counters::StoreState st;
  if (!counters::ReadStore(device, area, &st).ok()) {
    *why = "the counter store does not read";
    return false;
  }
  const uint32_t unit = spec.profile.geometry.program_unit;
  const uint32_t first =
      st.live_sector + (spec.profile.geometry.sector_size - st.records_per_sector * unit);
  const counters::CounterRecord r =
      counters::MakeRecord(spec.component, st.values[Index(spec.component)]);
  std::vector<uint8_t> bytes(unit, 0xff);
  std::memcpy(bytes.data(), &r, sizeof(r));
  for (uint32_t i = st.records_used; i < st.records_per_sector; ++i) {
    if (!device.Program(first + i * unit, bytes).ok()) {
      *why = "cannot fill the counter store";
      return false;
    }
  }
  if (!counters::ReadStore(device, area, &st).ok() || st.records_used != st.records_per_sector) {
    *why = "the counter store is not full";
    return false;
  }
  return true;
}

// A device in the state just before the scenario's boot, but for the
// mailbox (QueueRequest). Returns null (with `why`) when the preparation
// itself did not go as expected.
std::unique_ptr<VirtualDevice> Prepare(const Spec& spec, std::string* why) {
  auto device = VirtualDevice::InMemory(spec.profile.geometry);
  host::Provision(*device, spec.profile);
  for (size_t d = 0; d < otp::kComponentCount; ++d) {
    const auto c = static_cast<Component>(d);
    host::FlashPrimarySlot(*device, c, c == spec.component ? spec.old_image : spec.factory[d]);
  }
  const bool permanent = spec.scenario == Scenario::kInstallPermanent;
  if (NeedsUpdateEngine(spec.scenario)) {
    host::InstallSecondarySlot(*device, spec.component, spec.new_image, permanent);
  }
  if (spec.scenario == Scenario::kInstall || permanent || !NeedsUpdateEngine(spec.scenario)) {
    return device;
  }
  // The others start from the new image in TRIAL.
  const VirtualDevice::BootRun run = device->Boot();
  const boot::BootReportImage* e = Entry(run, spec.component);
  if (!run.app_reached || e == nullptr ||
      e->state != static_cast<uint8_t>(boot::ImageState::kTrial)) {
    *why = "the install before the scenario did not boot TRIAL";
    return nullptr;
  }
  if (spec.scenario == Scenario::kConfirmCompacting && !FillCounterStore(spec, *device, why)) {
    return nullptr;
  }
  return device;
}

// The request the scenario's boot finds in the mailbox, if any.
void QueueRequest(const Spec& spec, VirtualDevice& device) {
  const auto c = static_cast<uint8_t>(spec.component);
  switch (spec.scenario) {
    case Scenario::kReject:
      Queue(device, {mailbox::RequestType::kReject, c, {}});
      break;
    case Scenario::kConfirm:
    case Scenario::kConfirmWithRevocation:
    case Scenario::kConfirmCompacting:
      Queue(device, {mailbox::RequestType::kConfirm, c, {}});
      break;
    case Scenario::kMailboxRevocation:
    case Scenario::kTrialRevocation:
      Queue(device, {mailbox::RequestType::kRevoke, mailbox::kAnyComponent,
                     ConstByteSpan(spec.mailbox_command.data(), spec.mailbox_command.size())});
      break;
    default:
      break;
  }
}

// The prepared state, kept to start every point from it without redoing
// the preparation (its boot costs as much as a point's): OTP, and the flash
// sectors that are not erased. Restored with the factory writes, which mark
// a program unit programmed when it holds a non-erased byte: a unit that the
// preparation programmed with 0xff only (image header padding copied by the
// swap) comes back programmable, so a later program over it would not be
// refused. Nothing the update engine writes is all 0xff.
struct Prepared {
  std::vector<uint8_t> otp;
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> sectors;
};

bool Snapshot(const Spec& spec, Prepared* out, std::string* why) {
  auto device = Prepare(spec, why);
  if (device == nullptr) return false;
  out->otp = device->raw_otp();
  const std::vector<uint8_t>& flash = device->raw_flash();
  const uint32_t sector = spec.profile.geometry.sector_size;
  for (uint32_t at = 0; at < flash.size(); at += sector) {
    const auto begin = flash.begin() + at;
    if (std::any_of(begin, begin + sector, [](uint8_t b) { return b != 0xff; })) {
      out->sectors.push_back({at, std::vector<uint8_t>(begin, begin + sector)});
    }
  }
  return true;
}

std::unique_ptr<VirtualDevice> Restore(const Spec& spec, const Prepared& prepared) {
  auto device = VirtualDevice::InMemory(spec.profile.geometry);
  device->FactoryProgramOtp(0, prepared.otp);
  for (const auto& [at, bytes] : prepared.sectors) device->FactoryWriteFlash(at, bytes);
  QueueRequest(spec, *device);
  return device;
}

uint32_t Counter(const Spec& spec, const VirtualDevice& device, Component c) {
  return test_support::StoredCounter(device, spec.profile.layout, c);
}

otp::OtpDomain DomainIn(const std::vector<uint8_t>& otp_bytes, Component c) {
  otp::OtpDomain d;
  std::memcpy(&d, otp_bytes.data() + otp::DomainOffset(c), sizeof(d));
  return d;
}

// The domain with what revocation may change (revoked words, record log)
// blanked: must never change.
otp::OtpDomain FixedPart(otp::OtpDomain d) {
  for (auto& slot : d.signing) slot.revoked = 0;
  std::memset(d.revocations, 0, sizeof(d.revocations));
  return d;
}

// Checks one point: what the device does from the state `device` is in.
class PointCheck {
 public:
  PointCheck(const Spec& spec, const VirtualDevice& device) : spec_(spec) {
    otp_before_ = device.raw_otp();
    flash_before_ = device.raw_flash();
    for (size_t d = 0; d < otp::kComponentCount; ++d) {
      counters_[d] = Counter(spec, device, static_cast<Component>(d));
    }
    initial_counter_ = counters_[Index(spec.component)];
    old_m_ = Measurement(spec.old_image);
    new_m_ = Measurement(spec.new_image);
    for (size_t d = 0; d < otp::kComponentCount; ++d) factory_m_[d] = Measurement(spec.factory[d]);
  }

  // After one boot following the cut (or the baseline boot). False on failure.
  bool AfterBoot(VirtualDevice& device, const VirtualDevice::BootRun& run, int boot) {
    const std::string at = "boot " + std::to_string(boot) + " after the cut: ";
    if (!run.app_reached || !run.report_valid || run.report.outcome != boot::BootOutcome::kBooted) {
      return Fail(
          FailureKind::kNotBooted,
          at + "did not boot (reason " +
              boot::BootReasonName(static_cast<boot::BootReason>(run.report.failure_reason)) +
              ", detail " + std::to_string(run.report.failure_detail) + ")");
    }
    bool new_image = false;
    for (size_t d = 0; d < otp::kComponentCount; ++d) {
      const auto c = static_cast<Component>(d);
      const boot::BootReportImage* e = Entry(run, c);
      if (e == nullptr || e->verified != 1) {
        return Fail(FailureKind::kNotBooted, at + otp::ComponentName(c) + " not reported verified");
      }
      if (c != spec_.component) {
        if (std::memcmp(e->measurement, factory_m_[d].data(), 32) != 0) {
          return Fail(FailureKind::kWrongImage, at + otp::ComponentName(c) + " image changed");
        }
        continue;
      }
      const bool is_old = std::memcmp(e->measurement, old_m_.data(), 32) == 0;
      const bool is_new = std::memcmp(e->measurement, new_m_.data(), 32) == 0;
      if (!is_old && !is_new) {
        return Fail(FailureKind::kWrongImage, at + "the booted image is neither old nor new");
      }
      new_image = is_new && !is_old;
      const std::vector<uint8_t>& image = new_image ? spec_.new_image : spec_.old_image;
      const uint32_t primary = spec_.profile.layout.primary[d].offset;
      if (!std::equal(image.begin(), image.end(), device.raw_flash().begin() + primary)) {
        return Fail(FailureKind::kWrongImage, at + "the primary's bytes are not the booted image");
      }
      state_ = e->state;
    }
    // Counters: never fall; the component's rises only to the new image's,
    // and only while that image runs confirmed (READY).
    for (size_t d = 0; d < otp::kComponentCount; ++d) {
      const auto c = static_cast<Component>(d);
      const uint32_t now = Counter(spec_, device, c);
      if (now == UINT32_MAX || now < counters_[d]) {
        return Fail(FailureKind::kCounter, at + otp::ComponentName(c) + " counter fell or corrupt");
      }
      if (c != spec_.component) {
        if (now != counters_[d]) {
          return Fail(FailureKind::kUnrelatedChanged,
                      at + otp::ComponentName(c) + " counter changed");
        }
        continue;
      }
      counters_[d] = now;
      if (now != initial_counter_ && (now != kNewCounter || !new_image ||
                                      state_ != static_cast<uint8_t>(boot::ImageState::kReady))) {
        return Fail(FailureKind::kCounter,
                    at + "counter " + std::to_string(now) + " without the new image confirmed");
      }
    }
    return CheckUnrelated(device, at);
  }

  // Once stable: the revocation is whole or absent; the state is allowed.
  bool Final(const VirtualDevice& device, const VirtualDevice::BootRun& run,
             const std::vector<FinalState>& allowed) {
    const boot::BootReportImage* e = Entry(run, spec_.component);
    FinalState s;
    s.new_image = std::memcmp(e->measurement, new_m_.data(), 32) == 0 &&
                  std::memcmp(e->measurement, old_m_.data(), 32) != 0;
    s.counter = Counter(spec_, device, spec_.component);
    const otp::OtpDomain d = DomainIn(device.raw_otp(), spec_.component);
    for (size_t i = 0; i < otp::kSigningSlots; ++i) {
      if (keys::ClassifySlot(d.signing[i]) == keys::SlotState::kRevoked) {
        s.revoked |= static_cast<uint8_t>(1u << i);
      }
    }
    // Revoked above means the marker is written (the roll-forward done);
    // the sequence is the last committed record's.
    otp::RevocationLog log;
    if (!otp::ReadRevocationLog(d.revocations, &log)) {
      return Fail(FailureKind::kWrongFinalState, "corrupt revocation record log");
    }
    s.sequence = log.sequence;
    if (e->state != static_cast<uint8_t>(boot::ImageState::kReady)) {
      return Fail(FailureKind::kStuckUpdate,
                  std::string("stable with the ") + (s.new_image ? "new" : "old") +
                      " image in state " + boot::ImageStateName(e->state));
    }
    if (spec_.has_command) {
      const uint8_t m = spec_.command.mask;
      const bool whole = (s.revoked & m) == m && s.sequence >= spec_.command.sequence;
      const bool none = (s.revoked & m) == 0 && s.sequence < spec_.command.sequence;
      if (!whole && !none) {
        return Fail(FailureKind::kRevocationHalfApplied, "half-applied: " + Describe(s));
      }
    }
    for (const FinalState& a : allowed) {
      if (a == s) {
        final_ = s;
        return true;
      }
    }
    return Fail(FailureKind::kWrongFinalState, "stable state " + Describe(s) + " not allowed");
  }

  FailureKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const FinalState& final_state() const { return final_; }

 private:
  bool Fail(FailureKind kind, const std::string& message) {
    kind_ = kind;
    message_ = message;
    return false;
  }

  bool CheckUnrelated(const VirtualDevice& device, const std::string& at) {
    const std::vector<uint8_t>& otp_now = device.raw_otp();
    const uint32_t domain = otp::DomainOffset(spec_.component);
    for (uint32_t i = 0; i < otp_now.size(); ++i) {
      const bool own = i >= domain && i < domain + sizeof(otp::OtpDomain);
      if (!own && otp_now[i] != otp_before_[i]) {
        return Fail(FailureKind::kUnrelatedChanged, at + "OTP changed at " + std::to_string(i));
      }
    }
    const otp::OtpDomain before = FixedPart(DomainIn(otp_before_, spec_.component));
    const otp::OtpDomain now = FixedPart(DomainIn(otp_now, spec_.component));
    if (std::memcmp(&before, &now, sizeof(now)) != 0) {
      return Fail(FailureKind::kUnrelatedChanged, at + "the domain's keys or config changed");
    }
    const otp::FlashLayout& l = spec_.profile.layout;
    std::vector<otp::FlashRegion> regions = {l.key_store, l.storage};
    for (size_t d = 0; d < otp::kComponentCount; ++d) {
      if (d == Index(spec_.component)) continue;
      regions.push_back(l.primary[d]);
      regions.push_back(l.secondary[d]);
    }
    for (const otp::FlashRegion& r : regions) {
      if (!std::equal(flash_before_.begin() + r.offset, flash_before_.begin() + r.offset + r.size,
                      device.raw_flash().begin() + r.offset)) {
        return Fail(FailureKind::kUnrelatedChanged,
                    at + "flash changed in the region at " + std::to_string(r.offset));
      }
    }
    return true;
  }

  const Spec& spec_;
  std::vector<uint8_t> otp_before_;
  std::vector<uint8_t> flash_before_;
  std::array<uint32_t, otp::kComponentCount> counters_{};
  uint32_t initial_counter_ = 0;
  std::array<uint8_t, 32> old_m_{}, new_m_{};
  std::array<std::array<uint8_t, 32>, otp::kComponentCount> factory_m_{};
  uint8_t state_ = 0;
  FailureKind kind_ = FailureKind::kBaseline;
  std::string message_;
  FinalState final_;
};

// Boots (power-cycling first) until a boot writes nothing, checking each.
bool BootUntilStable(VirtualDevice& device, PointCheck& check,
                     const std::vector<FinalState>& allowed, std::string* where) {
  for (int boot = 1; boot <= kMaxBoots; ++boot) {
    device.PowerCycle();  // power came back: RAM (the mailbox) is gone
    const uint64_t before = device.operations();
    const VirtualDevice::BootRun run = device.Boot();
    if (!check.AfterBoot(device, run, boot)) return false;
    if (device.operations() == before) return check.Final(device, run, allowed);
  }
  *where = "still writing after " + std::to_string(kMaxBoots) + " boots";
  return false;
}

struct Outcome {
  uint64_t ops = 0;                      // N: operations of the uninterrupted scenario boot
  std::array<uint64_t, kCuts> points{};  // checked, per Cut
  uint64_t failures = 0;
  std::array<uint64_t, std::size(kKnownFailures)> known{};  // per kKnownFailures entry
  uint64_t rolled_forward = 0;  // points that ended in the intended state
  std::string first_failure;
  std::string first_known;
  double ms = 0;
};

// The points of a scenario of `n` operations, each with its cut.
// Full: every operation, each cut. Bounded: every operation of a short
// scenario, else the first and last kEdgePoints (trailer, journal header,
// OTP writes) and an even spread through the swap, to kSampleBudget points;
// each point once, the cuts in turn (torn-empty first).
std::vector<std::pair<uint64_t, Cut>> Points(uint64_t n, bool full) {
  std::vector<std::pair<uint64_t, Cut>> out;
  if (full) {
    for (uint64_t k = 1; k <= n; ++k) {
      for (const Cut c : {Cut::kClean, Cut::kTorn, Cut::kTornEmpty}) out.push_back({k, c});
    }
    return out;
  }
  std::vector<uint64_t> ks;
  if (n <= kSampleBudget) {
    for (uint64_t k = 1; k <= n; ++k) ks.push_back(k);
  } else {
    for (uint64_t k = 1; k <= kEdgePoints; ++k) ks.push_back(k);
    const uint64_t inner = kSampleBudget - 2 * kEdgePoints;
    for (uint64_t i = 1; i <= inner; ++i) {
      ks.push_back(kEdgePoints + i * (n - 2 * kEdgePoints) / (inner + 1));
    }
    for (uint64_t k = n - kEdgePoints + 1; k <= n; ++k) ks.push_back(k);
  }
  constexpr Cut kTurn[] = {Cut::kTornEmpty, Cut::kClean, Cut::kTorn};
  for (size_t i = 0; i < ks.size(); ++i) out.push_back({ks[i], kTurn[i % 3]});
  return out;
}

// Which operation numbers tear a one-unit trailer-field program before its
// first byte (see Cut::kTornEmpty), measured on a scratch device of the
// geometry: a torn program of erased units, one per operation number.
class EmptyTears {
 public:
  explicit EmptyTears(const Spec& spec, uint64_t up_to) {
    auto device = VirtualDevice::InMemory(spec.profile.geometry);
    host::Provision(*device, spec.profile);
    const otp::FlashRegion r = spec.profile.layout.storage;
    const uint32_t unit = std::max<uint32_t>(8, spec.profile.geometry.program_unit);
    const uint32_t sector = spec.profile.geometry.sector_size;
    const std::vector<uint8_t> zeros(unit, 0);
    empty_.assign(up_to + 1, false);
    uint32_t at = r.offset;
    while (device->operations() < up_to) {
      if (at + unit > r.offset + r.size) {
        for (uint32_t e = r.offset; e < r.offset + r.size; e += sector) {
          (void)device->EraseSector(e);
        }
        at = r.offset;
        continue;
      }
      device->SetPowerLossMode(PowerLossMode::kTorn);
      device->SetPowerLossAfter(1);
      (void)device->Program(at, zeros);
      const uint64_t op = device->operations();
      empty_[op] =
          std::all_of(device->raw_flash().begin() + at, device->raw_flash().begin() + at + unit,
                      [](uint8_t b) { return b == 0xff; });
      device->WarmReset();
      at += unit;
    }
  }

  // The number of harmless operations to run before a scenario whose
  // operation n is to be cut that way (0 when none is known).
  uint64_t ShiftFor(uint64_t n) const {
    for (uint64_t shift = 0; n + shift < empty_.size(); ++shift) {
      if (empty_[n + shift]) return shift;
    }
    return 0;
  }

 private:
  std::vector<bool> empty_;  // by operation number
};

// One counted operation that changes nothing: zeros programmed over a zero
// word of the OTP header's reserved bytes (at HDPL0, before the boot).
void HarmlessOperation(VirtualDevice& device) {
  constexpr uint32_t kReservedWord = sizeof(otp::OtpHeader) - 4;
  const uint8_t zeros[4] = {0, 0, 0, 0};
  (void)device.platform().otp.Program(kReservedWord, zeros);
}

void Record(Outcome* o, const Spec& spec, const std::string& where, FailureKind kind,
            const std::string& message, Cut cut = Cut::kClean) {
  const std::string text = where + ": " + FailureKindName(kind) + ": " + message;
  if (const KnownFailure* f = FindKnownFailure(spec.scenario, kind, cut); f != nullptr) {
    ++o->known[static_cast<size_t>(f - kKnownFailures.data())];
    if (o->first_known.empty()) o->first_known = text;
    return;
  }
  ++o->failures;
  if (o->first_failure.empty()) o->first_failure = text;
}

Outcome Run(const Spec& spec, bool full) {
  Outcome o;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string name = std::string(spec.geometry->name) + " " +
                           otp::ComponentName(spec.component) + " " + ScenarioName(spec.scenario);
  std::string why;
  Prepared prepared;
  if (!Snapshot(spec, &prepared, &why)) {
    Record(&o, spec, name, FailureKind::kBaseline, why);
    return o;
  }
  // The uninterrupted scenario: N, and it must end as intended.
  {
    auto device = Restore(spec, prepared);
    PointCheck check(spec, *device);
    const uint64_t before = device->operations();
    const VirtualDevice::BootRun run = device->Boot();
    o.ops = device->operations() - before;
    if (!check.AfterBoot(*device, run, 0)) {
      Record(&o, spec, name + " uninterrupted", check.kind(), check.message());
      return o;
    }
    std::string where;
    if (!BootUntilStable(*device, check, {spec.intended}, &where)) {
      Record(&o, spec, name + " uninterrupted",
             where.empty() ? check.kind() : FailureKind::kNotStable,
             where.empty() ? check.message() : where);
      return o;
    }
  }
  const EmptyTears empty_tears(spec, o.ops + 256);
  for (const auto& [n, cut] : Points(o.ops, full)) {
    const std::string where =
        name + " " + CutName(cut) + " cut at op " + std::to_string(n) + "/" + std::to_string(o.ops);
    auto device = Restore(spec, prepared);
    ++o.points[static_cast<size_t>(cut)];
    PointCheck check(spec, *device);
    if (cut == Cut::kTornEmpty) {
      for (uint64_t i = empty_tears.ShiftFor(n); i > 0; --i) HarmlessOperation(*device);
    }
    device->SetPowerLossMode(cut == Cut::kClean ? PowerLossMode::kClean : PowerLossMode::kTorn);
    device->SetPowerLossAfter(n);
    (void)device->Boot();
    device->SetPowerLossMode(PowerLossMode::kClean);
    if (device->powered()) {
      device->SetPowerLossAfter(0);
      Record(&o, spec, where, FailureKind::kNotCut, "the boot ended before the cut");
      continue;
    }
    std::string stuck;
    if (!BootUntilStable(*device, check, spec.allowed, &stuck)) {
      Record(&o, spec, where, stuck.empty() ? check.kind() : FailureKind::kNotStable,
             stuck.empty() ? check.message() : stuck, cut);
      continue;
    }
    if (check.final_state() == spec.intended) ++o.rolled_forward;
  }
  o.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return o;
}

int Main(int argc, char** argv) {
  bool full = false;
  const char* only = nullptr;  // --scenario NAME: that scenario alone
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--full") == 0) {
      full = true;
    } else if (std::strcmp(argv[i], "--scenario") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: boot_campaign [--full] [--scenario NAME]\n");
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when piped
  const auto t0 = std::chrono::steady_clock::now();
  (void)CampaignKeys();
  std::printf("Boot-level power-fail campaign (%s): components", full ? "full" : "bounded");
  for (const Component c : kComponents) std::printf(" %s", otp::ComponentName(c));
  std::printf(", clean / torn / torn-empty power loss, at most %d boots to stabilise\n", kMaxBoots);

  uint64_t total_points = 0;
  uint64_t total_failures = 0;
  std::array<uint64_t, std::size(kKnownFailures)> known{};
  std::vector<std::string> not_applicable;
  for (const GeometryCase& g : Geometries()) {
    const auto tg = std::chrono::steady_clock::now();
    uint64_t geometry_points = 0;
    std::printf("%s\n", g.name);
    for (const Scenario s : kScenarios) {
      if (only != nullptr && std::strcmp(only, ScenarioName(s)) != 0) continue;
      uint64_t points = 0;
      double ms = 0;
      std::string line;
      std::string details;
      for (const Component c : kComponents) {
        const std::string name = otp::ComponentName(c);
        Spec spec;
        if (!BuildSpec(g, c, s, &spec)) {
          not_applicable.push_back(std::string(g.name) + " " + name + " " + ScenarioName(s));
          line += " | " + name + ": no room";
          continue;
        }
        const Outcome o = Run(spec, full);
        points += o.points[0] + o.points[1] + o.points[2];
        ms += o.ms;
        total_failures += o.failures;
        uint64_t known_here = 0;
        for (size_t k = 0; k < known.size(); ++k) {
          known[k] += o.known[k];
          known_here += o.known[k];
        }
        char b[200];
        std::snprintf(b, sizeof(b),
                      " | %s: N %llu, %llu clean + %llu torn + %llu torn-empty, %llu intended, "
                      "%llu failed",
                      name.c_str(), static_cast<unsigned long long>(o.ops),
                      static_cast<unsigned long long>(o.points[0]),
                      static_cast<unsigned long long>(o.points[1]),
                      static_cast<unsigned long long>(o.points[2]),
                      static_cast<unsigned long long>(o.rolled_forward),
                      static_cast<unsigned long long>(o.failures));
        line += b;
        if (known_here != 0) line += " (+" + std::to_string(known_here) + " known)";
        if (!o.first_failure.empty()) details += "      FAILURE " + o.first_failure + "\n";
        if (!o.first_known.empty()) details += "      known: " + o.first_known + "\n";
      }
      std::printf("  %-19s %5llu points %7.1f s%s\n%s", ScenarioName(s),
                  static_cast<unsigned long long>(points), ms / 1000, line.c_str(),
                  details.c_str());
      geometry_points += points;
    }
    const double gs = std::chrono::duration<double>(std::chrono::steady_clock::now() - tg).count();
    std::printf("  %-19s %5llu points %7.1f s\n", "geometry total",
                static_cast<unsigned long long>(geometry_points), gs);
    total_points += geometry_points;
  }
  for (const std::string& n : not_applicable) {
    std::printf("not applicable (the layout leaves no room for a swap): %s\n", n.c_str());
  }
  uint64_t total_known = 0;
  std::vector<const char*> reasons;
  for (size_t k = 0; k < known.size(); ++k) {
    const KnownFailure& f = kKnownFailures[k];
    total_known += known[k];
    if (known[k] != 0) {
      std::printf("known failure (%s, %s%s): %llu points\n", ScenarioName(f.scenario),
                  FailureKindName(f.kind), f.torn_only ? ", torn" : "",
                  static_cast<unsigned long long>(known[k]));
      if (std::find(reasons.begin(), reasons.end(), f.why) == reasons.end()) {
        reasons.push_back(f.why);
      }
    } else if (full) {
      std::printf("KNOWN FAILURE NO LONGER SEEN (%s, %s): remove it from kKnownFailures\n",
                  ScenarioName(f.scenario), FailureKindName(f.kind));
    } else {
      std::printf("known failure (%s, %s) not hit by this sample\n", ScenarioName(f.scenario),
                  FailureKindName(f.kind));
    }
  }
  for (const char* why : reasons) std::printf("  known: %s\n", why);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("Checked %llu interruption points, %llu failures (+%llu known), %.1f s\n",
              static_cast<unsigned long long>(total_points),
              static_cast<unsigned long long>(total_failures),
              static_cast<unsigned long long>(total_known), seconds);
  return total_failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace bastion

int main(int argc, char** argv) { return bastion::Main(argc, argv); }
