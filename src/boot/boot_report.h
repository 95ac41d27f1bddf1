// The boot report: what the boot chain verified and decided, written into
// the shared RAM region kBootReport for the Secure Manager and the
// application to read (and for `bastion device boot` to print).
//
// Fixed binary layout, little-endian, pinned with static_asserts; protected
// by a CRC-32 against corruption (not against an attacker: only the boot
// stages write it, and it lives in secure RAM).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "image/image_format.h"
#include "mailbox/mailbox.h"
#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::boot {

// Why the boot chain stopped. Stable numbers.
enum class BootReason : uint16_t {
  kOk = 0,
  kOtpNotProvisioned = 1,     // OTP header missing or incomplete
  kLifecycleNotBootable = 2,  // lifecycle forbids booting (e.g. decommissioned)
  kLayoutInvalid = 3,         // flash layout in OTP is inconsistent
  kDomainUnavailable = 4,     // key domain unreadable, unconfigured or corrupt
  kImageRefused = 5,          // an image failed verification (detail: ImageError)
  kHukUnavailable = 6,
  kKeyDerivationFailed = 7,
  kHdplRaiseFailed = 8,
  kHandoffInvalid = 9,            // the previous stage's handoff is missing or corrupt
  kReportUnavailable = 10,        // the boot report region cannot be written
  kFaultDetected = 11,            // a hardened double check disagreed
  kEntryPointInvalid = 12,        // the verified image does not start where the port jumps
  kCounterStoreUnavailable = 13,  // a counter store cannot be read or holds no live
                                  // sector (corrupt); never the result of a power loss
};
const char* BootReasonName(BootReason reason);

enum class BootOutcome : uint32_t {
  kNone = 0,
  kInProgress = 0x1b5e93a7,
  kBooted = 0x7c2d4e91,  // the application was handed control
  kFailed = 0xe0a83f56,  // the chain stopped; see failure fields
};

struct BootReportImage {
  uint8_t component;     // otp::Component
  uint8_t key_slot;      // signing slot that verified it
  uint8_t hash_alg;      // crypto::HashAlg
  uint8_t verified;      // 1 when verified and handed on
  uint16_t image_error;  // image::ImageError (0 when verified)
  uint8_t state;         // boot::ImageState of the primary slot (boot_update.h)
  uint8_t update;        // boot::UpdateEvent of this boot for the component
  image::ImageVersion version;
  uint32_t security_counter;  // SEC_CNT of the image
  uint32_t stored_counter;    // the device's counter for the component
  uint8_t measurement[48];    // image hash (32 bytes used for SHA-256)
  uint16_t update_detail;     // kInstallRefused: the download's image::ImageError;
                              // kUpdateFailed: the StatusCode; kHeld: the component
                              // waited on (| kHeldBreaksDependent, boot_dependencies.h);
                              // kReverted: image::ImageError kDependencyUnmet /
                              // kBadDependency when a dependency reverted it; 0 otherwise
  uint8_t counter_update;     // boot::CounterUpdate of this boot (boot_update.h)
  uint8_t counter_detail;     // kRaiseFailed: the StatusCode; 0 otherwise
};
static_assert(sizeof(image::ImageVersion) == 8);
static_assert(sizeof(BootReportImage) == 76);
static_assert(offsetof(BootReportImage, state) == 6);
static_assert(offsetof(BootReportImage, counter_update) == 74);

// What became of one mailbox request (mailbox.h). Values 1..15 are the
// revocation::RefusalReason numbers (0 = kAccepted = applied); the boot
// stages' own outcomes start at 0x80. Stable numbers.
enum class RequestOutcome : uint8_t {
  kApplied = 0,
  // 1..15: revocation::RefusalReason (the command was refused, nothing written)
  kNotForThisStage = 0x80,  // a request for a component another stage owns reached
                            // uROT (iROT passes on only what is not for urot)
  kNoTrialImage = 0x81,     // confirm/reject: the component has no image in TRIAL
  kCommitFailed = 0x82,     // accepted, but ApplyRevocation failed (detail: StatusCode)
};
// "applied", a revocation refusal name ("too-few-signatures", ...), or one of
// "not-for-this-stage", "not-applied: no trial image", "commit-failed".
const char* RequestOutcomeName(uint8_t outcome);

