// A psa_call through the gateway against the same call in-process.
//
// One Secure Manager (in memory, default layout), one client library, two
// transports measured in the same run: the in-process transport (direct
// calls into the SPM, as bastion::psa_host does) and the gateway (framed
// requests over a socket pair to a server thread running the host gateway's
// loop, as `bastion device boot` serves the application). The call is a small
// ITS get (16 bytes) and a 1 KiB ITS get. Prints the mean time per call and
// the ratio.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bastion/services.h"
#include "bastion_ns_transport.h"
#include "psa/internal_trusted_storage.h"
#include "sm_bench_rig.h"

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
  bench::SmBenchRig rig(kClient);
  if (!rig.Start("gateway_bench")) return 1;
  const bastion_ns_transport_t& in_process = rig.in_process;
  const bastion_ns_transport_t& over_gateway = rig.over_gateway;

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
  return 0;
}
