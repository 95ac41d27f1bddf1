#!/usr/bin/env bash
# End-to-end tests of `bastion device` (create, flash, boot, status,
# power-cycle) on the virtual device, through the CLI only.
# usage: device_test.sh /path/to/bastion
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# expect_rc NAME CODE CMD...: the command must exit CODE (output kept in out/err).
expect_rc() {
  local name=$1 code=$2; shift 2
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [[ $rc -eq $code ]]; then ok; else fail "$name: exit $rc, expected $code: $(head -c 300 "$T/err")"; fi
}
# jassert NAME PYTHON [ARGS...]: PYTHON runs with d = the JSON in $T/out,
# sys.argv[2:] = ARGS; an exception or a failed assert is a failure.
jassert() {
  local name=$1 code=$2; shift 2
  if python3 -c "import json, sys, hashlib, re
d = json.load(open(sys.argv[1]))
$code" "$T/out" "$@" 2>"$T/pyerr"; then ok; else fail "$name: $(tail -n 1 "$T/pyerr")"; fi
}
sums() { sha256sum "$1/flash.bin" "$1/otp.bin" | cut -d' ' -f1 | tr '\n' ' '; }
pubhash() { "$BASTION" getpubhash -k "$1"; }

# ---- keys: P-256 everywhere except the sm domain (P-384) ----
mkdir k
for k in urot-0 urot-1 app-0 app-1 app-2 app-auth stranger; do
  "$BASTION" keygen -t ecdsa-p256 -k k/$k.pem
done
"$BASTION" keygen -t ecdsa-p384 -k k/sm-0.pem
"$BASTION" keygen -t ecdsa-p384 -k k/sm-1.pem
# Public-key PEM files provision as well as private ones.
"$BASTION" getpub -k k/urot-1.pem -o k/urot-1.pub.pem
"$BASTION" getpub -k k/app-2.pem -o k/app-2.pub.pem
"$BASTION" getpub -k k/app-auth.pem -o k/app-auth.pub.pem
echo "this is not a key" >k/garbage.pem

# mkprofile OUT [PYTHON]: the profile of docs/provisioning.md (keys in k/),
# edited by PYTHON acting on the dict p; writes k/OUT.
mkprofile() {
  python3 - "k/$1" "${2:-}" <<'PY'
import json, sys
p = {
  "lifecycle": "secured",
  "flash": {"size": "0x200000", "sector_size": 8192, "program_unit": 16},
  "layout": {"key_store": {"offset": "0x0", "size": "0x2000"},
             "urot": {"primary": "0x2000", "secondary": "0x12000", "size": "0x10000"},
             "sm": {"primary": "0x24000", "secondary": "0x44000", "size": "0x20000"},
             "app": {"primary": "0x66000", "secondary": "0xc6000", "size": "0x60000"},
             "scratch": {"offset": "0x128000", "size": "0x4000"},
             "storage": {"offset": "0x12c000", "size": "0x8000"}},
  "domains": {
    "urot": {"keys": ["urot-0.pem", "urot-1.pub.pem"], "threshold": 1},
    "sm": {"keys": ["sm-0.pem"], "threshold": 1},
    "app": {"keys": ["app-0.pem", "app-1.pem", "app-2.pub.pem"], "threshold": 2,
            "authority": ["app-auth.pub.pem"], "revoke_older_on_confirm": False}}}
exec(sys.argv[2])
with open(sys.argv[1], "w") as f:
    json.dump(p, f, indent=1)
PY
}

# ---- images: different payloads so the measurements differ ----
for c in urot sm app; do head -c $((3000 + RANDOM % 1000)) /dev/urandom >$c.bin; done
sign() {  # sign KEY IN OUT [ARGS...]
  local key=$1 in=$2 out=$3; shift 3
  rm -f "$out"
  "$BASTION" sign -k "$key" -v 1.2.3+4 -H 0x200 --pad-header -s 7 "$@" "$in" "$out" >/dev/null
}
sign k/urot-0.pem urot.bin urot.img
sign k/urot-1.pem urot.bin urot-slot1.img
sign k/sm-0.pem sm.bin sm.img --public-key-format full
sign k/app-1.pem app.bin app.img
sign k/app-0.pem app.bin app-full.img --public-key-format full

# ==== device create with the documented profile ====
mkprofile doc.json
expect_ok "create (documented profile)" "$BASTION" device create dev --profile k/doc.json
check "create message" grep -qx 'device created in dev (lifecycle secured)' "$T/out"
for f in flash.bin otp.bin huk.bin ram.bin device.json; do check "create writes $f" test -f dev/$f; done
check "no dev.creating left" test ! -e dev.creating
check "flash.bin is 2 MiB" test "$(stat -c %s dev/flash.bin)" -eq $((0x200000))
check "otp.bin is 2 KiB" test "$(stat -c %s dev/otp.bin)" -eq 2048

expect_ok "status --json" "$BASTION" device status dev --json
jassert "status: lifecycle, instance ID, geometry" '
assert d["provisioned"] is True and d["lifecycle"] == "secured", d["lifecycle"]
assert re.fullmatch("[0-9a-f]{64}", d["instance_id"]) and d["instance_id"] != "0" * 64, d["instance_id"]
assert d["flash"] == {"size": 0x200000, "sector_size": 8192, "program_unit": 16}, d["flash"]
assert d["last_boot"] is None'
jassert "status: key domains" '
hashes = dict(zip(["urot0", "urot1", "sm0", "app0", "app1", "app2", "auth"], sys.argv[2:]))
def slots(name, expected):
    s = d["domains"][name]["signing_slots"]
    assert [x["slot"] for x in s] == [0, 1, 2, 3], s
    for i, h in enumerate(expected):
        if h is None:
            assert s[i]["state"] == "blank" and "key_hash" not in s[i], s[i]
        else:
            assert s[i]["state"] == "provisioned" and s[i]["key_hash"] == h, (name, i, s[i], h)
slots("urot", [hashes["urot0"], hashes["urot1"], None, None])
slots("sm", [hashes["sm0"], None, None, None])
slots("app", [hashes["app0"], hashes["app1"], hashes["app2"], None])
dm = d["domains"]
assert [dm[n]["threshold"] for n in ("urot", "sm", "app")] == [1, 1, 2], dm
assert dm["urot"]["authority_slots"] == [] and dm["sm"]["authority_slots"] == [], dm
assert dm["app"]["authority_slots"] == [{"slot": 0, "state": "provisioned", "key_hash": hashes["auth"]}], dm["app"]
assert all(dm[n]["revocation_sequence"] == 0 for n in dm), dm
assert all(dm[n]["revocation_records"] == 0 for n in dm), dm
assert all(dm[n]["revoke_older_on_confirm"] is False for n in dm), dm
' "$(pubhash k/urot-0.pem)" "$(pubhash k/urot-1.pem)" "$(pubhash k/sm-0.pem)" "$(pubhash k/app-0.pem)" \
  "$(pubhash k/app-1.pem)" "$(pubhash k/app-2.pem)" "$(pubhash k/app-auth.pem)"
jassert "status: counters and slots follow the layout" '
c = d["components"]
assert all(c[n]["security_counter"] == 0 for n in ("urot", "sm", "app")), c
want = {"urot": (0x2000, 0x12000, 0x10000), "sm": (0x24000, 0x44000, 0x20000), "app": (0x66000, 0xc6000, 0x60000)}
for n, (p, s, size) in want.items():
    assert c[n]["primary"]["offset"] == p and c[n]["secondary"]["offset"] == s, c[n]
    for w, wsize in (("primary", size), ("secondary", size + 0x2000)):
        assert c[n][w]["size"] == wsize and c[n][w]["image"] is None and c[n][w]["state"] == "empty", c[n]'
id1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instance_id"])' "$T/out")
expect_ok "status text" "$BASTION" device status dev
check "status text lifecycle" grep -q '^lifecycle: *secured$' "$T/out"
check "status text instance ID" grep -q "^instance ID: $id1$" "$T/out"
check "status text app threshold" grep -q '^app: threshold 2, revocation sequence 0 (0 of 16 records used)$' "$T/out"
check "status text app counter" grep -q '^  security counter 0 (store: 2 of 509 records in generation 1, 0.0000% of its life used, 10140000 raises left)$' "$T/out"
check "status text authority" grep -q "authority 0: provisioned *$(pubhash k/app-auth.pem)" "$T/out"
check "status text no boot yet" grep -q '^last boot: none since power-on$' "$T/out"
mkdir empty_dir
expect_ok "create into an existing empty directory" "$BASTION" device create empty_dir --profile k/doc.json
"$BASTION" device status empty_dir --json >"$T/out"
jassert "two devices get different instance IDs" 'assert d["instance_id"] != sys.argv[2]' "$id1"