constexpr uint8_t kUnknownDomain = 0xff;

// BootReportRequest types beyond mailbox::RequestType: what a boot stage did on its
// own for a confirmed image (boot_update.h), reported like a revoke request.
constexpr uint8_t kImageRevocationRequest = 0x40;  // the image's revocation TLV
constexpr uint8_t kRevokeOlderRequest = 0x41;      // revoke_older_on_confirm
static_assert(static_cast<uint8_t>(mailbox::RequestType::kRevoke) < kImageRevocationRequest,
              "AppendRequest tells mailbox entries from the boot chain's by type");

struct BootReportRequest {
  uint8_t type;           // mailbox::RequestType
  uint8_t component;      // confirm/reject: the component; revoke: the command's
                          // domain (otp::Component) or kUnknownDomain
  uint8_t outcome;        // RequestOutcome
  uint8_t detail;         // refusal detail: cose::CoseError (kMalformedCose),
                          // revocation::PayloadError (kMalformedPayload), the
                          // offending signer index (signer refusals), or the
                          // StatusCode (kCommitFailed); 0 otherwise
  uint32_t sequence;      // the command's sequence number (0 when not decoded)
  uint8_t revoked_slots;  // bit i: the command names signing slot i
  uint8_t reserved[3];
};
static_assert(sizeof(BootReportRequest) == 12);
static_assert(offsetof(BootReportRequest, sequence) == 4);

// Who asked for what a request entry reports. Every decision that changes
// OTP or flash is reported, so the entries are shared out: mailbox requests
// (at most mailbox::kMaxRequests per boot, the most a mailbox holds, over
// both stages) may take at most kMailboxReportRequests entries; the boot
// chain's own decisions (each stage's ApplyConfirmedPolicies, for each of
// its components: a carried revocation and revoke_older_on_confirm) have
// kOwnReportRequests entries no mailbox can take. An entry that does not fit
// anyway is counted in BootReport::dropped_requests.
enum class RequestSource : uint8_t {
  kMailbox = 0,    // a mailbox request's outcome (boot_requests.h)
  kBootChain = 1,  // kImageRevocationRequest, kRevokeOlderRequest (boot_update.h)
};

// What a domain entry holds. Stable numbers. An all-zero entry is
// kNotReported, never a domain of blank slots.
enum class DomainReport : uint8_t {
  kNotReported = 0,  // the stage that owns the domain did not get to it
  kRead = 1,         // the domain as the boot chain left it
  kUnreadable = 2,   // keys::LoadDomain failed (OTP error, never configured,
                     // corrupt record log): only component and capacity are set
};

// One key domain as the boot chain left it: read by the stage that owns it
// (iROT: urot; uROT: sm, app) after it applied this boot's revocations of
// the domain (mailbox commands, the confirmed image's own command,
// revoke_older_on_confirm), so the Secure Manager, which cannot read the
// HDPL0/1 OTP areas, can report it. domains[c] is the entry of
// otp::Component c (boot_stages.h: RecordDomain).
struct BootReportDomain {
  uint8_t component;                          // otp::Component
  uint8_t state;                              // DomainReport
  uint8_t signing_slots[otp::kSigningSlots];  // keys::SlotState per signing slot
  uint8_t records_used;                       // revocation log entries written (committed,
                                              // or abandoned by a torn commit)
  uint8_t records_capacity;                   // otp::kLogEntries
  uint32_t revocation_sequence;               // the last committed command's; 0: none
};
static_assert(otp::kSigningSlots == 4 && otp::kLogEntries <= UINT8_MAX);
static_assert(sizeof(BootReportDomain) == 12);
static_assert(offsetof(BootReportDomain, signing_slots) == 2);
static_assert(offsetof(BootReportDomain, records_used) == 6);
static_assert(offsetof(BootReportDomain, records_capacity) == 7);
static_assert(offsetof(BootReportDomain, revocation_sequence) == 8);

