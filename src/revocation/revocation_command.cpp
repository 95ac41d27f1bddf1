#include "revocation/revocation_command.h"

#include <cstring>
#include <string_view>

#include "cbor/cbor.h"

namespace bastion::revocation {
namespace {

constexpr std::string_view kDomainNames[otp::kComponentCount] = {"urot", "sm", "app"};

}  // namespace

bool RevocationCommand::Revokes(size_t slot) const {
  for (size_t i = 0; i < slot_count && i < slots.size(); ++i) {
    if (slots[i] == slot) return true;
  }
  return false;
}

const char* PayloadErrorName(PayloadError error) {
  switch (error) {
    case PayloadError::kOk:
      return "ok";
    case PayloadError::kMalformedCbor:
      return "malformed-cbor";
    case PayloadError::kTooLarge:
      return "too-large";
    case PayloadError::kUnknownKey:
      return "unknown-key";
    case PayloadError::kMissingField:
      return "missing-field";
    case PayloadError::kBadDomain:
      return "bad-domain";
    case PayloadError::kBadSlots:
      return "bad-slots";
    case PayloadError::kSlotOutOfRange:
      return "slot-out-of-range";
    case PayloadError::kBadSequence:
      return "bad-sequence";
    case PayloadError::kBadInstanceId:
      return "bad-instance-id";
  }
  return "unknown";
}

bool ParseDomainName(ConstByteSpan text, otp::Component* out) {
  for (size_t i = 0; i < otp::kComponentCount; ++i) {
    if (cbor::Equals(text, kDomainNames[i])) {
      *out = static_cast<otp::Component>(i);
      return true;
    }
  }
  return false;
}

PayloadError DecodeCommand(ConstByteSpan payload, RevocationCommand* out) {
  using cbor::MajorType;
  if (payload.size() > kMaxPayloadSize) return PayloadError::kTooLarge;
  // One check of the map (strict, the slots array the only nesting), then
  // its pairs are read from checked input; trailing bytes are refused last.
  size_t end = 0;
  if (cbor::CheckItem(payload, &end, /*max_depth=*/2, /*check_map_order=*/true) !=
      cbor::CborError::kOk) {
    return PayloadError::kMalformedCbor;
  }
  cbor::Reader r(payload);
  if (r.Next() != MajorType::kMap) return PayloadError::kMalformedCbor;
  RevocationCommand command;
  uint32_t seen = 0;  // bit k: key k (strict map: no duplicates)
  for (size_t pairs = r.argument32(); pairs > 0; --pairs) {
    if (r.Next() != MajorType::kUnsigned) return PayloadError::kUnknownKey;
    const uint32_t key = r.argument32();
    if (key < kKeyDomain || key > kKeyInstanceId) return PayloadError::kUnknownKey;
    seen |= 1u << key;
    const MajorType type = r.Next();
    if (key == kKeyDomain) {
      if (type != MajorType::kText || !ParseDomainName(r.content(), &command.domain)) {
        return PayloadError::kBadDomain;
      }
    } else if (key == kKeySlots) {
      if (type != MajorType::kArray || r.argument32() < 1 || r.argument32() > kMaxSlotsPerCommand) {
        return PayloadError::kBadSlots;
      }
      const uint32_t count = r.argument32();
      for (size_t i = 0; i < count; ++i) {
        if (r.Next() != MajorType::kUnsigned) return PayloadError::kBadSlots;
        const uint32_t slot = r.argument32();  // saturated: still out of range
        if (i > 0 && slot <= command.slots[i - 1]) return PayloadError::kBadSlots;
        if (slot >= otp::kSigningSlots) return PayloadError::kSlotOutOfRange;
        command.slots[i] = static_cast<uint8_t>(slot);
      }
      command.slot_count = static_cast<uint8_t>(count);
    } else if (key == kKeySequence) {
      // Saturated at UINT32_MAX, a larger value is still above kMaxSequence.
      if (type != MajorType::kUnsigned || r.argument32() < kMinSequence ||
          r.argument32() > kMaxSequence) {
        return PayloadError::kBadSequence;
      }
      command.sequence = r.argument32();
    } else {
      if (type != MajorType::kBytes || r.content().size() != kInstanceIdSize) {
        return PayloadError::kBadInstanceId;
      }
      std::memcpy(command.instance_id.data(), r.content().data(), kInstanceIdSize);
      command.has_instance_id = true;
    }
  }
  if (end != payload.size()) return PayloadError::kMalformedCbor;
  constexpr uint32_t kRequired = 1u << kKeyDomain | 1u << kKeySlots | 1u << kKeySequence;
  if ((seen & kRequired) != kRequired) return PayloadError::kMissingField;
  *out = command;
  return PayloadError::kOk;
}

PayloadError ValidateCommand(const RevocationCommand& command) {
  if (static_cast<size_t>(command.domain) >= otp::kComponentCount) return PayloadError::kBadDomain;
  if (command.slot_count < 1 || command.slot_count > kMaxSlotsPerCommand) {
    return PayloadError::kBadSlots;
  }
  for (size_t i = 0; i < command.slot_count; ++i) {
    if (i > 0 && command.slots[i] <= command.slots[i - 1]) return PayloadError::kBadSlots;
    if (command.slots[i] >= otp::kSigningSlots) return PayloadError::kSlotOutOfRange;
  }
  if (command.sequence < kMinSequence || command.sequence > kMaxSequence) {
    return PayloadError::kBadSequence;
  }
  return PayloadError::kOk;
}

Status EncodeCommand(const RevocationCommand& command, ByteSpan out, size_t* written) {
  if (ValidateCommand(command) != PayloadError::kOk) return StatusCode::kInvalidArgument;
  cbor::Encoder e(out);
  e.BeginMap(command.has_instance_id ? 4 : 3);
  e.WriteUnsigned(kKeyDomain);
  e.WriteText(kDomainNames[static_cast<size_t>(command.domain)]);
  e.WriteUnsigned(kKeySlots);
  e.BeginArray(command.slot_count);
  for (size_t i = 0; i < command.slot_count; ++i) e.WriteUnsigned(command.slots[i]);
  e.WriteUnsigned(kKeySequence);
  e.WriteUnsigned(command.sequence);
  if (command.has_instance_id) {
    e.WriteUnsigned(kKeyInstanceId);
    e.WriteBytes(command.instance_id);
  }
  BASTION_TRY(e.status());
  *written = e.size();
  return StatusCode::kOk;
}

}  // namespace bastion::revocation
