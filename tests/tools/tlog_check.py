#!/usr/bin/env python3
"""Independent check of acta's register log, from its files alone.

A second implementation, written from the specifications and not from acta's
Rust code, of:
- RFC 6962 section 2.1: MTH, PATH (inclusion proofs), SUBPROOF (consistency
  proofs);
- RFC 9162 sections 2.1.3.2 and 2.1.4.2: proof verification;
- C2SP tlog-tiles: tile paths, hash tiles, entry bundles;
- C2SP tlog-checkpoint: the checkpoint body (the Ed25519 signature is not
  checked here: the standard library has no Ed25519; the Rust tests check it).

Usage: tlog_check.py STORE_DIR [PROOFS_JSON]
  STORE_DIR   the local object store directory (holding log/...)
  PROOFS_JSON {"inclusion": [{"index", "size", "proof": [hex]}],
               "consistency": [{"old", "new", "proof": [hex]}]}
               proofs made by acta, checked and compared with ours.
Prints what it checked; exits 1 with a message on the first discrepancy.
Standard library only.
"""

import base64
import hashlib
import json
import os
import sys


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def sha256(b):
    return hashlib.sha256(b).digest()


def hash_leaf(data):
    return sha256(b"\x00" + data)


def hash_children(left, right):
    return sha256(b"\x01" + left + right)