# Key paths are relative to the profile's folder, not the working directory.
mkdir elsewhere
expect_ok "create from another working directory" bash -c "cd elsewhere && '$BASTION' device create ../dev_rel --profile ../k/doc.json"

# "DIR/" (as shell completion writes it) names DIR, new or existing and empty.
expect_ok "create DIR/ (trailing slash)" "$BASTION" device create slash_dev/ --profile k/doc.json
check "DIR/ holds the device" test -f slash_dev/flash.bin -a -f slash_dev/otp.bin
check "DIR/ leaves no .creating" test ! -e slash_dev/.creating -a ! -e slash_dev.creating
mkdir slash_empty
expect_ok "create into an existing empty DIR/" "$BASTION" device create slash_empty/ --profile k/doc.json
check "existing empty DIR/ holds the device" test -f slash_empty/device.json -a ! -e slash_empty/.creating
# Numbers in strings are decimal or 0x-hex: a leading zero is not octal.
mkprofile decimal.json 'p["layout"]["scratch"]["offset"] = "01212416"; p["layout"]["storage"]["offset"] = "0X12c000"'
expect_ok "decimal string with a leading zero" "$BASTION" device create dec_dev --profile k/decimal.json

# ==== profile errors: exit 1, one line naming the problem, nothing created ====
bad_profile() {  # NAME PATTERN PYTHON
  local name=$1 pattern=$2
  mkprofile bad.json "$3"
  expect_fail "profile $name" 1 "$BASTION" device create bad_dev --profile k/bad.json
  check "profile $name: message names it ($pattern)" grep -qiE -- "$pattern" "$T/err"
  check "profile $name: no device directory" test ! -e bad_dev
  check "profile $name: no bad_dev.creating" test ! -e bad_dev.creating
}
printf '{ "domains": { "urot": ' >k/bad.json
expect_fail "profile invalid JSON" 1 "$BASTION" device create bad_dev --profile k/bad.json
check "invalid JSON message" grep -q 'not valid JSON' "$T/err"
check "invalid JSON: nothing created" test ! -e bad_dev -a ! -e bad_dev.creating
expect_fail "profile missing" 1 "$BASTION" device create bad_dev --profile k/nonexistent.json
check "missing profile: nothing created" test ! -e bad_dev -a ! -e bad_dev.creating
bad_profile "unknown top-level field" 'unknown field "lifecylce"' 'p["lifecylce"] = "secured"'
bad_profile "unknown domain field" 'unknown field "treshold" in domains.app' 'p["domains"]["app"]["treshold"] = 1'
bad_profile "unknown flash field" 'unknown field "sector" in "flash"' 'p["flash"]["sector"] = 4096'
bad_profile "missing domain" 'no domains.sm' 'del p["domains"]["sm"]'
bad_profile "no domains" 'no "domains"' 'del p["domains"]'
bad_profile "missing keys" 'domains.urot has no "keys"' 'del p["domains"]["urot"]["keys"]'
bad_profile "0 keys" 'domains.sm.keys must hold 1 to 4' 'p["domains"]["sm"]["keys"] = []'
bad_profile "5 keys" 'domains.app.keys must hold 1 to 4' \
  'p["domains"]["app"]["keys"] = ["app-0.pem", "app-1.pem", "app-2.pem", "urot-0.pem", "stranger.pem"]'
bad_profile "keys not a list" 'domains.app.keys must be a list' 'p["domains"]["app"]["keys"] = "app-0.pem"'
bad_profile "3 authority keys" 'domains.app.authority must hold 0 to 2' \
  'p["domains"]["app"]["authority"] = ["app-auth.pem", "stranger.pem", "urot-0.pem"]'
bad_profile "threshold 0" 'domains.app.threshold must be 1..4' 'p["domains"]["app"]["threshold"] = 0'
bad_profile "threshold 5" 'domains.urot.threshold must be 1..4' 'p["domains"]["urot"]["threshold"] = 5'
bad_profile "threshold -1" 'domains.urot.threshold must be 1..4' 'p["domains"]["urot"]["threshold"] = -1'
bad_profile "threshold a string" 'domains.urot.threshold must be 1..4' 'p["domains"]["urot"]["threshold"] = "1"'
bad_profile "same key twice" 'domains.app lists the same key twice' \
  'p["domains"]["app"]["keys"] = ["app-0.pem", "app-1.pem", "app-0.pem"]'
bad_profile "same key, private and public file" 'domains.urot lists the same key twice' \
  'p["domains"]["urot"]["keys"] = ["urot-1.pem", "urot-1.pub.pem"]'
bad_profile "signing key also authority" 'both a signing and an authority key' \
  'p["domains"]["app"]["authority"] = ["app-1.pem"]'
bad_profile "garbage key file" 'domains.sm.keys\[0\].*garbage.pem.*not a PEM/DER ECDSA' 'p["domains"]["sm"]["keys"] = ["garbage.pem"]'
bad_profile "missing key file" 'domains.app.authority\[0\].*cannot read key file.*absent.pem' \
  'p["domains"]["app"]["authority"] = ["absent.pem"]'
if openssl genpkey -algorithm ed25519 -out k/ed25519.pem 2>/dev/null; then
  bad_profile "Ed25519 key" 'domains.urot.keys\[1\].*ed25519.pem' 'p["domains"]["urot"]["keys"][1] = "ed25519.pem"'
fi
if openssl ecparam -name secp521r1 -genkey -noout -out k/p521.pem 2>/dev/null; then
  bad_profile "P-521 key" 'domains.urot.keys\[0\].*p521.pem' 'p["domains"]["urot"]["keys"][0] = "p521.pem"'
fi
bad_profile "bad lifecycle" 'unknown lifecycle "shipped"' 'p["lifecycle"] = "shipped"'
bad_profile "lifecycle not a string" '"lifecycle" must be a string' 'p["lifecycle"] = 3'
bad_profile "sector size 3000" '"flash".*power' 'p["flash"]["sector_size"] = 3000'
bad_profile "program unit 512" '"flash".*power' 'p["flash"]["program_unit"] = 512'
bad_profile "program unit 4 (no 8-byte record fits)" '"flash".*8 <= program_unit' 'p["flash"]["program_unit"] = 4'
bad_profile "flash size not a number" 'flash.size must be a non-negative number' 'p["flash"]["size"] = "2M"'
bad_profile "negative number string" 'layout.urot.size must be a non-negative number' 'p["layout"]["urot"]["size"] = "-65536"'
bad_profile "P-384 urot key (iROT verifies P-256 only)" 'domains.urot.keys\[1\] is not a P-256 key' 'p["domains"]["urot"]["keys"] = ["urot-0.pem", "sm-0.pem"]'
bad_profile "negative counter floor" 'domains.app.security_counter must be a non-negative number' 'p["domains"]["app"]["security_counter"] = -1'
# The factory floor of a component's security counter, from the profile.
mkprofile floor.json 'p["domains"]["app"]["security_counter"] = 5'
expect_ok "create with an app counter floor" "$BASTION" device create floor_dev --profile k/floor.json
expect_ok "status of the floor device" "$BASTION" device status floor_dev --json
jassert "the floor is in the counter store" '
c = d["components"]
assert c["app"]["security_counter"] == 5 and c["sm"]["security_counter"] == 0, c
assert c["app"]["security_counter_store"]["generation"] == 1, c["app"]'
bad_profile "number string with blanks" 'layout.urot.primary must be a non-negative number' 'p["layout"]["urot"]["primary"] = " 0x2000"'
bad_profile "number too large" 'flash.size is too large' 'p["flash"]["size"] = 4294967296'
bad_profile "hex without digits" 'layout.key_store.offset must be a non-negative number' 'p["layout"]["key_store"]["offset"] = "0x"'
bad_profile "overlapping layout" 'layout is invalid' 'p["layout"]["sm"]["primary"] = "0x10000"'
bad_profile "unaligned layout" 'layout is invalid' 'p["layout"]["scratch"]["offset"] = "0x128100"'
bad_profile "layout past the flash" 'layout is invalid' 'p["layout"]["storage"]["offset"] = "0x1fc000"'
bad_profile "key store too small" 'layout is invalid.*2320' \
  'p["flash"]["sector_size"] = 2048; p["layout"]["key_store"]["size"] = "0x800"'
