// The `bastion` subcommands. Each takes the words after its name and returns
// the process exit code (see cli_util.h); errors may also be thrown as
// cli::CliError, which main turns into "bastion: <message>".
#pragma once

#include <string>
#include <vector>

namespace bastion::cli {

int RunKeygen(const std::vector<std::string>& args);
int RunGetpub(const std::vector<std::string>& args);
int RunGetpubhash(const std::vector<std::string>& args);
int RunSign(const std::vector<std::string>& args);
int RunVerify(const std::vector<std::string>& args);
int RunDumpinfo(const std::vector<std::string>& args);
// `bastion revoke` (tools/bastion/cmd_revoke.cpp).
int RunRevoke(const std::vector<std::string>& args);
// `bastion attest verify`, `bastion device iak`, `bastion device attest`
// (tools/bastion/cmd_attest.cpp).
int RunAttest(const std::vector<std::string>& args);
int RunDeviceIak(const std::vector<std::string>& args);
int RunDeviceAttest(const std::vector<std::string>& args);

}  // namespace bastion::cli

// `bastion device ...` (tools/bastion/cmd_device.cpp).
int RunDeviceCommand(const std::vector<std::string>& args);
