#!/usr/bin/env bash
# MCUboot format interoperability: `bastion` against an independent Python
# implementation of the format (mcuboot_format.py), in both directions.
# usage: interop_test.sh /path/to/bastion
set -euo pipefail

BASTION=${1:-${BASTION:-}}
if [[ -z "$BASTION" || ! -x "$BASTION" ]]; then
  echo "usage: $0 /path/to/bastion" >&2
  exit 2
fi
BASTION=$(cd "$(dirname "$BASTION")" && pwd)/$(basename "$BASTION")
# Debian's python3 carries python3-cryptography (scripts/setup installs it).
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
PY="$PYTHON $(cd "$(dirname "$0")" && pwd)/mcuboot_format.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"

passed=0
failed=0
run() {  # run NAME EXPECTED_EXIT CMD...
  local name=$1 want=$2; shift 2
  local rc=0
  "$@" >"$T/out" 2>&1 || rc=$?
  if [[ $rc -eq $want ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name: exit $rc, expected $want: $(head -c 400 "$T/out")" >&2
  fi
}

head -c 7777 /dev/urandom >payload.bin
{ head -c 256 /dev/zero; cat payload.bin; } >in.bin   # room for -H 0x100

# Option sets used for both signers (--pad-header is covered below).
declare -a CASES=(
  "-v 1.2.3+4 -H 0x100"
  "-v 0.0.1 -H 0x100 -s 7"
  "-v 2.5.300+99 -H 0x100 -s auto -S 0x10000 --align 8 --pad"
  "-v 3.0.0 -H 0x100 -s 1 -S 0x10000 --align 16 --confirm"
  "-v 1.0.0 -H 0x100 -S 0x10000 --align 32 --max-align 32 --confirm -L 0x20000000"
  "-v 1.2.3+4 -H 0x100 -s 3 -d (1,1.2.3+4)"
  "-v 4.0.0 -H 0x100 -d (0,0.0.1),(2,2.255.65535+4294967295) -S 0x10000 --align 8 --pad"
)

for curve in p256 p384; do
  "$BASTION" keygen -t ecdsa-$curve -k key_$curve.pem
  "$BASTION" keygen -t ecdsa-$curve -k wrong_$curve.pem
  "$BASTION" getpub -k key_$curve.pem -o pub_$curve.pem
  for fmt in hash full; do
    i=0
    for opts in "${CASES[@]}"; do
      i=$((i + 1))
      tag=${curve}_${fmt}_$i
      # shellcheck disable=SC2086
      run "bastion sign $tag" 0 "$BASTION" sign -k key_$curve.pem --public-key-format $fmt $opts in.bin b_$tag.bin
      # shellcheck disable=SC2086
      run "python sign $tag" 0 $PY sign -k key_$curve.pem --public-key-format $fmt $opts in.bin p_$tag.bin
      # bastion-made image, checked by the independent implementation
      run "python verify bastion image $tag" 0 $PY verify key_$curve.pem b_$tag.bin
      run "python strict verify bastion image $tag" 0 $PY verify --strict pub_$curve.pem b_$tag.bin
      run "python rejects bastion image with wrong key $tag" 1 $PY verify wrong_$curve.pem b_$tag.bin
      # independently made image, verified by bastion
      run "bastion verify python image $tag" 0 "$BASTION" verify -k key_$curve.pem p_$tag.bin
      run "bastion rejects python image with wrong key $tag" 1 "$BASTION" verify -k wrong_$curve.pem p_$tag.bin
      run "bastion dumpinfo python image $tag" 0 "$BASTION" dumpinfo --json p_$tag.bin
      # same bytes everywhere but the (randomised) ECDSA signature
      run "same layout $tag" 0 $PY same-layout b_$tag.bin p_$tag.bin
      # a flipped payload byte is caught on both sides
      cp p_$tag.bin t.bin
      printf '\xa5' | dd of=t.bin bs=1 seek=$((0x100 + 1234)) conv=notrunc status=none
      run "bastion rejects tampered python image $tag" 1 "$BASTION" verify -k key_$curve.pem t.bin
      cp b_$tag.bin t.bin
      printf '\xa5' | dd of=t.bin bs=1 seek=$((0x100 + 1234)) conv=notrunc status=none
      run "python rejects tampered bastion image $tag" 1 $PY verify key_$curve.pem t.bin
    done
  done
done

# --pad-header on both sides: each verifies the other's image.
for curve in p256 p384; do
  run "bastion sign --pad-header $curve" 0 "$BASTION" sign -k key_$curve.pem -v 1.0.0 -H 0x200 --pad-header payload.bin bph_$curve.bin
  run "python sign --pad-header $curve" 0 $PY sign -k key_$curve.pem -v 1.0.0 -H 0x200 --pad-header payload.bin pph_$curve.bin
  run "python verify bastion --pad-header $curve" 0 $PY verify --strict key_$curve.pem bph_$curve.bin
  run "bastion verify python --pad-header $curve" 0 "$BASTION" verify -k key_$curve.pem pph_$curve.bin
  run "same layout --pad-header $curve" 0 $PY same-layout bph_$curve.bin pph_$curve.bin
done

# -d with imgtool's spacing: the signed bytes (header, payload, SEC_CNT and
# DEPENDENCY TLVs) are identical, and the DEPENDENCY value is imgtool's
# struct.pack('<B3xBBHI', 1, 1, 2, 3, 4).
run "bastion sign -d" 0 "$BASTION" sign -k key_p256.pem -v 2.0.0 -H 0x100 -s 9 -d "(1, 1.2.3+4)" in.bin bd.bin
run "python sign -d" 0 $PY sign -k key_p256.pem -v 2.0.0 -H 0x100 -s 9 -d "(1, 1.2.3+4)" in.bin pd.bin
run "same bytes -d" 0 $PY same-layout bd.bin pd.bin
run "DEPENDENCY TLV bytes" 0 python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
want = bytes.fromhex("40000c00" "01000000" "01020300" "04000000")
assert want in b, b[0x100 + 7777:0x100 + 7777 + 40].hex()
' bd.bin
run "bastion refuses a dependency on no component" 2 "$BASTION" sign -k key_p256.pem -v 2.0.0 -H 0x100 -d "(3, 1.0.0)" in.bin bad.bin
run "bastion refuses a malformed dependency" 2 "$BASTION" sign -k key_p256.pem -v 2.0.0 -H 0x100 -d "(1 1.0.0)" in.bin bad.bin

# imgtool --pad-sig: the zero-padded signature verifies; a byte more of
# padding, or a BER form of the same signature, does not.
for curve in p256 p384; do
  for i in 1 2 3 4; do   # several signatures: some need no padding, some 1-2 bytes
    head -c $((5000 + i)) /dev/urandom >ps_in.bin
    run "python sign --pad-sig $curve $i" 0 $PY sign -k key_$curve.pem -v 1.0.$i --pad-header -H 0x100 --pad-sig ps_in.bin ps_$curve$i.bin
    run "bastion verify --pad-sig image $curve $i" 0 "$BASTION" verify -k key_$curve.pem ps_$curve$i.bin
  done
done
run "BER variants of an imgtool signature are refused" 0 python3 - "$BASTION" key_p256.pem ps_p2561.bin <<'PY'
import struct, subprocess, sys
bastion, key, path = sys.argv[1:]
b = open(path, "rb").read()
hdr_size, prot, img = struct.unpack_from("<HHI", b, 8)
off = hdr_size + img + prot
_, total = struct.unpack_from("<HH", b, off)
pos, end = off + 4, off + total
while pos < end:
    t, n = struct.unpack_from("<HH", b, pos)
    if t == 0x22:
        sig_at, sig = pos, b[pos + 4:pos + 4 + n]
    pos += 4 + n
der = sig[:sig[1] + 2]
def variant(new_sig):
    unprot = b[off + 4:sig_at] + struct.pack("<HH", 0x22, len(new_sig)) + new_sig + b[sig_at + 4 + len(sig):end]
    return b[:off] + struct.pack("<HH", 0x6907, 4 + len(unprot)) + unprot
long_form = b"\x30\x81" + der[1:]
r_len = der[3]
extra_zero = bytes([0x30, der[1] + 1, 0x02, r_len + 1, 0x00]) + der[4:]
over_padded = der + b"\0" * (73 - len(der))
for name, image in (("long-form", variant(long_form)), ("extra zero", variant(extra_zero)),
                    ("padding past 72", variant(over_padded))):
    open("ber.bin", "wb").write(image)
    r = subprocess.run([bastion, "verify", "-k", key, "ber.bin"], capture_output=True, text=True)
    assert r.returncode == 1 and "signature-not-canonical" in r.stderr, (name, r.returncode, r.stderr)
PY

# Independently made images (imgtool's rules, hash and full key format) boot
# on the virtual device; slot-padded ones with a trailer too.
cat >profile.json <<'JSON'
{ "domains": { "urot": { "keys": ["key_p256.pem"], "threshold": 1 },
               "sm":   { "keys": ["key_p384.pem"], "threshold": 1 },
               "app":  { "keys": ["key_p256.pem"], "threshold": 1 } } }
JSON
run "device create" 0 "$BASTION" device create dev --profile profile.json
for fmt in hash full; do
  run "python sign urot $fmt" 0 $PY sign -k key_p256.pem --public-key-format $fmt -v 1.0.0 -H 0x200 --pad-header -s 1 payload.bin pu_$fmt.bin
  run "python sign sm $fmt" 0 $PY sign -k key_p384.pem --public-key-format $fmt -v 1.1.0 -H 0x200 --pad-header -s 1 -S 0x20000 --align 16 --pad payload.bin ps_$fmt.bin
  run "python sign app $fmt" 0 $PY sign -k key_p256.pem --public-key-format $fmt -v 1.2.0 -H 0x200 --pad-header -s 1 -S 0x60000 --align 16 --confirm payload.bin pa_$fmt.bin
  for c in urot:pu sm:ps app:pa; do
    run "device flash ${c%%:*} $fmt" 0 "$BASTION" device flash dev --component ${c%%:*} ${c##*:}_$fmt.bin
  done
  run "python-signed ($fmt) images boot" 0 "$BASTION" device boot dev --json
  cp "$T/out" boot_$fmt.json
  run "boot report lists them ($fmt)" 0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["booted"] is True, r
assert [i["version"] for i in r["images"]] == ["1.0.0+0", "1.1.0+0", "1.2.0+0"], r
' boot_$fmt.json
done
cp pa_hash.bin pa_bad.bin
printf '\x5a' | dd of=pa_bad.bin bs=1 seek=$((0x200 + 77)) conv=notrunc status=none
run "device flash tampered python image" 0 "$BASTION" device flash dev --component app pa_bad.bin
run "tampered python-signed image refused at boot" 1 "$BASTION" device boot dev

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
