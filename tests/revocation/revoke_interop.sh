#!/usr/bin/env bash
# `bastion revoke` checked by an independent implementation
# (tests/revocation/revoke_check.py: python3-cbor2 + python3-cryptography).
# usage: revoke_interop.sh PATH/TO/bastion
set -euo pipefail
bastion="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bastion" keygen -t ecdsa-p256 -k k256.pem
"$bastion" keygen -t ecdsa-p384 -k k384.pem
"$bastion" keygen -t ecdsa-p256 -k auth.pem
device=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# Two signers, every device.
"$bastion" revoke --domain app --slot 2 --slot 0 --seq 7 -k k256.pem -k k384.pem -o all.cose
/usr/bin/python3 "$here/revoke_check.py" all.cose app 0,2 7 - k256.pem k384.pem
# One authority signer, one device, the largest sequence.
"$bastion" revoke --domain urot --slot 3 --seq 0xfffffffe --device "$device" -k auth.pem -o one.cose
/usr/bin/python3 "$here/revoke_check.py" one.cose urot 3 4294967294 "$device" auth.pem

# --inspect agrees, verifies with the keys, and refuses a tampered copy.
"$bastion" revoke --inspect all.cose -k k256.pem -k k384.pem | grep -q "verified"
"$bastion" revoke --inspect one.cose --json | grep -q "\"instance_id\": \"$device\""
python3 - <<'PY'
data = bytearray(open("all.cose", "rb").read())
data[-1] ^= 1
open("bad.cose", "wb").write(bytes(data))
PY
if "$bastion" revoke --inspect bad.cose -k k384.pem >/dev/null 2>&1; then
  echo "FAIL --inspect accepted a tampered signature"; exit 1
fi
# Usage errors exit 2, and leave no output file.
for bad in "--domain xx --slot 1 --seq 1" "--domain app --slot 4 --seq 1" \
           "--domain app --slot 1 --slot 1 --seq 1" "--domain app --slot 1 --seq 0" \
           "--domain app --slot 1 --seq 1 --device 1234"; do
  set +e; "$bastion" revoke $bad -k k256.pem -o out.cose 2>/dev/null; rc=$?; set -e
  [ "$rc" = 2 ] || { echo "FAIL revoke $bad: exit $rc, want 2"; exit 1; }
  [ ! -e out.cose ] || { echo "FAIL revoke $bad left out.cose"; exit 1; }
done
echo "revoke_interop: ok"
