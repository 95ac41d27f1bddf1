#include "device_runtime/app_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace bastion::host {
namespace {

constexpr int kChildGatewayFd = 3;

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool LooksLikeElf(std::span<const uint8_t> bytes) {
  return bytes.size() >= 64 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' &&
         bytes[3] == 'F';
}

AppProcess::AppProcess(std::span<const uint8_t> program, const std::string& name,
                       const std::vector<std::string>& args, bool output_to_stderr) {
  start_failure_.kind = AppExit::Kind::kStartFailed;
  const int memfd = ::memfd_create("bastion-app", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (memfd < 0) {
    start_failure_.detail = std::string("memfd_create: ") + std::strerror(errno);
    return;
  }
  if (!WriteAll(memfd, program.data(), program.size()) ||
      ::fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    start_failure_.detail = std::string("cannot load the program: ") + std::strerror(errno);
    ::close(memfd);
    return;
  }
  // The kernel refuses to execute a file open for writing: reopen the sealed
  // file read-only and drop the writable descriptor.
  const std::string self_path = "/proc/self/fd/" + std::to_string(memfd);
  const int program_fd = ::open(self_path.c_str(), O_RDONLY | O_CLOEXEC);
  ::close(memfd);
  if (program_fd < 0) {
    start_failure_.detail = std::string("cannot reopen the program: ") + std::strerror(errno);
    return;
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    start_failure_.detail = std::string("socketpair: ") + std::strerror(errno);
    ::close(program_fd);
    return;
  }
  // Everything the child needs is prepared before fork (no allocation after).
  std::vector<std::string> storage;
  storage.push_back(name);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "BASTION_GATEWAY_FD=", 19) != 0) env_storage.emplace_back(*e);
  }
  env_storage.push_back("BASTION_GATEWAY_FD=" + std::to_string(kChildGatewayFd));
  std::vector<char*> envp;
  for (std::string& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    start_failure_.detail = std::string("fork: ") + std::strerror(errno);
    ::close(pair[0]);
    ::close(pair[1]);
    ::close(program_fd);
    return;
  }
  if (pid == 0) {
    // Child: the application end of the pair at fd 3 (without CLOEXEC),
    // stdin from /dev/null, then the verified bytes.
    if (::dup2(pair[1], kChildGatewayFd) < 0) ::_exit(127);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    if (output_to_stderr) ::dup2(2, 1);
    ::fexecve(program_fd, argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(pair[1]);
  ::close(program_fd);
  pid_ = pid;
  gateway_fd_ = pair[0];
}

AppProcess::~AppProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (gateway_fd_ >= 0) ::close(gateway_fd_);
}

AppExit AppProcess::Wait(std::chrono::steady_clock::time_point deadline) {
  if (pid_ <= 0) return start_failure_;
  AppExit exit;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) {
        exit.kind = AppExit::Kind::kExited;
        exit.code = WEXITSTATUS(status);
        if (exit.code == 127) exit.detail = "the program could not be executed";
      } else {
        exit.kind = AppExit::Kind::kSignalled;
        exit.code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      }
      return exit;
    }
    if (done < 0 && errno != EINTR) {
      exit.kind = AppExit::Kind::kStartFailed;
      exit.detail = std::string("waitpid: ") + std::strerror(errno);
      pid_ = -1;
      return exit;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      exit.kind = AppExit::Kind::kWatchdog;
      return exit;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace bastion::host
