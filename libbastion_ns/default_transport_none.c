/* Targets without a default transport (the Cortex-M33 non-secure side
 * installs its TrustZone transport itself). */
#include <stddef.h>

#include "bastion_ns_transport.h"

psa_status_t bastion_ns_default_transport(bastion_ns_transport_t* transport) {
  (void)transport;
  return PSA_ERROR_COMMUNICATION_FAILURE;
}
