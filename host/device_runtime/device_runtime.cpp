#include "device_runtime/device_runtime.h"

#include <cstring>

#include "common/hardened.h"
#include "crypto/crypto.h"
#include "gateway/gateway.h"
#include "gateway/serve_client.h"
#include "image/image.h"
#include "otp/otp_map.h"
#include "secure_manager/secure_manager.h"

namespace bastion::host {
namespace {

constexpr uint8_t kApp = static_cast<uint8_t>(otp::Component::kApp);

const boot::BootReportImage* ReportedApp(const boot::BootReport& report) {
  for (size_t i = 0; i < report.image_count && i < boot::kMaxReportImages; ++i) {
    if (report.images[i].component == kApp) return &report.images[i];
  }
  return nullptr;
}

// Runs the Secure Manager and the application of one boot.
void RunSecureSide(VirtualDevice& device, const RunOptions& options, BootCycle* cycle) {
  platform::Platform p = device.platform();
  otp::OtpHeader header;
  if (!p.otp.Read(otp::kHeaderOffset, ByteSpan(reinterpret_cast<uint8_t*>(&header), sizeof(header)))
           .ok()) {
    cycle->sm_note = "the Secure Manager cannot read the flash layout";
    return;
  }
  const boot::BootReport report = cycle->boot.report;  // the SM's own copy
  std::array<uint8_t, 32> seed;
  std::memcpy(seed.data(), device.sm_secrets().storage_key, seed.size());
  std::array<uint8_t, 32> attestation_seed;
  std::memcpy(attestation_seed.data(), device.sm_secrets().attestation_seed,
              attestation_seed.size());
  const platform::FlashGeometry external = device.external_flash().geometry();
  const secure_manager::SecureManagerConfig config{
      .its = {&device, header.layout.storage.offset, header.layout.storage.size},
      .ps = {&device.external_flash(), 0, external.size},
      .seed = seed,
      .attestation_seed = attestation_seed,
      .report = &report,
      .ram = &device,
      .rng = &device,
  };
  gateway::GatewayMemory memory;
  secure_manager::SecureManager sm(config, memory);
  SecureWipe(seed.data(), seed.size());
  SecureWipe(attestation_seed.data(), attestation_seed.size());
  if (!sm.Start().ok()) {
    cycle->sm_note = "the Secure Manager could not start";
    return;
  }
  cycle->sm_started = true;
  if (!sm.its_ready()) cycle->sm_note = "Internal Trusted Storage unavailable";
  if (!sm.ps_ready()) {
    cycle->sm_note +=
        std::string(cycle->sm_note.empty() ? "" : "; ") + "Protected Storage unavailable";
  }

  const std::vector<uint8_t> program =
      VerifiedAppProgram(device, header.layout, report, &cycle->no_app);
  if (program.empty()) return;
  AppProcess app(program, "app", options.app_args, options.app_output_to_stderr);
  const auto deadline = std::chrono::steady_clock::now() + options.watchdog;
  if (app.started()) {
    cycle->app_started = true;
    gateway::Gateway gateway(sm.spm(), memory);
    const ServeReport served =
        ServeClient(app.gateway_fd(), gateway, BASTION_NS_CLIENT_APP, deadline);
    cycle->gateway_requests = served.frames_executed;
  }
  cycle->exit = app.Wait(deadline);
  if (cycle->exit.kind == AppExit::Kind::kStartFailed) cycle->app_started = false;
  cycle->reset =
      cycle->exit.kind == AppExit::Kind::kWatchdog || cycle->exit.kind == AppExit::Kind::kSignalled;
}

}  // namespace

std::vector<uint8_t> VerifiedAppProgram(const VirtualDevice& device, const otp::FlashLayout& layout,
                                        const boot::BootReport& report, std::string* why) {
  const boot::BootReportImage* app = ReportedApp(report);
  if (app == nullptr || app->verified != 1) {
    *why = "the boot report shows no verified application";
    return {};
  }
  const otp::FlashRegion slot = layout.primary[kApp];
  const std::vector<uint8_t>& flash = device.raw_flash();
  if (slot.offset > flash.size() || slot.size > flash.size() - slot.offset) {
    *why = "the application slot is outside the flash";
    return {};
  }
  // One copy: everything below reads only this snapshot.
  const std::vector<uint8_t> bytes(flash.begin() + slot.offset,
                                   flash.begin() + slot.offset + slot.size);
  image::ParsedImage parsed;
  if (image::ParseImage(image::SpanImageSource(bytes), &parsed) != image::ImageError::kOk) {
    *why = "the application slot no longer holds an image";
    return {};
  }
  const crypto::Digest digest =
      crypto::Hash(parsed.hash_alg, ConstByteSpan(bytes.data(), parsed.signed_size));
  if (digest.size == 0 || static_cast<uint8_t>(parsed.hash_alg) != app->hash_alg ||
      !HardenedIsTrue(HardenedEqual(digest.bytes.data(), app->measurement,
                                    static_cast<uint32_t>(digest.size)))) {
    *why = "the application slot differs from the image the boot chain verified";
    return {};
  }
  const size_t start = parsed.header.hdr_size;
  const size_t size = parsed.header.img_size;
  std::vector<uint8_t> program(bytes.begin() + static_cast<std::ptrdiff_t>(start),
                               bytes.begin() + static_cast<std::ptrdiff_t>(start + size));
  if (!LooksLikeElf(program)) {
    *why = "the application image holds no program (no ELF header): nothing to run";
    return {};
  }
  return program;
}

std::vector<BootCycle> RunDevice(VirtualDevice& device, const RunOptions& options,
                                 const std::function<void(const BootCycle&)>& on_boot,
                                 const std::function<void(const BootCycle&)>& on_cycle) {
  std::vector<BootCycle> cycles;
  for (int resets = 0;; ++resets) {
    BootCycle cycle;
    cycle.boot = device.Boot();
    if (on_boot) on_boot(cycle);
    if (cycle.boot.app_reached) RunSecureSide(device, options, &cycle);
    device.Save();
    if (on_cycle) on_cycle(cycle);
    cycles.push_back(cycle);
    if (!cycle.reset || resets >= options.max_resets) break;
  }
  return cycles;
}

}  // namespace bastion::host
