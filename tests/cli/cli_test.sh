#!/usr/bin/env bash
# End-to-end tests of `bastion` key and image commands.
# usage: cli_test.sh /path/to/bastion
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

head -c 5000 /dev/urandom >payload.bin
{ head -c 512 /dev/zero; cat payload.bin; } >payload_hdr.bin   # room for -H 0x200

# ---- help ----
expect_ok "top-level --help" "$BASTION" --help
check "top-level help lists sign" grep -q 'sign' "$T/out"
for c in keygen getpub getpubhash sign verify dumpinfo; do
  expect_ok "$c --help" "$BASTION" $c --help
  check "$c --help is usage" grep -q "usage: bastion $c" "$T/out"
  expect_ok "$c -h" "$BASTION" $c -h
done
expect_fail "unknown command" 2 "$BASTION" frobnicate
expect_fail "no command" 2 "$BASTION"

# ---- keygen ----
for curve in p256 p384; do
  expect_ok "keygen $curve" "$BASTION" keygen -t ecdsa-$curve -k key_$curve.pem
  check "keygen $curve writes a PEM" grep -q 'BEGIN' key_$curve.pem
  check "keygen $curve mode 0600" test "$(stat -c %a key_$curve.pem)" = 600
  expect_ok "openssl reads $curve key" openssl pkey -in key_$curve.pem -noout
done
check "p256 key is prime256v1" bash -c "openssl pkey -in key_p256.pem -text -noout | grep -q 'prime256v1\|P-256'"
check "p384 key is secp384r1" bash -c "openssl pkey -in key_p384.pem -text -noout | grep -q 'secp384r1\|P-384'"
cp key_p256.pem key_p256.orig
expect_fail "keygen refuses to overwrite" 1 "$BASTION" keygen -t ecdsa-p256 -k key_p256.pem
check "refused keygen left the key unchanged" cmp -s key_p256.pem key_p256.orig
expect_ok "keygen --force overwrites" "$BASTION" keygen -t ecdsa-p256 -k forced.pem
expect_ok "keygen --force overwrites (2)" "$BASTION" keygen -t ecdsa-p256 -k forced.pem --force
expect_ok "keygen -e exports public key" "$BASTION" keygen -t ecdsa-p256 -k other.pem -e other_pub.pem
check "exported public key" grep -q 'BEGIN PUBLIC KEY' other_pub.pem
expect_fail "keygen refuses an existing export file" 1 "$BASTION" keygen -t ecdsa-p256 -k new.pem -e other_pub.pem
check "refused export writes no key" test ! -e new.pem
expect_fail "keygen bad type" 2 "$BASTION" keygen -t rsa-2048 -k bad.pem
check "no key file after bad type" test ! -e bad.pem
expect_fail "keygen missing -k" 2 "$BASTION" keygen -t ecdsa-p256
expect_fail "keygen missing -k value" 2 "$BASTION" keygen -t ecdsa-p256 -k
expect_fail "keygen unknown option" 2 "$BASTION" keygen -t ecdsa-p256 -k x.pem --bogus
check "no key file after unknown option" test ! -e x.pem
expect_fail "keygen into missing directory" 1 "$BASTION" keygen -t ecdsa-p256 -k nodir/k.pem

# ---- getpub ----
for curve in p256 p384; do
  expect_ok "getpub pem $curve" "$BASTION" getpub -k key_$curve.pem
  cp "$T/out" pub_$curve.pem
  openssl pkey -in key_$curve.pem -pubout -out ref_pub_$curve.pem 2>/dev/null
  check "getpub pem $curve equals openssl" cmp -s pub_$curve.pem ref_pub_$curve.pem
  expect_ok "getpub raw $curve" "$BASTION" getpub -k key_$curve.pem -e raw
  cp "$T/out" pub_$curve.der
  openssl pkey -in key_$curve.pem -pubout -outform DER -out ref_pub_$curve.der 2>/dev/null
  check "getpub raw $curve equals openssl DER" cmp -s pub_$curve.der ref_pub_$curve.der
  expect_ok "getpub c $curve" "$BASTION" getpub -k key_$curve.pem -e c
  cp "$T/out" pub_$curve.c
  expect_ok "getpub of a public key" "$BASTION" getpub -k pub_$curve.pem -e raw
  check "getpub of public key same bytes" cmp -s "$T/out" pub_$curve.der
