// libFuzzer: hostile psa_calls into the real Secure Manager: its partition
// table, the ITS and PS partitions over their stores, the PS administration
// service and the platform service (boot report, confirm / reject, revocation
// submission into the mailbox).
//
// The input is a sequence of calls: which client (the application, another
// non-secure client, a secure partition id), which handle (each service's,
// or any 32-bit value), the type, and up to four vectors with their bytes or
// capacities. Each call must return a PSA status, write no output past its
// capacity, and leave the SPM able to serve. At the end the device reboots
// (a new Secure Manager over the same flash and RAM): it must start, and its
// stores must open.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "bastion/services.h"
#include "boot/boot_report.h"
#include "boot/boot_update.h"
#include "fuzz_input.h"
#include "ram_flash.h"
#include "secure_manager/secure_manager.h"
#include "sm/caller_memory.h"

namespace {

using namespace bastion;
using fuzz::Check;
using fuzz::Input;

class Ram final : public platform::SharedRam {
 public:
  Status Region(platform::RamRegion region, ByteSpan* out) override {
    if (region != platform::RamRegion::kMailbox) return StatusCode::kPermissionDenied;
    *out = ByteSpan(mailbox.data(), mailbox.size());
    return StatusCode::kOk;
  }
  std::array<uint8_t, 1024> mailbox{};
};

boot::BootReport Report() {
  boot::BootReport r{};
  r.magic = boot::kBootReportMagic;
  r.lifecycle = 0x3000;
  r.image_count = 1;
  r.images[0].component = static_cast<uint8_t>(otp::Component::kApp);
  r.images[0].verified = 1;
  r.images[0].state = static_cast<uint8_t>(boot::ImageState::kTrial);
  r.images[0].hash_alg = static_cast<uint8_t>(crypto::HashAlg::kSha256);
  return r;
}

constexpr sm::ClientId kClients[] = {BASTION_NS_CLIENT_APP, -2, 1, 3};
constexpr int32_t kHandles[] = {BASTION_ITS_HANDLE, BASTION_PS_HANDLE, BASTION_PS_ADMIN_HANDLE,
                                BASTION_PLATFORM_HANDLE, BASTION_REVOCATION_HANDLE};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::RamFlash internal({64u * 1024, 8u * 1024, 16, 0xff});
  fuzz::RamFlash external({32u * 1024, 4u * 1024, 1, 0xff});
  Ram ram;
  fuzz::DeterministicRng rng(7);
  const boot::BootReport report = Report();
  std::array<uint8_t, 32> seed{};
  seed.fill(0x5e);
  const secure_manager::SecureManagerConfig config{
      .its = {&internal, 0, 64u * 1024},
      .ps = {&external, 0, 32u * 1024},
      .seed = seed,
      .attestation_seed = seed,
      .report = &report,
      .ram = &ram,
      .rng = &rng,
  };
  {
    sm::AllowedRanges<12> memory;
    auto sm = std::make_unique<secure_manager::SecureManager>(config, memory);
    Check(sm->Start().ok() && sm->its_ready() && sm->ps_ready());
    Input in(data, size);
    for (int calls = 0; calls < 64 && !in.empty(); ++calls) {
      const sm::ClientId client = kClients[in.U8() % 4];
      const uint8_t pick = in.U8();
      const int32_t handle = pick < 250 ? kHandles[pick % 5] : static_cast<int32_t>(in.U32());
      const int32_t type = static_cast<int8_t>(in.U8());
      const uint8_t counts = in.U8();
      const size_t in_len = counts % 5;
      const size_t out_len = (counts >> 3) % (5 - in_len);
      std::vector<std::vector<uint8_t>> inputs(in_len), outputs(out_len);
      psa_invec in_vec[4] = {};
      psa_outvec out_vec[4] = {};
      memory.Clear();
      for (size_t i = 0; i < in_len; ++i) {
        const uint8_t kind = in.U8();
        // Mostly the sizes the services expect, sometimes anything.
        const size_t n = kind < 64    ? 8
                         : kind < 128 ? 4
                         : kind < 144 ? 1
                                      : (in.U8() | (in.U8() << 8)) % 1300;
        inputs[i] = in.Bytes(n);
        in_vec[i] = {inputs[i].data(), inputs[i].size()};
        if (!inputs[i].empty()) memory.Add(client, inputs[i].data(), inputs[i].size(), false);
      }
      for (size_t i = 0; i < out_len; ++i) {
        const size_t cap = (in.U8() | (in.U8() << 8)) % 1300;
        outputs[i].assign(cap + 8, 0xA5);  // 8 guard bytes past the capacity
        out_vec[i] = {outputs[i].data(), cap};
        if (cap != 0) memory.Add(client, outputs[i].data(), cap, true);
      }
      memory.Add(client, in_vec, sizeof(in_vec), false);
      memory.Add(client, out_vec, sizeof(out_vec), true);
      size_t caps[4] = {};
      for (size_t i = 0; i < out_len; ++i) caps[i] = out_vec[i].len;
      bool answered = false;
      const psa_status_t status =
          sm->spm().Call(client, handle, type, in_vec, in_len, out_vec, out_len, &answered);
      Check(status <= 0);
      for (size_t i = 0; i < out_len; ++i) {
        Check(out_vec[i].len <= caps[i]);
        for (size_t g = 0; g < 8; ++g) Check(outputs[i][caps[i] + g] == 0xA5);
      }
    }
  }
  // A reboot over the same flash and mailbox.
  sm::AllowedRanges<1> memory;
  secure_manager::SecureManager again(config, memory);
  Check(again.Start().ok() && again.its_ready() && again.ps_ready());
  return 0;
}
