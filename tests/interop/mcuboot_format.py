#!/usr/bin/env python3
"""An independent implementation of the MCUboot image format, for cross-checks.

Written from the published format (MCUboot docs/design.md, bootutil image.h)
and imgtool's documented behaviour, with only the standard library and
python3-cryptography, so that:
  * images made here are verified by `bastion verify`, and
  * images made by `bastion sign` are checked here.

Commands:
  verify [--strict] KEY IMAGE
      As imgtool's `verify`: header magic, TLV info magic (the protected area,
      when present, is skipped), the hash TLV (SHA256 for P-256 keys, SHA384
      for P-384) over header + payload + protected TLVs, and an ECDSA_SIG TLV
      that verifies with KEY. Prints imgtool's messages; exit 0 only when OK.
      --strict additionally checks what MCUboot's bootloader checks and
      imgtool does not: the KEYHASH / PUBKEY TLV matches KEY, hash/key/
      signature are unprotected, each appears once, the TLV areas are
      consistent with the header, and a padded file carries a valid trailer.
  sign -k KEY -v VERSION [-H N] [--pad-header] [-S N] [--align N]
       [--max-align N] [-M N] [-s N|auto] [--public-key-format hash|full]
       [--pad] [--confirm] [-L ADDR] [-d DEPS] [--pad-sig] INFILE OUTFILE
      As imgtool's `sign` for ECDSA keys, without encryption. -d takes
      imgtool's "(ID, VERSION),(ID, VERSION)" text and writes one protected
      DEPENDENCY TLV per tuple after SEC_CNT, as imgtool does. --pad-sig pads
      the ECDSA signature with zeros to 72 / 103 bytes (MCUboot < 1.5).
  same-layout A B
      Exit 0 when two signed images are identical except for their ECDSA
      signature values (header, payload, protected TLVs, hash, key TLV,
      padding and trailer).
"""

import argparse
import hashlib
import re
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

IMAGE_MAGIC = 0x96F3B83D
IMAGE_HEADER_SIZE = 32
TLV_INFO_MAGIC = 0x6907
TLV_PROT_INFO_MAGIC = 0x6908
TLV_INFO_SIZE = 4
TLV_SIZE = 4
TLV_KEYHASH = 0x01
TLV_PUBKEY = 0x02
TLV_SHA256 = 0x10
TLV_SHA384 = 0x11
TLV_ECDSA_SIG = 0x22
TLV_SEC_CNT = 0x50
TLV_DEPENDENCY = 0x40
F_RAM_LOAD = 0x20
DEFAULT_MAX_SECTORS = 128
DEFAULT_MAX_ALIGN = 8
BOOT_MAGIC = bytes([0x77, 0xC2, 0x95, 0xF3, 0x60, 0xD2, 0xEF, 0x7F,
                    0x35, 0x52, 0x50, 0x0F, 0x2C, 0xB6, 0x79, 0x80])
BOOT_MAGIC_ALIGNED_TAIL = bytes([0x2D, 0xE1, 0x5D, 0x29, 0x41, 0x0B, 0x8D,
                                 0x77, 0x67, 0x9C, 0x11, 0x0F, 0x1F, 0x8A])
HEADER_FMT = "<IIHHIIBBHII"
UNPROTECTED_ONLY = {TLV_KEYHASH, TLV_PUBKEY, TLV_SHA256, TLV_SHA384, TLV_ECDSA_SIG}


