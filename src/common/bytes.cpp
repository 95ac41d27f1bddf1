#include "common/bytes.h"

namespace bastion {

void SecureWipe(void* data, size_t length) {
  volatile uint8_t* p = static_cast<volatile uint8_t*>(data);
  for (size_t i = 0; i < length; ++i) p[i] = 0;
  asm volatile("" : : "r"(data) : "memory");
}

}  // namespace bastion
