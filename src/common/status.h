// Status and Result<T>: errors are values that cannot be ignored.
//
// Every fallible function in device code returns a [[nodiscard]] Status or a
// Result<T>. Each function documents in its header which codes it returns.
// Propagate with BASTION_TRY / BASTION_TRY_ASSIGN.
#pragma once

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace bastion {

// Stable numeric codes: they appear in boot reports and CLI output.
enum class StatusCode : uint16_t {
  kOk = 0,
  kInvalidArgument = 1,  // a caller-supplied value is malformed or out of range
  kOutOfRange = 2,       // an offset or length runs past a region
  kNotFound = 3,         // the thing looked for does not exist
  kAlreadyExists = 4,
  kPermissionDenied = 5,    // refused by HDPL / region owner / lifecycle
  kFailedPrecondition = 6,  // the object is not in a state that allows this
  kResourceExhausted = 7,   // a fixed-capacity buffer or table is full
  kDataLoss = 8,            // stored data is corrupt
  kUnauthenticated = 9,     // a signature or MAC did not verify
  kUnavailable = 10,        // the device lost power during the operation
  kInternal = 11,           // an invariant failed; a bug
  kUnimplemented = 12,
};

class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  constexpr Status(StatusCode code) : code_(code) {}  // NOLINT: implicit on purpose

  static constexpr Status Ok() { return Status(); }
  [[nodiscard]] constexpr bool ok() const { return code_ == StatusCode::kOk; }
  [[nodiscard]] constexpr StatusCode code() const { return code_; }
  constexpr bool operator==(const Status&) const = default;
  // Explicitly discard a status where ignoring it is the intended behaviour.
  constexpr void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
};

// Short, stable name for a status code ("ok", "out-of-range", ...).
const char* StatusName(Status status);

// A value or an error. T must be default-constructible-free-safe: storage is
// a union so T need not be default constructible.
template <typename T>
class [[nodiscard]] Result {
 public:
  constexpr Result(T value) : status_(), has_value_(true) {  // NOLINT
    new (&value_) T(std::move(value));
  }
  constexpr Result(Status status) : status_(status), has_value_(false) {}  // NOLINT
  constexpr Result(StatusCode code) : status_(code), has_value_(false) {}  // NOLINT
  Result(const Result& other) : status_(other.status_), has_value_(other.has_value_) {
    if (has_value_) new (&value_) T(other.value_);
  }
  Result& operator=(const Result&) = delete;
  ~Result() {
    if (has_value_) value_.~T();
  }

  [[nodiscard]] constexpr bool ok() const { return has_value_; }
  [[nodiscard]] constexpr Status status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

 private:
  Status status_;
  bool has_value_;
  union {
    T value_;
  };
};

}  // namespace bastion

#define BASTION_CONCAT_INNER(a, b) a##b
#define BASTION_CONCAT(a, b) BASTION_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not ok.
#define BASTION_TRY(expr)                                      \
  do {                                                         \
    const ::bastion::Status bastion_try_status_ = (expr);      \
    if (!bastion_try_status_.ok()) return bastion_try_status_; \
  } while (0)

// Declares `lhs` from the value of a Result, or returns its status.
#define BASTION_TRY_ASSIGN(lhs, expr) \
  BASTION_TRY_ASSIGN_IMPL(BASTION_CONCAT(bastion_result_, __LINE__), lhs, expr)
#define BASTION_TRY_ASSIGN_IMPL(result, lhs, expr) \
  auto result = (expr);                            \
  if (!result.ok()) return result.status();        \
  lhs = std::move(result.value())