class Key:
    """An ECDSA P-256 or P-384 key (private or public) from a PEM/DER file."""

    def __init__(self, path):
        data = open(path, "rb").read()
        self.private = None
        loaders = ((serialization.load_pem_private_key, True),
                   (serialization.load_der_private_key, True),
                   (serialization.load_pem_public_key, False),
                   (serialization.load_der_public_key, False))
        key = None
        for loader, is_private in loaders:
            try:
                key = loader(data, None) if is_private else loader(data)
            except (ValueError, TypeError):
                continue
            if is_private:
                self.private = key
                key = key.public_key()
            break
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise SystemExit(f"{path}: not an EC key")
        self.public = key
        if isinstance(key.curve, ec.SECP256R1):
            self.hash_name, self.hash_tlv, self.hash_cls = "sha256", TLV_SHA256, hashes.SHA256
        elif isinstance(key.curve, ec.SECP384R1):
            self.hash_name, self.hash_tlv, self.hash_cls = "sha384", TLV_SHA384, hashes.SHA384
        else:
            raise SystemExit(f"{path}: curve {key.curve.name} is not P-256 or P-384")

    def spki(self):
        return self.public.public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)

    def digest(self, data):
        return hashlib.new(self.hash_name, data).digest()

    def sign(self, data):
        return self.private.sign(data, ec.ECDSA(self.hash_cls()))

    def verify(self, signature, data):
        # imgtool strips the zero padding of old fixed-length signatures.
        signature = signature[:signature[1] + 2] if len(signature) > 2 else signature
        self.public.verify(signature, data, ec.ECDSA(self.hash_cls()))


def align_up(n, a):
    return (n + a - 1) // a * a


def boot_magic(max_align):
    if max_align == DEFAULT_MAX_ALIGN:
        return BOOT_MAGIC
    return struct.pack("<H", max_align) + BOOT_MAGIC_ALIGNED_TAIL


def trailer_size(align, max_align, max_sectors):
    return (max_sectors * 3 * align + max_align * 4
            + align_up(len(BOOT_MAGIC), max_align))


def tlv_list(b, start, end):
    """(type, value offset, length) of each TLV in [start, end)."""
    out = []
    off = start
    while off < end:
        if off + TLV_SIZE > end:
            raise ValueError("TLV header past its area")
        t, length = struct.unpack_from("<HH", b, off)
        if off + TLV_SIZE + length > end:
            raise ValueError("TLV value past its area")
        out.append((t, off + TLV_SIZE, length))
        off += TLV_SIZE + length
    return out


def layout(b):
    """Header fields, protected and unprotected TLV areas of a well-formed image."""
    if len(b) < IMAGE_HEADER_SIZE:
        raise ValueError("file shorter than a header")
    (magic, load_addr, hdr_size, prot_size, img_size, flags,
     major, minor, rev, build, _pad1) = struct.unpack_from(HEADER_FMT, b, 0)
    if magic != IMAGE_MAGIC:
        raise ValueError("bad image magic")
    off = hdr_size + img_size
    prot = []
    if prot_size:
        if off + TLV_INFO_SIZE > len(b):
            raise ValueError("protected TLV info past the file")
        m, tot = struct.unpack_from("<HH", b, off)
        if m != TLV_PROT_INFO_MAGIC or tot != prot_size or off + tot > len(b):
            raise ValueError("bad protected TLV area")
        prot = tlv_list(b, off + TLV_INFO_SIZE, off + tot)
        off += tot
    if off + TLV_INFO_SIZE > len(b):
        raise ValueError("TLV info past the file")
    m, tot = struct.unpack_from("<HH", b, off)
    if m != TLV_INFO_MAGIC or tot < TLV_INFO_SIZE or off + tot > len(b):
        raise ValueError("bad TLV area")
    unprot = tlv_list(b, off + TLV_INFO_SIZE, off + tot)
    return {"hdr_size": hdr_size, "img_size": img_size, "flags": flags,
            "load_addr": load_addr, "version": (major, minor, rev, build),
            "signed_size": off, "end": off + tot, "prot": prot, "unprot": unprot}


# ---------------------------------------------------------------- verify