done
check "getpub c p256 array name" grep -q '^const unsigned char ecdsa_pub_key\[\] = {$' pub_p256.c
check "getpub c p384 array name" grep -q '^const unsigned char ecdsap384_pub_key\[\] = {$' pub_p384.c
check "getpub c p256 length line" grep -q '^const unsigned int ecdsa_pub_key_len = 91;$' pub_p256.c
check "getpub c p384 length line" grep -q '^const unsigned int ecdsap384_pub_key_len = 120;$' pub_p384.c
check "getpub c 8 bytes a line" grep -qE '^    (0x[0-9a-f]{2}, ){7}0x[0-9a-f]{2},$' pub_p256.c
python3 - pub_p256.c pub_p256.der <<'PY' && ok || fail "getpub c bytes equal the DER"
import re, sys
text = open(sys.argv[1]).read()
body = text.split('{', 1)[1].split('}', 1)[0]
assert bytes(int(x, 16) for x in re.findall(r'0x([0-9a-f]{2})', body)) == open(sys.argv[2], 'rb').read()
PY
gcc -x c -c -o /dev/null pub_p256.c 2>/dev/null && ok || fail "getpub c output compiles"
expect_ok "getpub -o" "$BASTION" getpub -k key_p256.pem -e raw -o pubout.der
check "getpub -o writes the file" cmp -s pubout.der pub_p256.der
expect_fail "getpub bad encoding" 2 "$BASTION" getpub -k key_p256.pem -e xml
expect_fail "getpub missing key file" 1 "$BASTION" getpub -k nonexistent.pem
echo "not a key" >junk.pem
expect_fail "getpub junk key" 1 "$BASTION" getpub -k junk.pem

# ---- getpubhash ----
for curve in p256 p384; do
  expect_ok "getpubhash $curve" "$BASTION" getpubhash -k key_$curve.pem
  check "getpubhash $curve = sha256(SPKI)" test "$(cat "$T/out")" = "$(sha256sum <pub_$curve.der | cut -d' ' -f1)"
  expect_ok "getpubhash raw $curve" "$BASTION" getpubhash -k key_$curve.pem -e raw
  check "getpubhash raw $curve is 32 bytes" test "$(wc -c <"$T/out")" -eq 32
  check "getpubhash raw = hex" test "$(od -An -tx1 -v "$T/out" | tr -d ' \n')" = "$(sha256sum <pub_$curve.der | cut -d' ' -f1)"
done
expect_ok "getpubhash --sha auto p384" "$BASTION" getpubhash -k key_p384.pem --sha auto
check "getpubhash auto p384 = sha384" test "$(cat "$T/out")" = "$(sha384sum <pub_p384.der | cut -d' ' -f1)"
expect_ok "getpubhash c" "$BASTION" getpubhash -k key_p256.pem -e c
check "getpubhash c array" grep -q 'ecdsa_pub_key_hash_len = 32;' "$T/out"
expect_fail "getpubhash bad sha" 2 "$BASTION" getpubhash -k key_p256.pem --sha 512

# ---- sign + verify ----
sign_verify() {  # NAME KEY ARGS... : sign payload_hdr.bin with ARGS, verify with KEY
  local name=$1 key=$2; shift 2
  rm -f img.bin
  expect_ok "sign $name" "$BASTION" sign -k "$key" "$@" img.bin
  expect_ok "verify $name" "$BASTION" verify -k "$key" img.bin
}
for curve in p256 p384; do
  hash=sha256; [[ $curve == p384 ]] && hash=sha384
  for fmt in hash full; do
    rm -f img_${curve}_$fmt.bin
    expect_ok "sign $curve $fmt" "$BASTION" sign -k key_$curve.pem -v 1.2.3+4 -H 0x200 -S 0x20000 \
      --align 16 -s 5 --public-key-format $fmt payload_hdr.bin img_${curve}_$fmt.bin
    expect_ok "verify $curve $fmt" "$BASTION" verify -k key_$curve.pem img_${curve}_$fmt.bin
    check "verify $curve $fmt message" grep -qx "img_${curve}_$fmt.bin: verified (ecdsa-$curve, $hash, version 1.2.3+4, security counter 5)" "$T/out"
    expect_ok "verify $curve $fmt with public key" "$BASTION" verify -k pub_$curve.pem img_${curve}_$fmt.bin
  done
done
check "hash and full images differ in size" test "$(wc -c <img_p256_hash.bin)" -lt "$(wc -c <img_p256_full.bin)"
check "unpadded image size" test "$(wc -c <img_p256_hash.bin)" -lt $((0x200 + 5000 + 400))

