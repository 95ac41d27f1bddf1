// libFuzzer: the request mailbox parser on arbitrary bytes. Whatever parses
// must rebuild to exactly the same header and payload bytes (one encoding).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "mailbox/mailbox.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bastion::mailbox;
  if (size > kMailboxCapacity) return 0;
  Requests requests;
  const MailboxError error = ParseMailbox(bastion::ConstByteSpan(data, size), &requests);
  if (error != MailboxError::kOk) {
    if (requests.count != 0) __builtin_trap();
    return 0;
  }
  std::vector<uint8_t> rebuilt(kMailboxCapacity);
  if (!BuildMailbox(requests.items, requests.count, rebuilt).ok()) __builtin_trap();
  const size_t used = sizeof(MailboxHeader) + bastion::LoadLe16(data + 6);
  if (used > size || std::memcmp(rebuilt.data(), data, used) != 0) __builtin_trap();
  return 0;
}
