// `bastion device ...`: create, program, boot and inspect a virtual device.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boot/boot_dependencies.h"
#include "boot/boot_report.h"
#include "boot/boot_update.h"
#include "cli_util.h"
#include "commands.h"
#include "cose/cose.h"
#include "counters/counter_store.h"
#include "image/image.h"
#include "keys/key_domain.h"
#include "mailbox/mailbox.h"
#include "provisioning/provisioning.h"
#include "revocation/revocation_command.h"
#include "update/slot_swap.h"
#include "device_runtime/device_runtime.h"
#include "virtual_device/virtual_device.h"

namespace {

using namespace bastion;
using cli::CliError;
using cli::UsageError;
using nlohmann::json;

constexpr const char* kDeviceUsage =
    "usage: bastion device <subcommand> DIR [options]\n"
    "\n"
    "  create DIR --profile PROFILE.json   provision a new virtual device in DIR\n"
    "  flash DIR --component urot|sm|app IMAGE\n"
    "                                      program a primary slot as a factory would\n"
    "  install DIR --component sm|app IMAGE [--permanent]\n"
    "                                      stage an update in the secondary slot\n"
    "  boot DIR [--json]                   reset the device and run the boot chain once;\n"
    "                                      exit 0 only when the application was reached\n"
    "  status DIR [--json]                 lifecycle, instance ID, key domains, counters,\n"
    "                                      slots and the last boot report\n"
    "  request DIR confirm|reject [--component C]\n"
    "  request DIR revoke CMD.cose         queue a request in the mailbox for the next boot\n"
    "  power-cycle DIR                     cut power: RAM (mailbox, boot report) is cleared\n"
    "  iak DIR [-o FILE]                   the Initial Attestation Key's public key (PEM)\n"
    "  attest DIR [--nonce HEX] [-o FILE]  boot and get an attestation token as the app would\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

std::unique_ptr<host::VirtualDevice> OpenDevice(const std::string& dir) {
  try {
    return host::VirtualDevice::Open(dir);
  } catch (const host::DeviceError& e) {
    throw CliError(e.what());
  }
}

std::string VersionString(const image::ImageVersion& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." +
         std::to_string(v.revision) + "+" + std::to_string(v.build);
}

std::string Measurement(const boot::BootReportImage& image) {
  const size_t size = image.hash_alg == static_cast<uint8_t>(crypto::HashAlg::kSha384) ? 48 : 32;
  return cli::Hex(ConstByteSpan(image.measurement, size));
}

std::string ComponentName(uint8_t c) {
  return c < otp::kComponentCount ? otp::ComponentName(static_cast<otp::Component>(c)) : "unknown";
}

const char* StageOf(uint8_t component) {
  return component == static_cast<uint8_t>(otp::Component::kUrot) ? "iROT" : "uROT";
}

std::string FailureText(const boot::BootReport& r) {
  const auto reason = static_cast<boot::BootReason>(r.failure_reason);
  std::string text = boot::BootReasonName(reason);
  if (reason == boot::BootReason::kImageRefused) {
    text += ": " + ComponentName(r.failure_component) + ": " +
            image::ImageErrorName(static_cast<image::ImageError>(r.failure_detail));
  } else {
    text += " (" + ComponentName(r.failure_component) + ")";
  }
  return text;
}

json ImageJson(const boot::BootReportImage& image) {
  json j = {{"component", ComponentName(image.component)},
            {"verified", image.verified == 1},
            {"version", VersionString(image.version)},
            {"security_counter", image.security_counter},
            {"device_security_counter", image.stored_counter},
            {"state", boot::ImageStateName(image.state)},
            {"update", boot::UpdateEventName(image.update)}};
  if (image.update == static_cast<uint8_t>(boot::UpdateEvent::kInstallRefused)) {
    j["update_error"] = image::ImageErrorName(static_cast<image::ImageError>(image.update_detail));
  } else if (image.update == static_cast<uint8_t>(boot::UpdateEvent::kUpdateFailed)) {
    j["update_error"] = StatusName(Status(static_cast<StatusCode>(image.update_detail)));
  } else if (image.update == static_cast<uint8_t>(boot::UpdateEvent::kHeld)) {
    // The download waits in the secondary slot (boot_dependencies.h).
    const bool breaks = (image.update_detail & boot::kHeldBreaksDependent) != 0;
    j["update_error"] = breaks ? "dependency-of-other-image" : "dependency-unmet";
    j["held_on"] = ComponentName(static_cast<uint8_t>(image.update_detail & 0xff));
  } else if (image.update == static_cast<uint8_t>(boot::UpdateEvent::kReverted) &&
             image.update_detail != 0) {
    j["update_error"] = image::ImageErrorName(static_cast<image::ImageError>(image.update_detail));
  }
  j["counter_update"] = boot::CounterUpdateName(image.counter_update);
  if (image.counter_update == static_cast<uint8_t>(boot::CounterUpdate::kRaiseFailed)) {
    j["counter_error"] = StatusName(Status(static_cast<StatusCode>(image.counter_detail)));
  }
  if (image.verified == 1) {
    j["key_slot"] = image.key_slot;
    j["measurement"] = Measurement(image);
    j["hash"] =
        image.hash_alg == static_cast<uint8_t>(crypto::HashAlg::kSha384) ? "sha384" : "sha256";
  } else {
    j["key_slot"] = nullptr;
    j["measurement"] = nullptr;
    j["error"] = image::ImageErrorName(static_cast<image::ImageError>(image.image_error));
  }
  return j;
}

std::string DomainName(uint8_t c) {
  return c == boot::kUnknownDomain ? "unknown" : ComponentName(c);
}

json RequestJson(const boot::BootReportRequest& r) {
  const char* type = r.type == boot::kImageRevocationRequest ? "image-revocation"
                     : r.type == boot::kRevokeOlderRequest
                         ? "revoke-older-on-confirm"
                         : mailbox::RequestTypeName(static_cast<mailbox::RequestType>(r.type));
  json j = {{"type", type},
            {"outcome", boot::RequestOutcomeName(r.outcome)},
            {"applied", r.outcome == static_cast<uint8_t>(boot::RequestOutcome::kApplied)}};
  if (r.type == static_cast<uint8_t>(mailbox::RequestType::kRevoke) ||
      r.type == boot::kImageRevocationRequest || r.type == boot::kRevokeOlderRequest) {
    j["domain"] = DomainName(r.component);
    j["sequence"] = r.sequence;
    json slots = json::array();
    for (unsigned i = 0; i < 8; ++i) {
      if (r.revoked_slots & (1u << i)) slots.push_back(i);
    }
    j["slots"] = slots;
    if (r.detail != 0) j["detail"] = r.detail;
  } else {
    j["component"] = ComponentName(r.component);
  }
  return j;
}

json RequestsJson(const boot::BootReport& r) {
  json a = json::array();
  for (size_t i = 0; i < r.request_count && i < boot::kMaxReportRequests; ++i) {
    a.push_back(RequestJson(r.requests[i]));
  }
  return a;
}

// A key domain as the boot chain left it (BootReportDomain): the Secure
// Manager's view, which cannot read OTP.
json DomainJson(const boot::BootReportDomain& d) {
  const bool readable = d.state == static_cast<uint8_t>(boot::DomainReport::kRead);
  json j = {{"component", ComponentName(d.component)}, {"readable", readable}};
  if (readable) {
    json slots = json::array();
    for (const uint8_t s : d.signing_slots) {
      slots.push_back(keys::SlotStateName(static_cast<keys::SlotState>(s)));
    }
    j["signing_slots"] = slots;
    j["revocation_sequence"] = d.revocation_sequence;
    j["records_used"] = d.records_used;
  } else {
    j["signing_slots"] = nullptr;
    j["revocation_sequence"] = nullptr;
    j["records_used"] = nullptr;
  }
  j["records_capacity"] = d.records_capacity;
  return j;
}

bool DomainReported(const boot::BootReportDomain& d) {
  return d.state != static_cast<uint8_t>(boot::DomainReport::kNotReported);
}

// The domains the boot got to (the others are not reported), urot first.
json DomainsJson(const boot::BootReport& r) {
  json a = json::array();
  for (const boot::BootReportDomain& d : r.domains) {
    if (DomainReported(d)) a.push_back(DomainJson(d));
  }
  return a;
}

std::string MailboxText(const boot::BootReport& r) {
  return mailbox::MailboxErrorName(static_cast<mailbox::MailboxError>(r.mailbox_error));
}

json ReportJson(const host::VirtualDevice::BootRun& run) {
  json j;
  j["booted"] = run.app_reached;
  if (!run.report_valid) {
    j["reason"] = "no boot report";
    j["images"] = json::array();
    j["domains"] = json::array();
    return j;
  }
  const boot::BootReport& r = run.report;
  j["lifecycle"] = otp::LifecycleName(static_cast<otp::Lifecycle>(r.lifecycle));
  if (!run.app_reached) {
    j["reason"] = FailureText(r);
    j["failure"] = {
        {"reason", boot::BootReasonName(static_cast<boot::BootReason>(r.failure_reason))},
        {"component", ComponentName(r.failure_component)},
        {"hdpl", r.failure_hdpl}};
    if (static_cast<boot::BootReason>(r.failure_reason) == boot::BootReason::kImageRefused) {
      j["failure"]["image_error"] =
          image::ImageErrorName(static_cast<image::ImageError>(r.failure_detail));
    }
  }
  j["images"] = json::array();
  for (size_t i = 0; i < r.image_count && i < boot::kMaxReportImages; ++i) {
    j["images"].push_back(ImageJson(r.images[i]));
  }
  j["domains"] = DomainsJson(r);
  j["mailbox"] = MailboxText(r);
  j["requests"] = RequestsJson(r);
  j["dropped_requests"] = r.dropped_requests;
  return j;
}

void PrintBootText(const host::VirtualDevice::BootRun& run) {
  if (!run.report_valid) {
    std::printf("boot: no boot report was written\n");
    return;
  }
  const boot::BootReport& r = run.report;
  std::printf("lifecycle: %s\n", otp::LifecycleName(static_cast<otp::Lifecycle>(r.lifecycle)));
  // In the order things happen: each stage (iROT for urot, uROT for sm and
  // app) acts on its requests, then on its updates, then verifies images.
  const auto print_image = [](const boot::BootReportImage& image) {
    if (image.verified == 1) {
      std::printf(
          "%s: %s %s verified with key slot %u (security counter %u, device counter %u)\n"
          "      measurement %s\n"
          "      image state %s\n",
          StageOf(image.component), ComponentName(image.component).c_str(),
          VersionString(image.version).c_str(), image.key_slot, image.security_counter,
          image.stored_counter, Measurement(image).c_str(), boot::ImageStateName(image.state));
      if (image.counter_update == static_cast<uint8_t>(boot::CounterUpdate::kRepaired)) {
        std::printf("      counter store was corrupt and has been rebuilt; device counter %u\n",
                    image.stored_counter);
      }
      if (image.counter_update == static_cast<uint8_t>(boot::CounterUpdate::kRaised)) {
        std::printf("      device counter raised to %u (the running image is confirmed)\n",
                    image.stored_counter);
      }
      if (image.counter_update == static_cast<uint8_t>(boot::CounterUpdate::kRaiseFailed)) {
        std::printf(
            "      security counter NOT raised to %u: %s (the image runs; the floor "
            "stays %u)\n",
            image.security_counter,
            StatusName(Status(static_cast<StatusCode>(image.counter_detail))),
            image.stored_counter);
      }
    } else {
      // Errors from hash-mismatch on come after a successful parse: the
      // version in the entry is the image's.
      const bool parsed =
          image.image_error >= static_cast<uint16_t>(image::ImageError::kHashMismatch) &&
          image.image_error <= static_cast<uint16_t>(image::ImageError::kMissingSecurityCounter);
      std::printf("%s: %s%s REFUSED: %s\n", StageOf(image.component),
                  ComponentName(image.component).c_str(),
                  parsed ? (" " + VersionString(image.version)).c_str() : "",
                  image::ImageErrorName(static_cast<image::ImageError>(image.image_error)));
    }
  };
  const auto print_request = [](const boot::BootReportRequest& request) {
    const json q = RequestJson(request);
    const char* stage = StageOf(request.component);
    if (q["type"] != "revoke" && q.contains("domain")) {
      std::printf("%s: %s %s slots %s sequence %u: %s\n", stage,
                  q["type"].get<std::string>().c_str(), q["domain"].get<std::string>().c_str(),
                  q["slots"].dump().c_str(), q["sequence"].get<uint32_t>(),
                  q["outcome"].get<std::string>().c_str());
    } else if (q["type"] == "revoke") {
      std::printf("%s: request revoke %s slots %s sequence %u: %s\n", stage,
                  q["domain"].get<std::string>().c_str(), q["slots"].dump().c_str(),
                  q["sequence"].get<uint32_t>(), q["outcome"].get<std::string>().c_str());
    } else {
      std::printf("%s: request %s %s: %s\n", stage, q["type"].get<std::string>().c_str(),
                  q["component"].get<std::string>().c_str(),
                  q["outcome"].get<std::string>().c_str());
    }
  };
  const auto print_update = [](const boot::BootReportImage& image) {
    const json u = ImageJson(image);
    if (u["update"] == "none") return;
    std::printf("%s: update %s: %s%s\n", StageOf(image.component),
                u["component"].get<std::string>().c_str(), u["update"].get<std::string>().c_str(),
                u.contains("update_error")
                    ? (" (" + u["update_error"].get<std::string>() +
                       (u.contains("held_on") ? ": " + u["held_on"].get<std::string>() : "") + ")")
                          .c_str()
                    : "");
  };
  const auto print_domain = [](const boot::BootReportDomain& domain) {
    const json d = DomainJson(domain);
    const char* stage = StageOf(domain.component);
    const std::string name = d["component"].get<std::string>();
    if (!d["readable"].get<bool>()) {
      std::printf("%s: key domain %s UNREADABLE\n", stage, name.c_str());
      return;
    }
    std::string slots;
    for (size_t i = 0; i < d["signing_slots"].size(); ++i) {
      slots +=
          (i == 0 ? "" : ", ") + std::to_string(i) + " " + d["signing_slots"][i].get<std::string>();
    }
    std::printf("%s: key domain %s: slots %s; revocation sequence %u (%u of %u records used)\n",
                stage, name.c_str(), slots.c_str(), domain.revocation_sequence,
                static_cast<unsigned>(domain.records_used),
                static_cast<unsigned>(domain.records_capacity));
  };
  const auto mailbox_error = static_cast<mailbox::MailboxError>(r.mailbox_error);
  if (mailbox_error != mailbox::MailboxError::kOk &&
      mailbox_error != mailbox::MailboxError::kEmpty) {
    std::printf("boot: mailbox REFUSED: %s (nothing applied)\n", MailboxText(r).c_str());
  }
  const size_t image_count = std::min<size_t>(r.image_count, boot::kMaxReportImages);
  const size_t request_count = std::min<size_t>(r.request_count, boot::kMaxReportRequests);
  for (const bool irot : {true, false}) {
    const auto of_stage = [irot](uint8_t component) {
      return (component == static_cast<uint8_t>(otp::Component::kUrot)) == irot;
    };
    for (size_t i = 0; i < request_count; ++i) {
      if (of_stage(r.requests[i].component)) print_request(r.requests[i]);
    }
    for (size_t i = 0; i < image_count; ++i) {
      if (of_stage(r.images[i].component)) print_update(r.images[i]);
    }
    for (size_t i = 0; i < image_count; ++i) {
      if (of_stage(r.images[i].component)) print_image(r.images[i]);
    }
    // Each stage's domains as it left them, its revocations applied.
    for (const boot::BootReportDomain& d : r.domains) {
      if (DomainReported(d) && of_stage(d.component)) print_domain(d);
    }
  }
  if (r.dropped_requests != 0) {
    std::printf("boot: %u request outcome(s) did not fit the boot report\n",
                static_cast<unsigned>(r.dropped_requests));
  }
  if (run.app_reached) {
    std::printf("Secure Manager (HDPL2): boot report published\n");
    std::printf("booted: application started\n");
  } else {
    std::printf("boot stopped at HDPL%u: %s\n", r.failure_hdpl, FailureText(r).c_str());
  }
}

int Create(const std::vector<std::string>& args) {
  const cli::ParsedArgs a = cli::ParseArgs(args, {{'p', "profile", true, false}});
  if (a.help()) {
    std::fputs(
        "usage: bastion device create DIR --profile PROFILE.json\n"
        "Provisions a new virtual device in DIR (which must not exist or be empty).\n"
        "The profile format is described in docs/provisioning.md.\n",
        stdout);
    return cli::kExitOk;
  }
  if (a.positional().size() != 1) throw UsageError("device create takes one DIR");
  const std::string dir = a.positional()[0];
  // "DIR/" names DIR: without this the temporary folder would be
  // "DIR/.creating", inside the target, and the rename into place would fail.
  std::filesystem::path target = std::filesystem::path(dir).lexically_normal();
  if (!target.has_filename() && target.has_parent_path()) target = target.parent_path();
  host::Profile profile;
  try {
    profile = host::LoadProfile(a.Require("profile"));
  } catch (const host::ProfileError& e) {
    throw CliError(std::string("profile: ") + e.what());
  }
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) &&
      (!std::filesystem::is_directory(dir, ec) || !std::filesystem::is_empty(dir, ec))) {
    throw CliError(dir + " already exists and is not an empty directory");
  }
  // Build the device in a temporary folder and rename it into place, so a
  // failure leaves nothing behind.
  const std::filesystem::path tmp = target.string() + ".creating";
  std::filesystem::remove_all(tmp, ec);
  try {
    auto device = host::VirtualDevice::Create(tmp, profile.geometry);
    host::Provision(*device, profile);
    device->Save();
  } catch (const host::DeviceError& e) {
    std::filesystem::remove_all(tmp, ec);
    throw CliError(e.what());
  }
  std::filesystem::remove(target, ec);
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    std::filesystem::remove_all(tmp, ec);
    throw CliError("cannot create " + dir);
  }
  std::printf("device created in %s (lifecycle %s)\n", dir.c_str(),
              otp::LifecycleName(profile.lifecycle));
  return cli::kExitOk;
}

