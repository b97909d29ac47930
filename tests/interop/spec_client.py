#!/usr/bin/env python3
"""Independent client for the commons ledger format, version 1.

Written from spec/ledger-v1.md alone (plus docs/events.md for the body of
`agent.profile` and the node's OpenAPI document for paths and parameters).
It does not share any code or test vectors with the Rust implementation.

Usage: spec_client.py <node base URL>

Steps (each printed; the first failure exits non-zero with a clear message):
  1. learn the node's sequencer key (GET /api/v1/node)
  2. create fresh Ed25519 keys
  3. submit a commons.genesis and agent.profile events (chained, with deps,
     out of order so one is pending) over HTTP as deterministic CBOR envelopes
  4. check idempotent resubmission and refusal of tampered envelopes
  5. read the signed checkpoint and verify it with the sequencer key
  6. export the ledger (entries), re-verify every event, chain, leaf and root
  7. verify inclusion proofs for every leaf and consistency proofs between
     two checkpoints (and compare them with proofs computed locally)
  8. re-verify the saved export offline; check that tampering is detected
  9. cross-check the c2sp.org/tlog-tiles view of the same ledger

Dependencies: Python standard library, cbor2 (only as a cross-check of the
hand-written deterministic encoder/decoder) and cryptography (Ed25519).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class Failure(Exception):
    """A check failed: the node (or the ledger it serves) disagrees with the spec."""


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise Failure(msg)


def step(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def ok(msg: str) -> None:
    print(f"    ok: {msg}", flush=True)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------
# Deterministic CBOR (RFC 8949 §4.2.1 "core deterministic encoding"), spec §1:
# definite lengths, shortest integer and length forms, map keys sorted by the
# bytewise order of their encodings, no floats, no tags, no indefinite items.
# ---------------------------------------------------------------------------


def _head(major: int, n: int) -> bytes:
    if n < 0:
        raise ValueError("negative argument")
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 0x100:
        return bytes([(major << 5) | 24, n])
    if n < 0x10000:
        return bytes([(major << 5) | 25]) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes([(major << 5) | 26]) + n.to_bytes(4, "big")
    if n < 0x10000000000000000:
        return bytes([(major << 5) | 27]) + n.to_bytes(8, "big")
    raise ValueError("integer too large for CBOR")


def cbor_encode(obj) -> bytes:
    if obj is None:
        return b"\xf6"
    if obj is True:
        return b"\xf5"
    if obj is False:
        return b"\xf4"
    if isinstance(obj, int):
        return _head(0, obj) if obj >= 0 else _head(1, -1 - obj)
    if isinstance(obj, (bytes, bytearray)):
        return _head(2, len(obj)) + bytes(obj)
    if isinstance(obj, str):
        b = obj.encode("utf-8")
        return _head(3, len(b)) + b
    if isinstance(obj, (list, tuple)):
        return _head(4, len(obj)) + b"".join(cbor_encode(x) for x in obj)
    if isinstance(obj, dict):
        items = sorted((cbor_encode(k), cbor_encode(v)) for k, v in obj.items())
        for a, b in zip(items, items[1:]):
            if a[0] == b[0]:
                raise ValueError("duplicate map key")
        return _head(5, len(items)) + b"".join(k + v for k, v in items)
    raise TypeError(f"cannot encode {type(obj).__name__} in deterministic CBOR")


class CborError(Exception):
    pass


def _decode_item(data: bytes, pos: int, depth: int = 0):
    if depth > 64:
        raise CborError("nesting too deep")
    if pos >= len(data):
        raise CborError("truncated input")
    ib = data[pos]
    major, info = ib >> 5, ib & 0x1F
    pos += 1
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info == 22:
            return None, pos
        raise CborError(f"simple/float item 0x{ib:02x} not allowed")
    if info < 24:
        arg = info
    elif info in (24, 25, 26, 27):
        width = 1 << (info - 24)
        if pos + width > len(data):
            raise CborError("truncated argument")
        arg = int.from_bytes(data[pos : pos + width], "big")
        pos += width
        minimum = {24: 24, 25: 0x100, 26: 0x10000, 27: 0x100000000}[info]
        if arg < minimum:
            raise CborError("argument not in shortest form")
    else:
        raise CborError(f"indefinite length or reserved info {info} not allowed")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if pos + arg > len(data):
            raise CborError("string longer than input")
        raw = data[pos : pos + arg]
        pos += arg
        if major == 2:
            return bytes(raw), pos
        try:
            return raw.decode("utf-8", errors="strict"), pos
        except UnicodeDecodeError as e:
            raise CborError(f"invalid UTF-8: {e}") from None
    if major == 4:
        out = []
        for _ in range(arg):
            v, pos = _decode_item(data, pos, depth + 1)
            out.append(v)
        return out, pos
    if major == 5:
        out = {}
        last_key_bytes = None
        for _ in range(arg):
            kstart = pos
            k, pos = _decode_item(data, pos, depth + 1)
            kbytes = data[kstart:pos]
            if last_key_bytes is not None and not (last_key_bytes < kbytes):
                raise CborError("map keys not strictly ascending by encoded bytes")
            last_key_bytes = kbytes
            if isinstance(k, (list, dict)):
                raise CborError("container map keys not supported")
            v, pos = _decode_item(data, pos, depth + 1)
            out[k] = v
        return out, pos
    if major == 6:
        raise CborError("tags not allowed")
    raise CborError("unreachable")


def cbor_decode(data: bytes):
    """Strict decode + the spec's canonical check (re-encode, compare bytes)."""
    value, end = _decode_item(data, 0)
    if end != len(data):
        raise CborError(f"{len(data) - end} trailing bytes")
    if cbor_encode(value) != data:
        raise CborError("re-encoding differs from input (not deterministic CBOR)")
    # Cross-check with an independent decoder.
    other = cbor2.loads(data)
    if _normalise(other) != _normalise(value):
        raise CborError("cbor2 decodes these bytes differently")
    return value


def _normalise(v):
    if isinstance(v, (list, tuple)):
        return [_normalise(x) for x in v]
    if isinstance(v, dict):
        return {(_normalise(k) if not isinstance(k, list) else tuple(k)): _normalise(x) for k, x in v.items()}
    if isinstance(v, bytearray):
        return bytes(v)
    return v


