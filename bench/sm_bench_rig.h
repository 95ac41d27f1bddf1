// The Secure Manager the transport benchmarks measure against: a fresh
// in-memory virtual device (default layout, fixed seeds, no boot report),
// its Secure Manager, and the client library's two transports into it:
//   - in_process: straight into the SPM (what bastion::psa_host does);
//   - over_gateway: framed requests over a socket pair to a server thread
//     running the host gateway's loop (what the application process uses).
// Header-only: each benchmark is one program.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "bastion_ns_socket.h"
#include "bastion_ns_transport.h"
#include "gateway/gateway.h"
#include "gateway/serve_client.h"
#include "provisioning/provisioning.h"
#include "psa_host/in_process_transport.h"
#include "secure_manager/secure_manager.h"
#include "virtual_device/virtual_device.h"

namespace bastion::bench {

class SmBenchRig {
 public:
  // `client`: the client id both transports call as.
  explicit SmBenchRig(sm::ClientId client) : client_(client) {}
  ~SmBenchRig() {
    if (pair_[1] >= 0) {
      ::shutdown(pair_[1], SHUT_RDWR);
      ::close(pair_[1]);
    }
    if (server_.joinable()) server_.join();
    if (pair_[0] >= 0) ::close(pair_[0]);
  }
  SmBenchRig(const SmBenchRig&) = delete;
  SmBenchRig& operator=(const SmBenchRig&) = delete;

  // Starts the Secure Manager and both transports; false (with the reason on
  // stderr, prefixed by `program`) when something does not start.
  bool Start(const char* program) {
    device_ = host::VirtualDevice::InMemory(host::DefaultGeometry());
    const otp::FlashLayout layout = host::DefaultLayout(host::DefaultGeometry());
    host::WriteLayoutHeader(*device_, layout);
    std::array<uint8_t, 32> seed{};
    seed.fill(0x42);
    const secure_manager::SecureManagerConfig config{
        .its = {device_.get(), layout.storage.offset, layout.storage.size},
        .ps = {&device_->external_flash(), 0, device_->external_flash().geometry().size},
        .seed = seed,
        .attestation_seed = seed,
        .report = nullptr,
        .ram = device_.get(),
        .rng = device_.get(),
    };
    sm_ = std::make_unique<secure_manager::SecureManager>(config, memory_);
    if (!sm_->Start().ok() || !sm_->its_ready()) {
      std::fprintf(stderr, "%s: the Secure Manager did not start\n", program);
      return false;
    }
    direct_ = psa_host::InProcessClient{&sm_->spm(), client_};
    in_process = psa_host::InProcessTransport(&direct_);

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair_) != 0) {
      std::fprintf(stderr, "%s: no socket pair\n", program);
      return false;
    }
    gateway_ = std::make_unique<gateway::Gateway>(sm_->spm(), memory_);
    server_ = std::thread([this] {
      (void)host::ServeClient(pair_[0], *gateway_, client_,
                              std::chrono::steady_clock::now() + std::chrono::minutes(10));
    });
    if (bastion_ns_socket_init(&socket_state_, pair_[1], 30000, &over_gateway) != PSA_SUCCESS) {
      std::fprintf(stderr, "%s: the gateway transport did not start\n", program);
      return false;
    }
    return true;
  }

  bastion_ns_transport_t in_process{};
  bastion_ns_transport_t over_gateway{};

 private:
  sm::ClientId client_;
  std::unique_ptr<host::VirtualDevice> device_;
  // Outside a gateway call window, the in-process caller's own memory.
  psa_host::ProcessMemory process_memory_;
  gateway::GatewayMemory memory_{&process_memory_};
  std::unique_ptr<secure_manager::SecureManager> sm_;
  psa_host::InProcessClient direct_{};
  std::unique_ptr<gateway::Gateway> gateway_;
  int pair_[2] = {-1, -1};
  std::thread server_;
  bastion_ns_socket_t socket_state_{};
};

}  // namespace bastion::bench
