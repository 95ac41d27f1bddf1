#include "psa_host/in_process_transport.h"

namespace bastion::psa_host {
namespace {

InProcessClient& Of(void* context) { return *static_cast<InProcessClient*>(context); }

uint32_t FrameworkVersion(void* context) { return Of(context).spm->FrameworkVersion(); }
uint32_t Version(void* context, uint32_t sid) {
  return Of(context).spm->Version(Of(context).client, sid);
}
psa_handle_t Connect(void* context, uint32_t sid, uint32_t version) {
  return Of(context).spm->Connect(Of(context).client, sid, version);
}
psa_status_t Call(void* context, psa_handle_t handle, int32_t type, const psa_invec* in_vec,
                  size_t in_len, psa_outvec* out_vec, size_t out_len) {
  InProcessClient& c = Of(context);
  const psa_status_t status = c.spm->Call(c.client, handle, type, in_vec, in_len, out_vec, out_len);
  if (c.after_call != nullptr && !c.after_call(c.after_context)) return PSA_ERROR_STORAGE_FAILURE;
  return status;
}
void Close(void* context, psa_handle_t handle) {
  (void)Of(context).spm->Close(Of(context).client, handle);
}

}  // namespace

bastion_ns_transport_t InProcessTransport(InProcessClient* client) {
  return bastion_ns_transport_t{client, FrameworkVersion, Version, Connect, Call, Close};
}

}  // namespace bastion::psa_host
