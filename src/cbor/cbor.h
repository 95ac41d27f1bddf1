// Bounded CBOR (RFC 8949): a deterministic encoder and a strict pull decoder.
//
// What this module owns: the CBOR wire format for Bastion's signed objects
// (COSE messages, revocation commands). Nothing else: it knows no COSE labels.
//
// Encoder: writes into a caller ByteSpan. Heads always take their shortest
// form (RFC 8949 §4.2.1 "preferred serialization"), lengths are definite.
// The caller supplies items in the order the structure needs; the encoder
// does not count container items (the decoder's round trip in tests does).
// Map keys must be written in deterministic order by the caller. When the
// output would overflow, the encoder stops writing and status() becomes
// kResourceExhausted, sticky: later writes are ignored. Each write is all or
// nothing (a string that does not fit leaves no head behind).
//
// Decoder: a pull reader over a ConstByteSpan. Strict, it refuses
//   - indefinite lengths and the break code (additional info 31),
//   - heads not in their shortest form (non-deterministic encoding),
//   - reserved additional information 28..30,
//   - simple values other than false/true/null, and all floats,
//   - text strings that are not valid UTF-8,
//   - nesting of arrays and maps deeper than max_depth (default 8; at most
//     kMaxDepthLimit),
//   - a head, string or container count that runs past the input,
//   - trailing bytes after the top-level item (Finish()),
//   - with EnterMapStrict / Validate(check_map_order): duplicate map keys and
//     keys not in bytewise lexicographic order of their encodings.
// Tags do not count as nesting (each holds exactly one item; they are read
// iteratively). Byte and text strings are returned as spans into the input
// (zero copy). Every refusal has its own CborError; the first one is sticky:
// once a decoder has failed, every later call returns the same status.
//
// Checked input: CheckItem runs the Decoder's checks over one item in one
// walk; a Reader then reads that item's heads without checking them again
// (how src/cose and src/revocation decode their structures on the device).
//
// Limits: integers are 64-bit (ReadInt refuses values outside int64_t);
// no floats, no bignums (tags 2/3 are returned as plain tags), no
// indefinite lengths. No heap; a decoder is about 150 bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace bastion::cbor {

enum class MajorType : uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7,  // false, true, null (other simple values and floats are refused)
};

// Why the decoder refused its input. Stable numbers: callers report them.
enum class CborError : uint8_t {
  kOk = 0,
  kTruncated = 1,          // a head, string or container runs past the input
  kIndefiniteLength = 2,   // additional info 31 (indefinite length or break)
  kNonShortestHead = 3,    // an argument not encoded in its shortest form
  kReservedInfo = 4,       // additional info 28..30
  kUnsupportedSimple = 5,  // a simple value other than false/true/null
  kFloat = 6,              // half, single or double float
  kInvalidUtf8 = 7,        // a text string that is not valid UTF-8
  kTooDeep = 8,            // arrays/maps nested deeper than max_depth
  kTrailingBytes = 9,      // bytes after the top-level item
  kTypeMismatch = 10,      // the item is not of the type the caller asked for
  kIntegerOverflow = 11,   // an integer outside the range the caller asked for
  kEndOfContainer = 12,    // a read past the last item of the current array/map
  kItemsRemaining = 13,    // Exit() or Finish() with items left unread
  kDuplicateKey = 14,      // two equal keys in a map (strict maps)
  kKeyOrder = 15,          // map keys not in deterministic order (strict maps)
  kNotInContainer = 16,    // Exit() at the top level
};

// Short stable name ("non-shortest-head", ...).
const char* CborErrorName(CborError error);

// The Status a CborError maps to:
//   kOk               kOk
//   kOutOfRange       kTruncated, kEndOfContainer
//   kResourceExhausted kTooDeep
//   kFailedPrecondition kTypeMismatch, kItemsRemaining, kNotInContainer
//   kInvalidArgument  kIntegerOverflow, kTrailingBytes
//   kDataLoss         every other refusal (the input is not strict CBOR)
Status CborErrorStatus(CborError error);

constexpr size_t kMaxHeadSize = 9;
constexpr uint8_t kDefaultMaxDepth = 8;
constexpr uint8_t kMaxDepthLimit = 16;

// Writes the shortest head for (major, argument) into `out`; returns its size
// (1, 2, 3, 5 or 9). Used to hash CBOR structures without building them.
size_t EncodeHead(MajorType major, uint64_t argument, std::span<uint8_t, kMaxHeadSize> out);
// The size EncodeHead would write.
constexpr size_t HeadSize(uint64_t argument) {
  return argument < 24             ? 1
         : argument <= 0xff        ? 2
         : argument <= 0xffff      ? 3
         : argument <= 0xffffffffu ? 5
                                   : 9;
}

