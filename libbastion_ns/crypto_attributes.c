/* Key attributes on the wire (bastion/crypto_service.h, 20 bytes). The
 * only file of the library that reads psa_key_attributes_t's fields
 * directly: the setters of psa/crypto.h adjust one field from another
 * (an id makes a volatile lifetime persistent), and a decoded set of
 * attributes must be exactly what the service sent. */
#define MBEDTLS_ALLOW_PRIVATE_ACCESS

#include <string.h>

#include "ns_bytes.h"
#include "ns_crypto.h"

void bastion_ns_crypto_encode_attributes(const psa_key_attributes_t* attributes,
                                         uint8_t encoded[BASTION_CRYPTO_ATTRIBUTES_SIZE]) {
  bastion_ns_store_le16(encoded + 0, attributes->type);
  bastion_ns_store_le16(encoded + 2, attributes->bits);
  bastion_ns_store_le32(encoded + 4, attributes->lifetime);
  bastion_ns_store_le32(encoded + 8, attributes->id);
  bastion_ns_store_le32(encoded + 12, attributes->policy.usage);
  bastion_ns_store_le32(encoded + 16, attributes->policy.alg);
}

void bastion_ns_crypto_decode_attributes(const uint8_t encoded[BASTION_CRYPTO_ATTRIBUTES_SIZE],
                                         psa_key_attributes_t* attributes) {
  memset(attributes, 0, sizeof *attributes);
  attributes->type = bastion_ns_load_le16(encoded + 0);
  attributes->bits = bastion_ns_load_le16(encoded + 2);
  attributes->lifetime = bastion_ns_load_le32(encoded + 4);
  attributes->id = bastion_ns_load_le32(encoded + 8);
  attributes->policy.usage = bastion_ns_load_le32(encoded + 12);
  attributes->policy.alg = bastion_ns_load_le32(encoded + 16);
}
