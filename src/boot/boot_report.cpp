#include "boot/boot_report.h"

#include <cstring>

#include "common/crc32.h"

namespace bastion::boot {

const char* BootReasonName(BootReason reason) {
  switch (reason) {
    case BootReason::kOk:
      return "ok";
    case BootReason::kOtpNotProvisioned:
      return "otp-not-provisioned";
    case BootReason::kLifecycleNotBootable:
      return "lifecycle-not-bootable";
    case BootReason::kLayoutInvalid:
      return "layout-invalid";
    case BootReason::kDomainUnavailable:
      return "key-domain-unavailable";
    case BootReason::kImageRefused:
      return "image-refused";
    case BootReason::kHukUnavailable:
      return "huk-unavailable";
    case BootReason::kKeyDerivationFailed:
      return "key-derivation-failed";
    case BootReason::kHdplRaiseFailed:
      return "hdpl-raise-failed";
    case BootReason::kHandoffInvalid:
      return "handoff-invalid";
    case BootReason::kReportUnavailable:
      return "report-unavailable";
    case BootReason::kFaultDetected:
      return "fault-detected";
    case BootReason::kEntryPointInvalid:
      return "entry-point-invalid";
    case BootReason::kCounterStoreUnavailable:
      return "counter-store-unavailable";
  }
  return "unknown";
}

void InitBootReport(BootReport* report, otp::Lifecycle lifecycle) {
  *report = BootReport{};
  report->magic = kBootReportMagic;
  report->version = kBootReportVersion;
  report->size = sizeof(BootReport);
  report->outcome = BootOutcome::kInProgress;
  report->lifecycle = static_cast<uint32_t>(lifecycle);
}

Status AppendImage(BootReport* report, const BootReportImage& image) {
  if (report->image_count >= kMaxReportImages) return StatusCode::kResourceExhausted;
  report->images[report->image_count++] = image;
  return StatusCode::kOk;
}

Status AppendRequest(BootReport* report, const BootReportRequest& request, RequestSource source) {
  const size_t used =
      report->request_count < kMaxReportRequests ? report->request_count : kMaxReportRequests;
  size_t from_mailbox = 0;
  for (size_t i = 0; i < used; ++i) {
    from_mailbox += report->requests[i].type < kImageRevocationRequest ? 1u : 0u;
  }
  const bool fits = used < kMaxReportRequests &&
                    (source == RequestSource::kBootChain || from_mailbox < kMailboxReportRequests);
  if (!fits) {
    if (report->dropped_requests < UINT8_MAX) ++report->dropped_requests;
    return StatusCode::kResourceExhausted;
  }
  report->requests[used] = request;
  report->request_count = static_cast<uint8_t>(used + 1);
  return StatusCode::kOk;
}

namespace {
uint32_t ReportCrc(const BootReport& report) {
  return Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&report), offsetof(BootReport, crc)));
}
}  // namespace

Status WriteBootReport(platform::SharedRam& ram, BootReport* report) {
  ByteSpan region;
  BASTION_TRY(ram.Region(platform::RamRegion::kBootReport, &region));
  if (region.size() < sizeof(BootReport)) return StatusCode::kResourceExhausted;
  report->crc = ReportCrc(*report);
  std::memcpy(region.data(), report, sizeof(BootReport));
  return StatusCode::kOk;
}

Status ReadBootReport(platform::SharedRam& ram, BootReport* report) {
  ByteSpan region;
  BASTION_TRY(ram.Region(platform::RamRegion::kBootReport, &region));
  if (region.size() < sizeof(BootReport)) return StatusCode::kResourceExhausted;
  BootReport copy;
  std::memcpy(&copy, region.data(), sizeof(copy));
  if (copy.magic == 0 && copy.crc == 0) return StatusCode::kNotFound;
  if (copy.magic != kBootReportMagic || copy.version != kBootReportVersion ||
      copy.size != sizeof(BootReport) || copy.image_count > kMaxReportImages ||
      copy.request_count > kMaxReportRequests || copy.crc != ReportCrc(copy)) {
    return StatusCode::kDataLoss;
  }
  *report = copy;
  return StatusCode::kOk;
}

}  // namespace bastion::boot
