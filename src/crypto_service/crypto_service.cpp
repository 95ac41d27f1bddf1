#include "crypto_service/crypto_service.h"

#include <cstring>
#include <iterator>
#include <new>

#include "attestation/iak.h"
#include "bastion/crypto_service.h"
#include "bastion_psa_core_hooks.h"
#include "common/bytes.h"
#include "crypto/crypto.h"
#include "crypto_service/operation_table.h"
#include "psa/crypto.h"

// Returns the status of `expr` unless it is PSA_SUCCESS.
#define TRY_STATUS(expr)                                \
  do {                                                  \
    const psa_status_t try_status_ = (expr);            \
    if (try_status_ != PSA_SUCCESS) return try_status_; \
  } while (0)

namespace bastion::crypto_service {
namespace {

// The instance that owns the process-global core (crypto_service.h).
CryptoService* g_core_owner = nullptr;

constexpr uint8_t kAny = 0;  // a vector of any length
constexpr uint8_t kParams = BASTION_CRYPTO_PARAMS_SIZE;
constexpr uint8_t kAttributes = BASTION_CRYPTO_ATTRIBUTES_SIZE;

// One function's vectors: in[0] is always the parameter block. A size of
// kAny takes any length; any other size is exact. Vectors past `inputs` /
// `outputs` must be empty.
struct Layout {
  int32_t function;
  uint8_t inputs;
  uint8_t outputs;
  uint8_t in_size[PSA_MAX_IOVEC];
  uint8_t out_size[PSA_MAX_IOVEC];
};

constexpr Layout kLayouts[] = {
    {BASTION_CRYPTO_GENERATE_RANDOM, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_IMPORT_KEY, 3, 1, {kParams, kAttributes, kAny}, {4}},
    {BASTION_CRYPTO_GENERATE_KEY, 2, 1, {kParams, kAttributes}, {4}},
    {BASTION_CRYPTO_COPY_KEY, 2, 1, {kParams, kAttributes}, {4}},
    {BASTION_CRYPTO_DESTROY_KEY, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_PURGE_KEY, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_GET_KEY_ATTRIBUTES, 1, 1, {kParams}, {kAttributes}},
    {BASTION_CRYPTO_EXPORT_KEY, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_EXPORT_PUBLIC_KEY, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_HASH_COMPUTE, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_HASH_COMPARE, 3, 0, {kParams, kAny, kAny}, {}},
    {BASTION_CRYPTO_HASH_SETUP, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_HASH_UPDATE, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_HASH_FINISH, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_HASH_VERIFY, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_HASH_ABORT, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_HASH_CLONE, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_MAC_COMPUTE, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_MAC_VERIFY, 3, 0, {kParams, kAny, kAny}, {}},
    {BASTION_CRYPTO_MAC_SIGN_SETUP, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_MAC_VERIFY_SETUP, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_MAC_UPDATE, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_MAC_SIGN_FINISH, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_MAC_VERIFY_FINISH, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_MAC_ABORT, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_CIPHER_ENCRYPT, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_CIPHER_DECRYPT, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_CIPHER_ENCRYPT_SETUP, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_CIPHER_DECRYPT_SETUP, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_CIPHER_GENERATE_IV, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_CIPHER_SET_IV, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_CIPHER_UPDATE, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_CIPHER_FINISH, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_CIPHER_ABORT, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_AEAD_ENCRYPT, 3, 1, {kParams, kAny, kAny}, {kAny}},
    {BASTION_CRYPTO_AEAD_DECRYPT, 3, 1, {kParams, kAny, kAny}, {kAny}},
    {BASTION_CRYPTO_AEAD_ENCRYPT_SETUP, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_AEAD_DECRYPT_SETUP, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_AEAD_GENERATE_NONCE, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_AEAD_SET_NONCE, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_AEAD_SET_LENGTHS, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_AEAD_UPDATE_AD, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_AEAD_UPDATE, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_AEAD_FINISH, 1, 2, {kParams}, {kAny, kAny}},
    {BASTION_CRYPTO_AEAD_VERIFY, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_AEAD_ABORT, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_SIGN_MESSAGE, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_VERIFY_MESSAGE, 3, 0, {kParams, kAny, kAny}, {}},
    {BASTION_CRYPTO_SIGN_HASH, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_VERIFY_HASH, 3, 0, {kParams, kAny, kAny}, {}},
    {BASTION_CRYPTO_ASYMMETRIC_ENCRYPT, 3, 1, {kParams, kAny, kAny}, {kAny}},
    {BASTION_CRYPTO_ASYMMETRIC_DECRYPT, 3, 1, {kParams, kAny, kAny}, {kAny}},
    {BASTION_CRYPTO_RAW_KEY_AGREEMENT, 2, 1, {kParams, kAny}, {kAny}},
    {BASTION_CRYPTO_KEY_DERIVATION_SETUP, 1, 1, {kParams}, {4}},
    {BASTION_CRYPTO_KEY_DERIVATION_GET_CAPACITY, 1, 1, {kParams}, {8}},
    {BASTION_CRYPTO_KEY_DERIVATION_SET_CAPACITY, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_KEY_DERIVATION_INPUT_INTEGER, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_KEY_DERIVATION_INPUT_KEY, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_KEY_DERIVATION_KEY_AGREEMENT, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES, 1, 1, {kParams}, {kAny}},
    {BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_KEY, 2, 1, {kParams, kAttributes}, {4}},
    {BASTION_CRYPTO_KEY_DERIVATION_VERIFY_BYTES, 2, 0, {kParams, kAny}, {}},
    {BASTION_CRYPTO_KEY_DERIVATION_VERIFY_KEY, 1, 0, {kParams}, {}},
    {BASTION_CRYPTO_KEY_DERIVATION_ABORT, 1, 0, {kParams}, {}},
};

const Layout* FindLayout(int32_t function) {
  for (const Layout& l : kLayouts) {
    if (l.function == function) return &l;
  }
  return nullptr;
}

bool LayoutMatches(const Layout& l, const sm::Message& m) {
  for (size_t i = 0; i < PSA_MAX_IOVEC; ++i) {
    const size_t in = m.in_size(i);
    if (i >= l.inputs ? in != 0 : (l.in_size[i] != kAny && in != l.in_size[i])) return false;
    const size_t out = m.out_size(i);
    if (i >= l.outputs ? out != 0 : (l.out_size[i] != kAny && out != l.out_size[i])) return false;
  }
  return true;
}

uint64_t LoadLe64(const uint8_t* p) {
  return uint64_t{LoadLe32(p)} | (uint64_t{LoadLe32(p + 4)} << 32);
}

// Operation kinds: the top nibble of their handles.
enum Kind : uint32_t { kHash = 1, kMac = 2, kCipher = 3, kAead = 4, kDerivation = 5 };

psa_status_t AbortOperation(psa_hash_operation_t* op) { return psa_hash_abort(op); }
psa_status_t AbortOperation(psa_mac_operation_t* op) { return psa_mac_abort(op); }
psa_status_t AbortOperation(psa_cipher_operation_t* op) { return psa_cipher_abort(op); }
psa_status_t AbortOperation(psa_aead_operation_t* op) { return psa_aead_abort(op); }
psa_status_t AbortOperation(psa_key_derivation_operation_t* op) {
  return psa_key_derivation_abort(op);
}

template <typename Op>
using Table = OperationTable<Op, kOperationsPerKind, AbortOperation>;

// The core's hooks (bastion_psa_core_hooks.h), over the service's config.
int32_t HookRandom(void* context, uint8_t* output, size_t size) {
  auto* config = static_cast<const CryptoServiceConfig*>(context);
  if (config->rng == nullptr) return PSA_ERROR_INSUFFICIENT_ENTROPY;
  return config->rng->Fill(ByteSpan(output, size)).ok() ? PSA_SUCCESS
                                                        : PSA_ERROR_INSUFFICIENT_ENTROPY;
}

int32_t HookSet(void* context, uint64_t uid, size_t length, const void* data, uint32_t flags) {
  auto* config = static_cast<const CryptoServiceConfig*>(context);
  if (config->store == nullptr) return PSA_ERROR_STORAGE_FAILURE;
  return config->store->Set(config->self, uid,
                            ConstByteSpan(static_cast<const uint8_t*>(data), length), flags,
                            config->storage_quota_bytes);
}

int32_t HookGet(void* context, uint64_t uid, size_t offset, size_t length, void* data,
                size_t* data_length) {
  auto* config = static_cast<const CryptoServiceConfig*>(context);
  if (config->store == nullptr) return PSA_ERROR_STORAGE_FAILURE;
  return config->store->Get(config->self, uid, offset,
                            ByteSpan(static_cast<uint8_t*>(data), length), data_length);
}

int32_t HookGetInfo(void* context, uint64_t uid, size_t* size, uint32_t* flags) {
  auto* config = static_cast<const CryptoServiceConfig*>(context);
  if (config->store == nullptr) return PSA_ERROR_STORAGE_FAILURE;
  struct psa_storage_info_t info {};
  const psa_status_t status = config->store->GetInfo(config->self, uid, &info);
  if (status == PSA_SUCCESS) {
    *size = info.size;
    *flags = info.flags;
  }
  return status;
}

int32_t HookRemove(void* context, uint64_t uid) {
  auto* config = static_cast<const CryptoServiceConfig*>(context);
  if (config->store == nullptr) return PSA_ERROR_STORAGE_FAILURE;
  return config->store->Remove(config->self, uid);
}

constexpr size_t kMaxHukClients = 8;
constexpr size_t kHukKeySize = 32;
constexpr char kHukInfo[] = "bastion huk key";

bool Listed(std::span<const sm::ClientId> list, sm::ClientId client) {
  for (sm::ClientId c : list) {
    if (c == client) return true;
  }
  return false;
}

bool IsBuiltinId(uint32_t id) {
  return id == BASTION_CRYPTO_BUILTIN_KEY_IAK || id == BASTION_CRYPTO_BUILTIN_KEY_HUK_DERIVED;
}

}  // namespace

// Everything that holds Mbed TLS types, in the service's inline storage.
struct CryptoService::State {
  // A built-in key as imported for its clients: the IAK once (client 0:
  // every allowed client shares it), a HUK-derived key per client.
  struct Builtin {
    sm::ClientId client = 0;
    uint32_t id = 0;
    mbedtls_svc_key_id_t internal = MBEDTLS_SVC_KEY_ID_INIT;
    bool loaded = false;
  };
  // A volatile key a client created (the keys it holds in the core's slots).
  struct VolatileKey {
    sm::ClientId owner = 0;  // 0: free entry
    psa_key_id_t id = 0;
  };