def imgtool_verify(b, key):
    """imgtool's Image.verify: returns (result, version, digest)."""
    if len(b) < IMAGE_HEADER_SIZE:
        return "INVALID_MAGIC", None, None
    magic, _, header_size, _, img_size = struct.unpack_from("<IIHHI", b, 0)
    version = struct.unpack_from("<BBHI", b, 20)
    if magic != IMAGE_MAGIC:
        return "INVALID_MAGIC", None, None
    tlv_off = header_size + img_size
    if tlv_off + TLV_INFO_SIZE > len(b):
        return "INVALID_TLV_INFO_MAGIC", None, None
    magic, tlv_tot = struct.unpack_from("<HH", b, tlv_off)
    if magic == TLV_PROT_INFO_MAGIC:
        tlv_off += tlv_tot
        if tlv_off + TLV_INFO_SIZE > len(b):
            return "INVALID_TLV_INFO_MAGIC", None, None
        magic, tlv_tot = struct.unpack_from("<HH", b, tlv_off)
    if magic != TLV_INFO_MAGIC:
        return "INVALID_TLV_INFO_MAGIC", None, None
    digest = key.digest(b[:tlv_off])
    end = tlv_off + tlv_tot
    off = tlv_off + TLV_INFO_SIZE
    while off < end:
        if off + TLV_SIZE > len(b):
            break
        t, length = struct.unpack_from("<HH", b, off)
        value = b[off + TLV_SIZE:off + TLV_SIZE + length]
        if t == key.hash_tlv:
            if value != digest:
                return "INVALID_HASH", None, None
        elif t == TLV_ECDSA_SIG:
            try:
                key.verify(value, b[:tlv_off])
                return "OK", version, digest
            except (InvalidSignature, ValueError, IndexError):
                pass
        off += TLV_SIZE + length
    return "INVALID_SIGNATURE", None, None


def strict_checks(b, key):
    """What the bootloader checks beyond imgtool's verify. Returns a list of problems."""
    problems = []
    try:
        lay = layout(b)
    except ValueError as e:
        return [str(e)]
    seen = {}
    for area, tlvs in (("protected", lay["prot"]), ("unprotected", lay["unprot"])):
        for t, off, length in tlvs:
            if area == "protected" and t in UNPROTECTED_ONLY:
                problems.append(f"TLV 0x{t:02x} in the protected area")
            if area == "unprotected" and t not in UNPROTECTED_ONLY:
                problems.append(f"TLV 0x{t:02x} in the unprotected area")
            if t in seen and t != TLV_DEPENDENCY:  # one per depended-on image
                problems.append(f"TLV 0x{t:02x} appears twice")
            seen[t] = b[off:off + length]
    if key.hash_tlv not in seen:
        problems.append("no hash TLV for the key's curve")
    if TLV_ECDSA_SIG not in seen:
        problems.append("no ECDSA_SIG TLV")
    if TLV_KEYHASH in seen:
        # imgtool hashes the SubjectPublicKeyInfo with the image hash algorithm.
        if seen[TLV_KEYHASH] != key.digest(key.spki()):
            problems.append("KEYHASH does not match the key")
    elif TLV_PUBKEY in seen:
        if seen[TLV_PUBKEY] != key.spki():
            problems.append("PUBKEY does not match the key")
    else:
        problems.append("no KEYHASH or PUBKEY TLV")
    if TLV_SEC_CNT in seen and len(seen[TLV_SEC_CNT]) != 4:
        problems.append("SEC_CNT is not 4 bytes")
    if len(b) > lay["end"]:
        tail = b[-len(BOOT_MAGIC):]
        if tail != BOOT_MAGIC and tail[2:] != BOOT_MAGIC_ALIGNED_TAIL:
            problems.append("padded file without a valid trailer magic")
    return problems


def cmd_verify(args):
    key = Key(args.key)
    b = open(args.image, "rb").read()
    result, version, digest = imgtool_verify(b, key)
    messages = {
        "INVALID_MAGIC": "Invalid image magic; is this an MCUboot image?",
        "INVALID_TLV_INFO_MAGIC": "Invalid TLV info magic; is this an MCUboot image?",
        "INVALID_HASH": "Image has an invalid hash",
        "INVALID_SIGNATURE": "No signature found for the given key",
    }
    if result != "OK":
        print(messages[result])
        return 1
    if args.strict:
        problems = strict_checks(b, key)
        if problems:
            for p in problems:
                print("strict: " + p)
            return 1
    print("Image was correctly validated")
    print("Image version: {}.{}.{}+{}".format(*version))
    print("Image digest: {}".format(digest.hex()))
    return 0