# The profile gives one size for both slots of a component, so unequal
# primary/secondary sizes cannot be written: a separate size field is refused.
bad_profile "primary/secondary size mismatch" 'unknown field "secondary_size" in layout.sm' \
  'p["layout"]["sm"]["secondary_size"] = "0x10000"'
bad_profile "slot without size" 'layout.app needs "primary", "secondary" and "size"' 'del p["layout"]["app"]["size"]'

# create into a non-empty directory is refused and leaves it untouched
mkdir busy && echo keep >busy/file.txt
expect_fail "create into a non-empty directory" 1 "$BASTION" device create busy --profile k/doc.json
check "non-empty directory message" grep -q 'not an empty directory' "$T/err"
# a threshold no set of signing keys can reach, and no authority key
printf '{ "domains": { "urot": { "keys": ["urot-0.pem"] }, "sm": { "keys": ["sm-0.pem"], "threshold": 1 }, "app": { "keys": ["app-0.pem"], "threshold": 1 } } }' >k/thr.json
expect_fail "threshold above the key count without authority" 1 "$BASTION" device create thr --profile k/thr.json
check "threshold message" grep -q 'threshold 2 needs' "$T/err"
check "no device after threshold error" test ! -e thr
printf '{ "domains": { "urot": { "keys": ["urot-0.pem"], "authority": ["app-1.pem"] }, "sm": { "keys": ["sm-0.pem"], "threshold": 1 }, "app": { "keys": ["app-0.pem"], "threshold": 1 } } }' >k/thr2.json
expect_ok "threshold above the key count with an authority key" "$BASTION" device create thr2 --profile k/thr2.json
# a corrupt layout in OTP is reported, not read past the flash
cp -r thr2 badlayout
python3 - badlayout/otp.bin <<'PY'
import sys, struct
with open(sys.argv[1], "r+b") as f:
    f.seek(64 + 8)            # layout.primary[urot].offset
    f.write(struct.pack("<I", 0x1ff000 | 0x1ff000))
PY
expect_ok "status with a corrupt layout" "$BASTION" device status badlayout --json
check "status says layout-invalid" grep -q '"layout-invalid"' "$T/out"
expect_fail "boot with a corrupt layout" 1 "$BASTION" device boot badlayout
mkdir adir
expect_fail "a directory as image file" 1 "$BASTION" device flash thr2 --component app adir
check "directory message" grep -q 'not a regular file' "$T/err"
# an existing empty regular file is not a directory to create a device in
: >plainfile
expect_fail "create over a regular file" 1 "$BASTION" device create plainfile --profile k/doc.json
check "regular file left as it was" test -f plainfile
check "non-empty directory untouched" test "$(ls -A busy)" = "file.txt" -a "$(cat busy/file.txt)" = keep
check "no busy.creating" test ! -e busy.creating
before=$(sums dev)
expect_fail "create over an existing device" 1 "$BASTION" device create dev --profile k/doc.json
check "existing device untouched" test "$(sums dev)" = "$before"
expect_fail "create without --profile" 2 "$BASTION" device create new_dev
check "no device without --profile" test ! -e new_dev

# ==== device flash ====
cp -r dev fl
for c in urot sm app; do
  expect_ok "flash $c" "$BASTION" device flash fl --component $c $c.img
  check "flash $c message" grep -qx "$c primary slot programmed ($(stat -c %s $c.img) bytes)" "$T/out"
done
expect_ok "status after flash" "$BASTION" device status fl --json
jassert "flashed images show in status" '
c = d["components"]
for n in ("urot", "sm", "app"):
    assert c[n]["primary"]["image"]["version"] == "1.2.3+4" and c[n]["primary"]["image"]["security_counter"] == 7, c[n]
    assert c[n]["secondary"]["image"] is None, c[n]'
python3 - fl/flash.bin <<'PY' && ok || fail "flashed bytes are in flash.bin, rest of the slot erased"
import sys
flash = open(sys.argv[1], "rb").read()
for name, off, size in (("urot", 0x2000, 0x10000), ("sm", 0x24000, 0x20000), ("app", 0x66000, 0x60000)):
    img = open(name + ".img", "rb").read()
    assert flash[off:off + len(img)] == img, name
    assert flash[off + len(img):off + size] == b"\xff" * (size - len(img)), name
PY
head -c 5000 /dev/urandom >noise.bin
: >empty.bin
head -c 70000 /dev/urandom >big.bin
sign k/urot-0.pem big.bin big.img
head -c 2000 app.img >app-truncated.img
bad_flash() {  # NAME CODE PATTERN ARGS...
  local name=$1 code=$2 pattern=$3; shift 3
  local before; before=$(sha256sum fl/flash.bin)
  expect_fail "flash $name" "$code" "$BASTION" device flash "$@"
  check "flash $name: message ($pattern)" grep -qE -- "$pattern" "$T/err"
  check "flash $name: flash.bin unchanged" test "$(sha256sum fl/flash.bin)" = "$before"
}
bad_flash "not an image" 1 'noise.bin: not a valid image: bad-magic' fl --component app noise.bin
bad_flash "empty file" 1 'empty' fl --component sm empty.bin
bad_flash "image larger than the slot" 1 'big.img: .*does not fit the urot primary slot \(65536 bytes\)' \
  fl --component urot big.img
bad_flash "truncated image" 1 'not a valid image' fl --component app app-truncated.img
bad_flash "unknown component" 2 'unknown component "bootloader"' fl --component bootloader app.img
bad_flash "missing image file" 1 'absent.img' fl --component app absent.img
bad_flash "no --component" 2 '.' fl app.img
expect_fail "flash into a missing device dir" 1 "$BASTION" device flash no_such_dev --component app app.img
check "missing device message" grep -q 'no device in no_such_dev' "$T/err"
check "missing device dir not created" test ! -e no_such_dev

# ==== device boot: the good chain ====
cp -r fl good
expect_ok "boot (text)" "$BASTION" device boot good
check "boot text: urot verified" grep -q '^iROT: urot 1.2.3+4 verified with key slot 0 (security counter 7, device counter 7)$' "$T/out"
check "boot text: factory floors set at the first boot" test "$(grep -c '^      device counter raised to 7 (the running image is confirmed)$' "$T/out")" = 3
check "boot text: sm verified" grep -q '^uROT: sm 1.2.3+4 verified with key slot 0' "$T/out"
check "boot text: app verified with slot 1" grep -q '^uROT: app 1.2.3+4 verified with key slot 1' "$T/out"
check "boot text: booted" grep -qx 'booted: application started' "$T/out"
expect_ok "boot --json" "$BASTION" device boot good --json
"$BASTION" dumpinfo --json urot.img >urot.info
"$BASTION" dumpinfo --json sm.img >sm.info
"$BASTION" dumpinfo --json app.img >app.info
jassert "boot --json report and measurements" '
assert d["booted"] is True and d["lifecycle"] == "secured" and "reason" not in d, d
imgs = d["images"]
assert [i["component"] for i in imgs] == ["urot", "sm", "app"], imgs
def measurement(img, info, alg):
    h = json.load(open(info))["header"]
    n = h["hdr_size"] + h["img_size"] + h["protect_tlv_size"]
    return hashlib.new(alg, open(img, "rb").read()[:n]).hexdigest()
for i, (name, slot, alg) in zip(imgs, (("urot", 0, "sha256"), ("sm", 0, "sha384"), ("app", 1, "sha256"))):
    assert i["verified"] is True and i["version"] == "1.2.3+4" and i["key_slot"] == slot, i
    # the first boot (above) set the floor of each factory image
    assert i["security_counter"] == 7 and i["device_security_counter"] == 7 and i["hash"] == alg, i
    assert i["counter_update"] == "none", i
    assert i["measurement"] == measurement(name + ".img", name + ".info", alg), (name, i)
assert len(imgs[1]["measurement"]) == 96, imgs[1]'
expect_ok "status after boot" "$BASTION" device status good --json
jassert "status shows the last boot" 'assert d["last_boot"]["booted"] is True and len(d["last_boot"]["images"]) == 3, d["last_boot"]'
expect_ok "status text after boot" "$BASTION" device status good
check "status text: last boot started" grep -qx 'last boot: application started' "$T/out"
expect_ok "boot again" "$BASTION" device boot good --json
jassert "second boot still boots" 'assert d["booted"] is True'

# power-cycle clears the last boot report
expect_ok "power-cycle" "$BASTION" device power-cycle good
check "power-cycle message" grep -qx 'power cycled' "$T/out"
expect_ok "status after power-cycle" "$BASTION" device status good --json
jassert "power-cycle clears the boot report" 'assert d["last_boot"] is None, d["last_boot"]'
expect_ok "status text after power-cycle" "$BASTION" device status good
check "status text: none since power-on" grep -qx 'last boot: none since power-on' "$T/out"
expect_fail "power-cycle a missing device" 1 "$BASTION" device power-cycle no_such_dev
expect_fail "status of a missing device" 1 "$BASTION" device status no_such_dev --json

