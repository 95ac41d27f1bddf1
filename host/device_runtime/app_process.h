// AppProcess: the non-secure application as a separate process, started
// from the exact bytes the boot chain verified.
//
// The program is copied into an anonymous memory file (memfd_create, sealed
// against writes) and executed from it with fexecve: it is never written to
// or re-read from a path. The child gets one end of a socket pair as fd 3
// and BASTION_GATEWAY_FD=3 in its environment (libbastion_ns finds the
// gateway there); stdin is /dev/null, stdout and stderr are inherited.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bastion::host {

// How an application process ended.
struct AppExit {
  enum class Kind { kExited, kSignalled, kWatchdog, kStartFailed };
  Kind kind = Kind::kStartFailed;
  int code = 0;        // kExited: exit status; kSignalled: the signal
  std::string detail;  // kStartFailed: why
};

class AppProcess {
 public:
  // Starts `program` (an ELF executable) with `args` (argv[1..]); argv[0] is
  // `name`. `output_to_stderr`: the child's stdout is our stderr. On
  // failure, started() is false and Wait() says why.
  AppProcess(std::span<const uint8_t> program, const std::string& name,
             const std::vector<std::string>& args, bool output_to_stderr = false);
  ~AppProcess();  // kills a process still running
  AppProcess(const AppProcess&) = delete;
  AppProcess& operator=(const AppProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // The secure side of the socket pair (owned by this object).
  int gateway_fd() const { return gateway_fd_; }

  // Waits for the process until `deadline`; past it the process is killed
  // and the exit is kWatchdog.
  AppExit Wait(std::chrono::steady_clock::time_point deadline);

 private:
  pid_t pid_ = -1;
  int gateway_fd_ = -1;
  AppExit start_failure_;
};

// True when `bytes` start like an ELF executable.
bool LooksLikeElf(std::span<const uint8_t> bytes);

}  // namespace bastion::host