# ------------------------------------------------------------------ sign

VERSION_RE = re.compile(r"^([1-9]\d*|0)(\.([1-9]\d*|0)(\.([1-9]\d*|0)(\+([1-9]\d*|0))?)?)?$")


def decode_version(text):
    m = VERSION_RE.match(text)
    if not m:
        raise SystemExit("Invalid version number, should be maj.min.rev+build "
                         "with later parts optional")
    return tuple(int(m.group(i)) if m.group(i) else 0 for i in (1, 3, 5, 7))


def cmd_sign(args):
    key = Key(args.key)
    if key.private is None:
        raise SystemExit("sign needs a private key")
    version = decode_version(args.version)
    header_size = args.header_size
    if header_size < IMAGE_HEADER_SIZE:
        raise SystemExit("Minimum value for -H/--header-size is 32")
    max_align = args.max_align if args.max_align else max(DEFAULT_MAX_ALIGN, args.align)
    pad = args.pad or args.confirm
    erased = 0xFF

    payload = bytearray(open(args.infile, "rb").read())
    if args.pad_header:
        payload = bytearray([erased] * header_size) + payload
    elif any(payload[:header_size]):
        raise SystemExit("Header padding was not requested and image does not start with zeros")

    if args.security_counter is None:
        sec_cnt = None
    elif args.security_counter.lower() == "auto":
        sec_cnt = (version[0] << 24) + (version[1] << 16) + version[2]
    else:
        sec_cnt = int(args.security_counter, 0)

    prot = b""
    if sec_cnt is not None:
        prot += struct.pack("<HHI", TLV_SEC_CNT, 4, sec_cnt)
    if args.dependencies is not None:
        # imgtool's get_dependencies and Image.create: '<B3xBBHI' per tuple.
        images = re.findall(r"\((\d+)", args.dependencies)
        versions = re.findall(r",\s*([0-9.+]+)\)", args.dependencies)
        if not images or len(images) != len(versions):
            raise SystemExit("Image dependency format is invalid: " + args.dependencies)
        for image_id, text in zip(images, versions):
            v = decode_version(text)
            prot += struct.pack("<HH", TLV_DEPENDENCY, 12)
            prot += struct.pack("<B3xBBHI", int(image_id), v[0], v[1], v[2], v[3])
    prot_size = TLV_INFO_SIZE + len(prot) if prot else 0

    load_addr = args.load_addr or 0
    flags = F_RAM_LOAD if load_addr else 0
    header = struct.pack(HEADER_FMT, IMAGE_MAGIC, load_addr, header_size, prot_size,
                         len(payload) - header_size, flags, version[0], version[1],
                         version[2], version[3], 0)
    payload[:IMAGE_HEADER_SIZE] = header
    if prot:
        payload += struct.pack("<HH", TLV_PROT_INFO_MAGIC, prot_size) + prot

    signed = bytes(payload)
    digest = key.digest(signed)
    spki = key.spki()
    unprot = struct.pack("<HH", key.hash_tlv, len(digest)) + digest
    if args.public_key_format == "hash":
        keyhash = key.digest(spki)
        unprot += struct.pack("<HH", TLV_KEYHASH, len(keyhash)) + keyhash
    else:
        unprot += struct.pack("<HH", TLV_PUBKEY, len(spki)) + spki
    sig = key.sign(signed)
    if args.pad_sig:
        # imgtool keys/ecdsa.py: zeros up to sig_len(), 72 (P-256) / 103 (P-384).
        sig += b"\0" * max(0, (72 if key.hash_name == "sha256" else 103) - len(sig))
    unprot += struct.pack("<HH", TLV_ECDSA_SIG, len(sig)) + sig
    image = signed + struct.pack("<HH", TLV_INFO_MAGIC, TLV_INFO_SIZE + len(unprot)) + unprot

    if args.slot_size:
        tsize = trailer_size(args.align, max_align, args.max_sectors)
        if len(image) + tsize > args.slot_size:
            raise SystemExit("Image size (0x{:x}) + trailer (0x{:x}) exceeds requested size "
                             "0x{:x}".format(len(image), tsize, args.slot_size))
        if pad:
            magic = boot_magic(max_align)
            padding = bytearray([erased] * (args.slot_size - len(image) - len(magic))) + magic
            if args.confirm:
                padding[-(align_up(len(BOOT_MAGIC), max_align) + max_align)] = 0x01
            image += bytes(padding)
    elif pad:
        raise SystemExit("--pad needs --slot-size")
    open(args.outfile, "wb").write(image)
    return 0


