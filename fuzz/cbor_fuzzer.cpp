// libFuzzer target: the strict CBOR decoder on arbitrary bytes. The first
// input byte picks the depth limit (0..15) and whether maps must be strict;
// the rest is the item. Checks that
//   - Validate and a typed pull-reader walk (EnterMapStrict for strict
//     maps) accept exactly the same inputs, with the same CborError;
//   - Skip / SkipCapture agree with them and capture the whole input;
//   - every accepted input re-encodes byte for byte with the Encoder
//     (strict decoding implies deterministic encoding).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cbor/cbor.h"

namespace {

using bastion::ConstByteSpan;
using bastion::cbor::CborError;
using bastion::cbor::Decoder;
using bastion::cbor::Encoder;
using bastion::cbor::MajorType;

// Copies one item from `d` to `e` with typed reads. Containers recurse at
// most max_depth (<= 15) levels; tags are handled in a loop.
bool Copy(ConstByteSpan input, Decoder& d, Encoder& e, bool strict_maps) {
  auto type = d.PeekType();
  if (!type.ok()) return false;
  while (*type == MajorType::kTag) {
    uint64_t tag = 0;
    if (!d.ReadTag(&tag).ok()) return false;
    e.WriteTag(tag);
    auto next = d.PeekType();
    if (!next.ok()) return false;
    type.value() = *next;
  }
  switch (*type) {
    case MajorType::kUnsigned: {
      uint64_t v = 0;
      if (!d.ReadUnsigned(&v).ok()) return false;
      e.WriteUnsigned(v);
      return true;
    }
    case MajorType::kNegative: {
      // Beyond int64 (0x3b with the top bit set) ReadInt refuses: copy raw.
      if (input[d.offset()] == 0x3b && (input[d.offset() + 1] & 0x80) != 0) {
        ConstByteSpan raw;
        if (!d.SkipCapture(&raw).ok()) return false;
        e.WriteRaw(raw);
        return true;
      }
      int64_t v = 0;
      if (!d.ReadInt(&v).ok()) return false;
      e.WriteInt(v);
      return true;
    }
    case MajorType::kBytes: {
      ConstByteSpan v;
      if (!d.ReadBytes(&v).ok()) return false;
      e.WriteBytes(v);
      return true;
    }
    case MajorType::kText: {
      ConstByteSpan v;
      if (!d.ReadText(&v).ok()) return false;
      if (!bastion::cbor::IsValidUtf8(v)) __builtin_trap();
      e.WriteTextBytes(v);
      return true;
    }
    case MajorType::kArray:
    case MajorType::kMap: {
      const bool map = *type == MajorType::kMap;
      size_t n = 0;
      const bool entered =
          map ? (strict_maps ? d.EnterMapStrict(&n) : d.EnterMap(&n)).ok() : d.EnterArray(&n).ok();
      if (!entered) return false;
      if (map) {
        e.BeginMap(n);
      } else {
        e.BeginArray(n);
      }
      for (size_t i = 0; i < (map ? 2 * n : n); ++i) {
        if (!Copy(input, d, e, strict_maps)) return false;
      }
      return d.Exit().ok();
    }
    case MajorType::kSimple: {
      if (input[d.offset()] == 0xf6) {
        if (!d.ReadNull().ok()) return false;
        e.WriteNull();
        return true;
      }
      bool v = false;
      if (!d.ReadBool(&v).ok()) return false;
      e.WriteBool(v);
      return true;
    }
    case MajorType::kTag:
      break;  // consumed by the loop above
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto max_depth = static_cast<uint8_t>(data[0] & 0x0f);
  const bool strict_maps = (data[0] & 0x10) != 0;
  const ConstByteSpan input(data + 1, size - 1);

  CborError validate_error = CborError::kOk;
  const bool valid = bastion::cbor::Validate(input, strict_maps, max_depth, &validate_error).ok();
  if (valid != (validate_error == CborError::kOk)) __builtin_trap();
  if (bastion::cbor::CborErrorName(validate_error)[0] == '\0') __builtin_trap();

  // Skip / SkipCapture agree.
  Decoder skipper(input, max_depth);
  ConstByteSpan captured;
  const bool skipped = skipper.SkipCapture(&captured, strict_maps).ok() && skipper.Finish().ok();
  if (skipped != valid || skipper.error() != validate_error) __builtin_trap();
  if (valid && (captured.data() != input.data() || captured.size() != input.size())) {
    __builtin_trap();
  }

  // A typed walk agrees and re-encodes the input exactly.
  std::vector<uint8_t> out(input.size());
  Encoder encoder(out);
  Decoder reader(input, max_depth);
  const bool copied = Copy(input, reader, encoder, strict_maps) && reader.Finish().ok();
  if (copied != valid || reader.error() != validate_error) __builtin_trap();
  if (valid) {
    if (!encoder.status().ok() || encoder.size() != input.size() ||
        (!input.empty() && std::memcmp(out.data(), input.data(), input.size()) != 0)) {
      __builtin_trap();
    }
  }
  return 0;
}
