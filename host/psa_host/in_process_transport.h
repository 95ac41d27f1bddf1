// An in-process transport for libbastion_ns: the client library calling an
// SPM directly, as one client, with no gateway in between (bastion::psa_host,
// benchmarks). The SPM still checks counts, sizes, wrap-around and overlap.
#pragma once

#include "bastion_ns_transport.h"
#include "sm/caller_memory.h"
#include "sm/spm.h"

namespace bastion::psa_host {

// The caller memory of an in-process client: its own memory, all of it.
class ProcessMemory final : public sm::CallerMemory {
 public:
  bool MayRead(sm::ClientId, uintptr_t, size_t) const override { return true; }
  bool MayWrite(sm::ClientId, uintptr_t, size_t) const override { return true; }
};

// Who calls which SPM. `after_call` (optional) runs after every psa_call
// with `after_context`; false turns the call's status into
// PSA_ERROR_STORAGE_FAILURE (psa_host saves the device files there).
struct InProcessClient {
  sm::Spm* spm = nullptr;
  sm::ClientId client = 0;
  bool (*after_call)(void* after_context) = nullptr;
  void* after_context = nullptr;
};

// A transport over `client` (which must outlive the transport's use).
bastion_ns_transport_t InProcessTransport(InProcessClient* client);

}  // namespace bastion::psa_host