# Key slot 1, full-key (PUBKEY) and KEYHASH images.
cp -r fl alt
"$BASTION" device flash alt --component urot urot-slot1.img >/dev/null
"$BASTION" device flash alt --component app app-full.img >/dev/null
expect_ok "boot slot-1 uROT, full-key app" "$BASTION" device boot alt --json
jassert "slot-1 uROT reports key_slot 1, full-key app boots" '
assert d["booted"] is True, d
assert d["images"][0]["component"] == "urot" and d["images"][0]["key_slot"] == 1, d["images"][0]
assert d["images"][2]["component"] == "app" and d["images"][2]["key_slot"] == 0, d["images"][2]'
sign k/sm-0.pem sm.bin sm-hash.img --public-key-format hash
"$BASTION" device flash alt --component sm sm-hash.img >/dev/null
expect_ok "boot KEYHASH P-384 sm" "$BASTION" device boot alt --json
jassert "KEYHASH sm boots" 'assert d["booted"] is True and d["images"][1]["hash"] == "sha384", d'

# ==== device boot: refusals ====
# refused_boot NAME DEV COMPONENT IMAGE_ERROR|- FAILURE_REASON
refused_boot() {
  local name=$1 dev=$2 comp=$3 ierr=$4 freason=$5
  local before; before=$(sums "$dev")
  expect_rc "boot $name (exit 1)" 1 "$BASTION" device boot "$dev" --json
  jassert "boot $name: json" '
comp, ierr, freason = sys.argv[2:5]
assert d["booted"] is False, d
f = d["failure"]
assert f["reason"] == freason and f["component"] == comp, f
if ierr == "-":
    assert freason in d["reason"], d["reason"]
else:
    assert f["image_error"] == ierr and d["reason"] == "image-refused: %s: %s" % (comp, ierr), d
    bad = [i for i in d["images"] if i["component"] == comp]
    assert len(bad) == 1 and bad[0]["verified"] is False and bad[0]["error"] == ierr, d["images"]
    assert bad[0]["key_slot"] is None and bad[0]["measurement"] is None, bad[0]
    assert all(i["verified"] for i in d["images"] if i["component"] != comp), d["images"]
' "$comp" "$ierr" "$freason"
  check "boot $name: flash.bin and otp.bin unchanged" test "$(sums "$dev")" = "$before"
  expect_rc "boot $name (text, exit 1)" 1 "$BASTION" device boot "$dev"
  check "boot $name: text names the reason" grep -q "^boot stopped at HDPL[0-9]: .*${ierr#-}" "$T/out"
  check "boot $name: still unchanged" test "$(sums "$dev")" = "$before"
}
# boot_with NAME COMPONENT IMAGE IMAGE_ERROR: a good device with one slot replaced.
boot_with() {
  local name=$1 comp=$2 img=$3 ierr=$4
  rm -rf bt && cp -r good bt
  "$BASTION" device flash bt --component "$comp" "$img" >/dev/null
  refused_boot "$name" bt "$comp" "$ierr" image-refused
}
payload_off() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["header"]["hdr_size"])' "$1"; }
cp app.img app-tampered.img
printf '\x5a' | dd of=app-tampered.img bs=1 seek=$(( $(payload_off app.info) + 100 )) conv=notrunc status=none
check "tampered payload differs" bash -c '! cmp -s app.img app-tampered.img'
boot_with "tampered payload byte" app app-tampered.img hash-mismatch
# Raise SEC_CNT from 7 to 8 in the protected TLV area (the signature covers it).
sec_off=$(python3 -c '
import json, sys
t = [x for x in json.load(open(sys.argv[1]))["tlvs"] if x["name"] == "SEC_CNT"]
assert len(t) == 1 and t[0]["area"] == "protected" and t[0]["value"] == "07000000", t
print(t[0]["offset"])' sm.info)
cp sm.img sm-seccnt.img
printf '\x08' | dd of=sm-seccnt.img bs=1 seek="$sec_off" conv=notrunc status=none
"$BASTION" dumpinfo --json sm-seccnt.img >"$T/out"
jassert "tampered SEC_CNT reads 8" 'assert d["security_counter"] == 8, d["security_counter"]'
boot_with "tampered SEC_CNT" sm sm-seccnt.img hash-mismatch
sign k/stranger.pem app.bin app-stranger.img
boot_with "unprovisioned key" app app-stranger.img key-not-provisioned
sign k/stranger.pem app.bin app-stranger-full.img --public-key-format full
boot_with "unprovisioned key (full)" app app-stranger-full.img key-not-provisioned
sign k/urot-0.pem app.bin app-by-urot.img
boot_with "key of another domain (urot key on app)" app app-by-urot.img key-not-provisioned
sign k/app-0.pem urot.bin urot-by-app.img --public-key-format full
boot_with "key of another domain (app key on urot)" urot urot-by-app.img key-not-provisioned
sign k/app-auth.pem app.bin app-by-authority.img
boot_with "authority key signing an image" app app-by-authority.img key-not-provisioned
sign k/app-1.pem sm.bin sm-p256.img
boot_with "P-256 sm on the P-384 domain" sm sm-p256.img key-not-provisioned
sign k/sm-1.pem sm.bin sm-other-p384.img
boot_with "unprovisioned P-384 key on sm" sm sm-other-p384.img key-not-provisioned

# Truncated image: `device flash` refuses it (above), so put it in the slot
# as an interrupted programmer would: the truncated bytes, the rest erased.
rm -rf bt && cp -r good bt
"$BASTION" device status bt --json >"$T/out"
app_off=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["components"]["app"]["primary"]["offset"])' "$T/out")
python3 - bt/flash.bin "$app_off" $((0x60000)) app-truncated.img <<'PY'
import sys
path, off, size, img = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4], "rb").read()
flash = bytearray(open(path, "rb").read())
flash[off:off + size] = img + b"\xff" * (size - len(img))
open(path, "wb").write(flash)
PY
before=$(sums bt)
expect_rc "boot truncated image (exit 1)" 1 "$BASTION" device boot bt --json
jassert "boot truncated image: parse error" '
parse_errors = {"bad-magic", "header-too-small", "header-past-slot", "size-overflow", "payload-past-slot",
    "protected-area-past-slot", "bad-protected-info-magic", "protected-size-mismatch", "bad-tlv-info-magic",
    "tlv-area-past-slot", "tlv-area-too-small", "tlv-truncated", "bad-tlv-length"}
assert d["booted"] is False and d["failure"]["component"] == "app", d
assert d["failure"]["image_error"] in parse_errors, d["failure"]
assert d["reason"] == "image-refused: app: " + d["failure"]["image_error"], d["reason"]'
check "boot truncated image: flash and OTP unchanged" test "$(sums bt)" = "$before"

# A decommissioned device does not boot, whatever its images.
mkprofile decom.json 'p["lifecycle"] = "decommissioned"'
expect_ok "create decommissioned" "$BASTION" device create decom --profile k/decom.json
check "decommissioned create message" grep -q 'lifecycle decommissioned' "$T/out"
for c in urot sm app; do "$BASTION" device flash decom --component $c $c.img >/dev/null; done
refused_boot "decommissioned" decom urot - lifecycle-not-bootable
"$BASTION" device boot decom --json >"$T/out" || true
jassert "decommissioned: lifecycle in report" 'assert d["lifecycle"] == "decommissioned" and d["images"] == [], d'
"$BASTION" device status decom --json >"$T/out"
jassert "decommissioned status" 'assert d["lifecycle"] == "decommissioned" and d["last_boot"]["booted"] is False, d'
mkprofile nonpsa.json 'p["lifecycle"] = "non-psa-rot-debug"'
"$BASTION" device create nonpsa --profile k/nonpsa.json >/dev/null
for c in urot sm app; do "$BASTION" device flash nonpsa --component $c $c.img >/dev/null; done
expect_ok "non-psa-rot-debug device boots" "$BASTION" device boot nonpsa --json

# An empty uROT slot.
cp -r dev nourot
"$BASTION" device flash nourot --component sm sm.img >/dev/null
"$BASTION" device flash nourot --component app app.img >/dev/null
refused_boot "empty urot slot" nourot urot slot-empty image-refused
"$BASTION" device boot nourot --json >"$T/out" || true
jassert "empty urot: nothing after uROT verified" 'assert [i["component"] for i in d["images"]] == ["urot"], d["images"]'

