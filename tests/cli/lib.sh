# Shared by the CLI end-to-end scripts (sourced, not run): checks the
# `bastion` path given as $1, moves into a temporary directory $T removed on
# exit, and defines the assertion helpers. Each script ends with
# `finish`, which prints "N passed, M failed" and fails on any failure.

BASTION=${1:-${BASTION:-}}
if [[ -z "$BASTION" || ! -x "$BASTION" ]]; then
  echo "usage: $0 /path/to/bastion" >&2
  exit 2
fi
BASTION=$(cd "$(dirname "$BASTION")" && pwd)/$(basename "$BASTION")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"

passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_ok NAME CMD...: the command must exit 0.
expect_ok() {
  local name=$1; shift
  if "$@" >"$T/out" 2>"$T/err"; then ok; else fail "$name (exit $?): $(head -c 300 "$T/err")"; fi
}
# expect_fail NAME CODE CMD...: the command must exit CODE with one line on stderr.
expect_fail() {
  local name=$1 code=$2; shift 2
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [[ $rc -ne $code ]]; then
    fail "$name: exit $rc, expected $code: $(head -c 300 "$T/err")"
  elif [[ $(wc -l <"$T/err") -ne 1 ]] || ! grep -q '^bastion' "$T/err"; then
    fail "$name: stderr is not one 'bastion...' line: $(cat "$T/err")"
  else
    ok
  fi
}
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then ok; else fail "$name"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
