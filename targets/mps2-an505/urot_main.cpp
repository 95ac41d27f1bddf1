// uROT on the AN505: verifies the Secure Manager and the application, then
// runs the Secure Manager stand-in, which publishes the boot report.
#include "an505_platform.h"
#include "boot/boot_stages.h"
#include "semihosting.h"

namespace {

// The published boot report as numbers (src/boot/boot_report.h), one line
// per image and per request, for scripts/qemu-test.
void PrintReport(const bastion::boot::BootReport& r) {
  using bastion::an505::SemihostNumber;
  using bastion::an505::SemihostWrite;
  for (size_t i = 0; i < r.image_count && i < bastion::boot::kMaxReportImages; ++i) {
    const bastion::boot::BootReportImage& m = r.images[i];
    SemihostWrite("report: image ");
    SemihostNumber(m.component);
    SemihostWrite(" verified ");
    SemihostNumber(m.verified);
    SemihostWrite(" key ");
    SemihostNumber(m.key_slot);
    SemihostWrite(" state ");
    SemihostNumber(m.state);
    SemihostWrite(" update ");
    SemihostNumber(m.update);
    SemihostWrite("\n");
  }
  for (size_t i = 0; i < r.request_count && i < bastion::boot::kMaxReportRequests; ++i) {
    const bastion::boot::BootReportRequest& q = r.requests[i];
    SemihostWrite("report: request ");
    SemihostNumber(q.type);
    SemihostWrite(" component ");
    SemihostNumber(q.component);
    SemihostWrite(" outcome ");
    SemihostNumber(q.outcome);
    SemihostWrite("\n");
  }
  if (r.dropped_requests != 0) {
    SemihostWrite("report: dropped ");
    SemihostNumber(r.dropped_requests);
    SemihostWrite("\n");
  }
}

}  // namespace

int main() {
  using namespace bastion;
  an505::SemihostWrite("uROT: verifying the Secure Manager and the application\n");
  platform::Platform& p = an505::GetPlatform();
  boot::RunUrot(p);
  boot::BootReport report;
  static boot::SmHandoff secrets;  // the Secure Manager's own memory
  boot::RunRuntime(p, &secrets, &report);
  an505::SemihostWrite("uROT: stack peak ");
  an505::SemihostNumber(an505::StackPeakBytes());
  an505::SemihostWrite(" bytes\n");
  PrintReport(report);
  an505::SemihostWrite("Secure Manager: boot report published; application reached\n");
  an505::SemihostExit(true);
}