  Table<psa_hash_operation_t> hash{kHash};
  Table<psa_mac_operation_t> mac{kMac};
  Table<psa_cipher_operation_t> cipher{kCipher};
  Table<psa_aead_operation_t> aead{kAead};
  Table<psa_key_derivation_operation_t> derivation{kDerivation};
  Builtin builtins[1 + kMaxHukClients];
  VolatileKey volatile_keys[MBEDTLS_PSA_KEY_SLOT_COUNT];

  void AbortAll() {
    hash.AbortAll();
    mac.AbortAll();
    cipher.AbortAll();
    aead.AbortAll();
    derivation.AbortAll();
  }
  void ForgetKeys() {
    for (Builtin& b : builtins) b.loaded = false;
    for (VolatileKey& k : volatile_keys) k = VolatileKey{};
  }
};
static_assert(sizeof(CryptoService::State) <= CryptoService::kStateSize,
              "CryptoService::kStateSize is too small for the operation tables");
static_assert(alignof(CryptoService::State) <= 16);

namespace {

using State = CryptoService::State;

// One call: the parameter block, the client, and the work buffer (the
// inputs at its start, the output after them).
class Call {
 public:
  Call(sm::Message& m, ByteSpan work) : m_(m), work_(work) {}

  sm::Message& message() { return m_; }
  sm::ClientId client() const { return m_.client_id(); }

  bool ReadParams() {
    uint8_t p[BASTION_CRYPTO_PARAMS_SIZE];
    if (m_.in_size(0) != sizeof(p) || m_.Read(0, p) != sizeof(p)) return false;
    key = LoadLe32(p);
    alg = LoadLe32(p + 4);
    handle = LoadLe32(p + 8);
    step = LoadLe32(p + 12);
    value = LoadLe64(p + 16);
    value2 = LoadLe64(p + 24);
    return true;
  }

  // Input vector `index`, whole, into the work buffer.
  psa_status_t In(size_t index, ConstByteSpan* out) {
    const size_t n = m_.in_size(index);
    if (n > kMaxCallData - inputs_) return PSA_ERROR_INSUFFICIENT_MEMORY;
    uint8_t* at = work_.data() + used_;
    if (m_.Read(index, ByteSpan(at, n)) != n) return PSA_ERROR_PROGRAMMER_ERROR;
    used_ += n;
    inputs_ += n;
    *out = ConstByteSpan(at, n);
    return PSA_SUCCESS;
  }

  // Room for output `index`: its size, or what the work buffer has left.
  ByteSpan Out(size_t index) {
    const size_t left = work_.size() - used_;
    const size_t n = m_.out_size(index) < left ? m_.out_size(index) : left;
    ByteSpan room(work_.data() + used_, n);
    used_ += n;
    return room;
  }