// "urot" / "sm" / "app" from the command line; anything else is a usage error.
otp::Component ComponentArgument(const std::string& name) {
  try {
    return host::ParseComponent(name);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

int Flash(const std::vector<std::string>& args) {
  const cli::ParsedArgs a = cli::ParseArgs(args, {{'c', "component", true, false}});
  if (a.help()) {
    std::fputs(
        "usage: bastion device flash DIR --component urot|sm|app IMAGE\n"
        "Programs the component's primary slot (erasing it first), as a factory\n"
        "programmer would. The image must be an MCUboot image no larger than the\n"
        "swap can later move (the primary slot less its trailer sector), optionally\n"
        "padded by imgtool --pad/--confirm (the padding is dropped; the image is\n"
        "READY). Its signature is checked at boot, not here.\n",
        stdout);
    return cli::kExitOk;
  }
  if (a.positional().size() != 2) throw UsageError("device flash takes DIR and IMAGE");
  const otp::Component component = ComponentArgument(a.Require("component"));
  const std::vector<uint8_t> bytes = cli::ReadFile(a.positional()[1]);
  auto device = OpenDevice(a.positional()[0]);
  try {
    host::FlashPrimarySlot(*device, component, bytes);
    device->Save();
  } catch (const host::DeviceError& e) {
    throw CliError(a.positional()[1] + ": " + e.what());
  }
  std::printf("%s primary slot programmed (%zu bytes)\n", otp::ComponentName(component),
              bytes.size());
  return cli::kExitOk;
}

int Install(const std::vector<std::string>& args) {
  const cli::ParsedArgs a =
      cli::ParseArgs(args, {{'c', "component", true, false}, {0, "permanent", false, false}});
  if (a.help()) {
    std::fputs(
        "usage: bastion device install DIR --component urot|sm|app IMAGE [--permanent]\n"
        "Writes IMAGE into the component's secondary slot as a download would (one\n"
        "sector in) and marks it for install at the next boot: the stage that owns\n"
        "the component (iROT for urot, uROT for sm and app) installs it if it\n"
        "verifies (key domain, security counter) and boots it in TRIAL; the\n"
        "application must then confirm it (`device request DIR confirm`) or it is\n"
        "reverted at the following reset. --permanent: installed confirmed (no trial).\n"
        "The image must be no larger than the primary slot less its trailer sector.\n"
        "imgtool --pad/--confirm files are accepted: the padding is dropped and\n"
        "--confirm's image_ok installs permanently, as --permanent.\n",
        stdout);
    return cli::kExitOk;
  }
  if (a.positional().size() != 2) throw UsageError("device install takes DIR and IMAGE");
  const otp::Component component = ComponentArgument(a.Require("component"));
  const std::vector<uint8_t> bytes = cli::ReadFile(a.positional()[1]);
  auto device = OpenDevice(a.positional()[0]);
  try {
    host::InstallSecondarySlot(*device, component, bytes, a.Has("permanent"));
    device->Save();
  } catch (const host::DeviceError& e) {
    throw CliError(a.positional()[1] + ": " + e.what());
  }
  std::printf("%s secondary slot written (%zu bytes), staged for %s install at the next boot\n",
              otp::ComponentName(component), bytes.size(),
              a.Has("permanent") ? "a permanent" : "a trial");
  return cli::kExitOk;
}

const char* AppExitText(const host::AppExit& exit, std::string* text) {
  switch (exit.kind) {
    case host::AppExit::Kind::kExited:
      *text = "exited with status " + std::to_string(exit.code);
      if (!exit.detail.empty()) *text += " (" + exit.detail + ")";
      return "exited";
    case host::AppExit::Kind::kSignalled:
      *text = "crashed (signal " + std::to_string(exit.code) + ")";
      return "crashed";
    case host::AppExit::Kind::kWatchdog:
      *text = "hung: the watchdog fired";
      return "watchdog";
    case host::AppExit::Kind::kStartFailed:
      *text = "could not start: " + exit.detail;
      return "not-started";
  }
  return "unknown";
}

json CycleJson(const host::BootCycle& cycle) {
  json j = ReportJson(cycle.boot);
  if (!cycle.boot.app_reached) return j;
  json sm = {{"started", cycle.sm_started}};
  if (!cycle.sm_note.empty()) sm["note"] = cycle.sm_note;
  j["secure_manager"] = sm;
  json app;
  if (cycle.app_started || cycle.exit.kind != host::AppExit::Kind::kStartFailed) {
    std::string text;
    app["end"] = AppExitText(cycle.exit, &text);
    app["detail"] = text;
    if (cycle.exit.kind == host::AppExit::Kind::kExited) app["exit_status"] = cycle.exit.code;
    app["gateway_requests"] = cycle.gateway_requests;
  } else {
    app["end"] = "not-run";
    app["detail"] = cycle.no_app;
  }
  j["application"] = app;
  j["reset"] = cycle.reset;
  return j;
}

void PrintCycleEnd(const host::BootCycle& cycle) {
  if (!cycle.boot.app_reached) return;
  if (!cycle.sm_started) {
    std::printf("sm: %s\n", cycle.sm_note.c_str());
    return;
  }
  if (!cycle.sm_note.empty()) std::printf("sm: %s\n", cycle.sm_note.c_str());
  if (!cycle.app_started && cycle.exit.kind == host::AppExit::Kind::kStartFailed &&
      !cycle.no_app.empty()) {
    std::printf("sm: %s\n", cycle.no_app.c_str());
    return;
  }
  std::string text;
  AppExitText(cycle.exit, &text);
  std::printf("sm: the application %s after %llu gateway request(s)\n", text.c_str(),
              static_cast<unsigned long long>(cycle.gateway_requests));
  if (cycle.reset) std::printf("sm: device reset\n");
}

int Boot(const std::vector<std::string>& args) {
  const cli::ParsedArgs a =
      cli::ParseArgs(args, {{0, "json", false, false}, {0, "watchdog", true, false}});
  if (a.help()) {
    std::fputs(
        "usage: bastion device boot DIR [--json] [--watchdog SECONDS] [-- APP_ARGS...]\n"
        "Resets the device and boots it: iROT verifies uROT, uROT verifies the Secure\n"
        "Manager and the application; the Secure Manager starts its partitions (ITS,\n"
        "PS, platform) and runs the application, a separate process started from the\n"
        "exact verified bytes of the `app` image, serving its PSA calls until it exits.\n"
        "APP_ARGS are passed to it. Prints each stage's decisions, each key domain as\n"
        "its stage left it (slot states, revocation sequence, revocation records\n"
        "used), and the application's output.\n"
        "A hung application (--watchdog, default 10 s) or one that crashes resets\n"
        "the device, as a hardware watchdog would: the chain boots again (reverting\n"
        "an unconfirmed trial image) and runs the application it chose; at most two\n"
        "such resets per command. An `app` image whose payload is not an ELF program\n"
        "is verified and measured but not run.\n"
        "Exit 0 when the application was reached and exited with status 0 (or holds\n"
        "no program). --json prints {booted, reason, images[...], domains[...],\n"
        "requests[...], secure_manager, application, reset} for each boot (one\n"
        "object, or an array when the device reset); the application's output then\n"
        "goes to stderr.\n",
        stdout);
    return cli::kExitOk;
  }
  if (a.positional().empty()) throw UsageError("device boot takes one DIR");
  host::RunOptions options;
  if (const auto watchdog = a.Get("watchdog")) {
    char* end = nullptr;
    const double seconds = std::strtod(watchdog->c_str(), &end);
    if (end == watchdog->c_str() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
      throw UsageError("--watchdog takes a number of seconds (0 < s <= 86400)");
    }
    options.watchdog = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  options.app_args.assign(a.positional().begin() + 1, a.positional().end());
  const bool as_json = a.Has("json");
  options.app_output_to_stderr = as_json;
  auto device = OpenDevice(a.positional()[0]);
  const std::vector<host::BootCycle> cycles = host::RunDevice(
      *device, options,
      [&](const host::BootCycle& cycle) {
        if (!as_json) {
          PrintBootText(cycle.boot);
          std::fflush(stdout);
        }
      },
      [&](const host::BootCycle& cycle) {
        if (!as_json) PrintCycleEnd(cycle);
      });
  const host::BootCycle& last = cycles.back();
  if (as_json) {
    if (cycles.size() == 1) {
      std::printf("%s\n", CycleJson(last).dump(2).c_str());
    } else {
      json all = json::array();
      for (const host::BootCycle& cycle : cycles) all.push_back(CycleJson(cycle));
      std::printf("%s\n", all.dump(2).c_str());
    }
  }
  if (!last.boot.app_reached) {
    std::fprintf(stderr, "bastion: the device did not boot: %s\n",
                 last.boot.report_valid ? FailureText(last.boot.report).c_str()
                                        : "no boot report");
    return cli::kExitFailure;
  }
  const bool app_ok = !last.app_started || (last.exit.kind == host::AppExit::Kind::kExited &&
                                            last.exit.code == 0);
  return app_ok ? cli::kExitOk : cli::kExitFailure;
}

json SlotJson(host::VirtualDevice& device, const otp::FlashRegion& region, bool secondary = false) {
  const auto& flash = device.raw_flash();
  std::vector<uint8_t> bytes(flash.begin() + region.offset,
                             flash.begin() + region.offset + region.size);
  image::ParsedImage parsed;
  image::ImageError error = image::ParseImage(image::SpanImageSource(bytes), &parsed);
  uint32_t image_offset = 0;
  if (error != image::ImageError::kOk && secondary) {
    // A download sits one sector in (the swap's offset); the image an
    // install replaced sits at the start.
    const uint32_t sector = device.geometry().sector_size;
    const std::vector<uint8_t> rest(bytes.begin() + sector, bytes.end());
    const image::ImageError at_offset = image::ParseImage(image::SpanImageSource(rest), &parsed);
    if (at_offset == image::ImageError::kOk) {
      error = at_offset;
      image_offset = sector;
    }
  }
  json j = {{"offset", region.offset}, {"size", region.size}};
  if (secondary && error == image::ImageError::kOk) j["image_offset"] = image_offset;
  if (error == image::ImageError::kOk) {
    j["image"] = {{"version", VersionString(parsed.header.version)},
                  {"security_counter", parsed.security_counter},
                  {"size", parsed.total_size}};
  } else {
    j["image"] = nullptr;
    j["state"] = error == image::ImageError::kSlotEmpty ? "empty" : image::ImageErrorName(error);
  }
  return j;
}

// What a revocation command in the mailbox names (for display only; the
// device decides). Empty when it does not decode.
json PeekRevocation(ConstByteSpan message) {
  cose::ParsedCoseSign parsed;
  revocation::RevocationCommand command;
  if (cose::ParseCoseSign(message, cose::TagPolicy::kRequireTag, &parsed) != cose::CoseError::kOk ||
      revocation::DecodeCommand(parsed.payload, &command) != revocation::PayloadError::kOk) {
    return {{"domain", "unknown"}};
  }
  json slots = json::array();
  for (size_t i = 0; i < command.slot_count; ++i) slots.push_back(command.slots[i]);
  return {{"domain", otp::ComponentName(command.domain)},
          {"slots", slots},
          {"sequence", command.sequence}};
}

// The requests waiting in the mailbox region for the next boot.
json PendingJson(host::VirtualDevice& device) {
  const auto& ram = device.raw_ram();
  const ConstByteSpan bytes(ram.data(), host::kMailboxSize);
  mailbox::Requests requests;
  const mailbox::MailboxError error = mailbox::ParseMailbox(bytes, &requests);
  json j = {{"state",
             error == mailbox::MailboxError::kOk ? "pending" : mailbox::MailboxErrorName(error)}};
  json pending = json::array();
  for (size_t i = 0; i < requests.count; ++i) {
    const mailbox::Request& r = requests.items[i];
    json q = {{"type", mailbox::RequestTypeName(r.type)}};
    if (r.type == mailbox::RequestType::kRevoke) {
      q.update(PeekRevocation(r.data));
      q["size"] = r.data.size();
    } else {
      q["component"] = ComponentName(r.component);
    }
    pending.push_back(q);
  }
  j["requests"] = pending;
  return j;
}

json StatusJson(host::VirtualDevice& device) {
  otp::OtpHeader header;
  json j;
  if (!host::ReadHeader(device, &header)) {
    // Blank, interrupted provisioning, or a layout that does not fit the
    // flash: say which, and show nothing that would need the layout.
    otp::OtpHeader raw;
    std::memcpy(&raw, device.raw_otp().data() + otp::kHeaderOffset, sizeof(raw));
    const bool started = raw.magic == otp::kOtpMagic;
    j["provisioned"] = false;
    j["otp_header"] = !started                                     ? "blank"
                      : raw.complete != otp::kHeaderCompleteMarker ? "incomplete"
                                                                   : "layout-invalid";
    return j;
  }
  j["provisioned"] = true;
  j["lifecycle"] = otp::LifecycleName(otp::LifecycleFromMarks(header.lifecycle_marks));
  j["instance_id"] = cli::Hex(ConstByteSpan(header.instance_id, sizeof(header.instance_id)));
  const auto& geometry = device.geometry();
  j["flash"] = {{"size", geometry.size},
                {"sector_size", geometry.sector_size},
                {"program_unit", geometry.program_unit}};
  j["operations"] = device.operations();
  // Host tools read OTP directly (the device is powered off for them).
  const auto& raw = device.raw_otp();
  json domains = json::object();
  json components = json::object();
  for (size_t c = 0; c < otp::kComponentCount; ++c) {
    const auto component = static_cast<otp::Component>(c);
    otp::OtpDomain d;
    std::memcpy(&d, raw.data() + otp::DomainOffset(component), sizeof(d));
    otp::RevocationLog log;
    const bool log_ok = otp::ReadRevocationLog(d.revocations, &log);
    // The counter and its store's wear (src/counters).
    counters::StoreState store;
    const otp::FlashRegion& store_area = otp::CounterStoreArea(header.layout, component);
    host::RawFlashReader flash(device);
    const bool counter_ok = counters::ReadStore(flash, store_area, &store).ok();
    json counter_store = nullptr;
    if (counter_ok) {
      const uint64_t compactions_total = counters::kMaxGeneration - 1;
      counter_store = {
          {"offset", store_area.offset},
          {"generation", store.generation},
          {"records_used", store.records_used},
          {"records_per_sector", store.records_per_sector},
          {"compactions_used", store.generation - 1},
          {"compactions_total", compactions_total},
          {"raises_left", counters::RaisesLeft(store)},
          {"capacity_used_percent", static_cast<double>(store.generation - 1) * 100.0 /
                                            static_cast<double>(compactions_total) +
                                        static_cast<double>(store.records_used) * 100.0 /
                                            static_cast<double>(store.records_per_sector) /
                                            static_cast<double>(compactions_total)}};
    }
    json slots = json::array();
    for (size_t i = 0; i < otp::kSigningSlots; ++i) {
      // A slot a committed record names is revoked, marker written or not.
      const keys::SlotState s = keys::ClassifySigningSlot(d, i, log_ok ? log.revoked : 0);
      json slot = {{"slot", i}, {"state", keys::SlotStateName(s)}};
      if (s != keys::SlotState::kBlank)
        slot["key_hash"] = cli::Hex(ConstByteSpan(d.signing[i].key_hash, 32));
      slots.push_back(slot);
    }
    json authority = json::array();
    for (size_t i = 0; i < otp::kAuthoritySlots; ++i) {
      const keys::SlotState s = keys::ClassifySlot(d.authority[i]);
      if (s == keys::SlotState::kBlank) continue;
      authority.push_back({{"slot", i},
                           {"state", keys::SlotStateName(s)},
                           {"key_hash", cli::Hex(ConstByteSpan(d.authority[i].key_hash, 32))}});
    }
    const std::string name = otp::ComponentName(component);
    domains[name] = {
        {"threshold", d.config.threshold},
        {"revoke_older_on_confirm", (d.config.flags & otp::kDomainFlagRevokeOlderOnConfirm) != 0},
        {"signing_slots", slots},
        {"authority_slots", authority},
        {"revocation_sequence", log_ok ? json(log.sequence) : json("corrupt")},
        {"revocation_records", log_ok ? json(log.used) : json("corrupt")},
        {"revocation_records_capacity", otp::kLogEntries}};
    components[name] = {{"security_counter", counter_ok ? json(store.values[c]) : json("corrupt")},
                        {"security_counter_store", counter_store},
                        {"primary", SlotJson(device, header.layout.primary[c])},
                        {"secondary", SlotJson(device, header.layout.secondary[c], true)}};
    // Image states from the slot trailers, and the swap journal.
    {
      const update::SlotSet set{header.layout.primary[c], header.layout.secondary[c],
                                otp::SwapStatusArea(header.layout, component)};
      platform::Platform p = device.platform();
      json& comp = components[name];
      comp["primary"]["image_state"] =
          boot::ImageStateName(static_cast<uint8_t>(boot::PrimaryState(p.flash, set)));
      comp["secondary"]["image_state"] =
          boot::ImageStateName(static_cast<uint8_t>(boot::SecondaryState(p.flash, set)));
      update::SwapStatus st;
      if (update::QuerySwap(p.flash, set.scratch, &st).ok() &&
          st.state != update::SwapState::kNone && st.primary_offset == set.primary.offset) {
        comp["swap"] = {
            {"state", st.state == update::SwapState::kComplete ? "complete" : "in-progress"},
            {"kind", st.kind == update::SwapKind::kInstall ? "install" : "revert"},
            {"sequence", st.sequence},
            {"steps_done", st.steps_done},
            {"steps_total", st.steps_total}};
      } else {
        comp["swap"] = nullptr;
      }
    }
  }
  j["domains"] = domains;
  j["components"] = components;
  host::VirtualDevice::BootRun last;
  std::memcpy(&last.report, device.raw_ram().data() + host::kMailboxSize, sizeof(last.report));
  last.report_valid = last.report.magic == boot::kBootReportMagic;
  last.app_reached = last.report_valid && last.report.outcome == boot::BootOutcome::kBooted;
  j["last_boot"] = last.report_valid ? ReportJson(last) : json(nullptr);
  j["mailbox"] = PendingJson(device);
  return j;
}

int StatusCommand(const std::vector<std::string>& args) {
  const cli::ParsedArgs a = cli::ParseArgs(args, {{0, "json", false, false}});
  if (a.help()) {
    std::fputs(
        "usage: bastion device status DIR [--json]\n"
        "Shows lifecycle, instance ID, each key domain's slots (state, key hash),\n"
        "revocation sequence, security counters, each component's slots and the last\n"
        "boot report.\n",
        stdout);
    return cli::kExitOk;
  }
  if (a.positional().size() != 1) throw UsageError("device status takes one DIR");
  auto device = OpenDevice(a.positional()[0]);
  const json j = StatusJson(*device);
  if (a.Has("json")) {
    std::printf("%s\n", j.dump(2).c_str());
    return cli::kExitOk;
  }
  if (!j["provisioned"].get<bool>()) {
    std::printf("not provisioned (OTP header: %s)\n", j["otp_header"].get<std::string>().c_str());
    return cli::kExitOk;
  }
  std::printf("lifecycle:   %s\ninstance ID: %s\n", j["lifecycle"].get<std::string>().c_str(),
              j["instance_id"].get<std::string>().c_str());
  for (const char* name : {"urot", "sm", "app"}) {
    const json& d = j["domains"][name];
    const json& c = j["components"][name];
    std::printf("%s: threshold %d, revocation sequence %s (%s of %zu records used)\n", name,
                d["threshold"].get<int>(), d["revocation_sequence"].dump().c_str(),
                d["revocation_records"].dump().c_str(), otp::kLogEntries);
    if (c["security_counter_store"].is_null()) {
      std::printf("  security counter: store corrupt\n");
    } else {
      const json& st = c["security_counter_store"];
      std::printf(
          "  security counter %s (store: %u of %u records in generation %u, %.4f%% of its "
          "life used, %llu raises left)\n",
          c["security_counter"].dump().c_str(), st["records_used"].get<uint32_t>(),
          st["records_per_sector"].get<uint32_t>(), st["generation"].get<uint32_t>(),
          st["capacity_used_percent"].get<double>(),
          static_cast<unsigned long long>(st["raises_left"].get<uint64_t>()));
    }
    for (const json& s : d["signing_slots"]) {
      std::printf("  key slot %d: %-11s %s\n", s["slot"].get<int>(),
                  s["state"].get<std::string>().c_str(),
                  s.contains("key_hash") ? s["key_hash"].get<std::string>().c_str() : "");
    }
    for (const json& s : d["authority_slots"]) {
      std::printf("  authority %d: %-11s %s\n", s["slot"].get<int>(),
                  s["state"].get<std::string>().c_str(), s["key_hash"].get<std::string>().c_str());
    }
    for (const char* which : {"primary", "secondary"}) {
      const json& slot = c[which];
      if (slot["image"].is_null()) {
        std::printf("  %-9s %-9s %s\n", which, slot["image_state"].get<std::string>().c_str(),
                    slot["state"].get<std::string>().c_str());
      } else {
        std::printf("  %-9s %-9s image %s (security counter %u)\n", which,
                    slot["image_state"].get<std::string>().c_str(),
                    slot["image"]["version"].get<std::string>().c_str(),
                    slot["image"]["security_counter"].get<uint32_t>());
      }
    }
    if (!c["swap"].is_null()) {
      std::printf("  swap      %s %s (sequence %u, %u/%u steps)\n",
                  c["swap"]["kind"].get<std::string>().c_str(),
                  c["swap"]["state"].get<std::string>().c_str(),
                  c["swap"]["sequence"].get<uint32_t>(), c["swap"]["steps_done"].get<uint32_t>(),
                  c["swap"]["steps_total"].get<uint32_t>());
    }
  }
  const json& pending = j["mailbox"]["requests"];
  if (pending.empty()) {
    std::printf("mailbox: %s\n", j["mailbox"]["state"].get<std::string>().c_str());
  } else {
    std::printf("mailbox: %zu request(s) pending for the next boot\n", pending.size());
    for (const json& q : pending) {
      if (q["type"] == "revoke") {
        std::printf("  revoke %s slots %s sequence %s\n", q["domain"].get<std::string>().c_str(),
                    q.value("slots", json::array()).dump().c_str(),
                    q.value("sequence", json("?")).dump().c_str());
      } else {
        std::printf("  %s %s\n", q["type"].get<std::string>().c_str(),
                    q["component"].get<std::string>().c_str());
      }
    }
  }
  if (!j["last_boot"].is_null()) {
    const json& b = j["last_boot"];
    for (const json& q : b["requests"]) {
      std::printf("last boot request %s %s: %s\n", q["type"].get<std::string>().c_str(),
                  q.contains("domain") ? q["domain"].get<std::string>().c_str()
                                       : q["component"].get<std::string>().c_str(),
                  q["outcome"].get<std::string>().c_str());
    }
  }
  if (j["last_boot"].is_null()) {
    std::printf("last boot: none since power-on\n");
  } else {
    const json& b = j["last_boot"];
    std::printf("last boot: %s\n", b["booted"].get<bool>()
                                       ? "application started"
                                       : ("stopped: " + b["reason"].get<std::string>()).c_str());
  }
  return cli::kExitOk;
}

int RequestCommand(const std::vector<std::string>& args) {
  const cli::ParsedArgs a = cli::ParseArgs(args, {{'c', "component", true, false}});
  if (a.help()) {
    std::fputs(
        "usage: bastion device request DIR confirm|reject [--component urot|sm|app]\n"
        "       bastion device request DIR revoke CMD.cose\n"
        "Appends a request to the device's mailbox (shared RAM, kept across a warm\n"
        "reset), exactly as the application will; the next `device boot` acts on it\n"
        "and reports its outcome. At most 4 requests fit, and a revocation command\n"
        "must fit the 1 KiB mailbox. --component defaults to app.\n",
        stdout);
    return cli::kExitOk;
  }
  const auto& pos = a.positional();
  if (pos.size() < 2) throw UsageError("device request takes DIR and confirm|reject|revoke");
  const std::string& what = pos[1];
  mailbox::Request request;
  std::vector<uint8_t> command;
  if (what == "confirm" || what == "reject") {
    if (pos.size() != 2) throw UsageError("device request " + what + " takes no file");
    request.type =
        what == "confirm" ? mailbox::RequestType::kConfirm : mailbox::RequestType::kReject;
    request.component = static_cast<uint8_t>(ComponentArgument(a.Get("component").value_or("app")));
  } else if (what == "revoke") {
    if (pos.size() != 3) throw UsageError("device request revoke takes one CMD.cose");
    if (a.Has("component"))
      throw UsageError("revoke takes no --component (the command names its domain)");
    command = cli::ReadFile(pos[2]);
    if (command.empty()) throw CliError(pos[2] + ": empty file");
    request.type = mailbox::RequestType::kRevoke;
    request.component = mailbox::kAnyComponent;
    request.data = ConstByteSpan(command.data(), command.size());
  } else {
    throw UsageError("unknown request '" + what + "' (confirm, reject or revoke)");
  }

  auto device = OpenDevice(pos[0]);
  ByteSpan region;
  if (!device->Region(platform::RamRegion::kMailbox, &region).ok()) {
    throw CliError("cannot reach the mailbox region");
  }
  const std::vector<uint8_t> current(region.begin(), region.end());
  mailbox::Requests existing;
  const mailbox::MailboxError error = mailbox::ParseMailbox(current, &existing);
  if (error != mailbox::MailboxError::kOk && error != mailbox::MailboxError::kEmpty) {
    std::fprintf(stderr, "bastion: warning: the mailbox held unparseable contents (%s); replaced\n",
                 mailbox::MailboxErrorName(error));
    existing.count = 0;
  }
  if (existing.count >= mailbox::kMaxRequests) {
    throw CliError("the mailbox is full (" + std::to_string(mailbox::kMaxRequests) +
                   " requests); boot the device first");
  }
  std::vector<mailbox::Request> all(existing.items, existing.items + existing.count);
  all.push_back(request);
  std::vector<uint8_t> built(region.size());
  const Status status = mailbox::BuildMailbox(all.data(), all.size(), built);
  if (!status.ok()) {
    throw CliError(status.code() == StatusCode::kResourceExhausted
                       ? "the request does not fit in the mailbox (" +
                             std::to_string(region.size()) + " bytes, " +
                             std::to_string(command.size()) + "-byte command)"
                       : "invalid request");
  }
  std::memcpy(region.data(), built.data(), built.size());
  device->Save();
  if (request.type == mailbox::RequestType::kRevoke) {
    const json peek = PeekRevocation(request.data);
    std::printf("queued: revoke %s (%zu-byte command, domain %s), request %zu of %zu\n",
                pos[2].c_str(), command.size(), peek["domain"].get<std::string>().c_str(),
                all.size(), mailbox::kMaxRequests);
  } else {
    std::printf("queued: %s %s, request %zu of %zu\n", what.c_str(),
                ComponentName(request.component).c_str(), all.size(), mailbox::kMaxRequests);
  }
  return cli::kExitOk;
}

int PowerCycle(const std::vector<std::string>& args) {
  const cli::ParsedArgs a = cli::ParseArgs(args, {});
  if (a.help()) {
    std::fputs("usage: bastion device power-cycle DIR\nCuts power: RAM regions are cleared.\n",
               stdout);
    return cli::kExitOk;
  }
  if (a.positional().size() != 1) throw UsageError("device power-cycle takes one DIR");
  auto device = OpenDevice(a.positional()[0]);
  device->PowerCycle();
  device->Save();
  std::printf("power cycled\n");
  return cli::kExitOk;
}

}  // namespace

int RunDeviceCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(kDeviceUsage, stderr);
    return cli::kExitUsage;
  }
  const std::string sub = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "-h" || sub == "--help") {
    std::fputs(kDeviceUsage, stdout);
    return cli::kExitOk;
  }
  if (sub == "create") return Create(rest);
  if (sub == "flash") return Flash(rest);
  if (sub == "install") return Install(rest);
  if (sub == "boot") return Boot(rest);
  if (sub == "status") return StatusCommand(rest);
  if (sub == "request") return RequestCommand(rest);
  if (sub == "power-cycle") return PowerCycle(rest);
  if (sub == "iak") return cli::RunDeviceIak(rest);
  if (sub == "attest") return cli::RunDeviceAttest(rest);
  throw UsageError("unknown device subcommand '" + sub + "' (see bastion device --help)");
}
