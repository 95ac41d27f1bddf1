// PlatformService: the partition behind bastion/platform.h.
//
//   BASTION_PLATFORM_SID    boot report, confirm / reject, lifecycle
//   BASTION_REVOCATION_SID  revocation submission (callers: the table's list)
//
// It reads only what the Secure Manager took at start-up (its own copy of
// the boot report: the RAM region stays writable by the application) and
// the SPM's fault counters. Confirm, reject and revocation commands are
// queued in the boot chain's mailbox for the next reset; the boot stage that
// owns the component or domain decides. A revocation command is checked for
// form only (a COSE_Sign whose payload decodes as a revocation command): its
// signatures are the authority, and they are checked by the boot stage.
//
// Volatile state: none beyond the request in flight.
#pragma once

#include <cstdint>

#include "bastion/platform.h"
#include "boot/boot_report.h"
#include "platform/platform.h"
#include "sm/partition.h"
#include "sm/spm.h"

namespace bastion::platform_service {

// Converts the boot chain's report and the SPM's counters into the C
// structure of bastion/platform.h.
void FillReport(const boot::BootReport& report, std::span<const sm::PartitionDecl> table,
                const sm::Spm* spm, bastion_boot_report_t* out);

// Appends one request to the mailbox region (an identical request already
// queued is not added twice). PSA_SUCCESS, PSA_ERROR_INSUFFICIENT_STORAGE
// (no room left), PSA_ERROR_STORAGE_FAILURE (the region cannot be reached).
// A mailbox holding garbage is replaced.
psa_status_t QueueRequest(platform::SharedRam& ram, const mailbox::Request& request);

class PlatformService final : public sm::Partition {
 public:
  // `report` and `spm` outlive the service; `report_valid` false: the
  // Secure Manager found no valid report (boot report requests then give
  // PSA_ERROR_BAD_STATE). `ram` may be null (no mailbox: requests give
  // PSA_ERROR_NOT_SUPPORTED).
  PlatformService(const boot::BootReport& report, bool report_valid, platform::SharedRam* ram,
                  std::span<const sm::PartitionDecl> table)
      : report_(report), report_valid_(report_valid), ram_(ram), table_(table) {}

  // The SPM whose fault counters the report shows (set once it exists).
  void set_spm(const sm::Spm* spm) { spm_ = spm; }

  sm::Reply Serve(const sm::ServiceDecl& service, sm::Message& message) override;
  void Restart(const sm::PartitionDecl& /*declaration*/) override {}

 private:
  psa_status_t ServePlatform(sm::Message& message);
  psa_status_t ServeRevocation(sm::Message& message);
  psa_status_t TrialRequest(sm::Message& message, mailbox::RequestType type);

  const boot::BootReport& report_;
  bool report_valid_;
  platform::SharedRam* ram_;
  std::span<const sm::PartitionDecl> table_;
  const sm::Spm* spm_ = nullptr;
};

}  // namespace bastion::platform_service
