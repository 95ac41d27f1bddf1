#include "common/bytes.h"

#include <cstring>

namespace bastion {

void SecureWipe(void* data, size_t length) {
  // The library's memset (word stores: large buffers are wiped on every
  // request), then a barrier that tells the compiler the zeros are read:
  // neither call nor stores may be removed as dead.
  if (length != 0) std::memset(data, 0, length);
  asm volatile("" : : "r"(data) : "memory");
}

}  // namespace bastion
