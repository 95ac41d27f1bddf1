// The virtual device running as a whole: the boot chain, then the Secure
// Manager, then the non-secure application as its own process, served by
// the gateway until it exits or the watchdog fires.
//
//   reset ─► iROT ─► uROT ─► Secure Manager (this process, HDPL2)
//                                 ▲ gateway frames over a socket pair
//                                 ▼
//                            application (child process, the verified `app` bytes)
//
// A hung application (the watchdog) or one that crashes (killed by a
// signal) resets the device, as a hardware watchdog or fault would: the
// chain boots again, which reverts an unconfirmed trial image, and the
// application that boot chose runs. A clean exit (any status) ends the run.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "device_runtime/app_process.h"
#include "virtual_device/virtual_device.h"

namespace bastion::host {

struct RunOptions {
  std::chrono::milliseconds watchdog{10000};  // how long the application may run
  std::vector<std::string> app_args;          // argv[1..] of the application
  int max_resets = 2;                         // watchdog / crash resets before giving up
  bool app_output_to_stderr = false;          // the application's stdout goes to stderr
};

// One boot of the device and what followed it.
struct BootCycle {
  VirtualDevice::BootRun boot;
  bool sm_started = false;  // the Secure Manager started (its stores may still be degraded)
  std::string sm_note;      // why the SM did not start, or which store is degraded
  bool app_started = false;
  std::string no_app;             // why the application did not run (no program, not verified, ...)
  AppExit exit;                   // when app_started
  uint64_t gateway_requests = 0;  // frames executed
  bool reset = false;             // this cycle ended in a reset (watchdog or crash)
};

// Boots `device` and runs the Secure Manager and its application. `on_boot`
// is called after each boot (before the application starts) and
// `on_cycle` after each cycle, so a caller can print as things happen.
// Saves the device after every cycle.
std::vector<BootCycle> RunDevice(VirtualDevice& device, const RunOptions& options,
                                 const std::function<void(const BootCycle&)>& on_boot,
                                 const std::function<void(const BootCycle&)>& on_cycle);

// The verified application program: the payload of the `app` image in its
// primary slot (`layout`, the one in OTP), copied once and checked against the boot report's
// measurement (so it is exactly the bytes the boot chain verified). Empty,
// with `why` set, when the report does not show a verified app or the bytes
// differ.
std::vector<uint8_t> VerifiedAppProgram(const VirtualDevice& device, const otp::FlashLayout& layout,
                                        const boot::BootReport& report, std::string* why);

}  // namespace bastion::host