# --pad-header: input without room for the header
rm -f padhdr.bin
expect_ok "sign --pad-header" "$BASTION" sign -k key_p256.pem -v 1.0.0 -H 0x200 --pad-header payload.bin padhdr.bin
expect_ok "verify --pad-header" "$BASTION" verify -k key_p256.pem padhdr.bin
check "--pad-header keeps the payload" cmp -s <(tail -c +513 padhdr.bin | head -c 5000) payload.bin
check "no security counter message" grep -q 'no security counter' "$T/out"
expect_fail "sign without --pad-header on non-zero input" 1 "$BASTION" sign -k key_p256.pem -v 1.0.0 -H 0x200 payload.bin nohdr.bin
check "no output after header error" test ! -e nohdr.bin

# --pad and --confirm
sign_verify "--pad" key_p256.pem -v 1.2.3 -H 0x200 -S 0x20000 --align 8 --pad payload_hdr.bin
check "--pad output is slot-sized" test "$(wc -c <img.bin)" -eq $((0x20000))
check "--pad ends with boot magic" test "$(tail -c 16 img.bin | od -An -tx1 | tr -d ' \n')" = "77c295f360d2ef7f3552500f2cb67980"
check "--pad image_ok unset" test "$(tail -c 24 img.bin | head -c 1 | od -An -tx1 | tr -d ' \n')" = "ff"
cp img.bin padded.bin
sign_verify "--confirm" key_p256.pem -v 1.2.3 -H 0x200 -S 0x20000 --align 8 --confirm payload_hdr.bin
check "--confirm implies pad" test "$(wc -c <img.bin)" -eq $((0x20000))
check "--confirm sets image_ok" test "$(tail -c 24 img.bin | head -c 1 | od -An -tx1 | tr -d ' \n')" = "01"
sign_verify "--confirm --align 16 (max_align 16)" key_p384.pem -v 2.0.0 -H 0x200 -S 0x20000 --align 16 --confirm payload_hdr.bin
check "max_align 16 magic" test "$(tail -c 16 img.bin | od -An -tx1 | tr -d ' \n')" = "10002de15d29410b8d77679c110f1f8a"
check "max_align 16 image_ok" test "$(tail -c 32 img.bin | head -c 1 | od -An -tx1 | tr -d ' \n')" = "01"

# -s auto
sign_verify "-s auto" key_p256.pem -v 1.2.3+4 -H 0x200 -S 0x20000 -s auto payload_hdr.bin
check "-s auto = (1<<24)+(2<<16)+3" grep -q "security counter $(( (1 << 24) + (2 << 16) + 3 ))" "$T/out"

# -L load address
sign_verify "-L" key_p256.pem -v 1.0.0 -H 0x200 -S 0x20000 -L 0x20008000 payload_hdr.bin
expect_ok "dumpinfo -L" "$BASTION" dumpinfo --json img.bin
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); h=d["header"]; assert h["load_addr"]=="0x20008000" and "RAM_LOAD" in h["flag_names"], h' "$T/out" && ok || fail "-L sets load_addr and RAM_LOAD"

# wrong key, tampered, truncated
expect_fail "verify with the wrong key" 1 "$BASTION" verify -k other.pem img_p256_hash.bin
check "wrong key names the error" grep -q 'key-not-provisioned\|signature-invalid\|not-provisioned' "$T/err"
expect_fail "verify full-key image with the wrong key" 1 "$BASTION" verify -k other.pem img_p256_full.bin
expect_fail "verify P-384 image with a P-256 key" 1 "$BASTION" verify -k key_p256.pem img_p384_hash.bin
cp img_p256_hash.bin tampered.bin
# Flip every bit of one payload byte (a fixed value could equal the random one).
byte=$(od -An -tu1 -j $((0x200 + 100)) -N1 img_p256_hash.bin | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 0xff)))" | dd of=tampered.bin bs=1 seek=$((0x200 + 100)) conv=notrunc status=none
expect_fail "verify tampered payload" 1 "$BASTION" verify -k key_p256.pem tampered.bin
check "tampered names hash-mismatch" grep -q 'hash-mismatch' "$T/err"
cp img_p256_hash.bin tampered_hdr.bin
printf '\x09' | dd of=tampered_hdr.bin bs=1 seek=20 conv=notrunc status=none   # version major
expect_fail "verify tampered header" 1 "$BASTION" verify -k key_p256.pem tampered_hdr.bin
size=$(wc -c <img_p256_hash.bin)
head -c $((size - 10)) img_p256_hash.bin >truncated.bin
expect_fail "verify truncated (TLVs)" 1 "$BASTION" verify -k key_p256.pem truncated.bin
head -c 3000 img_p256_hash.bin >truncated2.bin
expect_fail "verify truncated (payload)" 1 "$BASTION" verify -k key_p256.pem truncated2.bin
head -c 16 img_p256_hash.bin >truncated3.bin
expect_fail "verify truncated (header)" 1 "$BASTION" verify -k key_p256.pem truncated3.bin
expect_fail "verify not an image" 1 "$BASTION" verify -k key_p256.pem payload.bin
check "not an image names bad-magic" grep -q 'bad-magic' "$T/err"
expect_fail "verify missing file" 1 "$BASTION" verify -k key_p256.pem nonexistent.bin
expect_fail "verify without -k" 2 "$BASTION" verify img_p256_hash.bin
expect_fail "verify two images" 2 "$BASTION" verify -k key_p256.pem a b

