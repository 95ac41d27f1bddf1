// The request mailbox: how the application asks the boot chain for
// things at the next reset — confirm or reject a trial image, revoke keys.
//
// It lives in the shared RAM region kMailbox, which the application can
// write: every byte is hostile input. Fixed little-endian layout, pinned:
//
//   MailboxHeader (16 bytes)  magic, version, payload_size, request_count, crc
//   request_count × { RequestHeader (4 bytes): type, component, size;
//                     `size` bytes of data, zero-padded to a multiple of 4 }
//
// The CRC-32 covers the header (crc field as zero) and the payload; it
// catches torn or stale contents, not attackers (the signatures inside a
// revocation command are the authority). The boot stage copies the region,
// wipes it, and parses the copy (TakeRequests), so a request is seen once.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "platform/platform.h"

namespace bastion::mailbox {

constexpr uint32_t kMailboxMagic = 0x4d1b7ac3;
constexpr uint16_t kMailboxVersion = 1;
constexpr size_t kMailboxCapacity = 1024;  // the kMailbox region
constexpr size_t kMaxRequests = 4;
constexpr uint8_t kAnyComponent = 0xff;  // revocations name their domain inside

struct MailboxHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t payload_size;  // bytes after this header
  uint16_t request_count;
  uint16_t reserved;  // zero
  uint32_t crc;       // CRC-32 of header (crc = 0) and payload
};
static_assert(sizeof(MailboxHeader) == 16);

struct RequestHeader {
  uint8_t type;       // RequestType
  uint8_t component;  // otp::Component, or kAnyComponent for kRevoke
  uint16_t size;      // data bytes (before padding)
};
static_assert(sizeof(RequestHeader) == 4);

enum class RequestType : uint8_t {
  kConfirm = 1,  // accept the component's trial image (no data)
  kReject = 2,   // reject the component's trial image (no data)
  kRevoke = 3,   // data: a revocation command (COSE_Sign)
};
const char* RequestTypeName(RequestType type);

struct Request {
  RequestType type = RequestType::kConfirm;
  uint8_t component = 0;
  ConstByteSpan data;  // points into the parsed bytes
};

struct Requests {
  Request items[kMaxRequests];
  size_t count = 0;
};

// Why a mailbox was refused. Stable numbers (boot report).
enum class MailboxError : uint16_t {
  kOk = 0,
  kEmpty = 1,  // all zero: no request (not an error for callers)
  kBadMagic = 2,
  kBadVersion = 3,
  kBadSize = 4,  // payload_size past the region
  kBadCrc = 5,
  kTooManyRequests = 6,  // request_count > kMaxRequests
  kBadRequestType = 7,
  kBadComponent = 8,     // unknown component, or kAnyComponent misused
  kRequestPastEnd = 9,   // a request header or its data runs past payload_size
  kTrailingBytes = 10,   // payload_size larger than the requests in it
  kBadPadding = 11,      // non-zero padding or reserved bytes
  kUnexpectedData = 12,  // confirm/reject with data, revoke without
};
const char* MailboxErrorName(MailboxError error);

// Parses `bytes` (a copy of the region). On kOk, `out` holds spans into
// `bytes`. Any other result leaves `out` empty.
[[nodiscard]] MailboxError ParseMailbox(ConstByteSpan bytes, Requests* out);

// Writes a mailbox holding `requests` into `out` (zero-filled past the end).
// Returns kOk, kInvalidArgument (too many requests, bad type/component/data
// combination), kResourceExhausted (does not fit).
[[nodiscard]] Status BuildMailbox(const Request* requests, size_t count, ByteSpan out);

// What a boot stage calls: copies the kMailbox region into `copy`, wipes the
// region (a request is acted on at most once), parses the copy into `out`.
// A region the current level cannot reach gives kEmpty.
[[nodiscard]] MailboxError TakeRequests(platform::SharedRam& ram,
                                        ByteBuffer<kMailboxCapacity>* copy, Requests* out);

// Writes a mailbox holding `requests` into the kMailbox region (what a
// stage that took the mailbox calls to leave the requests it does not own
// to the next stage). `requests` must not point into the region. Returns
// BuildMailbox's status, or the region's access error.
[[nodiscard]] Status PostRequests(platform::SharedRam& ram, const Request* requests, size_t count);

}  // namespace bastion::mailbox
