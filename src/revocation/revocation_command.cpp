#include "revocation/revocation_command.h"

#include "cbor/cbor.h"

namespace bastion::revocation {
namespace {

constexpr const char* kDomainNames[otp::kComponentCount] = {"urot", "sm", "app"};

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
  if (payload.size() > kMaxPayloadSize) return PayloadError::kTooLarge;
  RevocationCommand command;
  cbor::Decoder d(payload, 2);
  size_t pairs = 0;
  if (!d.EnterMapStrict(&pairs).ok()) return PayloadError::kMalformedCbor;
  bool seen[5] = {};
  for (size_t p = 0; p < pairs; ++p) {
    const Result<cbor::MajorType> type = d.PeekType();
    if (!type.ok()) return PayloadError::kMalformedCbor;
    if (*type != cbor::MajorType::kUnsigned) return PayloadError::kUnknownKey;
    uint64_t key = 0;
    if (!d.ReadUnsigned(&key).ok()) return PayloadError::kMalformedCbor;
    if (key < kKeyDomain || key > kKeyInstanceId) return PayloadError::kUnknownKey;
    seen[key] = true;  // strict map: no duplicates
    if (key == kKeyDomain) {
      ConstByteSpan text;
      const Result<cbor::MajorType> t = d.PeekType();
      if (!t.ok()) return PayloadError::kMalformedCbor;
      if (*t != cbor::MajorType::kText) return PayloadError::kBadDomain;
      if (!d.ReadText(&text).ok()) return PayloadError::kMalformedCbor;
      if (!ParseDomainName(text, &command.domain)) return PayloadError::kBadDomain;
    } else if (key == kKeySlots) {
      const Result<cbor::MajorType> t = d.PeekType();
      if (!t.ok()) return PayloadError::kMalformedCbor;
      if (*t != cbor::MajorType::kArray) return PayloadError::kBadSlots;
      size_t count = 0;
      if (!d.EnterArray(&count).ok()) return PayloadError::kMalformedCbor;
      if (count < 1 || count > kMaxSlotsPerCommand) return PayloadError::kBadSlots;
      for (size_t i = 0; i < count; ++i) {
        const Result<cbor::MajorType> st = d.PeekType();
        if (!st.ok()) return PayloadError::kMalformedCbor;
        if (*st != cbor::MajorType::kUnsigned) return PayloadError::kBadSlots;
        uint64_t slot = 0;
        if (!d.ReadUnsigned(&slot).ok()) return PayloadError::kMalformedCbor;
        if (i > 0 && slot <= command.slots[i - 1]) return PayloadError::kBadSlots;
        if (slot >= otp::kSigningSlots) return PayloadError::kSlotOutOfRange;
        command.slots[i] = static_cast<uint8_t>(slot);
      }
      command.slot_count = static_cast<uint8_t>(count);
      if (!d.Exit().ok()) return PayloadError::kMalformedCbor;
    } else if (key == kKeySequence) {
      const Result<cbor::MajorType> t = d.PeekType();
      if (!t.ok()) return PayloadError::kMalformedCbor;
      if (*t != cbor::MajorType::kUnsigned) return PayloadError::kBadSequence;
      uint64_t sequence = 0;
      if (!d.ReadUnsigned(&sequence).ok()) return PayloadError::kMalformedCbor;
      if (sequence < kMinSequence || sequence > kMaxSequence) return PayloadError::kBadSequence;
      command.sequence = static_cast<uint32_t>(sequence);
    } else {
      const Result<cbor::MajorType> t = d.PeekType();
      if (!t.ok()) return PayloadError::kMalformedCbor;
      if (*t != cbor::MajorType::kBytes) return PayloadError::kBadInstanceId;
      ConstByteSpan id;
      if (!d.ReadBytes(&id).ok()) return PayloadError::kMalformedCbor;
      if (id.size() != kInstanceIdSize) return PayloadError::kBadInstanceId;
      for (size_t i = 0; i < kInstanceIdSize; ++i) command.instance_id[i] = id[i];
      command.has_instance_id = true;
    }
  }
  if (!d.Exit().ok() || !d.Finish().ok()) return PayloadError::kMalformedCbor;
  if (!seen[kKeyDomain] || !seen[kKeySlots] || !seen[kKeySequence]) {
    return PayloadError::kMissingField;
  }
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
