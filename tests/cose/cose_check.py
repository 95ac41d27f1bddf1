#!/usr/bin/python3
"""Independent cross-check of Bastion's COSE (src/cose) with cbor2 and
cryptography, which share no code with it.

1. Bastion (cose_tool) signs a COSE_Sign with P-256 and P-384 keys and a
   COSE_Sign1; this script parses them with cbor2, checks the structure and
   headers RFC 9052 prescribes, that the encoding is deterministic CBOR,
   that kid = SHA-256(SubjectPublicKeyInfo), and verifies every r||s
   signature over its own Sig_structure with cryptography.
2. This script signs a COSE_Sign and a COSE_Sign1 itself; cose_tool must
   accept them, and must refuse tampered copies and an unknown critical
   header.

usage: cose_check.py PATH/TO/cose_tool
"""
import hashlib
import os
import subprocess
import sys
import tempfile

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

ALG = {-7: (ec.SECP256R1, hashes.SHA256, 32), -35: (ec.SECP384R1, hashes.SHA384, 48)}
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def kid_of(public_key):
    return hashlib.sha256(spki(public_key)).digest()


def alg_of(key):
    return -7 if isinstance(key.curve, ec.SECP256R1) else -35


def sig_structure(context, body_protected, sign_protected, payload, aad=b""):
    if context == "Signature1":
        return cbor2.dumps([context, body_protected, aad, payload])
    return cbor2.dumps([context, body_protected, sign_protected, aad, payload])


def verify_rs(public_key, alg, rs, to_be_signed):
    _, hash_cls, size = ALG[alg]
    if len(rs) != 2 * size:
        return False
    der = encode_dss_signature(int.from_bytes(rs[:size], "big"), int.from_bytes(rs[size:], "big"))
    try:
        public_key.verify(der, to_be_signed, ec.ECDSA(hash_cls()))
        return True
    except Exception:
        return False


