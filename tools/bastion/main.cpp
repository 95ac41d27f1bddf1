// `bastion`: keys, signed images and the virtual device, from the host.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"

namespace {

constexpr const char* kUsage =
    "usage: bastion <command> [options] [args]\n"
    "\n"
    "Keys:\n"
    "  keygen      generate an ECDSA P-256 or P-384 signing key\n"
    "  getpub      print a key's public key (pem, raw DER or a C array)\n"
    "  getpubhash  print the SHA-256 of a key's SubjectPublicKeyInfo (OTP key slot value)\n"
    "Images (MCUboot format):\n"
    "  sign        sign a binary into an MCUboot image\n"
    "  verify      verify a signed image with a key\n"
    "  dumpinfo    print an image's header, TLVs and trailer (text or --json)\n"
    "Key revocation:\n"
    "  revoke      make (or --inspect) a signed revocation command\n"
    "Attestation:\n"
    "  attest      verify an Initial Attestation token (attest verify TOKEN --iak PUB)\n"
    "Virtual device:\n"
    "  device      drive a virtual device (bastion device --help)\n"
    "\n"
    "Run 'bastion <command> --help' for a command's options.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs("bastion: missing command (see bastion --help)\n", stderr);
    return bastion::cli::kExitUsage;
  }
  const std::string command = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help" || command == "help") {
    std::fputs(kUsage, stdout);
    return bastion::cli::kExitOk;
  }
  try {
    using namespace bastion::cli;
    if (command == "keygen") return RunKeygen(rest);
    if (command == "getpub") return RunGetpub(rest);
    if (command == "getpubhash") return RunGetpubhash(rest);
    if (command == "sign" || command == "create") return RunSign(rest);
    if (command == "verify") return RunVerify(rest);
    if (command == "dumpinfo") return RunDumpinfo(rest);
    if (command == "revoke") return RunRevoke(rest);
    if (command == "device") return RunDeviceCommand(rest);
    if (command == "attest") return RunAttest(rest);
    throw UsageError("unknown command '" + command + "' (see bastion --help)");
  } catch (const bastion::cli::CliError& e) {
    std::fprintf(stderr, "bastion: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bastion: internal error: %s\n", e.what());
    return bastion::cli::kExitFailure;
  }
}
