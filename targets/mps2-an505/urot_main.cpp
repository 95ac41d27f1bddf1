// uROT on the AN505: verifies the Secure Manager and the application, then
// runs the Secure Manager stand-in, which publishes the boot report.
#include "an505_platform.h"
#include "boot/boot_stages.h"
#include "semihosting.h"

int main() {
  using namespace bastion;
  an505::SemihostWrite("uROT: verifying the Secure Manager and the application\n");
  platform::Platform& p = an505::GetPlatform();
  boot::RunUrot(p);
  boot::BootReport report;
  static boot::SmHandoff secrets;  // the Secure Manager's own memory
  boot::RunRuntime(p, &secrets, &report);
  an505::SemihostWrite("Secure Manager: boot report published; application reached\n");
  an505::SemihostExit(true);
}