def sign_rs(private_key, to_be_signed):
    alg = alg_of(private_key)
    _, hash_cls, size = ALG[alg]
    r, s = decode_dss_signature(private_key.sign(to_be_signed, ec.ECDSA(hash_cls())))
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def run(tool, *args):
    result = subprocess.run([tool, *args], capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def main():
    tool = sys.argv[1]
    work = tempfile.mkdtemp(prefix="cose_check.")
    keys = [ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP384R1()),
            ec.generate_private_key(ec.SECP256R1())]
    private_paths, public_paths = [], []
    for i, key in enumerate(keys):
        private_paths.append(os.path.join(work, f"key{i}.pem"))
        public_paths.append(os.path.join(work, f"key{i}.pub.pem"))
        with open(private_paths[-1], "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        with open(public_paths[-1], "wb") as f:
            f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    payload = cbor2.dumps({1: "app", 2: [1, 3], 3: 7})
    payload_path = os.path.join(work, "payload.cbor")
    with open(payload_path, "wb") as f:
        f.write(payload)

    # ---- 1. Bastion signs, Python verifies.
    sign_path = os.path.join(work, "bastion.cose_sign")
    rc, out = run(tool, "sign", sign_path, payload_path, *private_paths)
    check(rc == 0, f"cose_tool sign ({out.strip()})")
    data = open(sign_path, "rb").read()
    msg = cbor2.loads(data)
    check(isinstance(msg, cbor2.CBORTag) and msg.tag == 98, "COSE_Sign carries tag 98")
    check(cbor2.dumps(msg, canonical=True) == data, "COSE_Sign is deterministic CBOR")
    body_protected, body_unprotected, got_payload, signatures = msg.value
    check(body_protected == b"" and body_unprotected == {}, "body headers empty (h'' and {})")
    check(got_payload == payload, "payload embedded as a bstr")
    check(len(signatures) == len(keys), "one COSE_Signature per key")
    for i, (signature, key) in enumerate(zip(signatures, keys)):
        sign_protected, unprotected, rs = signature
        alg = alg_of(key)
        check(cbor2.loads(sign_protected) == {1: alg}, f"signer {i}: protected {{1: {alg}}}")
        check(unprotected == {4: kid_of(key.public_key())},
              f"signer {i}: unprotected kid = SHA-256(SPKI)")
        tbs = sig_structure("Signature", body_protected, sign_protected, payload)
        check(verify_rs(key.public_key(), alg, rs, tbs), f"signer {i}: r||s verifies")
    rc, out = run(tool, "verify", sign_path, *public_paths)
    check(rc == 0, "cose_tool verifies its own COSE_Sign")

    sign1_path = os.path.join(work, "bastion.cose_sign1")
    rc, out = run(tool, "sign1", sign1_path, payload_path, private_paths[1])
    check(rc == 0, f"cose_tool sign1 ({out.strip()})")
    data = open(sign1_path, "rb").read()
    msg = cbor2.loads(data)
    check(isinstance(msg, cbor2.CBORTag) and msg.tag == 18, "COSE_Sign1 carries tag 18")
    check(cbor2.dumps(msg, canonical=True) == data, "COSE_Sign1 is deterministic CBOR")
    protected, unprotected, got_payload, rs = msg.value
    check(cbor2.loads(protected) == {1: -35}, "Sign1 protected {1: -35}")
    check(unprotected == {4: kid_of(keys[1].public_key())}, "Sign1 kid")
    check(verify_rs(keys[1].public_key(), -35, rs,
                    sig_structure("Signature1", protected, None, payload)),
          "Sign1 r||s verifies")

    # ---- 2. Python signs, Bastion verifies.
    def python_sign(signers, payload_bytes, extra_protected=None):
        body_protected = b""
        sigs = []
        for key in signers:
            header = {1: alg_of(key)}
            if extra_protected:
                header.update(extra_protected)
            sign_protected = cbor2.dumps(header, canonical=True)
            tbs = sig_structure("Signature", body_protected, sign_protected, payload_bytes)
            sigs.append([sign_protected, {4: kid_of(key.public_key())}, sign_rs(key, tbs)])
        return cbor2.dumps(cbor2.CBORTag(98, [body_protected, {}, payload_bytes, sigs]),
                           canonical=True)

    def python_sign1(key, payload_bytes):
        protected = cbor2.dumps({1: alg_of(key)})
        tbs = sig_structure("Signature1", protected, None, payload_bytes)
        return cbor2.dumps(cbor2.CBORTag(18, [protected, {4: kid_of(key.public_key())},
                                              payload_bytes, sign_rs(key, tbs)]),
                           canonical=True)

    def tool_verify(command, message, name):
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(message)
        return run(tool, command, path, *public_paths)

    good = python_sign(keys, payload)
    rc, out = tool_verify("verify", good, "python.cose_sign")
    check(rc == 0, f"Bastion accepts Python's COSE_Sign ({out.strip()})")
    for i, key in enumerate(keys):
        rc, out = tool_verify("verify1", python_sign1(key, payload), f"python{i}.cose_sign1")
        check(rc == 0, f"Bastion accepts Python's COSE_Sign1 with key {i} ({out.strip()})")

    tampered = bytearray(good)
    tampered[tampered.index(payload) + 2] ^= 0x01
    rc, out = tool_verify("verify", bytes(tampered), "tampered.cose_sign")
    check(rc == 1, f"Bastion refuses a tampered payload ({out.strip()})")
    other = python_sign([keys[0]], payload + b"\x00")
    msg = cbor2.loads(other)
    msg.value[2] = payload  # a signature over another payload
    rc, out = tool_verify("verify", cbor2.dumps(msg, canonical=True), "swapped.cose_sign")
    check(rc == 1, f"Bastion refuses a signature over another payload ({out.strip()})")
    crit = python_sign([keys[0]], payload, {2: [99], 99: 1})
    rc, out = tool_verify("verify", crit, "crit.cose_sign")
    check(rc == 2 and "unknown-critical-header" in out,
          f"Bastion refuses an unknown critical header ({out.strip()})")
    a0 = cbor2.loads(good)
    a0.value[0] = b"\xa0"  # bstr-wrapped empty map instead of h''
    rc, out = tool_verify("verify", cbor2.dumps(a0, canonical=True), "a0.cose_sign")
    check(rc == 2 and "bad-protected-header" in out,
          f"Bastion refuses h'a0' as a body protected header ({out.strip()})")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("cose interop: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
