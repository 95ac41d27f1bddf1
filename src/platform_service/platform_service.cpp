#include "platform_service/platform_service.h"

#include <cstring>

#include "bastion/services.h"
#include "boot/boot_update.h"
#include "cose/cose.h"
#include "mailbox/mailbox.h"
#include "revocation/revocation_command.h"

namespace bastion::platform_service {
namespace {

static_assert(sizeof(bastion_image_info_t) == 76);
static_assert(sizeof(bastion_domain_info_t) == 12);
static_assert(sizeof(bastion_request_outcome_t) == 12);
static_assert(sizeof(bastion_boot_report_t) == 12 + 4 * 76 + 4 + 3 * 12 + 8 + 10 * 12 + 4 + 8 * 8);
static_assert(BASTION_MAX_IMAGES == boot::kMaxReportImages);
static_assert(BASTION_MAX_REQUESTS == boot::kMaxReportRequests);
static_assert(BASTION_MAX_DOMAINS == otp::kComponentCount);
static_assert(sizeof(boot::BootReport{}.domains) / sizeof(boot::BootReportDomain) ==
              BASTION_MAX_DOMAINS);
static_assert(sizeof(bastion_domain_info_t{}.signing_slot_states) ==
              sizeof(boot::BootReportDomain{}.signing_slots));
static_assert(BASTION_SLOT_REVOKED == static_cast<unsigned>(keys::SlotState::kRevoked));
static_assert(BASTION_COMPONENT_APP == static_cast<unsigned>(otp::Component::kApp));
static_assert(BASTION_IMAGE_TRIAL == static_cast<unsigned>(boot::ImageState::kTrial));
static_assert(BASTION_UPDATE_HELD == static_cast<unsigned>(boot::UpdateEvent::kHeld));
static_assert(BASTION_REQUEST_REVOKE == static_cast<unsigned>(mailbox::RequestType::kRevoke));
static_assert(BASTION_REQUEST_REVOKE_OLDER == boot::kRevokeOlderRequest);

void FillImage(const boot::BootReportImage& in, bastion_image_info_t* out) {
  *out = bastion_image_info_t{};
  out->component = in.component;
  out->key_slot = in.key_slot;
  out->state = in.state;
  out->update = in.update;
  out->verified = in.verified;
  out->hash_alg = in.hash_alg;
  out->measurement_size =
      static_cast<uint8_t>(in.hash_alg == static_cast<uint8_t>(crypto::HashAlg::kSha384) ? 48 : 32);
  out->image_error = in.image_error;
  out->update_detail = in.update_detail;
  out->version_major = in.version.major;
  out->version_minor = in.version.minor;
  out->version_revision = in.version.revision;
  out->version_build = in.version.build;
  out->security_counter = in.security_counter;
  out->stored_counter = in.stored_counter;
  std::memcpy(out->measurement, in.measurement, sizeof(out->measurement));
}

}  // namespace

void FillReport(const boot::BootReport& report, std::span<const sm::PartitionDecl> table,
                const sm::Spm* spm, bastion_boot_report_t* out) {
  *out = bastion_boot_report_t{};
  out->version = BASTION_BOOT_REPORT_VERSION;
  out->lifecycle = report.lifecycle;
  const size_t images =
      report.image_count < BASTION_MAX_IMAGES ? report.image_count : BASTION_MAX_IMAGES;
  for (size_t i = 0; i < images; ++i) FillImage(report.images[i], &out->images[i]);
  out->image_count = static_cast<uint32_t>(images);
  const size_t requests =
      report.request_count < BASTION_MAX_REQUESTS ? report.request_count : BASTION_MAX_REQUESTS;
  for (size_t i = 0; i < requests; ++i) {
    const boot::BootReportRequest& r = report.requests[i];
    bastion_request_outcome_t& o = out->requests[i];
    o.type = r.type;
    o.component = r.component;
    o.outcome = r.outcome;
    o.detail = r.detail;
    o.sequence = r.sequence;
    o.revoked_slots = r.revoked_slots;
  }
  out->request_count = static_cast<uint32_t>(requests);
  size_t domains = 0;
  for (const boot::BootReportDomain& d : report.domains) {
    if (d.state == static_cast<uint8_t>(boot::DomainReport::kNotReported)) continue;
    bastion_domain_info_t& o = out->domains[domains++];
    o.component = d.component;
    o.readable = d.state == static_cast<uint8_t>(boot::DomainReport::kRead) ? 1 : 0;
    if (o.readable == 1) {
      std::memcpy(o.signing_slot_states, d.signing_slots, sizeof(o.signing_slot_states));
      o.records_used = d.records_used;
      o.records_capacity = d.records_capacity;
      o.revocation_sequence = d.revocation_sequence;
    }
  }
  out->domain_count = static_cast<uint32_t>(domains);
  out->dropped_requests = report.dropped_requests;
  size_t partitions = 0;
  for (const sm::PartitionDecl& p : table) {
    if (partitions == BASTION_MAX_PARTITIONS) break;
    out->partitions[partitions].partition_id = p.id;
    out->partitions[partitions].restarts = spm != nullptr ? spm->FaultCount(p.id) : 0;
    ++partitions;
  }
  out->partition_count = static_cast<uint32_t>(partitions);
}

psa_status_t QueueRequest(platform::SharedRam& ram, const mailbox::Request& request) {
  ByteSpan region;
  if (!ram.Region(platform::RamRegion::kMailbox, &region).ok() ||
      region.size() > mailbox::kMailboxCapacity) {
    return PSA_ERROR_STORAGE_FAILURE;
  }
  // Parse a copy: the region is rewritten from it.
  uint8_t copy[mailbox::kMailboxCapacity];
  std::memcpy(copy, region.data(), region.size());
  mailbox::Requests queued;
  if (mailbox::ParseMailbox(ConstByteSpan(copy, region.size()), &queued) !=
      mailbox::MailboxError::kOk) {
    queued.count = 0;  // empty, or garbage the application left: replaced
  }
  for (size_t i = 0; i < queued.count; ++i) {
    const mailbox::Request& q = queued.items[i];
    if (q.type == request.type && q.component == request.component &&
        q.data.size() == request.data.size() &&
        (q.data.empty() || std::memcmp(q.data.data(), request.data.data(), q.data.size()) == 0)) {
      return PSA_SUCCESS;
    }
  }
  if (queued.count == mailbox::kMaxRequests) return PSA_ERROR_INSUFFICIENT_STORAGE;
  queued.items[queued.count++] = request;
  const Status posted = mailbox::PostRequests(ram, queued.items, queued.count);
  if (posted.code() == StatusCode::kResourceExhausted) return PSA_ERROR_INSUFFICIENT_STORAGE;
  return posted.ok() ? PSA_SUCCESS : PSA_ERROR_STORAGE_FAILURE;
}

sm::Reply PlatformService::Serve(const sm::ServiceDecl& service, sm::Message& message) {
  psa_status_t status = PSA_SUCCESS;
  if (message.type() == sm::kMessageConnect || message.type() == sm::kMessageDisconnect) {
    status = PSA_SUCCESS;
  } else if (service.sid == BASTION_REVOCATION_SID) {
    status = ServeRevocation(message);
  } else {
    status = ServePlatform(message);
  }
  if (message.misused()) return sm::Reply::Fault();
  return sm::Reply::Status(status);
}

psa_status_t PlatformService::ServePlatform(sm::Message& m) {
  switch (m.type()) {
    case BASTION_PLATFORM_BOOT_REPORT: {
      if (!report_valid_) return PSA_ERROR_BAD_STATE;
      if (m.out_size(0) < sizeof(bastion_boot_report_t)) return PSA_ERROR_BUFFER_TOO_SMALL;
      bastion_boot_report_t out;
      FillReport(report_, table_, spm_, &out);
      const bool written =
          m.Write(0, ConstByteSpan(reinterpret_cast<const uint8_t*>(&out), sizeof(out)));
      return written ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR;
    }
    case BASTION_PLATFORM_CONFIRM:
      return TrialRequest(m, mailbox::RequestType::kConfirm);
    case BASTION_PLATFORM_REJECT:
      return TrialRequest(m, mailbox::RequestType::kReject);
    case BASTION_PLATFORM_LIFECYCLE: {
      if (!report_valid_) return PSA_ERROR_BAD_STATE;
      if (m.out_size(0) != 4) return PSA_ERROR_PROGRAMMER_ERROR;
      uint8_t bytes[4];
      StoreLe32(bytes, report_.lifecycle);
      return m.Write(0, bytes) ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR;
    }
    default:
      return PSA_ERROR_NOT_SUPPORTED;
  }
}

psa_status_t PlatformService::TrialRequest(sm::Message& m, mailbox::RequestType type) {
  uint8_t component = 0;
  if (m.in_size(0) != 1 || m.Read(0, std::span<uint8_t>(&component, 1)) != 1) {
    return PSA_ERROR_PROGRAMMER_ERROR;
  }
  if (component >= otp::kComponentCount) return PSA_ERROR_INVALID_ARGUMENT;
  if (ram_ == nullptr) return PSA_ERROR_NOT_SUPPORTED;
  if (!report_valid_) return PSA_ERROR_BAD_STATE;
  bool trial = false;
  for (size_t i = 0; i < report_.image_count && i < boot::kMaxReportImages; ++i) {
    const boot::BootReportImage& image = report_.images[i];
    trial = trial || (image.component == component && image.verified == 1 &&
                      image.state == static_cast<uint8_t>(boot::ImageState::kTrial));
  }
  if (!trial) return PSA_ERROR_BAD_STATE;
  const mailbox::Request request{type, component, {}};
  return QueueRequest(*ram_, request);
}

psa_status_t PlatformService::ServeRevocation(sm::Message& m) {
  if (m.type() != BASTION_REVOCATION_SUBMIT) return PSA_ERROR_NOT_SUPPORTED;
  const size_t size = m.in_size(0);
  if (size == 0 || size > BASTION_REVOCATION_MAX_SIZE) return PSA_ERROR_INVALID_ARGUMENT;
  if (ram_ == nullptr) return PSA_ERROR_NOT_SUPPORTED;
  uint8_t command[BASTION_REVOCATION_MAX_SIZE];
  if (m.Read(0, std::span<uint8_t>(command, size)) != size) return PSA_ERROR_PROGRAMMER_ERROR;
  const ConstByteSpan bytes(command, size);
  cose::ParsedCoseSign parsed;
  revocation::RevocationCommand decoded;
  if (cose::ParseCoseSign(bytes, cose::TagPolicy::kRequireTag, &parsed) != cose::CoseError::kOk ||
      revocation::DecodeCommand(parsed.payload, &decoded) != revocation::PayloadError::kOk) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  const mailbox::Request request{mailbox::RequestType::kRevoke, mailbox::kAnyComponent, bytes};
  return QueueRequest(*ram_, request);
}

}  // namespace bastion::platform_service