# ==== other geometries ====
mkprofile g4k.json '
p["flash"] = {"size": "0x100000", "sector_size": 4096, "program_unit": 8}
p["layout"] = {"key_store": {"offset": 0, "size": 4096},
               "urot": {"primary": "0x1000", "secondary": "0x11000", "size": "0x10000"},
               "sm": {"primary": "0x22000", "secondary": "0x42000", "size": "0x20000"},
               "app": {"primary": "0x63000", "secondary": "0x93000", "size": "0x30000"},
               "scratch": {"offset": "0xc4000", "size": "0x4000"},
               "storage": {"offset": "0xc8000", "size": "0x8000"},
               "urot_scratch": {"offset": "0xd0000", "size": "0x2000"},
               "urot_counters": {"offset": "0xd2000", "size": "0x2000"},
               "counters": {"offset": "0xd4000", "size": "0x2000"}}'
mkprofile g128k.json 'p["flash"] = {"size": "0x400000", "sector_size": 131072, "program_unit": 32}; del p["layout"]'
for g in g4k g128k; do
  expect_ok "create $g" "$BASTION" device create $g --profile k/$g.json
  for c in urot sm app; do expect_ok "flash $g $c" "$BASTION" device flash $g --component $c $c.img; done
  expect_ok "boot $g" "$BASTION" device boot $g --json
  jassert "boot $g booted" 'assert d["booted"] is True and len(d["images"]) == 3, d'
  expect_ok "status $g" "$BASTION" device status $g --json
done
jassert "128 KiB geometry and default layout" '
assert d["flash"] == {"size": 0x400000, "sector_size": 0x20000, "program_unit": 32}, d["flash"]
c = d["components"]
# primaries of at least two sectors (the last one holds the trailer)
want = {"urot": (0x20000, 0x60000, 0x40000), "sm": (0xc0000, 0x100000, 0x40000), "app": (0x160000, 0x1c0000, 0x60000)}
for n, (p, s, size) in want.items():
    assert (c[n]["primary"]["offset"], c[n]["secondary"]["offset"], c[n]["primary"]["size"]) == (p, s, size), (n, c[n])'
"$BASTION" device status g4k --json >"$T/out"
jassert "4 KiB geometry and explicit layout" '
assert d["flash"] == {"size": 0x100000, "sector_size": 4096, "program_unit": 8}, d["flash"]
assert d["components"]["app"]["primary"]["offset"] == 0x63000 and d["components"]["app"]["primary"]["size"] == 0x30000, d'
check "4 KiB device flash.bin is 1 MiB" test "$(stat -c %s g4k/flash.bin)" -eq $((0x100000))
# A tampered image is refused on the other geometries too.
cp -r g128k g128k_bad
"$BASTION" device flash g128k_bad --component app app-tampered.img >/dev/null
refused_boot "tampered payload (128 KiB sectors)" g128k_bad app hash-mismatch image-refused

# ==== requests through the mailbox: the key-compromise story ====
# The app is signed with key 0 (app-full.img) and boots.
"$BASTION" device create rv --profile k/doc.json >/dev/null
"$BASTION" device flash rv --component urot urot.img >/dev/null
"$BASTION" device flash rv --component sm sm.img >/dev/null
"$BASTION" device flash rv --component app app-full.img >/dev/null
expect_ok "request story: key 0 app boots" "$BASTION" device boot rv --json
jassert "request story: no request, empty mailbox" '
assert d["booted"] is True and d["requests"] == [] and d["mailbox"] == "empty", d'
jassert "boot json: every domain as the boot left it" '
names = [x["component"] for x in d["domains"]]
assert names == ["urot", "sm", "app"], d["domains"]
a = d["domains"][2]
assert a == {"component": "app", "readable": True,
             "signing_slots": ["provisioned", "provisioned", "provisioned", "blank"],
             "revocation_sequence": 0, "records_used": 0, "records_capacity": 16}, a'
# Key 0 leaks: keys 1 and 2 (threshold 2) sign the revocation of slot 0.
expect_ok "revoke command (keys 1+2)" "$BASTION" revoke --domain app --slot 0 --seq 1 \
  -k k/app-1.pem -k k/app-2.pem -o rv0.cose
expect_ok "request revoke" "$BASTION" device request rv revoke rv0.cose
check "request revoke message" grep -q '^queued: revoke rv0.cose (.*domain app), request 1 of 4' "$T/out"
expect_ok "status shows the pending request" "$BASTION" device status rv --json
jassert "status: pending revoke" '
m = d["mailbox"]
assert m["state"] == "pending" and len(m["requests"]) == 1, m
q = m["requests"][0]
assert q["type"] == "revoke" and q["domain"] == "app" and q["slots"] == [0] and q["sequence"] == 1, q'
# The running app is signed by key 0: revoking it would leave nothing to boot.
before=$(sums rv)
expect_ok "boot with the revoke (app by key 0)" "$BASTION" device boot rv --json
jassert "revoke refused: no bootable image" '
assert d["booted"] is True, d
assert d["mailbox"] == "ok", d["mailbox"]
q = d["requests"]
assert len(q) == 1 and q[0]["type"] == "revoke" and q[0]["domain"] == "app", q
assert q[0]["outcome"] == "no-bootable-image" and q[0]["applied"] is False and q[0]["sequence"] == 1, q'
check "refused revoke changed nothing" test "$(sums rv)" = "$before"
expect_ok "status after boot" "$BASTION" device status rv --json
jassert "mailbox wiped by the boot" '
assert d["mailbox"] == {"state": "empty", "requests": []}, d["mailbox"]
assert d["domains"]["app"]["signing_slots"][0]["state"] == "provisioned", d["domains"]["app"]'
# The vendor's app signed by key 1 is in place: the revocation applies.
"$BASTION" device flash rv --component app app.img >/dev/null
expect_ok "request revoke again" "$BASTION" device request rv revoke rv0.cose
expect_ok "boot applies the revocation" "$BASTION" device boot rv --json
jassert "revoke applied" '
assert d["booted"] is True, d
q = d["requests"]
assert len(q) == 1 and q[0]["outcome"] == "applied" and q[0]["applied"] is True, q
assert q[0]["domain"] == "app" and q[0]["slots"] == [0] and q[0]["sequence"] == 1, q
assert d["dropped_requests"] == 0, d
assert d["images"][2]["key_slot"] == 1, d["images"][2]
a = d["domains"][2]
assert a["component"] == "app" and a["readable"] is True, a
assert a["signing_slots"] == ["revoked", "provisioned", "provisioned", "blank"], a
assert a["revocation_sequence"] == 1 and a["records_used"] == 1 and a["records_capacity"] == 16, a'
expect_ok "status after the revocation" "$BASTION" device status rv --json
jassert "status: slot 0 revoked, sequence raised" '
a = d["domains"]["app"]
assert [s["state"] for s in a["signing_slots"]] == ["revoked", "provisioned", "provisioned", "blank"], a
assert a["revocation_sequence"] == 1 and a["revocation_records"] == 1, a
assert d["last_boot"]["requests"][0]["outcome"] == "applied", d["last_boot"]
assert d["last_boot"]["dropped_requests"] == 0, d["last_boot"]
r = {x["component"]: x for x in d["last_boot"]["domains"]}
assert r["app"]["signing_slots"] == [s["state"] for s in a["signing_slots"]], r
assert r["app"]["revocation_sequence"] == 1 and r["app"]["records_used"] == 1, r
assert r["urot"]["revocation_sequence"] == 0 and r["sm"]["readable"] is True, r'
expect_ok "status text shows the last request" "$BASTION" device status rv
check "status text: request outcome" grep -q '^last boot request revoke app: applied' "$T/out"
expect_ok "boot text after the revocation" "$BASTION" device boot rv
check "boot text: app domain as uROT left it" grep -qx 'uROT: key domain app: slots 0 revoked, 1 provisioned, 2 provisioned, 3 blank; revocation sequence 1 (1 of 16 records used)' "$T/out"
check "boot text: urot domain as iROT left it" grep -q '^iROT: key domain urot: slots 0 provisioned, 1 provisioned, 2 blank, 3 blank; revocation sequence 0 (0 of 16 records used)$' "$T/out"
# Images signed by key 0 are refused from now on.
"$BASTION" device flash rv --component app app-full.img >/dev/null
refused_boot "key 0 after its revocation" rv app key-revoked image-refused
"$BASTION" device flash rv --component app app.img >/dev/null
# The thief, with key 0 alone, tries to revoke key 1: refused, nothing changes.
"$BASTION" revoke --domain app --slot 1 --seq 9 -k k/app-0.pem -o thief.cose >/dev/null
expect_ok "request thief's revoke" "$BASTION" device request rv revoke thief.cose
before=$(sums rv)
expect_ok "boot with the thief's command" "$BASTION" device boot rv --json
jassert "thief refused" '
q = d["requests"]
assert d["booted"] is True and q[0]["outcome"] == "revoked-signer" and q[0]["applied"] is False, q'
check "thief's command changed nothing" test "$(sums rv)" = "$before"
# Replay of the applied command, and confirm/reject (no update engine yet): in one boot.
expect_ok "request replay" "$BASTION" device request rv revoke rv0.cose
expect_ok "request confirm" "$BASTION" device request rv confirm
check "request confirm message" grep -qx 'queued: confirm app, request 2 of 4' "$T/out"
expect_ok "request reject sm" "$BASTION" device request rv reject --component sm
expect_ok "request urot revoke" "$BASTION" revoke --domain urot --slot 0 --seq 1 -k k/urot-1.pem -o urot0.cose
expect_ok "request urot-domain revoke" "$BASTION" device request rv revoke urot0.cose
expect_fail "a fifth request does not fit" 1 "$BASTION" device request rv confirm
check "full mailbox named" grep -q "full" "$T/err"
before=$(sums rv)
expect_ok "boot with four requests" "$BASTION" device boot rv
check "text: replay" grep -q '^uROT: request revoke app slots \[0\] sequence 1: replay' "$T/out"
check "text: confirm" grep -q '^uROT: request confirm app: not-applied: no trial image' "$T/out"
check "text: reject" grep -q '^uROT: request reject sm: not-applied: no trial image' "$T/out"
check "text: urot (iROT: uROT is signed by slot 0)" grep -q '^iROT: request revoke urot slots \[0\] sequence 1: no-bootable-image' "$T/out"
check "four refused requests changed nothing" test "$(sums rv)" = "$before"
# Garbage in the mailbox: reported, the device still boots.
python3 -c "
import sys
with open('rv/ram.bin', 'r+b') as f:
    f.write(bytes((i * 37 + 11) & 0xff for i in range(1024)))"