  psa_status_t Put(size_t index, ConstByteSpan data) {
    return m_.Write(index, data) ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR;
  }
  psa_status_t PutU32(size_t index, uint32_t v) {
    uint8_t b[4];
    StoreLe32(b, v);
    return Put(index, b);
  }

  // Bytes of the work buffer this call used (to wipe).
  size_t used() const { return used_; }

  uint32_t key = 0;
  uint32_t alg = 0;
  uint32_t handle = 0;
  uint32_t step = 0;
  uint64_t value = 0;
  uint64_t value2 = 0;

 private:
  sm::Message& m_;
  ByteSpan work_;
  size_t used_ = 0;
  size_t inputs_ = 0;
};

// The service's logic, over its state and configuration.
class Engine {
 public:
  Engine(State& s, const CryptoServiceConfig& config, ConstByteSpan attestation_seed,
         ConstByteSpan storage_seed)
      : s_(s), config_(config), attestation_seed_(attestation_seed), storage_seed_(storage_seed) {}

  // ---- keys ----

  uint32_t QuotaOf(sm::ClientId client) const {
    if (sm::IsNonSecureClient(client)) return config_.non_secure_key_slots;
    for (const sm::PartitionDecl& p : config_.table) {
      if (p.id == client) return p.key_slots;
    }
    return 0;
  }

  // Keys `client` holds: volatile keys in slots plus persistent key files.
  uint32_t KeysOf(sm::ClientId client) const {
    uint32_t n = 0;
    for (const State::VolatileKey& k : s_.volatile_keys) n += k.owner == client ? 1 : 0;
    if (config_.store != nullptr) {
      for (uint32_t slot = 0; slot < its::Store::kSlots; ++slot) {
        its::ObjectInfo info;
        if (!config_.store->ObjectAt(slot, &info)) continue;
        if (info.owner == config_.self &&
            static_cast<uint32_t>(info.uid >> 32) == static_cast<uint32_t>(client)) {
          ++n;
        }
      }
    }
    return n;
  }

  psa_status_t CheckQuota(sm::ClientId client) const {
    return KeysOf(client) < QuotaOf(client) ? PSA_SUCCESS : PSA_ERROR_INSUFFICIENT_MEMORY;
  }

  void NoteCreated(sm::ClientId client, mbedtls_svc_key_id_t id, bool is_volatile) {
    const psa_key_id_t raw = MBEDTLS_SVC_KEY_ID_GET_KEY_ID(id);
    if (!is_volatile) return;  // counted from storage
    for (State::VolatileKey& k : s_.volatile_keys) {
      if (k.owner == 0) {
        k = {client, raw};
        return;
      }
    }
  }

  void NoteDestroyed(sm::ClientId client, psa_key_id_t raw) {
    for (State::VolatileKey& k : s_.volatile_keys) {
      if (k.owner == client && k.id == raw) k = State::VolatileKey{};
    }
  }

  // The built-in key `id` as `client` may see it; null when it may not.
  State::Builtin* BuiltinFor(sm::ClientId client, uint32_t id) {
    if (id == BASTION_CRYPTO_BUILTIN_KEY_IAK) {
      return Listed(config_.iak_clients, client) ? &s_.builtins[0] : nullptr;
    }
    if (id == BASTION_CRYPTO_BUILTIN_KEY_HUK_DERIVED) {
      for (size_t i = 1; i < std::size(s_.builtins); ++i) {
        if (s_.builtins[i].id == id && s_.builtins[i].client == client) return &s_.builtins[i];
      }
    }
    return nullptr;
  }

  psa_status_t LoadBuiltin(State::Builtin& b) {
    if (b.loaded) return PSA_SUCCESS;
    uint8_t material[32];
    psa_key_attributes_t a = psa_key_attributes_init();
    mbedtls_set_key_owner_id(&a, config_.self);
    psa_set_key_lifetime(&a, PSA_KEY_LIFETIME_VOLATILE);
    Status derived;
    if (b.id == BASTION_CRYPTO_BUILTIN_KEY_IAK) {
      derived = attestation::DeriveIakPrivateKey(
          std::span<const uint8_t, 32>(attestation_seed_.data(), 32),
          std::span<uint8_t, attestation::kIakPrivateKeySize>(material));
      psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
      psa_set_key_bits(&a, 256);
      psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH |
                                      PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE);
      psa_set_key_algorithm(&a, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
    } else {
      uint8_t info[sizeof(kHukInfo) - 1 + 4];
      for (size_t i = 0; i + 1 < sizeof(kHukInfo); ++i) info[i] = static_cast<uint8_t>(kHukInfo[i]);
      StoreLe32(info + sizeof(kHukInfo) - 1, static_cast<uint32_t>(b.client));
      derived = crypto::HkdfSha256({}, storage_seed_, info, ByteSpan(material, kHukKeySize));
      psa_set_key_type(&a, PSA_KEY_TYPE_DERIVE);
      psa_set_key_bits(&a, kHukKeySize * 8);
      psa_set_key_usage_flags(&a, PSA_KEY_USAGE_DERIVE);
      psa_set_key_algorithm(&a, PSA_ALG_HKDF(PSA_ALG_SHA_256));
    }
    psa_status_t status = PSA_ERROR_GENERIC_ERROR;
    if (derived.ok()) status = psa_import_key(&a, material, sizeof(material), &b.internal);
    SecureWipe(material, sizeof(material));
    psa_reset_key_attributes(&a);
    b.loaded = status == PSA_SUCCESS;
    return status;
  }

  // The core's id of `client`'s key `id`; *builtin when it is a built-in
  // key. A built-in id the client may not use answers INVALID_HANDLE.
  psa_status_t Resolve(sm::ClientId client, uint32_t id, mbedtls_svc_key_id_t* out,
                       bool* builtin = nullptr) {
    if (builtin != nullptr) *builtin = false;
    if (IsBuiltinId(id)) {
      State::Builtin* b = BuiltinFor(client, id);
      if (b == nullptr) return PSA_ERROR_INVALID_HANDLE;
      const psa_status_t status = LoadBuiltin(*b);
      if (status != PSA_SUCCESS) return status;
      *out = b->internal;
      if (builtin != nullptr) *builtin = true;
      return PSA_SUCCESS;
    }
    *out = mbedtls_svc_key_id_make(client, id);
    return PSA_SUCCESS;
  }