def _all_text_keys(v) -> bool:
    if isinstance(v, (list, tuple)):
        return all(_all_text_keys(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _all_text_keys(x) for k, x in v.items())
    return True


def encode_checked(obj) -> bytes:
    """Encode with our encoder; when cbor2's canonical mode is known to agree
    with core deterministic ordering (no mixed-type map keys: with text keys only,
    length-first order and bytewise order of encodings coincide), compare."""
    mine = cbor_encode(obj)
    if _all_text_keys(obj):
        theirs = cbor2.dumps(obj, canonical=True)
        check(mine == theirs, f"own encoder and cbor2 canonical disagree: {mine.hex()} vs {theirs.hex()}")
    return mine


def self_test_cbor() -> None:
    vectors = [  # RFC 8949 Appendix A, restricted to deterministic items
        (0, "00"), (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"),
        (65535, "19ffff"), (65536, "1a00010000"), (4294967296, "1b0000000100000000"),
        (-1, "20"), (-1000, "3903e7"), (b"", "40"), ("", "60"), ("IETF", "6449455446"),
        ([], "80"), ([1, [2, 3], [4, 5]], "8301820203820405"), ({}, "a0"),
        ({"a": 1, "b": [2, 3]}, "a26161016162820203"), (None, "f6"), (True, "f5"),
        # key order is bytewise on encodings: 10 (0x0a) < 100 (0x1864) < -1 (0x20) < "z" < "aa"
        ({"aa": 0, "z": 0, -1: 0, 100: 0, 10: 0}, "a50a001864002000617a00626161" "00"),
    ]
    for value, hexstr in vectors:
        got = cbor_encode(value).hex()
        check(got == hexstr, f"CBOR self-test: {value!r} -> {got}, want {hexstr}")
        check(_normalise(cbor_decode(bytes.fromhex(hexstr))) == _normalise(value), f"CBOR self-test decode {hexstr}")
    for bad in ["1817", "190017", "5f40ff", "9fff", "f93c00", "c11a514b67b0", "a2616201616101", "a2616101616102"]:
        try:
            cbor_decode(bytes.fromhex(bad))
        except CborError:
            continue
        raise Failure(f"CBOR self-test: non-deterministic {bad} was accepted")


# ---------------------------------------------------------------------------
# Keys, headers, events (spec §1–§4)
# ---------------------------------------------------------------------------

KIND_RE = re.compile(r"^[a-z0-9._-]{1,64}$")
EVENT_DOMAIN = b"commons/event/v1\n"
MAX_BODY = 65536
MAX_DEPS = 32


class Key:
    def __init__(self) -> None:
        self.sk = Ed25519PrivateKey.generate()
        raw = self.sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.author = b"\x01" + raw  # spec §1: 0x01 || 32-byte public key

    def sign(self, msg: bytes) -> bytes:
        return self.sk.sign(msg)


# --- Ed25519 per ZIP-215 (spec §1) -------------------------------------------
# `cryptography` (OpenSSL) verifies by RFC 8032's stricter rules. Every honest
# signature passes both; the spec's rule is ZIP-215, so when OpenSSL says no we
# re-check with a small pure-Python ZIP-215 verifier: non-canonical encodings of
# A and R accepted, S must be canonical (< L), cofactored equation
# [8][S]B = [8]R + [8][k]A.

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _ed_add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    dd = 2 * z1 * z2 % _P
    e, f, g, h = b - a, dd - c, dd + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _ed_mul(s: int, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _ed_add(q, pt)
        pt = _ed_add(pt, pt)
        s >>= 1
    return q


def _ed_eq(p1, p2) -> bool:
    x1, y1, z1, _ = p1
    x2, y2, z2, _ = p2
    return (x1 * z2 - x2 * z1) % _P == 0 and (y1 * z2 - y2 * z1) % _P == 0


def _ed_decompress_zip215(s: bytes):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y = (y & ((1 << 255) - 1)) % _P  # ZIP-215: non-canonical y accepted
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = (_P - x) % _P  # ZIP-215: x = 0 with sign 1 accepted
    return (x, y, 1, x * y % _P)


_BY = 4 * pow(5, _P - 2, _P) % _P
_B = _ed_decompress_zip215(_BY.to_bytes(32, "little"))
_IDENTITY = (0, 1, 1, 0)


def zip215_verify(pub32: bytes, sig: bytes, msg: bytes) -> bool:
    a = _ed_decompress_zip215(pub32)
    r = _ed_decompress_zip215(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(sig[:32] + pub32 + msg).digest(), "little") % _L
    lhs = _ed_mul(8, _ed_mul(s, _B))
    rhs = _ed_mul(8, _ed_add(r, _ed_mul(k, a)))
    return _ed_eq(lhs, rhs)


def is_small_order(pub32: bytes) -> bool:
    a = _ed_decompress_zip215(pub32)
    return a is not None and _ed_eq(_ed_mul(8, a), _IDENTITY)


ZIP215_ONLY: list[str] = []


def ed25519_verify(author_key: bytes, sig: bytes, msg: bytes) -> bool:
    if len(author_key) != 33 or author_key[0] != 0x01 or len(sig) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(author_key[1:]).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        pass
    if zip215_verify(author_key[1:], sig, msg):
        ZIP215_ONLY.append(sha256(msg).hex())
        return True
    return False


def self_test_ed25519() -> None:
    k = Key()
    m = b"commons/event/v1\nhello"
    s = k.sign(m)
    check(zip215_verify(k.author[1:], s, m), "ZIP-215 self-test: honest signature rejected")
    bad = bytearray(s)
    bad[5] ^= 1
    check(not zip215_verify(k.author[1:], bytes(bad), m), "ZIP-215 self-test: bad signature accepted")
    check(not ed25519_verify(k.author, bytes(bad), m), "self-test: bad signature accepted")
    ident = b"\x01" + b"\x00" * 31
    check(is_small_order(ident) and not is_small_order(k.author[1:]), "small-order self-test")
    # identity key, identity R, S = 0: valid under ZIP-215 for any message
    check(zip215_verify(ident, ident + b"\x00" * 32, m), "ZIP-215 self-test: small-order case")
    # the same with a non-canonical encoding of R (y = p + 1) is still ZIP-215-valid
    r_nc = (_P + 1).to_bytes(32, "little")
    check(zip215_verify(ident, r_nc + b"\x00" * 32, m), "ZIP-215 self-test: non-canonical R")
    # S >= L is refused
    check(not zip215_verify(ident, ident + _L.to_bytes(32, "little"), m), "ZIP-215 self-test: S >= L accepted")
    ZIP215_ONLY.clear()


def make_header(*, commons: bytes, author: bytes, seq: int, prev, deps, kind: str, body: bytes, t_ms=None) -> list:
    deps = sorted(deps)
    return [
        1,
        commons,
        author,
        seq,
        prev,
        deps,
        int(time.time() * 1000) if t_ms is None else t_ms,
        kind,
        len(body),
        sha256(body),
    ]


def event_id(header_bytes: bytes) -> bytes:
    return sha256(EVENT_DOMAIN + header_bytes)


class Event:
    def __init__(self, key: Key, header: list, body: bytes) -> None:
        self.header = header
        self.header_bytes = encode_checked(header)
        self.signing_bytes = EVENT_DOMAIN + self.header_bytes
        self.id = sha256(self.signing_bytes)
        self.sig = key.sign(self.signing_bytes)
        self.body = body

    def envelope(self, sig: bytes | None = None) -> bytes:
        return encode_checked([self.header_bytes, self.sig if sig is None else sig, self.body])


def new_event(key: Key, *, commons: bytes, seq: int, prev, deps, kind: str, body_obj) -> Event:
    body = encode_checked(body_obj)
    header = make_header(commons=commons, author=key.author, seq=seq, prev=prev, deps=deps, kind=kind, body=body)
    return Event(key, header, body)


class Chain:
    """One author's chain in one commons (spec §5)."""

    def __init__(self, key: Key, commons: bytes, seq: int = 0, prev: bytes | None = None) -> None:
        self.key, self.commons, self.seq, self.prev = key, commons, seq, prev

    def next(self, kind: str, body_obj, deps=()) -> Event:
        ev = new_event(self.key, commons=self.commons, seq=self.seq, prev=self.prev, deps=list(deps), kind=kind, body_obj=body_obj)
        self.seq += 1
        self.prev = ev.id
        return ev


# ---------------------------------------------------------------------------
# Merkle tree (RFC 6962 / RFC 9162 §2.1)
# ---------------------------------------------------------------------------


def leaf_hash(leaf_data: bytes) -> bytes:
    return sha256(b"\x00" + leaf_data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    """Merkle Tree Hash over leaf hashes (RFC 9162 §2.1.1)."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def ref_inclusion_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 §2.1.3.1), for comparison with the node's proof."""
    n = len(leaves)
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return ref_inclusion_path(m, leaves[:k]) + [mth(leaves[k:])]
    return ref_inclusion_path(m - k, leaves[k:]) + [mth(leaves[:k])]


def ref_consistency_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 9162 §2.1.4.1)."""

    def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
        n = len(d)
        if m == n:
            return [] if b else [mth(d)]
        k = _split(n)
        if m <= k:
            return subproof(m, d[:k], b) + [mth(d[k:])]
        return subproof(m - k, d[k:], False) + [mth(d[:k])]

    return subproof(m, leaves, True)


def verify_inclusion(index: int, size: int, lh: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, lh
    for p in path:
        if sn == 0:
            return False
        if (fn & 1) or fn == sn:
            r = node_hash(p, r)
            if not (fn & 1):
                while not (fn & 1) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, step by step (first == second: empty proof, equal roots)."""
    if first > second:
        return False
    if first == second:
        return not path and first_hash == second_hash
    if first == 0:
        return False  # RFC 9162 defines proofs for 0 < first < second only
    if not path:
        return False
    path = list(path)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if (fn & 1) or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not (fn & 1):
                while not (fn & 1) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def self_test_merkle() -> None:
    # Full cross-check of verifier against reference proof generation, plus
    # the RFC 6962 empty-tree and known-answer values.
    check(mth([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty root")
    check(leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "RFC 6962 empty leaf")
    leaves = [leaf_hash(bytes([i])) for i in range(20)]
    for n in range(1, 21):
        root = mth(leaves[:n])
        for i in range(n):
            p = ref_inclusion_path(i, leaves[:n])
            check(verify_inclusion(i, n, leaves[i], p, root), f"merkle self-test inclusion {i}/{n}")
            if p:
                bad = list(p)
                bad[0] = sha256(bad[0])
                check(not verify_inclusion(i, n, leaves[i], bad, root), "merkle self-test: bad inclusion accepted")
        for m in range(1, n):
            p = ref_consistency_proof(m, leaves[:n])
            check(verify_consistency(m, n, mth(leaves[:m]), root, p), f"merkle self-test consistency {m}->{n}")
            bad = list(p)
            bad[-1] = sha256(bad[-1])
            check(not verify_consistency(m, n, mth(leaves[:m]), root, bad), "merkle self-test: bad consistency accepted")


# ---------------------------------------------------------------------------
# Checkpoints: C2SP signed note + tlog-checkpoint (spec §7)
# ---------------------------------------------------------------------------

SIG_PREFIX = "\u2014 "  # em dash, space


def note_key_id(name: str, author_key: bytes) -> bytes:
    # spec §7: key_id = SHA-256(key name || 0x0A || 0x01 || public key)[0..4],
    # "public key" being the 32-byte Ed25519 key (author key = 0x01 || public key).
    return sha256(name.encode("utf-8") + b"\x0a" + b"\x01" + author_key[1:])[:4]


class Checkpoint:
    def __init__(self, raw: str, origin: str, size: int, root: bytes, sigs: list) -> None:
        self.raw, self.origin, self.size, self.root, self.sigs = raw, origin, size, root, sigs


def parse_and_verify_checkpoint(raw: str, commons_id: bytes, sequencer: bytes) -> Checkpoint:
    check(raw.endswith("\n"), "checkpoint note does not end with a newline")
    split = raw.rfind("\n\n")
    check(split > 0, "checkpoint note has no blank line before its signatures")
    text = raw[: split + 1]
    sig_lines = raw[split + 2 :].split("\n")
    check(sig_lines[-1] == "", "signature block must end with newline")
    sig_lines = sig_lines[:-1]
    check(sig_lines, "checkpoint has no signature lines")
    lines = text.split("\n")[:-1]
    check(len(lines) >= 3, f"checkpoint text has {len(lines)} lines, want at least 3")
    origin, size_s, root_s = lines[0], lines[1], lines[2]
    want_origin = "commons/" + commons_id.hex()
    check(origin == want_origin, f"checkpoint origin {origin!r}, want {want_origin!r}")
    check(re.fullmatch(r"0|[1-9][0-9]*", size_s) is not None, f"checkpoint size {size_s!r} is not canonical decimal")
    size = int(size_s)
    try:
        root = base64.b64decode(root_s, validate=True)
    except Exception:
        raise Failure(f"checkpoint root {root_s!r} is not standard base64") from None
    check(len(root) == 32 and base64.b64encode(root).decode() == root_s, "checkpoint root is not 32 bytes in standard base64")

    want_id = note_key_id(origin, sequencer)
    sigs, verified = [], False
    for line in sig_lines:
        check(line.startswith(SIG_PREFIX), f"bad signature line {line!r}")
        parts = line[len(SIG_PREFIX) :].split(" ")
        check(len(parts) == 2, f"bad signature line {line!r}")
        name, b64 = parts
        blob = base64.b64decode(b64, validate=True)
        check(len(blob) >= 5, "signature too short")
        sigs.append((name, blob[:4], blob[4:]))
        if name == origin and blob[:4] == want_id and len(blob) == 68:
            check(ed25519_verify(sequencer, blob[4:], text.encode("utf-8")), "sequencer signature on the checkpoint does not verify")
            verified = True
    check(verified, f"no signature by key name {origin!r} with key id {want_id.hex()} (sequencer key); lines: {sig_lines}")
    return Checkpoint(raw, origin, size, root, sigs)


def self_test_note() -> None:
    k = Key()
    cid = sha256(b"x")
    origin = "commons/" + cid.hex()
    text = f"{origin}\n5\n{base64.b64encode(sha256(b'r')).decode()}\n"
    sig = k.sign(text.encode())
    raw = text + "\n" + SIG_PREFIX + origin + " " + base64.b64encode(note_key_id(origin, k.author) + sig).decode() + "\n"
    cp = parse_and_verify_checkpoint(raw, cid, k.author)
    check(cp.size == 5, "note self-test")
    try:
        parse_and_verify_checkpoint(raw.replace("\n5\n", "\n6\n"), cid, k.author)
    except Failure:
        return
    raise Failure("note self-test: altered checkpoint accepted")


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------


class Node:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def request(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None):
        for attempt in range(30):
            req = urllib.request.Request(self.base + path, data=body, method=method)
            if ctype:
                req.add_header("Content-Type", ctype)
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    return resp.status, resp.headers, resp.read()
            except urllib.error.HTTPError as e:
                data = e.read()
                if e.code in (429, 503) and attempt < 29:
                    wait = float(e.headers.get("Retry-After") or 1)
                    time.sleep(min(max(wait, 0.2), 5))
                    continue
                return e.code, e.headers, data
        raise Failure(f"{method} {path}: still rate limited / overloaded")

    def get_json(self, path: str):
        status, headers, data = self.request("GET", path)
        check(status == 200, f"GET {path}: HTTP {status}: {data[:300]!r}")
        check(headers.get("Content-Type", "").startswith("application/json"), f"GET {path}: content type {headers.get('Content-Type')}")
        return json.loads(data)

    def get_bytes(self, path: str, ctype_prefix: str) -> bytes:
        status, headers, data = self.request("GET", path)
        check(status == 200, f"GET {path}: HTTP {status}: {data[:300]!r}")
        ct = headers.get("Content-Type", "")
        check(ct.startswith(ctype_prefix), f"GET {path}: content type {ct!r}, want {ctype_prefix}")
        return data

    def post_envelope(self, env: bytes):
        status, headers, data = self.request("POST", "/api/v1/events", env, "application/cbor")
        ct = headers.get("Content-Type", "")
        check(ct.startswith("application/json"), f"POST /api/v1/events: HTTP {status}, content type {ct!r}: {data[:300]!r}")
        return status, json.loads(data)


def submit(node: Node, ev: Event, what: str, expect_status: str = "sequenced") -> dict:
    status, ans = node.post_envelope(ev.envelope())
    check(status in (200, 202), f"{what}: node refused it: HTTP {status} {ans}")
    check(set(ans) >= {"id", "status", "index"}, f"{what}: answer lacks id/status/index: {ans}")
    check(ans["id"] == ev.id.hex(), f"{what}: node computed id {ans['id']}, spec gives {ev.id.hex()}")
    check(ans["status"] == expect_status, f"{what}: status {ans['status']!r}, expected {expect_status!r} ({ans})")
    if ans["status"] == "sequenced":
        check(status == 200 and isinstance(ans["index"], int), f"{what}: sequenced but HTTP {status} / index {ans['index']!r}")
    else:
        check(ans["index"] is None, f"{what}: pending but index {ans['index']!r}")
    ok(f"{what}: id {ans['id'][:16]}… status {ans['status']} index {ans['index']}")
    return ans


# ---------------------------------------------------------------------------
# Full ledger verification (used online and again offline on the export)
# ---------------------------------------------------------------------------


class Verified:
    def __init__(self) -> None:
        self.leaf_hashes: list[bytes] = []
        self.ids: list[bytes] = []
        self.index_of: dict[bytes, int] = {}
        self.bodies: dict[bytes, object] = {}
        self.authors: dict[bytes, tuple[int, bytes]] = {}
        self.leaf_data: list[bytes] = []
        self.kinds: dict[str, int] = {}


def verify_ledger(entries_cbor: bytes, cp: Checkpoint, commons_id: bytes, sequencer: bytes) -> Verified:
    try:
        envelopes = cbor_decode(entries_cbor)
    except CborError as e:
        raise Failure(f"entries are not deterministic CBOR: {e}") from None
    check(isinstance(envelopes, list), "entries: not a CBOR array")
    check(len(envelopes) == cp.size, f"entries: {len(envelopes)} envelopes, checkpoint size {cp.size}")
    v = Verified()
    last_tick = -1
    for i, env in enumerate(envelopes):
        where = f"leaf {i}"
        check(isinstance(env, list) and len(env) == 3, f"{where}: envelope is not a 3-array")
        hb, sig, body = env
        check(isinstance(hb, bytes), f"{where}: header is not bstr")
        check(isinstance(sig, bytes) and len(sig) == 64, f"{where}: signature is not bstr(64)")
        check(body is None or isinstance(body, bytes), f"{where}: body is neither bstr nor null")
        try:
            h = cbor_decode(hb)
        except CborError as e:
            raise Failure(f"{where}: header not deterministic CBOR: {e}") from None
        check(isinstance(h, list) and len(h) == 10, f"{where}: header is not a 10-array")
        version, commons, author, seq, prev, deps, t, kind, body_len, body_hash = h
        check(version == 1, f"{where}: version {version!r}")
        check(isinstance(commons, bytes), f"{where}: commons not bstr")
        if i == 0:
            check(commons == b"", f"{where}: genesis must have commons = h''")
        else:
            check(commons == commons_id, f"{where}: names commons {commons.hex()}, want {commons_id.hex()}")
        check(isinstance(author, bytes) and len(author) == 33 and author[0] == 1, f"{where}: bad author key")
        if author not in v.authors:
            check(not is_small_order(author[1:]), f"{where}: author key {author.hex()} is of small order")
        check(isinstance(seq, int) and seq >= 0, f"{where}: bad seq")
        check((prev is None) == (seq == 0), f"{where}: prev must be null iff seq = 0")
        check(prev is None or (isinstance(prev, bytes) and len(prev) == 32), f"{where}: bad prev")
        check(isinstance(deps, list) and len(deps) <= MAX_DEPS, f"{where}: bad deps")
        check(all(isinstance(d, bytes) and len(d) == 32 for d in deps), f"{where}: deps must be bstr(32)")
        check(all(a < b for a, b in zip(deps, deps[1:])), f"{where}: deps not strictly ascending")
        check(isinstance(t, int) and t >= 0, f"{where}: bad time")
        check(isinstance(kind, str) and KIND_RE.match(kind) is not None, f"{where}: bad kind {kind!r}")
        check(isinstance(body_len, int) and 0 <= body_len <= MAX_BODY, f"{where}: bad body_len")
        check(isinstance(body_hash, bytes) and len(body_hash) == 32, f"{where}: bad body_hash")

        signing = EVENT_DOMAIN + hb
        eid = sha256(signing)
        check(ed25519_verify(author, sig, signing), f"{where}: signature does not verify (id {eid.hex()})")
        check(eid not in v.index_of, f"{where}: duplicate event {eid.hex()}")

        # author chain (spec §5)
        last = v.authors.get(author)
        if last is None:
            check(seq == 0, f"{where}: author {author.hex()[:18]}… starts its chain at seq {seq}")
        else:
            check(seq == last[0] + 1, f"{where}: seq {seq} after {last[0]}")
            check(prev == last[1], f"{where}: prev {prev.hex() if prev else None} does not name the author's previous event {last[1].hex()}")
        v.authors[author] = (seq, eid)
        # ledger order extends causal order (spec §6)
        for d in deps:
            check(d in v.index_of, f"{where}: dep {d.hex()} is not earlier in the ledger")

        if body is not None:
            check(len(body) == body_len, f"{where}: body length {len(body)} != body_len {body_len}")
            check(sha256(body) == body_hash, f"{where}: body hash mismatch")
            try:
                b = cbor_decode(body)
            except CborError as e:
                raise Failure(f"{where}: body not deterministic CBOR: {e}") from None
            v.bodies[eid] = b
            if kind == "ledger.tick":
                check(author == sequencer, f"{where}: ledger.tick not by the sequencer")
                check(isinstance(b, dict) and isinstance(b.get("time"), int), f"{where}: bad tick body")
                check(b["time"] >= last_tick, f"{where}: ledger time goes backwards")
                last_tick = b["time"]
        if i == 0:
            check(kind == "commons.genesis" and seq == 0, f"{where}: leaf 0 is not a genesis")
            check(eid == commons_id, f"{where}: genesis id {eid.hex()} is not the commons id")
            check(body is not None, "genesis body withheld")
            g = v.bodies[eid]
            check(g.get("sequencer") == sequencer, "genesis does not name the node's sequencer key")
            for key in ("name", "maintainers", "threshold", "sequencer", "licence", "parent"):
                check(key in g, f"genesis body lacks {key!r}")
        else:
            check(kind != "commons.genesis", f"{where}: second genesis")

        ld = cbor_encode([hb, sig])  # spec §6 leaf data
        v.leaf_data.append(ld)
        v.leaf_hashes.append(leaf_hash(ld))
        v.ids.append(eid)
        v.index_of[eid] = i
        v.kinds[kind] = v.kinds.get(kind, 0) + 1
    root = mth(v.leaf_hashes)
    check(root == cp.root, f"recomputed root {root.hex()} != checkpoint root {cp.root.hex()} (size {cp.size})")
    return v


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def wait_checkpoint(node: Node, cid: bytes, sequencer: bytes, min_size: int) -> Checkpoint:
    deadline = time.time() + 30
    while True:
        raw = node.get_bytes(f"/api/v1/commons/{cid.hex()}/checkpoint", "text/plain").decode("utf-8")
        cp = parse_and_verify_checkpoint(raw, cid, sequencer)
        if cp.size >= min_size:
            return cp
        check(time.time() < deadline, f"checkpoint stuck at size {cp.size}, want >= {min_size}")
        time.sleep(0.2)


def fetch_entries(node: Node, cid: bytes, a: int, b: int) -> bytes:
    return node.get_bytes(f"/api/v1/commons/{cid.hex()}/entries?from={a}&to={b}", "application/cbor")


def check_all_proofs(node: Node, cid: bytes, v: Verified, cp: Checkpoint) -> None:
    n = cp.size
    for i in range(n):
        p = node.get_json(f"/api/v1/commons/{cid.hex()}/proof/inclusion?index={i}&size={n}")
        check(p.get("index") == i and p.get("size") == n, f"inclusion proof answer {p}")
        path = [bytes.fromhex(h) for h in p["hashes"]]
        check(verify_inclusion(i, n, v.leaf_hashes[i], path, cp.root), f"inclusion proof of leaf {i} in size {n} does not verify")
        check(path == ref_inclusion_path(i, v.leaf_hashes), f"inclusion proof of leaf {i} differs from RFC 9162 PATH()")
        bad = list(path)
        if bad:
            bad[-1] = sha256(bad[-1])
            check(not verify_inclusion(i, n, v.leaf_hashes[i], bad, cp.root), "tampered inclusion proof accepted")
    ok(f"{n} inclusion proofs verify against the checkpoint root (and equal RFC 9162 PATH)")


def main(base: str) -> int:
    node = Node(base)

    step("self-tests of the independent CBOR, Merkle and signed-note code")
    self_test_cbor()
    self_test_merkle()
    self_test_note()
    self_test_ed25519()
    ok("CBOR vectors, RFC 9162 proof round trips, note round trip, Ed25519/ZIP-215")

    step("GET /api/v1/node: learn the sequencer key")
    info = node.get_json("/api/v1/node")
    seq_hex = info.get("sequencer")
    check(isinstance(seq_hex, str) and re.fullmatch(r"01[0-9a-f]{64}", seq_hex or "") is not None, f"bad sequencer key {seq_hex!r}")
    sequencer = bytes.fromhex(seq_hex)
    check(info.get("accepts_new_commons") is True, f"node does not accept new commons: {info}")
    ok(f"sequencer {seq_hex}")

    step("create fresh Ed25519 keys")
    alice, bob = Key(), Key()
    ok(f"alice {alice.author.hex()}")
    ok(f"bob   {bob.author.hex()}")

    step("submit commons.genesis (spec §9)")
    gbody = {
        "name": f"interop test {os.getpid()} {time.time_ns()}",
        "maintainers": [alice.author],
        "threshold": 1,
        "sequencer": sequencer,
        "licence": "MIT",
        "parent": None,
    }
    genesis = new_event(alice, commons=b"", seq=0, prev=None, deps=[], kind="commons.genesis", body_obj=gbody)
    print(f"    genesis header {genesis.header_bytes.hex()}")
    ans = submit(node, genesis, "genesis")
    check(ans["index"] == 0, f"genesis index {ans['index']}, spec §6 says leaf 0")
    cid = genesis.id
    listed = node.get_json("/api/v1/commons")
    check(any(c.get("id") == cid.hex() for c in listed), "GET /api/v1/commons does not list the new commons")
    ok(f"commons id {cid.hex()} is listed")

    step("submit agent.profile events chained by seq/prev (docs/events.md)")
    # The genesis is alice's event at seq 0 in this commons (it is leaf 0 of the
    # commons' ledger), so her next event is seq 1 with prev = genesis id.
    a = Chain(alice, cid, seq=1, prev=genesis.id)
    b = Chain(bob, cid)
    a1 = a.next("agent.profile", {"name": "Alice", "kind": "person"})
    submit(node, a1, "alice seq 1 (prev = genesis)")
    a2 = a.next("agent.profile", {"name": "Alice Interop", "kind": "person"})
    submit(node, a2, "alice seq 2")
    b0 = b.next("agent.profile", {"name": "Bob's co-op", "kind": "organisation"})
    submit(node, b0, "bob seq 0")
    b1 = b.next("agent.profile", {"name": "Bob", "kind": "person"}, deps=[a2.id, genesis.id, a1.id])
    check(b1.header[5] == sorted([a2.id, genesis.id, a1.id]), "deps not sorted")
    submit(node, b1, "bob seq 1 with 3 deps")

    step("submit out of order: bob seq 3 before seq 2 is pending, then both sequence (spec §5)")
    b2 = b.next("agent.profile", {"name": "Bob B.", "kind": "person"})
    b3 = b.next("agent.profile", {"name": "Bob Bee", "kind": "person"}, deps=[b0.id])
    submit(node, b3, "bob seq 3 (prev unknown yet)", expect_status="pending")
    submit(node, b2, "bob seq 2")
    deadline = time.time() + 20
    while True:
        st = node.get_json(f"/api/v1/commons/{cid.hex()}/events/{b3.id.hex()}")
        if st.get("status") == "sequenced" or isinstance(st.get("index"), int):
            break
        check(time.time() < deadline, f"bob seq 3 still not sequenced: {st}")
        time.sleep(0.2)
    ok(f"bob seq 3 sequenced at index {st.get('index')} once its prev arrived")

    step("resubmit the same envelope: same id and answer")
    s1, r1 = node.post_envelope(a1.envelope())
    s2, r2 = node.post_envelope(a1.envelope())
    check(s1 == s2 == 200 and r1 == r2, f"resubmission answers differ: {s1} {r1} / {s2} {r2}")
    check(r1["id"] == a1.id.hex() and r1["status"] == "sequenced", f"resubmission answer {r1}")
    ok(f"HTTP {s1} {r1}")

    step("tampered envelopes (flipped signature byte) are refused with 4xx JSON {code}")
    a3 = a.next("agent.profile", {"name": "Alice III", "kind": "person"})
    bad_sig = bytearray(a3.sig)
    bad_sig[10] ^= 0x01
    status, ans = node.post_envelope(a3.envelope(bytes(bad_sig)))
    check(400 <= status < 500 and isinstance(ans.get("code"), str), f"fresh tampered event: HTTP {status} {ans}")
    ok(f"fresh event, bad signature: HTTP {status} code={ans['code']!r}")
    submit(node, a3, "same event with the correct signature (nothing was stored)")
    bad_sig = bytearray(a1.sig)
    bad_sig[0] ^= 0x80
    status, ans = node.post_envelope(a1.envelope(bytes(bad_sig)))
    check(400 <= status < 500 and isinstance(ans.get("code"), str),
          f"already-sequenced event re-sent with a bad signature was not refused: HTTP {status} {ans}")
    ok(f"known event, bad signature: HTTP {status} code={ans['code']!r}")
    bad_env = bytearray(b0.envelope())
    bad_env[-1] ^= 0x01  # last body byte: body_hash mismatch
    status, ans = node.post_envelope(bytes(bad_env))
    check(400 <= status < 500 and isinstance(ans.get("code"), str), f"tampered body: HTTP {status} {ans}")
    ok(f"known event, tampered body: HTTP {status} code={ans['code']!r}")

    step("events breaking other MUSTs of the spec are refused with 4xx JSON {code}")

    def refuse(what: str, header_bytes: bytes, body: bytes, key: Key | None = None, sig: bytes | None = None) -> None:
        if sig is None:
            sig = key.sign(EVENT_DOMAIN + header_bytes)
        env = cbor_encode([header_bytes, sig, body])
        status, ans = node.post_envelope(env)
        check(400 <= status < 500 and isinstance(ans.get("code"), str),
              f"{what}: not refused: HTTP {status} {ans}; envelope {env.hex()}")
        ok(f"{what}: HTTP {status} code={ans['code']!r}")

    pbody = cbor_encode({"name": "Alice V", "kind": "person"})
    base = make_header(commons=cid, author=alice.author, seq=a.seq, prev=a.prev, deps=[], kind="agent.profile", body=pbody)
    # §1: a header with a non-shortest integer (version 1 written as 0x18 0x01)
    hb = cbor_encode(base)
    check(hb[:2] == b"\x8a\x01", "unexpected header start")
    refuse("header with version encoded as 0x1801 (not shortest form)", b"\x8a\x18\x01" + hb[2:], pbody, alice)
    # §1: a body whose map keys are not in bytewise order ("name" before "kind")
    unsorted = b"\xa2" + cbor_encode("name") + cbor_encode("Alice V") + cbor_encode("kind") + cbor_encode("person")
    h = list(base)
    h[8], h[9] = len(unsorted), sha256(unsorted)
    refuse("body with unsorted map keys", cbor_encode(h), unsorted, alice)
    # §2: deps must be strictly ascending
    h = list(base)
    h[5] = sorted([a1.id, a2.id], reverse=True)
    refuse("deps in descending order", cbor_encode(h), pbody, alice)
    # §2: body_hash must be the SHA-256 of the body
    h = list(base)
    h[9] = sha256(b"something else")
    refuse("body_hash of another body", cbor_encode(h), pbody, alice)
    # §11: time at most 10 minutes ahead of the node's clock
    h = list(base)
    h[6] = int(time.time() * 1000) + 11 * 60 * 1000
    refuse("time 11 minutes in the future", cbor_encode(h), pbody, alice)
    # §2: prev must name the author's event at seq - 1
    h = list(base)
    h[4] = b1.id
    refuse("prev naming another author's event", cbor_encode(h), pbody, alice)
    # §3: an event signed for another commons cannot be replayed here
    other = make_header(commons=sha256(b"another commons"), author=alice.author, seq=a.seq, prev=a.prev, deps=[], kind="agent.profile", body=pbody)
    refuse("header naming another commons", cbor_encode(other), pbody, alice)
    # §1: a node MUST refuse an author key of small order. With A = identity
    # (y = 1), R = identity and S = 0 the ZIP-215 equation [8]SB = [8]R + [8]kA
    # holds for every message, so this signature is "valid" under ZIP-215.
    ident = b"\x01" + b"\x00" * 31
    so_author = b"\x01" + ident
    h = make_header(commons=cid, author=so_author, seq=0, prev=None, deps=[], kind="agent.profile", body=pbody)
    refuse("author key of small order (identity point)", cbor_encode(h), pbody, sig=ident + b"\x00" * 32)
    # §10: ledger.tick is for the sequencer only
    tbody = cbor_encode({"time": int(time.time() * 1000)})
    h = make_header(commons=cid, author=alice.author, seq=a.seq, prev=a.prev, deps=[], kind="ledger.tick", body=tbody)
    refuse("ledger.tick by a non-sequencer", cbor_encode(h), tbody, alice)

    step("checkpoint 1: read and verify the sequencer's signature (spec §7)")
    mine = [genesis, a1, a2, a3, b0, b1, b2, b3]
    idx = {}
    for ev in mine:
        st = node.get_json(f"/api/v1/commons/{cid.hex()}/events/{ev.id.hex()}")
        check(isinstance(st.get("index"), int), f"event {ev.id.hex()} has no index: {st}")
        idx[ev.id] = st["index"]
    cp1 = wait_checkpoint(node, cid, sequencer, max(idx.values()) + 1)
    print("    " + cp1.raw.replace("\n", "\n    ").rstrip())
    ok(f"size {cp1.size} root {cp1.root.hex()} signed by {cp1.origin} key id {note_key_id(cp1.origin, sequencer).hex()}")

    step("export the ledger (entries 0..size) and re-verify everything")
    entries1 = fetch_entries(node, cid, 0, cp1.size)
    v1 = verify_ledger(entries1, cp1, cid, sequencer)
    for ev in mine:
        i = v1.index_of.get(ev.id)
        check(i == idx[ev.id], f"event {ev.id.hex()} at ledger index {i}, node said {idx[ev.id]}")
        check(v1.leaf_data[i] == cbor_encode([ev.header_bytes, ev.sig]), f"leaf {i} bytes differ from what we signed")
    check(v1.index_of[b2.id] < v1.index_of[b3.id], "pending event sequenced before its prev")
    ok(f"{cp1.size} envelopes: headers canonical, signatures, author chains, deps order, bodies, root all verify; kinds {v1.kinds}")
    check_all_proofs(node, cid, v1, cp1)

    step("submit more events, then checkpoint 2")
    a4 = a.next("agent.profile", {"name": "Alice IV", "kind": "person"}, deps=[b3.id])
    b4 = b.next("agent.profile", {"name": "Bob IV", "kind": "organisation"}, deps=[a4.id, a3.id])
    carol = Key()
    c = Chain(carol, cid)
    c0 = c.next("agent.profile", {"name": "Carol", "kind": "person"})
    for ev, what in ((a4, "alice seq 4"), (b4, "bob seq 4"), (c0, "carol seq 0")):
        ans = submit(node, ev, what)
        idx[ev.id] = ans["index"]
    cp2 = wait_checkpoint(node, cid, sequencer, max(idx.values()) + 1)
    check(cp2.size > cp1.size, "checkpoint 2 not larger")
    ok(f"checkpoint 2: size {cp2.size} root {cp2.root.hex()}")
    entries2 = fetch_entries(node, cid, 0, cp2.size)
    v2 = verify_ledger(entries2, cp2, cid, sequencer)
    check(v2.leaf_hashes[: cp1.size] == v1.leaf_hashes, "first leaves changed between checkpoints")
    ok(f"{cp2.size} envelopes re-verified")

    step(f"consistency proof {cp1.size} -> {cp2.size} (RFC 9162 §2.1.4)")
    p = node.get_json(f"/api/v1/commons/{cid.hex()}/proof/consistency?from={cp1.size}&to={cp2.size}")
    check(p.get("from") == cp1.size and p.get("to") == cp2.size, f"consistency answer {p}")
    path = [bytes.fromhex(h) for h in p["hashes"]]
    check(verify_consistency(cp1.size, cp2.size, cp1.root, cp2.root, path), "consistency proof between the two checkpoints does not verify")
    bad = list(path)
    bad[0] = sha256(bad[0])
    check(not verify_consistency(cp1.size, cp2.size, cp1.root, cp2.root, bad), "tampered consistency proof accepted")
    ok(f"{len(path)} hashes; checkpoint 1 is a prefix of checkpoint 2")
    for m in range(1, cp2.size + 1):
        p = node.get_json(f"/api/v1/commons/{cid.hex()}/proof/consistency?from={m}&to={cp2.size}")
        path = [bytes.fromhex(h) for h in p["hashes"]]
        check(verify_consistency(m, cp2.size, mth(v2.leaf_hashes[:m]), cp2.root, path), f"consistency {m} -> {cp2.size} does not verify")
        if m < cp2.size:
            check(path == ref_consistency_proof(m, v2.leaf_hashes), f"consistency {m} -> {cp2.size} differs from RFC 9162 PROOF()")
    ok(f"every consistency proof m -> {cp2.size} for 1 <= m <= {cp2.size} verifies (and equals RFC 9162 PROOF)")
    check_all_proofs(node, cid, v2, cp2)

    step("offline: save the export, then re-verify it from disk only")
    with tempfile.TemporaryDirectory() as d:
        ep, cpp = os.path.join(d, "entries.cbor"), os.path.join(d, "checkpoint.txt")
        with open(ep, "wb") as f:
            f.write(entries2)
        with open(cpp, "w", encoding="utf-8", newline="") as f:
            f.write(cp2.raw)
        with open(ep, "rb") as f:
            data = f.read()
        with open(cpp, encoding="utf-8", newline="") as f:
            raw = f.read()
    # Everything needed: the bytes, the checkpoint and the sequencer key; the
    # commons id is leaf 0's id, bound to the checkpoint origin.
    first_header = cbor_decode(cbor_decode(data)[0][0])
    offline_cid = event_id(cbor_encode(first_header))
    offline_cp = parse_and_verify_checkpoint(raw, offline_cid, sequencer)
    vo = verify_ledger(data, offline_cp, offline_cid, sequencer)
    ok(f"offline re-verification of {offline_cp.size} events succeeded")
    # Negative controls: the verifier must notice tampering.
    envs = cbor_decode(data)
    controls = []
    e = [list(x) for x in envs]
    hb = bytearray(e[1][0])
    hb[-1] ^= 1  # last byte of body_hash: header changes, signature no longer matches
    e[1][0] = bytes(hb)
    controls.append(("header byte flipped", cbor_encode(e)))
    e = [list(x) for x in envs]
    e[2], e[3] = e[3], e[2]
    controls.append(("two leaves swapped", cbor_encode(e)))
    e = [list(x) for x in envs]
    if e[-1][2] is not None:
        e[-1][2] = e[-1][2] + b"\x00"
        controls.append(("body bytes appended", cbor_encode(e)))
    for what, blob in controls:
        try:
            verify_ledger(blob, offline_cp, offline_cid, sequencer)
        except Failure as ex:
            ok(f"tampered export rejected ({what}): {ex}")
            continue
        raise Failure(f"offline verifier accepted a tampered export ({what})")
    # A withheld body changes no hash (spec §4, §6).
    e = [list(x) for x in envs]
    e[-1][2] = None
    verify_ledger(cbor_encode(e), offline_cp, offline_cid, sequencer)
    ok("a withheld (null) body still verifies: bodies are outside the tree")
    del vo

    step("tlog-tiles view (spec §8, c2sp.org/tlog-tiles)")
    raw = node.get_bytes(f"/api/v1/commons/{cid.hex()}/tlog/checkpoint", "text/plain").decode("utf-8")
    tcp = parse_and_verify_checkpoint(raw, cid, sequencer)
    check(tcp.size >= cp2.size, "tlog checkpoint older than checkpoint 2")
    if tcp.size != cp2.size:
        p = node.get_json(f"/api/v1/commons/{cid.hex()}/proof/consistency?from={cp2.size}&to={tcp.size}")
        check(verify_consistency(cp2.size, tcp.size, cp2.root, tcp.root, [bytes.fromhex(h) for h in p["hashes"]]), "tlog checkpoint not consistent")
        entries3 = fetch_entries(node, cid, 0, tcp.size)
        vt = verify_ledger(entries3, tcp, cid, sequencer)
    else:
        vt = v2
    n = tcp.size
    check(n < 256 * 256, "test ledger unexpectedly large")

    def tile_index(k: int) -> str:
        # c2sp.org/tlog-tiles: zero-padded 3-digit elements, all but the last prefixed "x"
        s = str(k)
        s = s.zfill((len(s) + 2) // 3 * 3)
        groups = [s[j : j + 3] for j in range(0, len(s), 3)]
        return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])

    def tile_path(level, k, width):
        return f"{level}/{tile_index(k)}" + (f".p/{width}" if width < 256 else "")

    tiled_hashes: list[bytes] = []
    tiled_entries: list[bytes] = []
    for k in range((n + 255) // 256):
        width = min(256, n - 256 * k)
        t = node.get_bytes(f"/api/v1/commons/{cid.hex()}/tlog/tile/{tile_path(0, k, width)}", "application/octet-stream")
        check(len(t) == 32 * width, f"level-0 tile {k}: {len(t)} bytes, want {32 * width}")
        tiled_hashes += [t[j : j + 32] for j in range(0, len(t), 32)]
        bundle = node.get_bytes(f"/api/v1/commons/{cid.hex()}/tlog/tile/{tile_path('entries', k, width)}", "application/octet-stream")
        pos = 0
        while pos < len(bundle):
            check(pos + 2 <= len(bundle), "entry bundle truncated")
            ln = int.from_bytes(bundle[pos : pos + 2], "big")
            tiled_entries.append(bundle[pos + 2 : pos + 2 + ln])
            pos += 2 + ln
        check(pos == len(bundle), "entry bundle truncated")
    if n >= 256:
        w1 = n // 256
        t = node.get_bytes(f"/api/v1/commons/{cid.hex()}/tlog/tile/{tile_path(1, 0, w1)}", "application/octet-stream")
        check(all(t[32 * j : 32 * j + 32] == mth(vt.leaf_hashes[256 * j : 256 * j + 256]) for j in range(w1)), "level-1 tile mismatch")
    check(tiled_hashes == vt.leaf_hashes, "level-0 tiles differ from the recomputed leaf hashes")
    check(len(tiled_entries) == n, f"entry bundles hold {len(tiled_entries)} entries, want {n}")
    check(tiled_entries == vt.leaf_data, "entry bundle entries differ from the leaf data [header_bytes, signature]")
    check(mth([leaf_hash(x) for x in tiled_entries]) == tcp.root, "root from entry bundles differs")
    ok(f"tiles and entry bundles of {n} leaves match the leaf data, leaf hashes and checkpoint root")

    if ZIP215_ONLY:
        print(f"note: {len(ZIP215_ONLY)} signature(s) were valid under ZIP-215 (the spec's rule) but not RFC 8032 strict")
    print("\nPASS: an independent client created a commons, submitted events and verified everything the node served.")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        print("usage: spec_client.py <node base URL>", file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(main(sys.argv[1]))
    except Failure as e:
        print(f"\nFAIL: {e}", file=sys.stderr)
        sys.exit(1)
    except (urllib.error.URLError, ConnectionError) as e:
        print(f"\nFAIL: cannot talk to the node: {e}", file=sys.stderr)
        sys.exit(1)
