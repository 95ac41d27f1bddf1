#include "cli_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace bastion::cli {

bool ParsedArgs::Has(const std::string& long_name) const { return values_.count(long_name) != 0; }

std::optional<std::string> ParsedArgs::Get(const std::string& long_name) const {
  auto it = values_.find(long_name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::Require(const std::string& long_name) const {
  auto value = Get(long_name);
  if (!value) throw UsageError("missing required option --" + long_name);
  return *value;
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& long_name) const {
  auto it = values_.find(long_name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

ParsedArgs ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
  ParsedArgs parsed;
  auto record = [&](const OptionSpec& spec, const std::string& shown, std::string value) {
    auto& slot = parsed.values_[spec.long_name];
    if (!spec.repeatable && !slot.empty()) {
      throw UsageError("option " + shown + " given more than once");
    }
    slot.push_back(std::move(value));
  };
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help_ = true;
      continue;
    }
    const OptionSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    std::string shown;
    if (arg[1] == '-') {
      std::string name = arg.substr(2);
      const size_t eq = name.find('=');
      if (eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      for (const auto& s : specs) {
        if (s.long_name == name) spec = &s;
      }
      shown = "--" + name;
      if (spec == nullptr) throw UsageError("unknown option " + shown);
      if (!spec->takes_value && inline_value)
        throw UsageError("option " + shown + " takes no value");
    } else {
      for (const auto& s : specs) {
        if (s.short_name != 0 && s.short_name == arg[1]) spec = &s;
      }
      shown = arg.substr(0, 2);
      if (spec == nullptr) throw UsageError("unknown option " + shown);
      if (arg.size() > 2) {
        if (!spec->takes_value) throw UsageError("option " + shown + " takes no value");
        inline_value = arg.substr(2);
      }
    }
    if (spec->takes_value) {
      if (!inline_value) {
        if (i + 1 >= args.size()) throw UsageError("option " + shown + " needs a value");
        inline_value = args[++i];
      }
      record(*spec, shown, *inline_value);
    } else {
      record(*spec, shown, "");
    }
  }
  return parsed;
}

uint64_t ParseNumber(const std::string& text, const std::string& what, uint64_t max) {
  std::string digits = text;
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits = digits.substr(2);
    base = 16;
  }
  if (digits.empty() || digits.size() > 20)
    throw UsageError(what + ": '" + text + "' is not a number");
  uint64_t value = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      throw UsageError(what + ": '" + text + "' is not a number (decimal or 0x hex)");
    }
    if (value > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      throw UsageError(what + ": '" + text + "' is out of range");
    }
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (value > max) {
    throw UsageError(what + ": '" + text + "' is out of range (max " + std::to_string(max) + ")");
  }
  return value;
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    throw CliError("cannot read " + path + ": not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CliError("cannot read " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) throw CliError("cannot read " + path + ": read error");
  return bytes;
}

namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void WriteFileAtomic(const std::string& path, ConstByteSpan bytes, unsigned mode, bool exclusive) {
  if (path.empty()) throw CliError("empty output path");
  struct stat st {};
  if (exclusive && lstat(path.c_str(), &st) == 0) {
    throw CliError(path + " already exists (use --force to overwrite)");
  }
  std::string tmp = DirectoryOf(path) + "/.bastion-tmp-XXXXXX";
  std::vector<char> tmpl(tmp.begin(), tmp.end());
  tmpl.push_back('\0');
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) throw CliError("cannot create a file next to " + path + ": " + std::strerror(errno));
  tmp = tmpl.data();
  auto fail = [&](const std::string& what) {
    const int saved = errno;
    close(fd);
    unlink(tmp.c_str());
    throw CliError("cannot write " + path + ": " + what + ": " + std::strerror(saved));
  };
  if (fchmod(fd, static_cast<mode_t>(mode)) != 0) fail("chmod");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) fail("fsync");
  if (close(fd) != 0) {
    const int saved = errno;
    unlink(tmp.c_str());
    throw CliError("cannot write " + path + ": close: " + std::strerror(saved));
  }
  if (exclusive) {
    // link() fails if the target appeared meanwhile: no silent overwrite.
    if (link(tmp.c_str(), path.c_str()) != 0) {
      const int saved = errno;
      unlink(tmp.c_str());
      throw CliError("cannot write " + path + ": " + std::strerror(saved));
    }
    unlink(tmp.c_str());
  } else if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    unlink(tmp.c_str());
    throw CliError("cannot write " + path + ": rename: " + std::strerror(saved));
  }
  // Make the rename durable.
  const int dfd = open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

void WriteStdout(ConstByteSpan bytes) {
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
    throw CliError("cannot write to stdout");
  }
  if (std::fflush(stdout) != 0) throw CliError("cannot write to stdout");
}

void ReadEntropy(ByteSpan out) {
  const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw CliError(std::string("cannot open /dev/urandom: ") + std::strerror(errno));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      throw CliError("cannot read /dev/urandom");
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
}

std::string Hex(ConstByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace bastion::cli

namespace bastion::cli {

namespace {

void ParseKey(const std::string& path, crypto::EcPublicKey* pub, crypto::EcKeyPair* priv) {
  std::vector<uint8_t> contents = ReadFile(path);
  const Status status = crypto::ParseKeyFile(contents, pub, priv);
  SecureWipe(contents.data(), contents.size());
  if (status.code() == StatusCode::kNotFound) {
    throw CliError(path + " holds a public key; a private key is needed");
  }
  if (!status.ok()) {
    throw CliError(path + " is not an ECDSA P-256 or P-384 key (PEM or DER)");
  }
}

}  // namespace

crypto::EcKeyPair LoadPrivateKey(const std::string& path) {
  crypto::EcPublicKey pub;
  crypto::EcKeyPair priv;
  ParseKey(path, &pub, &priv);
  return priv;
}

crypto::EcPublicKey LoadPublicKey(const std::string& path) {
  crypto::EcPublicKey pub;
  ParseKey(path, &pub, nullptr);
  return pub;
}

std::vector<uint8_t> SpkiDer(const crypto::EcPublicKey& key) {
  std::vector<uint8_t> der(crypto::kMaxSpkiDerSize);
  size_t written = 0;
  if (!crypto::WritePublicKeySpki(key, der, &written).ok()) {
    throw CliError("cannot encode the public key");
  }
  der.resize(written);
  return der;
}

}  // namespace bastion::cli