# bad sign options leave no output file
bad_sign() {  # NAME CODE ARGS...
  local name=$1 code=$2; shift 2
  rm -f bad_out.bin
  expect_fail "sign $name" "$code" "$BASTION" sign "$@"
  check "sign $name leaves no output" test ! -e bad_out.bin
}
bad_sign "bad version" 2 -k key_p256.pem -v 1.x payload_hdr.bin bad_out.bin
bad_sign "version leading zero" 2 -k key_p256.pem -v 01.2 payload_hdr.bin bad_out.bin
bad_sign "version major 256" 2 -k key_p256.pem -v 256.0.0 payload_hdr.bin bad_out.bin
bad_sign "version revision 65536" 2 -k key_p256.pem -v 1.0.65536 payload_hdr.bin bad_out.bin
bad_sign "version build without revision" 2 -k key_p256.pem -v 1.2+3 payload_hdr.bin bad_out.bin
bad_sign "version build 2^32" 2 -k key_p256.pem -v 1.2.3+4294967296 payload_hdr.bin bad_out.bin
bad_sign "missing version" 2 -k key_p256.pem payload_hdr.bin bad_out.bin
bad_sign "missing key" 2 -v 1.0.0 payload_hdr.bin bad_out.bin
bad_sign "header too small" 2 -k key_p256.pem -v 1.0.0 -H 16 payload_hdr.bin bad_out.bin
bad_sign "header not a number" 2 -k key_p256.pem -v 1.0.0 -H 0x2g0 payload_hdr.bin bad_out.bin
bad_sign "bad align" 2 -k key_p256.pem -v 1.0.0 -H 0x200 --align 3 payload_hdr.bin bad_out.bin
bad_sign "bad max-align" 2 -k key_p256.pem -v 1.0.0 -H 0x200 --max-align 4 payload_hdr.bin bad_out.bin
bad_sign "bad security counter" 2 -k key_p256.pem -v 1.0.0 -H 0x200 -s five payload_hdr.bin bad_out.bin
bad_sign "security counter 2^32" 2 -k key_p256.pem -v 1.0.0 -H 0x200 -s 0x100000000 payload_hdr.bin bad_out.bin
bad_sign "bad key format" 2 -k key_p256.pem -v 1.0.0 -H 0x200 --public-key-format pem payload_hdr.bin bad_out.bin
bad_sign "pad without slot size" 2 -k key_p256.pem -v 1.0.0 -H 0x200 --pad payload_hdr.bin bad_out.bin
bad_sign "confirm without slot size" 2 -k key_p256.pem -v 1.0.0 -H 0x200 --confirm payload_hdr.bin bad_out.bin
bad_sign "slot too small" 1 -k key_p256.pem -v 1.0.0 -H 0x200 -S 0x1000 --pad payload_hdr.bin bad_out.bin
bad_sign "slot too small without pad" 1 -k key_p256.pem -v 1.0.0 -H 0x200 -S 0x1000 payload_hdr.bin bad_out.bin
bad_sign "unknown option" 2 -k key_p256.pem -v 1.0.0 --encrypt x.pem payload_hdr.bin bad_out.bin
bad_sign "option twice" 2 -k key_p256.pem -v 1.0.0 -v 1.0.1 payload_hdr.bin bad_out.bin
bad_sign "public key only" 1 -k pub_p256.pem -v 1.0.0 -H 0x200 payload_hdr.bin bad_out.bin
bad_sign "junk key" 1 -k junk.pem -v 1.0.0 -H 0x200 payload_hdr.bin bad_out.bin
bad_sign "missing input" 1 -k key_p256.pem -v 1.0.0 -H 0x200 nonexistent.bin bad_out.bin
bad_sign "missing revocation file" 1 -k key_p256.pem -v 1.0.0 -H 0x200 --revocation none.cose payload_hdr.bin bad_out.bin
expect_fail "sign one positional" 2 "$BASTION" sign -k key_p256.pem -v 1.0.0 payload_hdr.bin
check "no temp files left behind" test -z "$(ls -A | grep '^\.bastion-tmp' || true)"
# An existing output file is replaced only on success.
cp padded.bin keep.bin
expect_fail "failed sign keeps an existing OUTFILE" 2 "$BASTION" sign -k key_p256.pem -v bad payload_hdr.bin keep.bin
check "existing OUTFILE unchanged" cmp -s keep.bin padded.bin