expect_ok "boot with a garbage mailbox" "$BASTION" device boot rv --json
jassert "garbage mailbox reported" '
assert d["booted"] is True and d["mailbox"] == "bad-magic" and d["requests"] == [], d'
check "garbage mailbox changed nothing" test "$(sums rv)" = "$before"
# Usage.
expect_ok "device request --help" "$BASTION" device request --help
check "device request --help is usage" grep -q "^usage: bastion device request" "$T/out"
expect_fail "request unknown kind" 2 "$BASTION" device request rv frobnicate
expect_fail "request revoke without file" 2 "$BASTION" device request rv revoke
expect_fail "request revoke missing file" 1 "$BASTION" device request rv revoke no_such.cose
head -c 2000 /dev/urandom >big.cose
expect_fail "request revoke too large" 1 "$BASTION" device request rv revoke big.cose
expect_fail "request bad component" 2 "$BASTION" device request rv confirm --component bootloader
# A corrupt record log (an entry written after an empty one) in the app
# domain: the boot stops, and the report says the domain could not be read
# instead of showing blank slots. OTP: HDPL1 area 0x300, app domain after
# sm's 376 bytes, record log at +248, entry 3 (src/otp/otp_map.h).
cp -r rv rv_corrupt
python3 -c "
with open('rv_corrupt/otp.bin', 'r+b') as f:
    f.seek(0x300 + 376 + 248 + 3 * 8)
    f.write(bytes(range(1, 9)))"
refused_boot "corrupt app record log" rv_corrupt app - key-domain-unavailable
expect_rc "boot corrupt app record log (json)" 1 "$BASTION" device boot rv_corrupt --json
jassert "corrupt domain reported unreadable" '
r = {x["component"]: x for x in d["domains"]}
assert r["app"] == {"component": "app", "readable": False, "signing_slots": None,
                    "revocation_sequence": None, "records_used": None, "records_capacity": 16}, r
assert r["urot"]["readable"] is True and r["sm"]["readable"] is True, r'
expect_rc "boot corrupt app record log (text)" 1 "$BASTION" device boot rv_corrupt
check "text: app domain unreadable" grep -qx 'uROT: key domain app UNREADABLE' "$T/out"

# ==== updates: install -> TRIAL -> confirm / revert / reject / refused ====
"$BASTION" device create up --profile k/doc.json >/dev/null
for c in urot sm app; do "$BASTION" device flash up --component $c $c.img >/dev/null; done
head -c 9000 /dev/urandom >app2.bin
for n in 9 11 3; do
  "$BASTION" sign -k k/app-1.pem -v $n.0.0 -H 0x200 --pad-header -s $n app2.bin app-v$n.img >/dev/null
