#!/usr/bin/python3
"""Independent check of a revocation command made by `bastion revoke`, with
cbor2 and cryptography (no code shared with Bastion).

Decodes the COSE_Sign (tag 98, deterministic CBOR, RFC 9052 headers), the
payload ({1: domain, 2: [slots], 3: sequence, 4?: instance ID}, integer keys,
canonical order, nothing else), recomputes each kid as SHA-256 of the
SubjectPublicKeyInfo of the PEM key given, and verifies every r||s signature
over its own Sig_structure.

usage: revoke_check.py CMD.cose DOMAIN SLOTS SEQ DEVICE|- KEY.pem [KEY.pem ...]
  SLOTS: comma-separated, ascending (e.g. 0,2); DEVICE: 64 hex digits or -
"""
import hashlib
import sys

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ALG = {-7: (ec.SECP256R1, hashes.SHA256, 32), -35: (ec.SECP384R1, hashes.SHA384, 48)}
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def main():
    path, domain, slots, seq, device = sys.argv[1:6]
    key_paths = sys.argv[6:]
    slots = [int(s) for s in slots.split(",")]
    seq = int(seq)
    data = open(path, "rb").read()
    msg = cbor2.loads(data)
    check(isinstance(msg, cbor2.CBORTag) and msg.tag == 98, "COSE_Sign carries tag 98")
    check(cbor2.dumps(msg, canonical=True) == data, "message is deterministic CBOR")
    body_protected, body_unprotected, payload, signatures = msg.value
    check(body_protected == b"" and body_unprotected == {}, "body headers empty")
    check(isinstance(payload, bytes), "payload is an embedded bstr")

    command = cbor2.loads(payload)
    check(cbor2.dumps(command, canonical=True) == payload, "payload is deterministic CBOR")
    expected_keys = [1, 2, 3] + ([4] if device != "-" else [])
    check(isinstance(command, dict) and sorted(command) == expected_keys,
          f"payload keys {expected_keys}")
    check(command.get(1) == domain, f"domain {domain!r}")
    check(command.get(2) == slots, f"slots {slots}")
    check(command.get(3) == seq, f"sequence {seq}")
    if device != "-":
        check(command.get(4) == bytes.fromhex(device), "instance ID")

    check(len(signatures) == len(key_paths), "one signature per key")
    for i, (signature, key_path) in enumerate(zip(signatures, key_paths)):
        key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
        public = key.public_key()
        spki = public.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        sign_protected, unprotected, rs = signature
        alg = -7 if isinstance(public.curve, ec.SECP256R1) else -35
        curve, hash_cls, size = ALG[alg]
        check(cbor2.loads(sign_protected) == {1: alg}, f"signer {i}: protected {{1: {alg}}}")
        check(unprotected == {4: hashlib.sha256(spki).digest()},
              f"signer {i}: kid = SHA-256(SPKI of {key_path.rsplit('/', 1)[-1]})")
        tbs = cbor2.dumps(["Signature", body_protected, sign_protected, b"", payload])
        ok = len(rs) == 2 * size
        if ok:
            der = encode_dss_signature(int.from_bytes(rs[:size], "big"),
                                       int.from_bytes(rs[size:], "big"))
            try:
                public.verify(der, tbs, ec.ECDSA(hash_cls()))
            except Exception:
                ok = False
        check(ok, f"signer {i}: r||s verifies")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("revoke interop: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
