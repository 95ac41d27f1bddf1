#!/usr/bin/env bash
# End-to-end tests of Initial Attestation through the CLI: `device iak`,
# `device attest` and `attest verify` on a provisioned virtual device, the
# claims checked against `device boot --json` and `getpubhash`; refusals of
# a wrong nonce, a wrong key, a truncated or extended token; then the PSA
# Initial Attestation API from a C program linked with bastion::psa_host
# against the same device (when its path is given as $2).
# usage: attest_test.sh /path/to/bastion [/path/to/psa_host_attest_c_test]
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
C_TEST=${2:-}
if [[ -n "$C_TEST" ]]; then C_TEST=$(cd "$OLDPWD" && realpath "$C_TEST"); fi
jassert() {
  local name=$1 code=$2; shift 2
  if python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$code" "$T/out" "$@" 2>"$T/pyerr"; then ok; else fail "$name: $(tail -n 1 "$T/pyerr")"; fi
}

# ---- a provisioned device: P-256 urot and app keys, a P-384 sm key ----
mkdir k
for key in urot-0 app-0 app-1 stranger; do "$BASTION" keygen -t ecdsa-p256 -k k/$key.pem; done
"$BASTION" keygen -t ecdsa-p384 -k k/sm-0.pem
python3 - <<'PY'
import json
p = {
  "lifecycle": "secured",
  "flash": {"size": "0x200000", "sector_size": 8192, "program_unit": 16},
  "layout": {"key_store": {"offset": "0x0", "size": "0x2000"},
             "urot": {"primary": "0x2000", "secondary": "0x12000", "size": "0x10000"},
             "sm": {"primary": "0x24000", "secondary": "0x44000", "size": "0x20000"},
             "app": {"primary": "0x66000", "secondary": "0xc6000", "size": "0x60000"},
             "scratch": {"offset": "0x128000", "size": "0x4000"},
             "storage": {"offset": "0x12c000", "size": "0x8000"}},
  "domains": {"urot": {"keys": ["urot-0.pem"], "threshold": 1},
              "sm": {"keys": ["sm-0.pem"], "threshold": 1},
              "app": {"keys": ["app-0.pem", "app-1.pem"], "threshold": 2}}}
json.dump(p, open("k/profile.json", "w"))
PY
for c in urot sm app; do head -c 3000 /dev/urandom >$c.bin; done
"$BASTION" sign -k k/urot-0.pem -v 1.0.0 -H 0x200 --pad-header urot.bin urot.img >/dev/null
"$BASTION" sign -k k/sm-0.pem -v 2.1.0+7 -H 0x200 --pad-header sm.bin sm.img >/dev/null
"$BASTION" sign -k k/app-1.pem -v 3.4.5 -H 0x200 --pad-header app.bin app.img >/dev/null
"$BASTION" device create dev --profile k/profile.json >/dev/null
for c in urot sm app; do "$BASTION" device flash dev --component $c $c.img >/dev/null; done

# ==== device iak ====
expect_ok "device iak" "$BASTION" device iak dev -o iak.pem
check "iak is a PEM public key" grep -q "BEGIN PUBLIC KEY" iak.pem
expect_ok "device iak to stdout" "$BASTION" device iak dev
check "iak is the same every boot" cmp -s "$T/out" iak.pem
expect_fail "device iak: no such device" 1 "$BASTION" device iak nowhere
expect_fail "device iak: two dirs" 2 "$BASTION" device iak dev dev

# ==== device attest, then attest verify ====
NONCE=$(python3 -c "print('5a' * 48)")
expect_ok "device attest" "$BASTION" device attest dev --nonce "$NONCE" -o token.cbor
check "attest reports the nonce" grep -qx "nonce: $NONCE" "$T/out"
expect_ok "attest verify (text)" "$BASTION" attest verify token.cbor --iak iak.pem --nonce "$NONCE"
check "text: verified" grep -q "^token: signature and profile verified" "$T/out"
check "text: lifecycle" grep -qx "security lifecycle: 0x3000 (secured)" "$T/out"
check "text: app domain" grep -q "app  (signs App): revocation sequence 0, revoked slots none, provisioned slots 0,1, 0 of 16 records used" "$T/out"