done
cp app-v11.img app-v11-tampered.img
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[0x200 + 50] ^= 1; open(sys.argv[1], "wb").write(b)' app-v11-tampered.img
appjson() {  # appjson PYTHON: d = status --json of up, c = d["components"]["app"], i = last app image
  "$BASTION" device status up --json >"$T/out" || true
  jassert "$1" "c = d['components']['app']; i = [x for x in d['last_boot']['images'] if x['component'] == 'app'][0] if d['last_boot'] else None
$2"
}
expect_ok "install app v9 (trial)" "$BASTION" device install up --component app app-v9.img
check "install message" grep -q '^app secondary slot written .* staged for a trial install' "$T/out"
appjson "install: secondary STAGED one sector in" '
assert c["secondary"]["image_state"] == "STAGED" and c["secondary"]["image"]["security_counter"] == 9, c
assert c["secondary"]["image_offset"] == 8192 and c["primary"]["image_state"] == "READY", c'
expect_ok "boot installs app v9" "$BASTION" device boot up
check "boot text: installed" grep -q '^uROT: update app: installed$' "$T/out"
check "boot text: TRIAL" grep -q '^      image state TRIAL$' "$T/out"
# Text in the order things happen: iROT verifies uROT, uROT installs, then verifies the app.
check "boot text: iROT, then the update, then the app" python3 -c '
import sys
lines = open(sys.argv[1]).read().splitlines()
at = lambda prefix: next(i for i, l in enumerate(lines) if l.startswith(prefix))
assert at("iROT: urot") < at("uROT: update app: installed") < at("uROT: app ")' "$T/out"
appjson "after install: TRIAL, counter unchanged, old image kept" '
assert c["primary"]["image_state"] == "TRIAL" and c["primary"]["image"]["security_counter"] == 9, c
assert c["secondary"]["image"]["security_counter"] == 7 and c["security_counter"] == 7, c
assert c["swap"]["kind"] == "install" and c["swap"]["state"] == "complete", c
assert i["state"] == "TRIAL" and i["update"] == "installed" and i["verified"], i'
expect_fail "install while a trial runs" 1 "$BASTION" device install up --component app app-v11.img
check "install during trial refused with reason" grep -q 'primary slot is TRIAL' "$T/err"
expect_ok "confirm app" "$BASTION" device request up confirm
expect_ok "boot confirms" "$BASTION" device boot up
check "confirm applied" grep -q '^uROT: request confirm app: applied$' "$T/out"
appjson "confirmed: READY, counter raised to 9" '
assert c["primary"]["image_state"] == "READY" and c["security_counter"] == 9, c
assert i["update"] == "confirmed" and i["device_security_counter"] == 9, i'
expect_ok "boot after confirm" "$BASTION" device boot up
appjson "confirm survives reboot" '
assert c["primary"]["image"]["security_counter"] == 9 and c["primary"]["image_state"] == "READY", c
assert c["security_counter"] == 9 and i["update"] == "none", (c, i)'
# No confirm: reverted at the next reset.
expect_ok "install app v11" "$BASTION" device install up --component app app-v11.img
expect_ok "boot installs v11" "$BASTION" device boot up
expect_ok "boot without confirm" "$BASTION" device boot up
check "boot text: reverted" grep -q '^uROT: update app: reverted$' "$T/out"
appjson "unconfirmed trial reverted, counter unchanged" '
assert c["primary"]["image"]["security_counter"] == 9 and c["primary"]["image_state"] == "READY", c
assert c["security_counter"] == 9 and c["swap"]["kind"] == "revert", c
assert i["update"] == "reverted" and i["security_counter"] == 9, i'
# Reject: reverted now.
expect_ok "install app v11 again" "$BASTION" device install up --component app app-v11.img
expect_ok "boot installs v11 again" "$BASTION" device boot up
expect_ok "reject app" "$BASTION" device request up reject
expect_ok "boot rejects" "$BASTION" device boot up
check "reject applied" grep -q '^uROT: request reject app: applied$' "$T/out"
appjson "rejected: old image back" '
assert c["primary"]["image"]["security_counter"] == 9 and c["security_counter"] == 9, c
assert i["update"] == "rejected", i'
expect_ok "confirm without trial" "$BASTION" device request up confirm
expect_ok "boot: confirm without trial" "$BASTION" device boot up
check "confirm without trial not applied" grep -q '^uROT: request confirm app: not-applied: no trial image$' "$T/out"
# Refused downloads: rolled back and tampered; the old image boots.
expect_ok "install rolled-back app" "$BASTION" device install up --component app app-v3.img
expect_ok "boot refuses rollback" "$BASTION" device boot up
check "rollback refused with reason" grep -q '^uROT: update app: install-refused (security-counter-rollback)$' "$T/out"
appjson "rollback: FAILED, v9 still runs" '
assert c["secondary"]["image_state"] == "FAILED" and c["primary"]["image"]["security_counter"] == 9, c
assert i["update"] == "install-refused" and i["update_error"] == "security-counter-rollback", i'
expect_ok "install tampered app" "$BASTION" device install up --component app app-v11-tampered.img
expect_ok "boot refuses tampered" "$BASTION" device boot up
check "tampered refused with reason" grep -q '^uROT: update app: install-refused (hash-mismatch)$' "$T/out"
# Permanent install: READY at once, counter raised.
expect_ok "install app v11 permanent" "$BASTION" device install up --component app app-v11.img --permanent
expect_ok "boot installs permanently" "$BASTION" device boot up
appjson "permanent: READY, counter 11" '
assert c["primary"]["image_state"] == "READY" and c["security_counter"] == 11, c
assert i["update"] == "installed-permanent", i'
# uROT itself: iROT installs, boots in TRIAL, confirms; then the urot key 0
# is revoked by slot 1 (the new uROT's) and key-0 uROT images are refused.
urotjson() {  # urotjson NAME PYTHON: c = the urot component, u = the domain
  "$BASTION" device status up --json >"$T/out" || true
  jassert "$1" "c = d['components']['urot']; u = d['domains']['urot']
$2"
}
"$BASTION" sign -k k/urot-1.pem -v 2.0.0 -H 0x200 --pad-header -s 8 urot.bin urot-v2.img >/dev/null
"$BASTION" sign -k k/urot-0.pem -v 3.0.0 -H 0x200 --pad-header -s 9 urot.bin urot-k0.img >/dev/null
expect_ok "install urot v2 (key 1)" "$BASTION" device install up --component urot urot-v2.img
expect_ok "boot: iROT installs urot v2" "$BASTION" device boot up
check "boot text: urot installed by iROT" grep -q '^iROT: update urot: installed$' "$T/out"
urotjson "urot v2 in TRIAL, counter unchanged" '
assert c["primary"]["image_state"] == "TRIAL" and c["primary"]["image"]["security_counter"] == 8, c
assert c["security_counter"] == 7, c'
expect_ok "confirm urot" "$BASTION" device request up confirm --component urot
expect_ok "boot: iROT confirms urot" "$BASTION" device boot up
check "urot confirm applied by iROT" grep -q '^iROT: request confirm urot: applied$' "$T/out"
urotjson "urot confirmed: READY, counter 8" '
assert c["primary"]["image_state"] == "READY" and c["security_counter"] == 8, c'
expect_ok "revoke urot slot 0" "$BASTION" revoke --domain urot --slot 0 --seq 1 -k k/urot-1.pem -o urot-rev0.cose
expect_ok "request urot revocation" "$BASTION" device request up revoke urot-rev0.cose
expect_ok "boot: iROT revokes urot slot 0" "$BASTION" device boot up
check "urot revocation applied by iROT" grep -q '^iROT: request revoke urot slots \[0\] sequence 1: applied$' "$T/out"
urotjson "urot slot 0 revoked, sequence 1" '
assert u["signing_slots"][0]["state"] == "revoked" and u["revocation_sequence"] == 1, u'
expect_ok "install key-0 urot v3" "$BASTION" device install up --component urot urot-k0.img
expect_ok "boot: key-0 urot refused, v2 runs" "$BASTION" device boot up
check "key-0 urot download refused" grep -q '^iROT: update urot: install-refused (key-revoked)$' "$T/out"
urotjson "urot v2 still runs" '
assert c["primary"]["image"]["security_counter"] == 8 and c["secondary"]["image_state"] == "FAILED", c'
expect_fail "install without IMAGE" 2 "$BASTION" device install up --component app

# ==== revocation carried in an image, applied once it is confirmed ====
mkprofile imgrev.json 'p["domains"]["app"]["threshold"] = 1'
"$BASTION" device create ir --profile k/imgrev.json >/dev/null
for c in urot sm; do "$BASTION" device flash ir --component $c $c.img >/dev/null; done
"$BASTION" device flash ir --component app app-full.img >/dev/null   # signed with app key 0
irid=$("$BASTION" device status ir --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["instance_id"])')
expect_ok "revocation of app slot 0 for the image" "$BASTION" revoke --domain app --slot 0 --seq 1 --device "$irid" -k k/app-1.pem -o imgrev.cose
"$BASTION" sign -k k/app-1.pem -v 2.0.0 -H 0x200 --pad-header -s 8 --revocation imgrev.cose app2.bin app-rev.img >/dev/null
expect_ok "install the image carrying the revocation" "$BASTION" device install ir --component app app-rev.img
expect_ok "boot: trial, revocation not applied yet" "$BASTION" device boot ir
check "no image revocation during the trial" test -z "$(grep image-revocation "$T/out")"
"$BASTION" device status ir --json >"$T/out"
jassert "trial: slot 0 still provisioned" 'assert d["domains"]["app"]["signing_slots"][0]["state"] == "provisioned", d["domains"]["app"]'
"$BASTION" device request ir confirm >/dev/null
expect_ok "boot: confirm applies the image's revocation" "$BASTION" device boot ir
check "image revocation applied" grep -q '^uROT: image-revocation app slots \[0\] sequence 1: applied$' "$T/out"
"$BASTION" device status ir --json >"$T/out"
jassert "confirmed: slot 0 revoked, sequence 1, counter 8" '
a = d["domains"]["app"]
assert a["signing_slots"][0]["state"] == "revoked" and a["revocation_sequence"] == 1, a
assert d["components"]["app"]["security_counter"] == 8, d["components"]["app"]'
"$BASTION" sign -k k/app-0.pem -v 3.0.0 -H 0x200 --pad-header -s 9 app2.bin app-k0.img >/dev/null
"$BASTION" device install ir --component app app-k0.img >/dev/null
expect_ok "boot: key-0 image refused after" "$BASTION" device boot ir
check "key-0 download refused" grep -q '^uROT: update app: install-refused (key-revoked)$' "$T/out"
# revoke_older_on_confirm: confirming an image signed by slot 1 revokes slot 0.
mkprofile older.json 'p["domains"]["app"]["threshold"] = 1; p["domains"]["app"]["revoke_older_on_confirm"] = True'
"$BASTION" device create ro --profile k/older.json >/dev/null
for c in urot sm; do "$BASTION" device flash ro --component $c $c.img >/dev/null; done
"$BASTION" device flash ro --component app app-full.img >/dev/null
"$BASTION" device install ro --component app app-v9.img >/dev/null   # signed with app key 1
"$BASTION" device boot ro >/dev/null
"$BASTION" device request ro confirm >/dev/null
expect_ok "boot: confirm with revoke_older_on_confirm" "$BASTION" device boot ro
check "older slots revoked" grep -q '^uROT: revoke-older-on-confirm app slots \[0\] sequence 0: applied$' "$T/out"
"$BASTION" device status ro --json >"$T/out"
jassert "revoke_older_on_confirm: slot 0 revoked, 1 and 2 not" '
s = d["domains"]["app"]["signing_slots"]
assert [x["state"] for x in s[:3]] == ["revoked", "provisioned", "provisioned"], s'

