// The crypto API tests through the real gateway: a Secure Manager in memory,
// the host gateway's server loop on a thread at one end of a socket pair,
// and libbastion_ns's socket transport at the other, installed before any
// test runs (as `bastion device boot` serves the application process).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <memory>
#include <thread>

#include "bastion/services.h"
#include "bastion_ns_socket.h"
#include "bastion_ns_transport.h"
#include "gateway/gateway.h"
#include "gateway/serve_client.h"
#include "provisioning/provisioning.h"
#include "psa_host/in_process_transport.h"
#include "secure_manager/secure_manager.h"
#include "virtual_device/virtual_device.h"

namespace {

using namespace bastion;

class GatewayEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    device_ = host::VirtualDevice::InMemory(host::DefaultGeometry());
    const otp::FlashLayout layout = host::DefaultLayout(host::DefaultGeometry());
    host::WriteLayoutHeader(*device_, layout);
    std::array<uint8_t, 32> seed{};
    seed.fill(0x5e);
    const secure_manager::SecureManagerConfig config{
        .its = {device_.get(), layout.storage.offset, layout.storage.size},
        .ps = {&device_->external_flash(), 0, device_->external_flash().geometry().size},
        .seed = seed,
        .attestation_seed = seed,
        .report = nullptr,
        .ram = device_.get(),
        .rng = device_.get(),
    };
    sm_ = std::make_unique<secure_manager::SecureManager>(config, memory_);
    ASSERT_TRUE(sm_->Start().ok());
    gateway_ = std::make_unique<gateway::Gateway>(sm_->spm(), memory_);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair_), 0);
    server_ = std::thread([this] {
      (void)host::ServeClient(pair_[0], *gateway_, BASTION_NS_CLIENT_APP,
                              std::chrono::steady_clock::now() + std::chrono::minutes(10));
    });
    bastion_ns_transport_t transport;
    ASSERT_EQ(bastion_ns_socket_init(&socket_, pair_[1], 30000, &transport), PSA_SUCCESS);
    ASSERT_EQ(bastion_ns_set_transport(&transport), PSA_SUCCESS);
  }

  void TearDown() override {
    (void)bastion_ns_set_transport(nullptr);
    ::shutdown(pair_[1], SHUT_RDWR);
    ::close(pair_[1]);
    if (server_.joinable()) server_.join();
    ::close(pair_[0]);
  }

 private:
  std::unique_ptr<host::VirtualDevice> device_;
  psa_host::ProcessMemory process_memory_;
  gateway::GatewayMemory memory_{&process_memory_};
  std::unique_ptr<secure_manager::SecureManager> sm_;
  std::unique_ptr<gateway::Gateway> gateway_;
  int pair_[2] = {-1, -1};
  std::thread server_;
  static inline bastion_ns_socket_t socket_{};
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new GatewayEnvironment);

}  // namespace