constexpr uint32_t kBootReportMagic = 0xc3b1e52a;
// 4: counter_update per image, request entries reserved for the boot
// chain's own decisions, dropped_requests. 5: a key domain entry per
// component.
constexpr uint16_t kBootReportVersion = 5;
constexpr size_t kMaxReportImages = 4;
constexpr size_t kMailboxReportRequests = mailbox::kMaxRequests;
constexpr size_t kOwnReportRequests = 2 * otp::kComponentCount;
constexpr size_t kMaxReportRequests = kMailboxReportRequests + kOwnReportRequests;

struct BootReport {
  uint32_t magic;
  uint16_t version;
  uint16_t size;
  BootOutcome outcome;
  uint32_t lifecycle;       // otp::Lifecycle
  uint16_t failure_reason;  // BootReason
  uint16_t failure_detail;  // image::ImageError when kImageRefused
  uint8_t failure_component;
  uint8_t failure_hdpl;
  uint8_t image_count;
  uint8_t reserved;
  BootReportImage images[kMaxReportImages];
  uint16_t mailbox_error;    // mailbox::MailboxError of this boot's mailbox (0 ok, 1 empty)
  uint8_t request_count;     // entries used in requests[]
  uint8_t dropped_requests;  // entries that did not fit (saturates at 255); 0: none lost
  BootReportRequest requests[kMaxReportRequests];
  BootReportDomain domains[otp::kComponentCount];  // indexed by otp::Component
  uint32_t crc;                                    // CRC-32 of everything before it
};
static_assert(kMaxReportRequests == 10 && otp::kComponentCount == 3);
static_assert(sizeof(BootReport) == 24 + 4 * 76 + 4 + 10 * 12 + 3 * 12 + 4);
static_assert(sizeof(BootReport) == 492);
static_assert(offsetof(BootReport, images) == 24);
static_assert(offsetof(BootReport, mailbox_error) == 328);
static_assert(offsetof(BootReport, request_count) == 330);
static_assert(offsetof(BootReport, dropped_requests) == 331);
static_assert(offsetof(BootReport, requests) == 332);
static_assert(offsetof(BootReport, domains) == 452);
static_assert(offsetof(BootReport, crc) == 488);
static_assert(sizeof(BootReport) <= 512, "must fit the 512-byte boot report RAM region");
// Each stage runs ApplyConfirmedPolicies once per component it owns, and
// each run reports at most two entries (boot_update.h).
static_assert(kOwnReportRequests >= 2 * otp::kComponentCount);

// Starts an empty report (outcome kInProgress).
void InitBootReport(BootReport* report, otp::Lifecycle lifecycle);

// Appends an image entry; returns kResourceExhausted when full.
Status AppendImage(BootReport* report, const BootReportImage& image);

// Appends a request outcome from `source`. A kMailbox entry fits while
// fewer than kMailboxReportRequests mailbox entries are in the report and
// an entry is free; a kBootChain entry whenever an entry is free (the
// mailbox's share leaves kOwnReportRequests for it). Returns kOk, or
// kResourceExhausted when it does not fit: then dropped_requests counts it.
Status AppendRequest(BootReport* report, const BootReportRequest& request, RequestSource source);

// Writes the report (computing its CRC). Returns kOk or the RAM error.
Status WriteBootReport(platform::SharedRam& ram, BootReport* report);

// Reads and checks the report. Returns kOk, kNotFound (no report),
// kDataLoss (bad magic, version, size or CRC), or the RAM error.
Status ReadBootReport(platform::SharedRam& ram, BootReport* report);

}  // namespace bastion::boot