# ==== dependencies (sign -d): held until met, factory image refused ====
# app 2.0 needs sm >= 1.3.0 (image id 1); the device runs sm 1.2.3.
mkprofile deps.json 'p["domains"]["app"]["threshold"] = 1'
"$BASTION" device create dp --profile k/deps.json >/dev/null
for c in urot sm app; do "$BASTION" device flash dp --component $c $c.img >/dev/null; done
"$BASTION" sign -k k/app-1.pem -v 2.0.0 -H 0x200 --pad-header -s 7 -d "(1, 1.3.0)" app.bin app-dep.img >/dev/null
expect_ok "dumpinfo shows the dependency" "$BASTION" dumpinfo app-dep.img
check "dependency decoded" grep -qE 'DEPENDENCY +len 12 +image 1 \(sm\) >= 1\.3\.0\+0' "$T/out"
expect_ok "install a download with an unmet dependency" "$BASTION" device install dp --component app app-dep.img
expect_ok "boot: download held" "$BASTION" device boot dp --json
jassert "held: dependency-unmet on sm, old app runs, still STAGED" '
a = [i for i in d["images"] if i["component"] == "app"][0]
assert a["update"] == "held" and a["update_error"] == "dependency-unmet" and a["held_on"] == "sm", a
assert a["version"] == "1.2.3+4" and d["booted"] is True, a'
expect_ok "boot text: held" "$BASTION" device boot dp
check "held line" grep -q '^uROT: update app: held (dependency-unmet: sm)$' "$T/out"
"$BASTION" device status dp --json >"$T/out"
jassert "secondary still staged" 'assert d["components"]["app"]["secondary"]["image_state"] == "STAGED", d["components"]["app"]'
# sm 1.3.0, installed permanently (READY at once): the app download follows in the same boot.
"$BASTION" sign -k k/sm-0.pem -v 1.3.0 -H 0x200 --pad-header -s 7 sm.bin sm13.img >/dev/null
"$BASTION" device install dp --component sm --permanent sm13.img >/dev/null
expect_ok "boot: sm installed, app installs" "$BASTION" device boot dp --json
jassert "dependency met: both installed" '
img = {i["component"]: i for i in d["images"]}
assert img["sm"]["update"] == "installed-permanent" and img["sm"]["version"] == "1.3.0+0", img["sm"]
assert img["app"]["update"] == "installed" and img["app"]["version"] == "2.0.0+0", img["app"]'
# A factory image whose dependency is unmet does not boot; the reason is named.
"$BASTION" device create dq --profile k/deps.json >/dev/null
for c in urot sm; do "$BASTION" device flash dq --component $c $c.img >/dev/null; done
"$BASTION" device flash dq --component app app-dep.img >/dev/null
expect_rc "boot: factory image with unmet dependency" 1 "$BASTION" device boot dq
check "refusal names the reason" grep -q 'app: dependency-unmet' "$T/out"
# A RAM-load image is refused at boot, not ignored.
"$BASTION" sign -k k/app-1.pem -v 1.0.0 -H 0x200 --pad-header -s 7 -L 0x20000000 app.bin app-ram.img >/dev/null
"$BASTION" device flash dq --component app app-ram.img >/dev/null
expect_rc "boot: RAM_LOAD image refused" 1 "$BASTION" device boot dq
check "refusal names RAM_LOAD" grep -q 'app: ram-load-unsupported' "$T/out"

# ==== what fits a slot: the swap moves at most the slot less one sector ====
# app slots: primary 0x60000, so an update can move 0x60000 - 0x2000 = 385024 bytes.
"$BASTION" device create fit --profile k/deps.json >/dev/null
for c in urot sm app; do "$BASTION" device flash fit --component $c $c.img >/dev/null; done
head -c 390000 /dev/urandom >huge.bin
expect_ok "sign -S: image + trailer fit (imgtool's rule)" "$BASTION" sign -k k/app-1.pem -v 3.0.0 -H 0x200 --pad-header -s 7 -S 0x60000 huge.bin huge.img
check "sign -S warns about the device limit" grep -q 'warning: the image (390[0-9]* bytes) is larger than the slot less one 8192-byte sector (385024 bytes)' "$T/err"
expect_ok "sign -S --sector-size 0: no warning" "$BASTION" sign -k k/app-1.pem -v 3.0.0 -H 0x200 --pad-header -s 7 -S 0x60000 --sector-size 0 huge.bin huge0.img
check "no warning with --sector-size 0" test ! -s "$T/err"
check "warning does not change the bytes" cmp -s huge.img huge0.img
before=$(sums fit)
expect_fail "flash an image that could never be updated" 1 "$BASTION" device flash fit --component app huge.img
check "flash: limit in bytes" grep -q 'does not fit the 385024 bytes the app slots can swap' "$T/err"
expect_fail "install an image that could never be swapped" 1 "$BASTION" device install fit --component app huge.img
check "install: limit in bytes" grep -q 'does not fit the 385024 bytes the app slots can swap' "$T/err"
check "refusals changed nothing" test "$(sums fit)" = "$before"
# imgtool's --pad / --confirm for the device's slot size: installed, padding dropped.
"$BASTION" sign -k k/app-1.pem -v 2.1.0 -H 0x200 --pad-header -s 7 -S 0x60000 --align 16 --pad app.bin app-pad.img
"$BASTION" sign -k k/app-1.pem -v 2.2.0 -H 0x200 --pad-header -s 7 -S 0x60000 --align 16 --max-align 32 --confirm app.bin app-confirm.img
check "padded files are slot-sized" test "$(stat -c %s app-pad.img)" -eq $((0x60000))
expect_ok "install imgtool --pad image" "$BASTION" device install fit --component app app-pad.img
"$BASTION" device status fit --json >"$T/out"
jassert "--pad: staged for a trial" 'assert d["components"]["app"]["secondary"]["image_state"] == "STAGED", d["components"]["app"]'
expect_ok "boot: --pad image installed in TRIAL" "$BASTION" device boot fit --json
jassert "--pad: installed" '
a = [i for i in d["images"] if i["component"] == "app"][0]
assert a["update"] == "installed" and a["version"] == "2.1.0+0" and a["state"] == "TRIAL", a'
"$BASTION" device boot fit >/dev/null   # not confirmed: reverted
expect_ok "install imgtool --confirm image" "$BASTION" device install fit --component app app-confirm.img
expect_ok "boot: --confirm image installed permanently" "$BASTION" device boot fit --json
jassert "--confirm: image_ok translated into a permanent install" '
a = [i for i in d["images"] if i["component"] == "app"][0]
assert a["update"] == "installed-permanent" and a["version"] == "2.2.0+0" and a["state"] == "READY", a'
"$BASTION" device create fit2 --profile k/deps.json >/dev/null
for c in urot sm; do "$BASTION" device flash fit2 --component $c $c.img >/dev/null; done
expect_ok "flash imgtool --confirm image" "$BASTION" device flash fit2 --component app app-confirm.img
expect_ok "boot the flashed --confirm image" "$BASTION" device boot fit2 --json
jassert "flashed padded image boots READY" '
a = [i for i in d["images"] if i["component"] == "app"][0]
assert a["verified"] is True and a["version"] == "2.2.0+0" and a["state"] == "READY", a'
python3 - <<'PY'
b = bytearray(open("app-pad.img", "rb").read())
b[0x60000 // 2] = 0x00          # a byte of the padding
open("app-badpad.img", "wb").write(b)
b = bytearray(open("app-pad.img", "rb").read())
b[-16 - 2 * 16] = 0x01          # copy_done (--align 16: max_align 16, image_ok at -32)
open("app-badtrailer.img", "wb").write(b)
PY
before=$(sums fit2)
expect_fail "flash: padding that is not erased" 1 "$BASTION" device flash fit2 --component app app-badpad.img
check "padding refusal message" grep -q "neither erased padding nor imgtool's trailer" "$T/err"
expect_fail "flash: trailer field other than image_ok set" 1 "$BASTION" device flash fit2 --component app app-badtrailer.img
check "trailer refusal message" grep -q "a trailer field other than image_ok is set" "$T/err"
check "refused padded files changed nothing" test "$(sums fit2)" = "$before"

# ==== help and usage ====
expect_ok "device --help" "$BASTION" device --help
check "device --help lists the subcommands" grep -q 'power-cycle' "$T/out"
for s in create flash install boot status request power-cycle; do
  expect_ok "device $s --help" "$BASTION" device $s --help
  check "device $s --help is usage" grep -q "^usage: bastion device $s" "$T/out"
done
expect_fail "unknown device subcommand" 2 "$BASTION" device frobnicate dev
check "unknown subcommand named" grep -q "frobnicate" "$T/err"
expect_rc "device without subcommand" 2 "$BASTION" device
expect_fail "boot without DIR" 2 "$BASTION" device boot
expect_fail "boot unknown option" 2 "$BASTION" device boot good --verbose
expect_fail "boot a missing device" 1 "$BASTION" device boot no_such_dev

finish