// A decoded head: the initial byte's major type and additional info, the
// argument, and how many bytes the head takes. ParseHead fills every field.
struct Head {
  MajorType major;
  uint8_t info;
  uint64_t argument;
  size_t size;
};

// Decodes and checks the head at `offset` (and, for a string, that its
// content fits and, for text, is valid UTF-8; for a container, that its
// count can fit in the remaining input). Returns kOk or the refusal.
CborError ParseHead(ConstByteSpan input, size_t offset, Head* head);

class Encoder {
 public:
  explicit Encoder(ByteSpan out) : out_(out) {}

  void WriteUnsigned(uint64_t value);
  void WriteInt(int64_t value);
  void WriteBytes(ConstByteSpan value);
  void WriteText(std::string_view value);
  // Text given as bytes; the caller guarantees valid UTF-8.
  void WriteTextBytes(ConstByteSpan value);
  // Head of an array of `count` items / a map of `pairs` key-value pairs;
  // the caller then writes exactly that many items.
  void BeginArray(uint64_t count);
  void BeginMap(uint64_t pairs);
  void WriteTag(uint64_t tag);
  void WriteBool(bool value);
  void WriteNull();
  // Head of a byte string of `length` bytes whose content the caller writes
  // next (with WriteRaw or as nested CBOR: a bstr-wrapped item).
  void BeginBytes(uint64_t length);
  // Bytes that are already CBOR (or bstr content announced by BeginBytes).
  void WriteRaw(ConstByteSpan bytes);

  // kOk, or kResourceExhausted once any write did not fit (sticky).
  Status status() const { return status_; }
  size_t size() const { return size_; }
  ConstByteSpan written() const { return {out_.data(), size_}; }

 private:
  void WriteHead(MajorType major, uint64_t argument);
  void WriteString(MajorType major, ConstByteSpan value);
  // False (and kResourceExhausted, sticky) unless `bytes` more fit.
  bool Fits(size_t bytes);

  ByteSpan out_;
  size_t size_ = 0;
  Status status_;
};

// A strict pull reader. Typical use:
//   Decoder d(input);
//   size_t n; BASTION_TRY(d.EnterArray(&n));
//   ... n reads ...
//   BASTION_TRY(d.Exit());
//   BASTION_TRY(d.Finish());
// Every Read/Enter/Skip returns kOk or CborErrorStatus(error()) and, on a
// refusal, leaves the decoder failed (sticky): error() names the reason.
class Decoder {
 public:
  // max_depth above kMaxDepthLimit is clamped to it.
  explicit Decoder(ConstByteSpan input, uint8_t max_depth = kDefaultMaxDepth);

  // The major type of the next head (kTag for a tag), not consumed. Fails
  // like a read on a malformed head, or with kEndOfContainer when the
  // current array/map has no more items.
  Result<MajorType> PeekType();

  // Major type 0. Type mismatch: kTypeMismatch.
  Status ReadUnsigned(uint64_t* value);
  // Major type 0 or 1, within int64_t (else kIntegerOverflow).
  Status ReadInt(int64_t* value);
  // Zero-copy: *value points into the input.
  Status ReadBytes(ConstByteSpan* value);
  // Zero-copy; the bytes are valid UTF-8 (else kInvalidUtf8).
  Status ReadText(ConstByteSpan* value);
  Status ReadBool(bool* value);
  Status ReadNull();
  // A tag number; the tagged item follows and is read next.
  Status ReadTag(uint64_t* tag);
  // Enters an array; `count` items follow, then Exit().
  Status EnterArray(size_t* count);
  // Enters a map; 2 * `pairs` items (key, value, ...) follow, then Exit().
  Status EnterMap(size_t* pairs);
  // EnterMap that first checks the whole map (including nested maps) for
  // duplicate keys (kDuplicateKey) and deterministic key order (kKeyOrder).
  Status EnterMapStrict(size_t* pairs);
  // Leaves the current array/map. kItemsRemaining if items are unread,
  // kNotInContainer at the top level.
  Status Exit();
  // Skips the next item (with its tags and, for containers, everything
  // inside), checking it as strictly as the typed reads do. Bounded by the
  // remaining depth budget. With check_map_order, maps inside the item must
  // be strict (as EnterMapStrict).
  Status Skip(bool check_map_order = false);
  // Like Skip, and returns the item's whole encoding (tags included).
  Status SkipCapture(ConstByteSpan* encoded, bool check_map_order = false);
  // The input must be fully consumed: kItemsRemaining if the top-level item
  // (or a container) is unfinished, kTrailingBytes if bytes follow it.
  Status Finish();

