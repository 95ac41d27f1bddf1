// Shared helpers of the `bastion` command-line tool: a small option parser,
// whole-file reading, atomic file writing, errors and entropy.
//
// Exit codes of every command: 0 success, 1 failure (bad input, failed
// verification, I/O error), 2 usage error (unknown option, missing or
// malformed argument). Errors are one line on stderr: "bastion: <message>".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "crypto/crypto.h"

namespace bastion::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A one-line error; main prints "bastion: <what>" and exits with exit_code.
class CliError : public std::runtime_error {
 public:
  explicit CliError(const std::string& message, int exit_code = kExitFailure)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A usage error (exit code 2).
class UsageError : public CliError {
 public:
  explicit UsageError(const std::string& message) : CliError(message, kExitUsage) {}
};

// One option a command accepts.
struct OptionSpec {
  char short_name = 0;    // 0: long form only
  std::string long_name;  // without the leading "--"
  bool takes_value = false;
  bool repeatable = false;
};

// The parsed command line of one command.
class ParsedArgs {
 public:
  bool Has(const std::string& long_name) const;
  // The value of an option given once (the last one if repeatable).
  std::optional<std::string> Get(const std::string& long_name) const;
  // The value, or a UsageError "missing required option --name".
  std::string Require(const std::string& long_name) const;
  std::vector<std::string> GetAll(const std::string& long_name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  bool help() const { return help_; }

 private:
  friend ParsedArgs ParseArgs(const std::vector<std::string>&, const std::vector<OptionSpec>&);
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

// Parses `args` (the words after the command name). Accepts "-k V", "-kV",
// "--key V", "--key=V", flags, "--" to end options, and -h/--help anywhere.
// Throws UsageError for unknown options, missing values, a value given to a
// flag, or a non-repeatable option given twice.
ParsedArgs ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);

// Parses an unsigned number: decimal or 0x/0X hexadecimal, no sign, no
// trailing characters, at most `max`. Throws UsageError naming `what`.
uint64_t ParseNumber(const std::string& text, const std::string& what, uint64_t max = UINT32_MAX);

// Reads a whole file. Throws CliError "cannot read PATH: reason".
std::vector<uint8_t> ReadFile(const std::string& path);

// Writes `bytes` to `path` atomically: a temporary file in the same
// directory is written, fsync'ed, chmod'ed to `mode` and renamed over
// `path`; on any error it is removed and CliError thrown, so `path` is never
// left partially written. With exclusive, refuses (CliError) when `path`
// already exists.
void WriteFileAtomic(const std::string& path, ConstByteSpan bytes, unsigned mode = 0644,
                     bool exclusive = false);

// Writes bytes to stdout (binary). Throws CliError on failure.
void WriteStdout(ConstByteSpan bytes);

// Fills `out` from /dev/urandom. Throws CliError on failure.
void ReadEntropy(ByteSpan out);

// Lower-case hex of `bytes`.
std::string Hex(ConstByteSpan bytes);

}  // namespace bastion::cli

// ---- Key files (PEM or DER, as crypto::ParseKeyFile accepts) ----

namespace bastion::cli {

// Loads a private key. Throws CliError when the file cannot be read, does
// not hold a P-256/P-384 key, or holds only a public key.
crypto::EcKeyPair LoadPrivateKey(const std::string& path);
// Loads the public key of a private or public key file.
crypto::EcPublicKey LoadPublicKey(const std::string& path);
// DER SubjectPublicKeyInfo of `key`.
std::vector<uint8_t> SpkiDer(const crypto::EcPublicKey& key);

}  // namespace bastion::cli