  static psa_status_t DecodeAttributes(ConstByteSpan b, sm::ClientId client,
                                       psa_key_attributes_t* a) {
    *a = psa_key_attributes_init();
    const psa_key_lifetime_t lifetime = LoadLe32(b.data() + 4);
    const psa_key_id_t id = LoadLe32(b.data() + 8);
    psa_set_key_type(a, LoadLe16(b.data()));
    psa_set_key_bits(a, LoadLe16(b.data() + 2));
    psa_set_key_usage_flags(a, LoadLe32(b.data() + 12));
    psa_set_key_algorithm(a, LoadLe32(b.data() + 16));
    if (PSA_KEY_LIFETIME_IS_VOLATILE(lifetime)) {
      if (id != 0) return PSA_ERROR_INVALID_ARGUMENT;
      mbedtls_set_key_owner_id(a, client);
      psa_set_key_lifetime(a, lifetime);
    } else {
      psa_set_key_id(a, mbedtls_svc_key_id_make(client, id));
      psa_set_key_lifetime(a, lifetime);
    }
    return PSA_SUCCESS;
  }

  static void EncodeAttributes(const psa_key_attributes_t& a, uint8_t out[20]) {
    StoreLe16(out, psa_get_key_type(&a));
    const size_t bits = psa_get_key_bits(&a);
    StoreLe16(out + 2, static_cast<uint16_t>(bits > 0xffff ? 0xffff : bits));
    StoreLe32(out + 4, psa_get_key_lifetime(&a));
    StoreLe32(out + 8, MBEDTLS_SVC_KEY_ID_GET_KEY_ID(psa_get_key_id(&a)));
    StoreLe32(out + 12, psa_get_key_usage_flags(&a));
    StoreLe32(out + 16, psa_get_key_algorithm(&a));
  }

  // Creates a key with `create` (attributes from input 1), writes its id.
  template <typename Create>
  psa_status_t CreateKey(Call& c, Create create) {
    ConstByteSpan attributes;
    psa_status_t status = c.In(1, &attributes);
    if (status != PSA_SUCCESS) return status;
    psa_key_attributes_t a;
    status = DecodeAttributes(attributes, c.client(), &a);
    if (status == PSA_SUCCESS) status = CheckQuota(c.client());
    mbedtls_svc_key_id_t id = MBEDTLS_SVC_KEY_ID_INIT;
    if (status == PSA_SUCCESS) status = create(a, &id);
    const bool is_volatile = PSA_KEY_LIFETIME_IS_VOLATILE(psa_get_key_lifetime(&a));
    psa_reset_key_attributes(&a);
    if (status != PSA_SUCCESS) return status;
    NoteCreated(c.client(), id, is_volatile);
    return c.PutU32(0, MBEDTLS_SVC_KEY_ID_GET_KEY_ID(id));
  }