  CborError error() const { return error_; }
  size_t offset() const { return offset_; }
  // Number of arrays/maps currently entered.
  uint8_t depth() const { return depth_; }
  // Items left in the current array/map (or at the top level: 1 or 0).
  size_t remaining() const { return frames_[depth_].remaining; }

 private:
  struct Frame {
    size_t remaining = 0;
  };

  Status Fail(CborError error);
  // Starts reading one non-tag item of `want` major type: checks the
  // container has an item left and the type; consumes the head.
  Status BeginItem(MajorType want, Head* head);
  // A byte or text string's contents (ReadBytes / ReadText).
  Status ReadString(MajorType want, ConstByteSpan* value);
  Status EnterContainer(MajorType want, size_t* count);

  ConstByteSpan input_;
  size_t offset_ = 0;
  uint8_t max_depth_;
  uint8_t depth_ = 0;
  CborError error_ = CborError::kOk;
  std::array<Frame, kMaxDepthLimit + 1> frames_{};
};

// Checks that `input` is exactly one strict CBOR item (as Decoder::Skip,
// then Finish). With check_map_order, every map in it must be strict.
// Returns kOk or CborErrorStatus(*error); `error` may be null.
Status Validate(ConstByteSpan input, bool check_map_order, uint8_t max_depth = kDefaultMaxDepth,
                CborError* error = nullptr);

// ---- Checked input, read without a second check ----
//
// A module that decodes a structure of its own (COSE, revocation payloads)
// checks its input once, with every rule the Decoder applies (CheckItem),
// then reads it with a Reader, which re-reads heads but does not check them
// again and carries no Status: the one walk is the only validation pass.

// Checks the item at *offset (its tags and, for a container, everything
// inside) as Decoder::Skip does: strict heads, at most max_depth arrays and
// maps deep (clamped to kMaxDepthLimit), and with check_map_order every map
// strict. Returns kOk and moves *offset past the item, or the refusal
// (*offset unchanged).
CborError CheckItem(ConstByteSpan input, size_t* offset, uint8_t max_depth, bool check_map_order);
// The same for an item that must be the whole input (as Validate):
// kTrailingBytes when bytes follow it.
CborError CheckItem(ConstByteSpan input, uint8_t max_depth, bool check_map_order);

// A forward cursor over input that CheckItem (or Validate) accepted. Each
// call consumes one head; the caller checks the major type and argument it
// expects. It never reads outside the input: a head it cannot decode (only
// possible on unchecked input) reads as kMalformed and consumes nothing.
class Reader {
 public:
  // Not a MajorType: what Next returns for a head it cannot decode.
  static constexpr MajorType kMalformed = static_cast<MajorType>(0xff);

  explicit Reader(ConstByteSpan input) : input_(input) {}

  // Consumes the next head (a tag is a head of its own) and, for a byte or
  // text string, its content. Returns the major type; argument() and, for a
  // string, content() describe the item.
  MajorType Next();
  // Consumes the next item whole (tags and contents included) and returns
  // its encoding; empty when it is malformed (nothing consumed).
  ConstByteSpan Skip();

  // What the last Next consumed (valid once Next has returned a major type):
  // its argument (the integer, string length, count or tag),
  uint64_t argument() const { return argument_; }
  // the same, saturated at UINT32_MAX: compares with any smaller number as
  // argument() does, in 32 bits,
  uint32_t argument32() const { return argument32_; }
  // and for a string, its content (a span into the input).
  ConstByteSpan content() const {
    return {input_.data() + content_start_, static_cast<size_t>(argument_)};
  }
  size_t offset() const { return offset_; }
  // The encoding of what was consumed since offset() was `start`.
  ConstByteSpan Since(size_t start) const { return {input_.data() + start, offset_ - start}; }

 private:
  ConstByteSpan input_;
  size_t offset_ = 0;
  // Set by each Next (not read before it).
  size_t content_start_;
  uint32_t argument32_;
  uint64_t argument_;
};

// Whether `text` is valid UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(ConstByteSpan text);

// Compares a decoded text or byte string with a literal.
bool Equals(ConstByteSpan value, std::string_view literal);

}  // namespace bastion::cbor