# --revocation embeds a protected vendor TLV
printf '\x84\x40\xa0\x41\x00\x80' >rev.cose
sign_verify "--revocation" key_p256.pem -v 1.0.0 -H 0x200 -s 3 --revocation rev.cose payload_hdr.bin
expect_ok "dumpinfo revocation" "$BASTION" dumpinfo --json img.bin
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = [x for x in d["tlvs"] if x["type"] == 0xa0]
assert len(t) == 1 and t[0]["area"] == "protected" and t[0]["value"] == "8440a0410080", t
' "$T/out" && ok || fail "revocation TLV is protected and intact"

# ---- dumpinfo ----
expect_ok "dumpinfo text" "$BASTION" dumpinfo img_p256_hash.bin
for pat in 'magic: *0x96f3b83d' 'hdr_size: *0x0200' 'version: *1\.2\.3\+4' 'SHA256' 'KEYHASH' 'ECDSA_SIG' 'SEC_CNT.* 5$' 'trailer: none'; do
  check "dumpinfo text shows $pat" grep -qE -- "$pat" "$T/out"
done
expect_ok "dumpinfo text padded" "$BASTION" dumpinfo padded.bin
check "dumpinfo trailer magic good" grep -qE 'magic: +good' "$T/out"
check "dumpinfo trailer image_ok unset" grep -qE 'image_ok: +unset' "$T/out"
expect_ok "dumpinfo --json" "$BASTION" dumpinfo --json img_p384_full.bin
python3 - "$T/out" <<'PY' && ok || fail "dumpinfo --json content"
import json, sys
d = json.load(open(sys.argv[1]))
h = d["header"]
assert h["magic"] == "0x96f3b83d" and h["hdr_size"] == 0x200 and h["version"] == "1.2.3+4", h
assert d["hash_alg"] == "sha384" and d["key_format"] == "full" and d["security_counter"] == 5, d
names = [(t["area"], t["name"], t["length"]) for t in d["tlvs"]]
assert ("protected", "SEC_CNT", 4) in names and ("unprotected", "SHA384", 48) in names, names
assert ("unprotected", "PUBKEY", 120) in names, names
assert any(n == "ECDSA_SIG" for _, n, _ in names), names
assert d["trailer"] is None
PY
expect_ok "dumpinfo --json confirmed" "$BASTION" dumpinfo --json img.bin
"$BASTION" sign -k key_p256.pem -v 1.2.3 -H 0x200 -S 0x20000 --confirm payload_hdr.bin confirmed.bin
expect_ok "dumpinfo --json confirmed" "$BASTION" dumpinfo --json confirmed.bin
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["trailer"]
assert t["magic"] == "good" and t["image_ok"] == "set" and t["slot_size"] == 0x20000 and t["max_align"] == 8, t
' "$T/out" && ok || fail "dumpinfo --json trailer"
expect_fail "dumpinfo truncated" 1 "$BASTION" dumpinfo truncated.bin
expect_fail "dumpinfo not an image" 1 "$BASTION" dumpinfo payload.bin
check "dumpinfo names the error" grep -q 'bad-magic' "$T/err"
expect_fail "dumpinfo --json not an image" 1 "$BASTION" dumpinfo --json payload.bin
check "dumpinfo error prints no JSON" test ! -s "$T/out"
expect_fail "dumpinfo no file" 2 "$BASTION" dumpinfo

finish