"$BASTION" device boot dev --json >boot.json 2>/dev/null || true
expect_ok "attest verify (json)" "$BASTION" attest verify token.cbor --iak iak.pem --json
jassert "json: claims match the boot report and the keys" '
boot = json.load(open(sys.argv[2]))
hashes = {"urot": sys.argv[3], "sm": sys.argv[4], "app": sys.argv[5]}
assert d["profile"] == "tag:psacertified.org,2023:psa#tfm"
assert d["client_id"] == -1 and d["security_lifecycle"] == 0x3000
assert d["nonce"] == "5a" * 48
assert d["instance_id"].startswith("01") and d["instance_id"][2:] == d["kid"]
types = {"urot": "BL", "sm": "PRoT", "app": "App"}
sw = d["software_components"]
assert len(sw) == 3, sw
for img, comp in zip(boot["images"], sw):
    assert comp["measurement_type"] == types[img["component"]], (img, comp)
    assert comp["measurement_value"] == img["measurement"], (img, comp)
    assert comp["version"] == img["version"], (img, comp)
    assert comp["signer_id"] == hashes[img["component"]], (img, comp)
    assert comp["measurement_description"] == ("sha-384" if img["component"] == "sm" else "sha-256")
dom = {x["domain"]: x for x in d["bastion_revocation"]}
for b in boot["domains"]:
    t = dom[b["component"]]
    assert t["readable"] == b["readable"], (b, t)
    assert t["revocation_sequence"] == b["revocation_sequence"], (b, t)
    assert t["records_used"] == b["records_used"] and t["records_capacity"] == b["records_capacity"]
    assert t["revoked_slots"] == [i for i, s in enumerate(b["signing_slots"]) if s == "revoked"]
    assert t["provisioned_slots"] == [i for i, s in enumerate(b["signing_slots"]) if s == "provisioned"]
' boot.json "$("$BASTION" getpubhash -k k/urot-0.pem)" "$("$BASTION" getpubhash -k k/sm-0.pem)" \
  "$("$BASTION" getpubhash -k k/app-1.pem)"

# ==== refusals: one line, exit 1 (2 for usage) ====
expect_fail "wrong nonce" 1 "$BASTION" attest verify token.cbor --iak iak.pem --nonce "$(python3 -c "print('5b' * 48)")"
check "wrong nonce: reason" grep -q "nonce is not the expected challenge" "$T/err"
"$BASTION" getpub -k k/stranger.pem -o stranger.pem
expect_fail "wrong key" 1 "$BASTION" attest verify token.cbor --iak stranger.pem
head -c 200 token.cbor >short.cbor
expect_fail "truncated" 1 "$BASTION" attest verify short.cbor --iak iak.pem
{ cat token.cbor; printf '\0'; } >long.cbor
expect_fail "extra bytes" 1 "$BASTION" attest verify long.cbor --iak iak.pem
python3 -c "
b = bytearray(open('token.cbor', 'rb').read()); b[len(b) // 2] ^= 1
open('flipped.cbor', 'wb').write(b)"
expect_fail "flipped bit" 1 "$BASTION" attest verify flipped.cbor --iak iak.pem
expect_fail "P-384 key" 1 "$BASTION" attest verify token.cbor --iak k/sm-0.pem
expect_fail "bad nonce size" 2 "$BASTION" attest verify token.cbor --iak iak.pem --nonce 0011
expect_fail "bad nonce hex" 2 "$BASTION" device attest dev --nonce "$(python3 -c "print('zz' * 32)")"
expect_fail "no --iak" 2 "$BASTION" attest verify token.cbor
expect_fail "unknown subcommand" 2 "$BASTION" attest sign token.cbor
expect_fail "missing token file" 1 "$BASTION" attest verify nothing.cbor --iak iak.pem
expect_ok "default nonce, hex output" "$BASTION" device attest dev
check "hex token" grep -qE '^d2[0-9a-f]+$' "$T/out"

# ==== the PSA API from C, through bastion::psa_host, on this device ====
if [[ -n "$C_TEST" ]]; then
  expect_ok "psa_initial_attest_* from C" env BASTION_PSA_HOST_DEVICE="$T/dev" "$C_TEST" c-token.cbor
  expect_ok "the C program's token verifies" "$BASTION" attest verify c-token.cbor --iak iak.pem \
    --nonce "$(python3 -c "print(''.join('%02x' % i for i in range(64)))")"
fi
finish
