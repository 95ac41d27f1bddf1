// The revocation command payload: what a COSE_Sign-signed
// revocation command says, and its strict CBOR codec. docs/revocation.md
// pins the format:
//
//   { 1: domain      text "urot" | "sm" | "app"
//     2: slots       array of 1..4 distinct signing-slot indices < 4, ascending
//     3: sequence    uint 1 .. 2^32 - 2 (stored in OTP as value + 1)
//     4: instance_id bstr .size 32, optional (absent: every device) }
//
// Decoding is strict: one deterministic CBOR map (sorted unsigned keys, no
// duplicates, shortest heads), no unknown key, nothing after the map. The
// encoder writes exactly the bytes the decoder accepts (tools, tests).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "otp/otp_map.h"

namespace bastion::revocation {

constexpr uint64_t kKeyDomain = 1;
constexpr uint64_t kKeySlots = 2;
constexpr uint64_t kKeySequence = 3;
constexpr uint64_t kKeyInstanceId = 4;

constexpr size_t kMaxSlotsPerCommand = otp::kSigningSlots;
constexpr uint32_t kMinSequence = 1;
// The log stores value + 1 in a 32-bit word (0 = empty entry).
constexpr uint32_t kMaxSequence = 0xfffffffeu;
constexpr size_t kInstanceIdSize = 32;
// The largest payload the encoder can produce is 54 bytes.
constexpr size_t kMaxPayloadSize = 64;

struct RevocationCommand {
  otp::Component domain = otp::Component::kApp;
  std::array<uint8_t, kMaxSlotsPerCommand> slots{};  // ascending, distinct
  uint8_t slot_count = 0;                            // 1..4
  uint32_t sequence = 0;
  bool has_instance_id = false;
  std::array<uint8_t, kInstanceIdSize> instance_id{};

  // Whether signing slot `slot` is among those this command revokes.
  bool Revokes(size_t slot) const;
};

// Why a payload was refused. Stable numbers: reported with the refusal.
enum class PayloadError : uint8_t {
  kOk = 0,
  kMalformedCbor = 1,   // not strict CBOR, not one map, or bytes after it
  kTooLarge = 2,        // more than kMaxPayloadSize bytes
  kUnknownKey = 3,      // a key other than the unsigned 1..4
  kMissingField = 4,    // domain, slots or sequence absent
  kBadDomain = 5,       // domain not "urot" / "sm" / "app" (or not text)
  kBadSlots = 6,        // slots not an array of 1..4 ascending distinct uints
  kSlotOutOfRange = 7,  // a slot index >= otp::kSigningSlots
  kBadSequence = 8,     // sequence not a uint in kMinSequence..kMaxSequence
  kBadInstanceId = 9,   // instance_id not a 32-byte bstr
};

// Short stable name ("unknown-key", ...).
const char* PayloadErrorName(PayloadError error);

// Decodes a payload. Returns kOk and fills *out, or the first refusal (*out
// is then unspecified).
[[nodiscard]] PayloadError DecodeCommand(ConstByteSpan payload, RevocationCommand* out);

// Checks a command against the rules DecodeCommand applies. Returns kOk or
// the PayloadError DecodeCommand would report for its encoding.
[[nodiscard]] PayloadError ValidateCommand(const RevocationCommand& command);

// Encodes `command` as its deterministic payload. Returns kOk with *written
// set, kInvalidArgument (the command breaks a rule of ValidateCommand), or
// kResourceExhausted (`out` too small; kMaxPayloadSize always suffices).
Status EncodeCommand(const RevocationCommand& command, ByteSpan out, size_t* written);

// Parses "urot" / "sm" / "app". Returns false for anything else.
[[nodiscard]] bool ParseDomainName(ConstByteSpan text, otp::Component* out);

}  // namespace bastion::revocation
