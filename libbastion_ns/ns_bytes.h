/* Little-endian helpers of libbastion_ns (internal). */
#ifndef BASTION_NS_BYTES_H
#define BASTION_NS_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline void bastion_ns_store_le16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static inline void bastion_ns_store_le32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static inline void bastion_ns_store_le64(uint8_t* p, uint64_t v) {
  bastion_ns_store_le32(p, (uint32_t)v);
  bastion_ns_store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t bastion_ns_load_le16(const uint8_t* p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t bastion_ns_load_le32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* True when `value` travels in a 4-byte field. size_t may be 32 or 64 bits:
 * two 16-bit shifts are defined for both and never a constant comparison. */
static inline int bastion_ns_fits_u32(size_t value) { return ((value >> 16) >> 16) == 0; }

#endif /* BASTION_NS_BYTES_H */