  psa_status_t KeyManagement(int32_t function, Call& c) {
    mbedtls_svc_key_id_t key = MBEDTLS_SVC_KEY_ID_INIT;
    bool builtin = false;
    switch (function) {
      case BASTION_CRYPTO_IMPORT_KEY: {
        ConstByteSpan data;
        // The attributes first (input 1), then the key data (input 2).
        return CreateKey(c, [&](const psa_key_attributes_t& a, mbedtls_svc_key_id_t* id) {
          const psa_status_t status = c.In(2, &data);
          if (status != PSA_SUCCESS) return status;
          return psa_import_key(&a, data.data(), data.size(), id);
        });
      }
      case BASTION_CRYPTO_GENERATE_KEY:
        return CreateKey(c, [](const psa_key_attributes_t& a, mbedtls_svc_key_id_t* id) {
          return psa_generate_key(&a, id);
        });
      case BASTION_CRYPTO_COPY_KEY: {
        TRY_STATUS(Resolve(c.client(), c.key, &key, &builtin));
        if (builtin) return PSA_ERROR_NOT_PERMITTED;
        return CreateKey(c, [&](const psa_key_attributes_t& a, mbedtls_svc_key_id_t* id) {
          return psa_copy_key(key, &a, id);
        });
      }
      case BASTION_CRYPTO_DESTROY_KEY: {
        if (IsBuiltinId(c.key)) {
          return BuiltinFor(c.client(), c.key) != nullptr ? PSA_ERROR_NOT_PERMITTED
                                                          : PSA_ERROR_INVALID_HANDLE;
        }
        const psa_status_t status = psa_destroy_key(mbedtls_svc_key_id_make(c.client(), c.key));
        if (status == PSA_SUCCESS) NoteDestroyed(c.client(), c.key);
        return status;
      }
      case BASTION_CRYPTO_PURGE_KEY:
        if (IsBuiltinId(c.key)) {
          return BuiltinFor(c.client(), c.key) != nullptr ? PSA_SUCCESS : PSA_ERROR_INVALID_HANDLE;
        }
        return psa_purge_key(mbedtls_svc_key_id_make(c.client(), c.key));
      case BASTION_CRYPTO_GET_KEY_ATTRIBUTES: {
        TRY_STATUS(Resolve(c.client(), c.key, &key, &builtin));
        psa_key_attributes_t a = psa_key_attributes_init();
        const psa_status_t status = psa_get_key_attributes(key, &a);
        if (status != PSA_SUCCESS) return status;
        if (builtin) {
          psa_set_key_id(&a, mbedtls_svc_key_id_make(c.client(), c.key));
          psa_set_key_lifetime(
              &a, PSA_KEY_LIFETIME_FROM_PERSISTENCE_AND_LOCATION(PSA_KEY_PERSISTENCE_READ_ONLY,
                                                                 PSA_KEY_LOCATION_LOCAL_STORAGE));
        }
        uint8_t bytes[BASTION_CRYPTO_ATTRIBUTES_SIZE];
        EncodeAttributes(a, bytes);
        psa_reset_key_attributes(&a);
        return c.Put(0, bytes);
      }
      case BASTION_CRYPTO_EXPORT_KEY:
      case BASTION_CRYPTO_EXPORT_PUBLIC_KEY: {
        TRY_STATUS(Resolve(c.client(), c.key, &key, &builtin));
        const bool is_public = function == BASTION_CRYPTO_EXPORT_PUBLIC_KEY;
        if (builtin && !is_public) return PSA_ERROR_NOT_PERMITTED;
        ByteSpan out = c.Out(0);
        size_t length = 0;
        const psa_status_t status =
            is_public ? psa_export_public_key(key, out.data(), out.size(), &length)
                      : psa_export_key(key, out.data(), out.size(), &length);
        if (status != PSA_SUCCESS) return status;
        return c.Put(0, out.first(length));
      }
      default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  // ---- single-part functions ----

  psa_status_t SinglePart(int32_t function, Call& c) {
    ConstByteSpan in1;
    ConstByteSpan in2;
    mbedtls_svc_key_id_t key = MBEDTLS_SVC_KEY_ID_INIT;
    size_t length = 0;
    psa_status_t status = PSA_SUCCESS;
    switch (function) {
      case BASTION_CRYPTO_GENERATE_RANDOM: {
        // In chunks: any output size.
        const size_t total = c.message().out_size(0);
        ByteSpan room = c.Out(0);
        if (room.empty() && total != 0) return PSA_ERROR_INSUFFICIENT_MEMORY;
        for (size_t done = 0; done < total;) {
          const size_t n = total - done < room.size() ? total - done : room.size();
          TRY_STATUS(psa_generate_random(room.data(), n));
          TRY_STATUS(c.Put(0, room.first(n)));
          done += n;
        }
        SecureWipe(room.data(), room.size());
        return PSA_SUCCESS;
      }
      case BASTION_CRYPTO_HASH_COMPUTE: {
        TRY_STATUS(c.In(1, &in1));
        ByteSpan out = c.Out(0);
        status = psa_hash_compute(c.alg, in1.data(), in1.size(), out.data(), out.size(), &length);
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_HASH_COMPARE:
        TRY_STATUS(c.In(1, &in1));
        TRY_STATUS(c.In(2, &in2));
        return psa_hash_compare(c.alg, in1.data(), in1.size(), in2.data(), in2.size());
      case BASTION_CRYPTO_MAC_COMPUTE: {
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in1));
        ByteSpan out = c.Out(0);
        status =
            psa_mac_compute(key, c.alg, in1.data(), in1.size(), out.data(), out.size(), &length);
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_MAC_VERIFY:
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in1));
        TRY_STATUS(c.In(2, &in2));
        return psa_mac_verify(key, c.alg, in1.data(), in1.size(), in2.data(), in2.size());
      case BASTION_CRYPTO_CIPHER_ENCRYPT:
      case BASTION_CRYPTO_CIPHER_DECRYPT: {
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in1));
        ByteSpan out = c.Out(0);
        status = function == BASTION_CRYPTO_CIPHER_ENCRYPT
                     ? psa_cipher_encrypt(key, c.alg, in1.data(), in1.size(), out.data(),
                                          out.size(), &length)
                     : psa_cipher_decrypt(key, c.alg, in1.data(), in1.size(), out.data(),
                                          out.size(), &length);
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_AEAD_ENCRYPT:
      case BASTION_CRYPTO_AEAD_DECRYPT: {
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in1));
        TRY_STATUS(c.In(2, &in2));
        if (c.value > in1.size()) return PSA_ERROR_INVALID_ARGUMENT;
        const size_t nonce = static_cast<size_t>(c.value);
        ByteSpan out = c.Out(0);
        status = function == BASTION_CRYPTO_AEAD_ENCRYPT
                     ? psa_aead_encrypt(key, c.alg, in1.data(), nonce, in1.data() + nonce,
                                        in1.size() - nonce, in2.data(), in2.size(), out.data(),
                                        out.size(), &length)
                     : psa_aead_decrypt(key, c.alg, in1.data(), nonce, in1.data() + nonce,
                                        in1.size() - nonce, in2.data(), in2.size(), out.data(),
                                        out.size(), &length);
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_SIGN_MESSAGE:
      case BASTION_CRYPTO_SIGN_HASH: {
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in1));
        ByteSpan out = c.Out(0);
        status =
            function == BASTION_CRYPTO_SIGN_HASH
                ? psa_sign_hash(key, c.alg, in1.data(), in1.size(), out.data(), out.size(), &length)
                : psa_sign_message(key, c.alg, in1.data(), in1.size(), out.data(), out.size(),
                                   &length);
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_VERIFY_MESSAGE:
      case BASTION_CRYPTO_VERIFY_HASH:
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in1));
        TRY_STATUS(c.In(2, &in2));
        return function == BASTION_CRYPTO_VERIFY_HASH
                   ? psa_verify_hash(key, c.alg, in1.data(), in1.size(), in2.data(), in2.size())
                   : psa_verify_message(key, c.alg, in1.data(), in1.size(), in2.data(), in2.size());
      case BASTION_CRYPTO_ASYMMETRIC_ENCRYPT:
      case BASTION_CRYPTO_ASYMMETRIC_DECRYPT: {
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in1));
        TRY_STATUS(c.In(2, &in2));
        ByteSpan out = c.Out(0);
        status = function == BASTION_CRYPTO_ASYMMETRIC_ENCRYPT
                     ? psa_asymmetric_encrypt(key, c.alg, in1.data(), in1.size(), in2.data(),
                                              in2.size(), out.data(), out.size(), &length)
                     : psa_asymmetric_decrypt(key, c.alg, in1.data(), in1.size(), in2.data(),
                                              in2.size(), out.data(), out.size(), &length);
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_RAW_KEY_AGREEMENT: {
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in1));
        ByteSpan out = c.Out(0);
        status = psa_raw_key_agreement(c.alg, key, in1.data(), in1.size(), out.data(), out.size(),
                                       &length);
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  // ---- multi-part operations ----

  // A new entry of `table` for the caller; writes its handle to output 0.
  template <typename Table, typename Setup>
  psa_status_t NewOperation(Table& table, Call& c, Setup setup) {
    typename Table::Entry* e = table.Allocate(c.client(), kOperationsPerClient);
    if (e == nullptr) return PSA_ERROR_INSUFFICIENT_MEMORY;
    const psa_status_t status = setup(&e->op);
    if (status != PSA_SUCCESS) {
      table.Release(e);  // setup failed: the operation was never the client's
      return status;
    }
    return c.PutU32(0, table.HandleOf(e));
  }

  // Runs `step` on the caller's operation `c.handle` of `table`; releases
  // it when `release_on_success` and the step succeeded.
  template <typename Table, typename Step>
  psa_status_t OnOperation(Table& table, Call& c, bool release_on_success, Step step) {
    typename Table::Entry* e = table.Find(c.client(), c.handle);
    if (e == nullptr) return PSA_ERROR_BAD_STATE;
    const psa_status_t status = step(&e->op);
    if (status == PSA_SUCCESS && release_on_success) table.Release(e);
    return status;
  }

  template <typename Table>
  psa_status_t Abort(Table& table, Call& c) {
    typename Table::Entry* e = table.Find(c.client(), c.handle);
    if (e == nullptr) return PSA_ERROR_BAD_STATE;
    const psa_status_t status = AbortOperation(&e->op);
    table.Release(e);
    return status;
  }

  psa_status_t Hash(int32_t function, Call& c) {
    ConstByteSpan in;
    switch (function) {
      case BASTION_CRYPTO_HASH_SETUP:
        return NewOperation(s_.hash, c,
                            [&](psa_hash_operation_t* op) { return psa_hash_setup(op, c.alg); });
      case BASTION_CRYPTO_HASH_UPDATE:
        TRY_STATUS(c.In(1, &in));
        return OnOperation(s_.hash, c, false, [&](psa_hash_operation_t* op) {
          return psa_hash_update(op, in.data(), in.size());
        });
      case BASTION_CRYPTO_HASH_FINISH: {
        ByteSpan out = c.Out(0);
        size_t length = 0;
        const psa_status_t status = OnOperation(s_.hash, c, true, [&](psa_hash_operation_t* op) {
          return psa_hash_finish(op, out.data(), out.size(), &length);
        });
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_HASH_VERIFY:
        TRY_STATUS(c.In(1, &in));
        return OnOperation(s_.hash, c, true, [&](psa_hash_operation_t* op) {
          return psa_hash_verify(op, in.data(), in.size());
        });
      case BASTION_CRYPTO_HASH_ABORT:
        return Abort(s_.hash, c);
      case BASTION_CRYPTO_HASH_CLONE: {
        auto* source = s_.hash.Find(c.client(), c.handle);
        if (source == nullptr) return PSA_ERROR_BAD_STATE;
        return NewOperation(
            s_.hash, c, [&](psa_hash_operation_t* op) { return psa_hash_clone(&source->op, op); });
      }
      default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  psa_status_t Mac(int32_t function, Call& c) {
    ConstByteSpan in;
    mbedtls_svc_key_id_t key = MBEDTLS_SVC_KEY_ID_INIT;
    switch (function) {
      case BASTION_CRYPTO_MAC_SIGN_SETUP:
      case BASTION_CRYPTO_MAC_VERIFY_SETUP:
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        return NewOperation(s_.mac, c, [&](psa_mac_operation_t* op) {
          return function == BASTION_CRYPTO_MAC_SIGN_SETUP ? psa_mac_sign_setup(op, key, c.alg)
                                                           : psa_mac_verify_setup(op, key, c.alg);
        });
      case BASTION_CRYPTO_MAC_UPDATE:
        TRY_STATUS(c.In(1, &in));
        return OnOperation(s_.mac, c, false, [&](psa_mac_operation_t* op) {
          return psa_mac_update(op, in.data(), in.size());
        });
      case BASTION_CRYPTO_MAC_SIGN_FINISH: {
        ByteSpan out = c.Out(0);
        size_t length = 0;
        const psa_status_t status = OnOperation(s_.mac, c, true, [&](psa_mac_operation_t* op) {
          return psa_mac_sign_finish(op, out.data(), out.size(), &length);
        });
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_MAC_VERIFY_FINISH:
        TRY_STATUS(c.In(1, &in));
        return OnOperation(s_.mac, c, true, [&](psa_mac_operation_t* op) {
          return psa_mac_verify_finish(op, in.data(), in.size());
        });
      case BASTION_CRYPTO_MAC_ABORT:
        return Abort(s_.mac, c);
      default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  psa_status_t Cipher(int32_t function, Call& c) {
    ConstByteSpan in;
    mbedtls_svc_key_id_t key = MBEDTLS_SVC_KEY_ID_INIT;
    size_t length = 0;
    switch (function) {
      case BASTION_CRYPTO_CIPHER_ENCRYPT_SETUP:
      case BASTION_CRYPTO_CIPHER_DECRYPT_SETUP:
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        return NewOperation(s_.cipher, c, [&](psa_cipher_operation_t* op) {
          return function == BASTION_CRYPTO_CIPHER_ENCRYPT_SETUP
                     ? psa_cipher_encrypt_setup(op, key, c.alg)
                     : psa_cipher_decrypt_setup(op, key, c.alg);
        });
      case BASTION_CRYPTO_CIPHER_GENERATE_IV: {
        ByteSpan out = c.Out(0);
        const psa_status_t status =
            OnOperation(s_.cipher, c, false, [&](psa_cipher_operation_t* op) {
              return psa_cipher_generate_iv(op, out.data(), out.size(), &length);
            });
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_CIPHER_SET_IV:
        TRY_STATUS(c.In(1, &in));
        return OnOperation(s_.cipher, c, false, [&](psa_cipher_operation_t* op) {
          return psa_cipher_set_iv(op, in.data(), in.size());
        });
      case BASTION_CRYPTO_CIPHER_UPDATE: {
        TRY_STATUS(c.In(1, &in));
        ByteSpan out = c.Out(0);
        const psa_status_t status =
            OnOperation(s_.cipher, c, false, [&](psa_cipher_operation_t* op) {
              return psa_cipher_update(op, in.data(), in.size(), out.data(), out.size(), &length);
            });
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_CIPHER_FINISH: {
        ByteSpan out = c.Out(0);
        const psa_status_t status =
            OnOperation(s_.cipher, c, true, [&](psa_cipher_operation_t* op) {
              return psa_cipher_finish(op, out.data(), out.size(), &length);
            });
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_CIPHER_ABORT:
        return Abort(s_.cipher, c);
      default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  psa_status_t Aead(int32_t function, Call& c) {
    ConstByteSpan in;
    mbedtls_svc_key_id_t key = MBEDTLS_SVC_KEY_ID_INIT;
    size_t length = 0;
    switch (function) {
      case BASTION_CRYPTO_AEAD_ENCRYPT_SETUP:
      case BASTION_CRYPTO_AEAD_DECRYPT_SETUP:
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        return NewOperation(s_.aead, c, [&](psa_aead_operation_t* op) {
          return function == BASTION_CRYPTO_AEAD_ENCRYPT_SETUP
                     ? psa_aead_encrypt_setup(op, key, c.alg)
                     : psa_aead_decrypt_setup(op, key, c.alg);
        });
      case BASTION_CRYPTO_AEAD_GENERATE_NONCE: {
        ByteSpan out = c.Out(0);
        const psa_status_t status = OnOperation(s_.aead, c, false, [&](psa_aead_operation_t* op) {
          return psa_aead_generate_nonce(op, out.data(), out.size(), &length);
        });
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_AEAD_SET_NONCE:
        TRY_STATUS(c.In(1, &in));
        return OnOperation(s_.aead, c, false, [&](psa_aead_operation_t* op) {
          return psa_aead_set_nonce(op, in.data(), in.size());
        });
      case BASTION_CRYPTO_AEAD_SET_LENGTHS:
        if (c.value > SIZE_MAX || c.value2 > SIZE_MAX) {
          // Lengths this partition cannot even represent: refused, as the
          // core refuses lengths its algorithm cannot take.
          return s_.aead.Find(c.client(), c.handle) == nullptr ? PSA_ERROR_BAD_STATE
                                                               : PSA_ERROR_INVALID_ARGUMENT;
        }
        return OnOperation(s_.aead, c, false, [&](psa_aead_operation_t* op) {
          return psa_aead_set_lengths(op, static_cast<size_t>(c.value),
                                      static_cast<size_t>(c.value2));
        });
      case BASTION_CRYPTO_AEAD_UPDATE_AD:
        TRY_STATUS(c.In(1, &in));
        return OnOperation(s_.aead, c, false, [&](psa_aead_operation_t* op) {
          return psa_aead_update_ad(op, in.data(), in.size());
        });
      case BASTION_CRYPTO_AEAD_UPDATE: {
        TRY_STATUS(c.In(1, &in));
        ByteSpan out = c.Out(0);
        const psa_status_t status = OnOperation(s_.aead, c, false, [&](psa_aead_operation_t* op) {
          return psa_aead_update(op, in.data(), in.size(), out.data(), out.size(), &length);
        });
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_AEAD_FINISH: {
        ByteSpan out = c.Out(0);
        ByteSpan tag = c.Out(1);
        size_t tag_length = 0;
        const psa_status_t status = OnOperation(s_.aead, c, true, [&](psa_aead_operation_t* op) {
          return psa_aead_finish(op, out.data(), out.size(), &length, tag.data(), tag.size(),
                                 &tag_length);
        });
        if (status != PSA_SUCCESS) return status;
        TRY_STATUS(c.Put(0, out.first(length)));
        return c.Put(1, tag.first(tag_length));
      }
      case BASTION_CRYPTO_AEAD_VERIFY: {
        TRY_STATUS(c.In(1, &in));
        ByteSpan out = c.Out(0);
        const psa_status_t status = OnOperation(s_.aead, c, true, [&](psa_aead_operation_t* op) {
          return psa_aead_verify(op, out.data(), out.size(), &length, in.data(), in.size());
        });
        return status == PSA_SUCCESS ? c.Put(0, out.first(length)) : status;
      }
      case BASTION_CRYPTO_AEAD_ABORT:
        return Abort(s_.aead, c);
      default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  // The step as the core's type; a value that does not fit is no step.
  static psa_key_derivation_step_t Step(const Call& c) {
    return c.step > 0xFFFF ? psa_key_derivation_step_t{0}
                           : static_cast<psa_key_derivation_step_t>(c.step);
  }

  psa_status_t Derivation(int32_t function, Call& c) {
    ConstByteSpan in;
    mbedtls_svc_key_id_t key = MBEDTLS_SVC_KEY_ID_INIT;
    auto& table = s_.derivation;
    using Op = psa_key_derivation_operation_t;
    switch (function) {
      case BASTION_CRYPTO_KEY_DERIVATION_SETUP:
        return NewOperation(table, c, [&](Op* op) { return psa_key_derivation_setup(op, c.alg); });
      case BASTION_CRYPTO_KEY_DERIVATION_GET_CAPACITY: {
        size_t capacity = 0;
        TRY_STATUS(OnOperation(table, c, false, [&](Op* op) {
          return psa_key_derivation_get_capacity(op, &capacity);
        }));
        uint8_t bytes[8];
        StoreLe32(bytes, static_cast<uint32_t>(uint64_t{capacity}));
        StoreLe32(bytes + 4, static_cast<uint32_t>(uint64_t{capacity} >> 32));
        return c.Put(0, bytes);
      }
      case BASTION_CRYPTO_KEY_DERIVATION_SET_CAPACITY: {
        // Capacity only ever goes down: a value past size_t asks for more
        // than any operation has.
        const size_t capacity = c.value > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(c.value);
        return OnOperation(table, c, false,
                           [&](Op* op) { return psa_key_derivation_set_capacity(op, capacity); });
      }
      case BASTION_CRYPTO_KEY_DERIVATION_INPUT_BYTES:
        TRY_STATUS(c.In(1, &in));
        return OnOperation(table, c, false, [&](Op* op) {
          return psa_key_derivation_input_bytes(op, Step(c), in.data(), in.size());
        });
      case BASTION_CRYPTO_KEY_DERIVATION_INPUT_INTEGER:
        return OnOperation(table, c, false, [&](Op* op) {
          return psa_key_derivation_input_integer(op, Step(c), c.value);
        });
      case BASTION_CRYPTO_KEY_DERIVATION_INPUT_KEY:
        if (table.Find(c.client(), c.handle) == nullptr) return PSA_ERROR_BAD_STATE;
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        return OnOperation(table, c, false,
                           [&](Op* op) { return psa_key_derivation_input_key(op, Step(c), key); });
      case BASTION_CRYPTO_KEY_DERIVATION_KEY_AGREEMENT:
        if (table.Find(c.client(), c.handle) == nullptr) return PSA_ERROR_BAD_STATE;
        TRY_STATUS(Resolve(c.client(), c.key, &key));
        TRY_STATUS(c.In(1, &in));
        return OnOperation(table, c, false, [&](Op* op) {
          return psa_key_derivation_key_agreement(op, Step(c), key, in.data(), in.size());
        });
      case BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_BYTES: {
        ByteSpan out = c.Out(0);
        if (out.size() < c.message().out_size(0)) return PSA_ERROR_INSUFFICIENT_MEMORY;
        TRY_STATUS(OnOperation(table, c, false, [&](Op* op) {
          return psa_key_derivation_output_bytes(op, out.data(), out.size());
        }));
        return c.Put(0, out);
      }
      case BASTION_CRYPTO_KEY_DERIVATION_OUTPUT_KEY: {
        auto* e = table.Find(c.client(), c.handle);
        if (e == nullptr) return PSA_ERROR_BAD_STATE;
        return CreateKey(c, [&](const psa_key_attributes_t& a, mbedtls_svc_key_id_t* id) {
          return psa_key_derivation_output_key(&a, &e->op, id);
        });
      }
      case BASTION_CRYPTO_KEY_DERIVATION_VERIFY_BYTES:
      case BASTION_CRYPTO_KEY_DERIVATION_VERIFY_KEY:
        // Declared by Mbed TLS 3.6, implemented by none of its core.
        if (table.Find(c.client(), c.handle) == nullptr) return PSA_ERROR_BAD_STATE;
        return PSA_ERROR_NOT_SUPPORTED;
      case BASTION_CRYPTO_KEY_DERIVATION_ABORT:
        return Abort(table, c);
      default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
  }

  psa_status_t Dispatch(int32_t function, Call& c) {
    if (function < 10) return SinglePart(function, c);
    if (function < 20) return KeyManagement(function, c);
    if (function <= BASTION_CRYPTO_HASH_CLONE && function >= BASTION_CRYPTO_HASH_SETUP) {
      return Hash(function, c);
    }
    if (function >= BASTION_CRYPTO_MAC_SIGN_SETUP && function <= BASTION_CRYPTO_MAC_ABORT) {
      return Mac(function, c);
    }
    if (function >= BASTION_CRYPTO_CIPHER_ENCRYPT_SETUP &&
        function <= BASTION_CRYPTO_CIPHER_ABORT) {
      return Cipher(function, c);
    }
    if (function >= BASTION_CRYPTO_AEAD_ENCRYPT_SETUP && function <= BASTION_CRYPTO_AEAD_ABORT) {
      return Aead(function, c);
    }
    if (function >= BASTION_CRYPTO_KEY_DERIVATION_SETUP) return Derivation(function, c);
    return SinglePart(function, c);
  }

 private:
  State& s_;
  const CryptoServiceConfig& config_;
  ConstByteSpan attestation_seed_;
  ConstByteSpan storage_seed_;
};

}  // namespace

CryptoService::CryptoService(const CryptoServiceConfig& config,
                             std::span<const uint8_t, 32> attestation_seed,
                             std::span<const uint8_t, 32> storage_seed)
    : config_(config) {
  std::memcpy(attestation_seed_, attestation_seed.data(), sizeof(attestation_seed_));
  std::memcpy(storage_seed_, storage_seed.data(), sizeof(storage_seed_));
  new (state_storage_) State();
}

CryptoService::~CryptoService() {
  if (g_core_owner == this) {
    state().AbortAll();
    mbedtls_psa_crypto_free();
    bastion_psa_core_set_hooks(nullptr);
    g_core_owner = nullptr;
  }
  state().~State();
  SecureWipe(attestation_seed_, sizeof(attestation_seed_));
  SecureWipe(storage_seed_, sizeof(storage_seed_));
  SecureWipe(state_storage_, sizeof(state_storage_));
  SecureWipe(work_, sizeof(work_));
}

CryptoService::State& CryptoService::state() {
  return *std::launder(static_cast<State*>(static_cast<void*>(state_storage_)));
}
const CryptoService::State& CryptoService::state() const {
  return *std::launder(static_cast<const State*>(static_cast<const void*>(state_storage_)));
}

void CryptoService::Restart(const sm::PartitionDecl& /*declaration*/) {
  ready_ = false;
  SecureWipe(work_, sizeof(work_));
  if (g_core_owner != nullptr && g_core_owner != this) return;  // another instance has the core
  State& s = state();
  if (g_core_owner == this) {
    s.AbortAll();
    mbedtls_psa_crypto_free();
  }
  g_core_owner = this;
  s.ForgetKeys();
  // The built-in keys' table: the IAK, then one HUK-derived key per client.
  s.builtins[0] = State::Builtin{};
  s.builtins[0].id = BASTION_CRYPTO_BUILTIN_KEY_IAK;
  for (size_t i = 1; i < std::size(s.builtins); ++i) {
    s.builtins[i] = State::Builtin{};
    if (i - 1 < config_.huk_clients.size()) {
      s.builtins[i].id = BASTION_CRYPTO_BUILTIN_KEY_HUK_DERIVED;
      s.builtins[i].client = config_.huk_clients[i - 1];
    }
  }
  const bastion_psa_core_hooks hooks = {
      .context = &config_,
      .random = HookRandom,
      .its_set = HookSet,
      .its_get = HookGet,
      .its_get_info = HookGetInfo,
      .its_remove = HookRemove,
  };
  crypto::Init();  // the arena the core allocates from
  bastion_psa_core_set_hooks(&hooks);
  ready_ = psa_crypto_init() == PSA_SUCCESS;
}

sm::Reply CryptoService::Serve(const sm::ServiceDecl& /*service*/, sm::Message& message) {
  if (message.type() == sm::kMessageConnect || message.type() == sm::kMessageDisconnect) {
    return sm::Reply::Status(PSA_SUCCESS);  // stateless: the SPM never sends these
  }
  if (!ready_ || g_core_owner != this) return sm::Reply::Status(PSA_ERROR_SERVICE_FAILURE);
  const Layout* layout = FindLayout(message.type());
  if (layout == nullptr) return sm::Reply::Status(PSA_ERROR_NOT_SUPPORTED);
  if (!LayoutMatches(*layout, message)) return sm::Reply::Status(PSA_ERROR_PROGRAMMER_ERROR);
  Call call(message, ByteSpan(work_, sizeof(work_)));
  if (!call.ReadParams()) return sm::Reply::Status(PSA_ERROR_PROGRAMMER_ERROR);
  Engine engine(state(), config_, attestation_seed_, storage_seed_);
  const psa_status_t status = engine.Dispatch(message.type(), call);
  SecureWipe(work_, call.used());
  if (message.misused()) return sm::Reply::Fault();
  return sm::Reply::Status(status);
}

void CryptoService::ReleaseClient(sm::ClientId client) {
  if (g_core_owner != this) return;
  State& s = state();
  s.hash.AbortClient(client);
  s.mac.AbortClient(client);
  s.cipher.AbortClient(client);
  s.aead.AbortClient(client);
  s.derivation.AbortClient(client);
}

size_t CryptoService::OperationsOf(sm::ClientId client) const {
  const State& s = state();
  return s.hash.CountOf(client) + s.mac.CountOf(client) + s.cipher.CountOf(client) +
         s.aead.CountOf(client) + s.derivation.CountOf(client);
}

psa_status_t CryptoService::SignHash(sm::ClientId caller, uint32_t key, uint32_t alg,
                                     ConstByteSpan hash, ByteSpan signature, size_t* length) {
  *length = 0;
  if (!ready_ || g_core_owner != this) return PSA_ERROR_SERVICE_FAILURE;
  Engine engine(state(), config_, attestation_seed_, storage_seed_);
  mbedtls_svc_key_id_t id = MBEDTLS_SVC_KEY_ID_INIT;
  TRY_STATUS(engine.Resolve(caller, key, &id));
  return psa_sign_hash(id, alg, hash.data(), hash.size(), signature.data(), signature.size(),
                       length);
}

psa_status_t CryptoService::ExportPublicKey(sm::ClientId caller, uint32_t key, ByteSpan data,
                                            size_t* length) {
  *length = 0;
  if (!ready_ || g_core_owner != this) return PSA_ERROR_SERVICE_FAILURE;
  Engine engine(state(), config_, attestation_seed_, storage_seed_);
  mbedtls_svc_key_id_t id = MBEDTLS_SVC_KEY_ID_INIT;
  TRY_STATUS(engine.Resolve(caller, key, &id));
  return psa_export_public_key(id, data.data(), data.size(), length);
}

}  // namespace bastion::crypto_service
