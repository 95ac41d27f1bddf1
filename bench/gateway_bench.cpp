// A psa_call through the gateway against the same call in-process.
//
// One Secure Manager (in memory, default layout), one client library, two
// transports measured in the same run: the in-process transport (direct
// calls into the SPM, as bastion::psa_host does) and the gateway (framed
// requests over a socket pair to a server thread running the host gateway's
// loop, as `bastion device boot` serves the application). The call is a small
// ITS get (16 bytes) and a 1 KiB ITS get. Prints the mean time per call and
// the ratio.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "bastion/services.h"
#include "bastion_ns_socket.h"
#include "bastion_ns_transport.h"
#include "gateway/gateway.h"
#include "gateway/serve_client.h"
#include "provisioning/provisioning.h"
#include "psa/internal_trusted_storage.h"
#include "psa_host/in_process_transport.h"
#include "secure_manager/secure_manager.h"
#include "virtual_device/virtual_device.h"

namespace {

using namespace bastion;

constexpr sm::ClientId kClient = BASTION_NS_CLIENT_APP;

double TimeGets(psa_storage_uid_t uid, size_t size, int calls) {
  std::vector<uint8_t> out(size);
  size_t length = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) {
    if (psa_its_get(uid, 0, size, out.data(), &length) != PSA_SUCCESS || length != size) {
      std::fprintf(stderr, "gateway_bench: get failed\n");
      return -1;
    }
  }
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
         calls;
}

}  // namespace

int main() {
  auto device = host::VirtualDevice::InMemory(host::DefaultGeometry());
  const otp::FlashLayout layout = host::DefaultLayout(host::DefaultGeometry());
  host::WriteLayoutHeader(*device, layout);
  std::array<uint8_t, 32> seed{};
  seed.fill(0x42);
  // Outside a gateway call window, the in-process caller's own memory.
  psa_host::ProcessMemory process_memory;
  gateway::GatewayMemory memory(&process_memory);
  const secure_manager::SecureManagerConfig config{
      .its = {device.get(), layout.storage.offset, layout.storage.size},
      .ps = {&device->external_flash(), 0, device->external_flash().geometry().size},
      .seed = seed,
      .attestation_seed = seed,
      .report = nullptr,
      .ram = device.get(),
      .rng = device.get(),
  };
  secure_manager::SecureManager sm(config, memory);
  if (!sm.Start().ok() || !sm.its_ready()) {
    std::fprintf(stderr, "gateway_bench: the Secure Manager did not start\n");
    return 1;
  }
  // The in-process transport: the client library straight into the SPM.
  psa_host::InProcessClient direct{&sm.spm(), kClient};
  const bastion_ns_transport_t in_process = psa_host::InProcessTransport(&direct);

  // The gateway: a socket pair, the server loop on a thread.
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return 1;
  gateway::Gateway gw(sm.spm(), memory);
  std::thread server([&] {
    (void)host::ServeClient(pair[0], gw, kClient,
                            std::chrono::steady_clock::now() + std::chrono::minutes(5));
  });
  static bastion_ns_socket_t socket_state;
  bastion_ns_transport_t over_gateway;
  if (bastion_ns_socket_init(&socket_state, pair[1], 10000, &over_gateway) != PSA_SUCCESS) return 1;

  // Objects to read, written through the gateway.
  bastion_ns_set_transport(&over_gateway);
  std::vector<uint8_t> small(16, 0x11), large(1024, 0x22);
  if (psa_its_set(1, small.size(), small.data(), 0) != PSA_SUCCESS ||
      psa_its_set(2, large.size(), large.data(), 0) != PSA_SUCCESS) {
    std::fprintf(stderr, "gateway_bench: set failed\n");
    return 1;
  }
  const int calls = 20000;
  std::printf("psa_call round trip: psa_its_get, mean of %d calls (host)\n\n", calls);
  std::printf("| call | in-process µs | gateway µs | gateway / in-process |\n|---|---|---|---|\n");
  for (const auto& [uid, size, name] :
       {std::tuple{psa_storage_uid_t{1}, size_t{16}, "ITS get, 16 B"},
        std::tuple{psa_storage_uid_t{2}, size_t{1024}, "ITS get, 1 KiB"}}) {
    bastion_ns_set_transport(&in_process);
    const double direct_us = TimeGets(uid, size, calls);
    bastion_ns_set_transport(&over_gateway);
    const double gateway_us = TimeGets(uid, size, calls);
    std::printf("| %s | %.2f | %.2f | %.1f |\n", name, direct_us, gateway_us,
                gateway_us / direct_us);
  }
  ::shutdown(pair[1], SHUT_RDWR);
  ::close(pair[1]);
  server.join();
  ::close(pair[0]);
  return 0;
}