# ----------------------------------------------------------- same-layout

def cmd_same_layout(args):
    a = open(args.a, "rb").read()
    b = open(args.b, "rb").read()
    try:
        la, lb = layout(a), layout(b)
    except ValueError as e:
        print(f"not an image: {e}")
        return 1
    problems = []
    if a[:la["signed_size"]] != b[:lb["signed_size"]]:
        problems.append("header, payload or protected TLVs differ")
    ua = [(t, a[o:o + n]) for t, o, n in la["unprot"]]
    ub = [(t, b[o:o + n]) for t, o, n in lb["unprot"]]
    if [t for t, _ in ua] != [t for t, _ in ub]:
        problems.append(f"unprotected TLV types differ: {[t for t, _ in ua]} vs {[t for t, _ in ub]}")
    else:
        for (t, va), (_, vb) in zip(ua, ub):
            if t != TLV_ECDSA_SIG and va != vb:
                problems.append(f"TLV 0x{t:02x} differs")
    padded_a, padded_b = len(a) > la["end"], len(b) > lb["end"]
    if padded_a != padded_b:
        problems.append("only one image is padded to a slot")
    elif padded_a and len(a) != len(b):
        problems.append(f"slot sizes differ: {len(a)} vs {len(b)}")
    elif padded_a:
        # Padded: everything after the longer TLV area must agree.
        tail = max(la["end"], lb["end"])
        if a[tail:] != b[tail:]:
            problems.append("padding or trailer differ")
        if set(a[la["end"]:tail]) - {0xFF} or set(b[lb["end"]:tail]) - {0xFF}:
            problems.append("padding is not erased")
    for p in problems:
        print(p)
    return 1 if problems else 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser("verify")
    v.add_argument("--strict", action="store_true")
    v.add_argument("key")
    v.add_argument("image")

    def based_int(text):
        return int(text, 0)

    s = sub.add_parser("sign")
    s.add_argument("-k", "--key", required=True)
    s.add_argument("-v", "--version", required=True)
    s.add_argument("-H", "--header-size", type=based_int, default=IMAGE_HEADER_SIZE)
    s.add_argument("--pad-header", action="store_true")
    s.add_argument("-S", "--slot-size", type=based_int, default=0)
    s.add_argument("--align", type=int, choices=[1, 2, 4, 8, 16, 32], default=1)
    s.add_argument("--max-align", type=int, choices=[8, 16, 32])
    s.add_argument("-M", "--max-sectors", type=int, default=DEFAULT_MAX_SECTORS)
    s.add_argument("-s", "--security-counter")
    s.add_argument("--public-key-format", choices=["hash", "full"], default="hash")
    s.add_argument("--pad", action="store_true")
    s.add_argument("--confirm", action="store_true")
    s.add_argument("-L", "--load-addr", type=based_int)
    s.add_argument("-d", "--dependencies")
    s.add_argument("--pad-sig", action="store_true")
    s.add_argument("infile")
    s.add_argument("outfile")

    c = sub.add_parser("same-layout")
    c.add_argument("a")
    c.add_argument("b")

    args = parser.parse_args(argv)
    return {"verify": cmd_verify, "sign": cmd_sign, "same-layout": cmd_same_layout}[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