def largest_power_of_two_below(n):
    """k such that k < n <= 2k (RFC 6962: the split point)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes):
    """RFC 6962 Merkle Tree Hash over already-hashed leaves."""
    n = len(hashes)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return hashes[0]
    k = largest_power_of_two_below(n)
    return hash_children(mth(hashes[:k]), mth(hashes[k:]))


def path(m, hashes):
    """RFC 6962 PATH(m, D[n])."""
    n = len(hashes)
    if n <= 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return path(m, hashes[:k]) + [mth(hashes[k:])]
    return path(m - k, hashes[k:]) + [mth(hashes[:k])]


def subproof(m, hashes, b):
    """RFC 6962 SUBPROOF(m, D[n], b)."""
    n = len(hashes)
    if m == n:
        return [] if b else [mth(hashes)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, hashes[:k], b) + [mth(hashes[k:])]
    return subproof(m - k, hashes[k:], False) + [mth(hashes[:k])]


def consistency(m, hashes):
    """RFC 6962 PROOF(m, D[n])."""
    if m == 0 or m == len(hashes):
        return []
    return subproof(m, hashes, True)


def verify_inclusion(leaf_hash, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = hash_children(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, proof, first_hash, second_hash):
    """RFC 9162 section 2.1.4.2 (first < second)."""
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0 or first > second or not proof:
        return False
    proof = list(proof)
    if first & (first - 1) == 0:
        proof.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def tile_index_path(n):
    """C2SP: 3-digit elements, all but the last prefixed with x."""
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n > 0:
        parts.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(parts))


def tile_path(level, index, width):
    suffix = "" if width == 256 else f".p/{width}"
    return f"tile/{level}/{tile_index_path(index)}{suffix}"


def self_test():
    leaves = [bytes.fromhex(h) for h in
              ["", "00", "10", "2021", "3031", "40414243",
               "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
    hashes = [hash_leaf(d) for d in leaves]
    roots = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
             "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
             "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
             "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
             "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
             "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
    for n, want in enumerate(roots):
        if mth(hashes[:n]).hex() != want:
            fail(f"self-test: root of {n} reference leaves")
    want = ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
    if [h.hex() for h in path(0, hashes)] != want:
        fail("self-test: inclusion proof of leaf 0 in 8")
    if tile_index_path(1234067) != "x001/x234/067":
        fail("self-test: tile path")


class Store:
    def __init__(self, root):
        self.root = root

    def read(self, key):
        p = os.path.join(self.root, *key.split("/"))
        if not os.path.isfile(p):
            return None
        with open(p, "rb") as f:
            return f.read()

    def must(self, key):
        b = self.read(key)
        if b is None:
            fail(f"{key} missing")
        return b


def parse_checkpoint(note):
    text = note.decode("utf-8")
    cut = text.rfind("\n\n")
    if cut < 0:
        fail("checkpoint: no signature block")
    lines = text[:cut + 1].split("\n")
    origin, size, root = lines[0], lines[1], lines[2]
    if str(int(size)) != size:
        fail("checkpoint: size not canonical")
    root = base64.b64decode(root, validate=True)
    if len(root) != 32:
        fail("checkpoint: root is not 32 bytes")
    if not text[cut + 2:].startswith("\u2014 " + origin + " "):
        fail("checkpoint: first signature is not by the origin's key name")
    return origin, int(size), root


def root_from_tiles(store, size):
    """The tree root from the hash tiles alone: the perfect subtrees the
    binary decomposition of size gives, each folded from a run of a tile."""
    tiles = {}

    def tile(level, index):
        if (level, index) not in tiles:
            count = size // 256 ** level
            width = 256 if index < count // 256 else count % 256
            body = store.must("log/" + tile_path(level, index, width))
            if len(body) != 32 * width:
                fail(f"tile {level}/{index} has {len(body)} bytes for width {width}")
            tiles[(level, index)] = [body[i:i + 32] for i in range(0, len(body), 32)]
        return tiles[(level, index)]

    peaks, start = [], 0
    for height in reversed(range(64)):
        if size & (1 << height):
            level, rest = divmod(height, 8)
            first = (start >> (8 * level))  # index among level-`level` hashes
            t = tile(level, first // 256)
            run = t[first % 256: first % 256 + (1 << rest)]
            if len(run) != 1 << rest:
                fail(f"tile {level}/{first // 256} too short")
            peaks.append(mth(run))
            start += 1 << height
    if not peaks:
        return sha256(b"")
    root = peaks.pop()
    while peaks:
        root = hash_children(peaks.pop(), root)
    return root


def main():
    self_test()
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    store = Store(sys.argv[1])
    origin, size, root = parse_checkpoint(store.must("log/checkpoint"))
    leaves = [store.must(f"log/leaves/{i:012d}") for i in range(size)]
    hashes = [hash_leaf(d) for d in leaves]
    if mth(hashes) != root:
        fail(f"the {size} leaves do not hash to the checkpoint root")
    print(f"ok: {size} leaves of {origin} hash to the checkpoint root")

    # Entry bundles and hash tiles, each recomputed from the leaves.
    checked = 0
    for index in range((size + 255) // 256):
        width = min(256, size - index * 256)
        body = store.must("log/tile/entries/" + tile_index_path(index) + ("" if width == 256 else f".p/{width}"))
        entries, pos = [], 0
        while pos < len(body):
            n = int.from_bytes(body[pos:pos + 2], "big")
            entries.append(body[pos + 2:pos + 2 + n])
            pos += 2 + n
        if entries != leaves[index * 256: index * 256 + width]:
            fail(f"entry bundle {index} differs from the leaves")
        checked += 1
    level, span = 0, 1
    while size // span > 0:
        count = size // span
        level_hashes = [mth(hashes[i * span:(i + 1) * span]) for i in range(count)]
        for index in range((count + 255) // 256):
            width = min(256, count - index * 256)
            body = store.must("log/" + tile_path(level, index, width))
            if body != b"".join(level_hashes[index * 256: index * 256 + width]):
                fail(f"tile {tile_path(level, index, width)} differs")
            checked += 1
        level, span = level + 1, span * 256
    if root_from_tiles(store, size) != root:
        fail("the tiles do not hash to the checkpoint root")
    print(f"ok: {checked} tiles and entry bundles match; the tiles alone give the root")

    # Every kept checkpoint is the root of a prefix.
    history = os.path.join(sys.argv[1], "log", "checkpoints")
    kept = sorted(os.listdir(history)) if os.path.isdir(history) else []
    for name in kept:
        o, n, r = parse_checkpoint(store.must(f"log/checkpoints/{name}"))
        if o != origin or int(name) != n or n > size or mth(hashes[:n]) != r:
            fail(f"kept checkpoint {name} is not a prefix of the log")
        if root_from_tiles(store, n) != r:
            fail(f"the tiles of size {n} do not give kept checkpoint {name}")
    print(f"ok: {len(kept)} kept checkpoints are prefixes of the log")

    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            proofs = json.load(f)
        for p in proofs.get("inclusion", []):
            i, n = p["index"], p["size"]
            got = [bytes.fromhex(h) for h in p["proof"]]
            if got != path(i, hashes[:n]):
                fail(f"inclusion proof of {i} in {n} differs from PATH")
            if not verify_inclusion(hashes[i], i, n, got, mth(hashes[:n])):
                fail(f"inclusion proof of {i} in {n} does not verify")
        for p in proofs.get("consistency", []):
            m, n = p["old"], p["new"]
            got = [bytes.fromhex(h) for h in p["proof"]]
            if got != consistency(m, hashes[:n]):
                fail(f"consistency proof {m} -> {n} differs from PROOF")
            if not verify_consistency(m, n, got, mth(hashes[:m]), mth(hashes[:n])):
                fail(f"consistency proof {m} -> {n} does not verify")
        print(f"ok: {len(proofs.get('inclusion', []))} inclusion and "
              f"{len(proofs.get('consistency', []))} consistency proofs match and verify")


if __name__ == "__main__":
    main()
