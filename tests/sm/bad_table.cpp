// Compile-fail demonstration: each BAD_TABLE_* case declares an invalid
// partition table and must not compile. ctest (sm.table_compile_fail.*)
// compiles this file once per case and expects the named diagnostic.
#include "sm/partition_table.h"

using namespace bastion::sm;

constexpr ServiceDecl kA[] = {{.name = "a",
                               .sid = 1,
                               .version = 1,
                               .model = ServiceModel::kStateless,
                               .callers = {.any_non_secure = true}}};
constexpr ServiceDecl kB[] = {{.name = "b",
                               .sid = 2,
                               .version = 1,
                               .model = ServiceModel::kStateless,
                               .callers = {.any_non_secure = true}}};
constexpr ServiceDecl kNobody[] = {
    {.name = "n", .sid = 3, .version = 1, .model = ServiceModel::kConnectionBased, .callers = {}}};

constexpr PartitionDecl P(PartitionId id, std::span<const ServiceDecl> services) {
  return {.name = "p",
          .id = id,
          .kind = PartitionKind::kApplicationRot,
          .services = services,
          .storage_quota_bytes = 0,
          .key_slots = 0,
          .stack_bytes = 0,
          .memory_bytes = 0};
}

#if defined(BAD_TABLE_DUPLICATE_ID)
constexpr PartitionDecl kTable[] = {P(1, kA), P(1, kB)};  // "duplicate partition id"
#elif defined(BAD_TABLE_DUPLICATE_SID)
constexpr PartitionDecl kTable[] = {P(1, kA), P(2, kA)};  // "duplicate SID"
#elif defined(BAD_TABLE_NOBODY)
constexpr PartitionDecl kTable[] = {P(1, kNobody)};  // "a service nobody may call"
#elif defined(BAD_TABLE_NON_POSITIVE_ID)
constexpr PartitionDecl kTable[] = {P(0, kA)};  // "a partition id is not positive"
#else
constexpr PartitionDecl kTable[] = {P(1, kA), P(2, kB)};  // valid: compiles
#endif

BASTION_SM_CHECK_PARTITION_TABLE(kTable);
