#include "psa_host/psa_host.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

#include "bastion/services.h"
#include "bastion_ns_transport.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "psa_host/in_process_transport.h"
#include "secure_manager/secure_manager.h"
#include "virtual_device/virtual_device.h"

namespace bastion::psa_host {
namespace {

class Host {
 public:
  // Builds the device and starts the Secure Manager; false (with `why`)
  // when it cannot.
  bool Start(std::string* why) {
    const char* dir = std::getenv(kDeviceEnv);
    std::array<uint8_t, 32> seed{};
    std::array<uint8_t, 32> attestation_seed{};
    if (dir != nullptr && *dir != '\0') {
      device_ = host::VirtualDevice::Open(dir);
      const host::VirtualDevice::BootRun run = device_->Boot();
      device_->Save();
      if (!run.app_reached) {
        *why = std::string("the device in ") + dir + " did not boot";
        return false;
      }
      report_ = run.report;
      has_report_ = true;
      persist_ = true;
      std::memcpy(seed.data(), device_->sm_secrets().storage_key, seed.size());
      std::memcpy(attestation_seed.data(), device_->sm_secrets().attestation_seed,
                  attestation_seed.size());
    } else {
      device_ = host::VirtualDevice::InMemory(host::DefaultGeometry());
      host::WriteLayoutHeader(*device_, host::DefaultLayout(host::DefaultGeometry()));
      if (!device_->Raise(platform::Hdpl::kSecureManager).ok() || !device_->Fill(seed).ok() ||
          !device_->Fill(attestation_seed).ok()) {
        *why = "no entropy for the storage and attestation seeds";
        return false;
      }
    }
    otp::OtpHeader header;
    if (!host::ReadHeader(*device_, &header)) {
      *why = "the device has no flash layout";
      return false;
    }
    const secure_manager::SecureManagerConfig config{
        .its = {device_.get(), header.layout.storage.offset, header.layout.storage.size},
        .ps = {&device_->external_flash(), 0, device_->external_flash().geometry().size},
        .seed = seed,
        .attestation_seed = attestation_seed,
        .report = has_report_ ? &report_ : nullptr,
        .ram = device_.get(),
        .rng = device_.get(),
    };
    sm_ = std::make_unique<secure_manager::SecureManager>(config, memory_);
    SecureWipe(seed.data(), seed.size());
    SecureWipe(attestation_seed.data(), attestation_seed.size());
    if (!sm_->Start().ok()) {
      *why = "the Secure Manager did not start";
      return false;
    }
    return true;
  }

  // The transport into this host's SPM, as the application.
  bastion_ns_transport_t Transport() {
    client_ = {&sm_->spm(), BASTION_NS_CLIENT_APP, &Host::AfterCall, this};
    return InProcessTransport(&client_);
  }

 private:
  std::unique_ptr<host::VirtualDevice> device_;
  boot::BootReport report_{};
  bool has_report_ = false;
  bool persist_ = false;
  ProcessMemory memory_;
  std::unique_ptr<secure_manager::SecureManager> sm_;
  InProcessClient client_;

  // Saves the device files after a call when they live in a directory.
  static bool AfterCall(void* context) {
    Host* host = static_cast<Host*>(context);
    if (!host->persist_) return true;
    try {
      host->device_->Save();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bastion psa_host: cannot save the device: %s\n", e.what());
      return false;
    }
    return true;
  }
};

}  // namespace
}  // namespace bastion::psa_host

// The default transport of programs linked with bastion_psa_host: the
// in-process Secure Manager, started on first use.
extern "C" psa_status_t bastion_ns_default_transport(bastion_ns_transport_t* transport) {
  using namespace bastion::psa_host;
  static Host* host = nullptr;
  static bool failed = false;
  if (transport == nullptr) return PSA_ERROR_INVALID_ARGUMENT;
  if (failed) return PSA_ERROR_COMMUNICATION_FAILURE;
  if (host == nullptr) {
    static Host instance;
    std::string why;
    bool started = false;
    try {
      started = instance.Start(&why);
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (!started) {
      std::fprintf(stderr, "bastion psa_host: %s\n", why.c_str());
      failed = true;
      return PSA_ERROR_COMMUNICATION_FAILURE;
    }
    host = &instance;
  }
  *transport = host->Transport();
  return PSA_SUCCESS;
}
