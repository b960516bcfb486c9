#!/usr/bin/env python3
"""An independent check of modelpin's audit log, standard library only.

Recomputes RFC 6962 Merkle roots from the entries (by the recursive definition of RFC 9162
section 2.1.1, not by modelpin's stored-hash layout), verifies C2SP tlog-proof inclusion proofs
and consistency proofs with the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2, and
produces proofs of its own for modelpin to verify. Signatures are not checked here: the
standard library has no Ed25519.

Usage:
  tlog_check.py root ENTRIES [SIZE]            print the base64 root of the first SIZE entries
  tlog_check.py checkpoint AUDIT_DIR           recompute the root, compare with audit/checkpoint
  tlog_check.py inclusion PROOF ENTRY_LINE     verify a tlog-proof for one entry (a file of its line)
  tlog_check.py consistency PROOF_JSON         verify `audit consistency --json` output
  tlog_check.py proofs ENTRIES                 JSON: this helper's own root per size, inclusion
                                               paths for every index and consistency paths for
                                               every old size (for small logs)
"""
import base64
import hashlib
import json
import sys


def leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """RFC 9162 2.1.1, recursively, over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    """RFC 9162 2.1.3.1 PATH(m, D[n])."""
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, b):
    """RFC 9162 2.1.4.1 SUBPROOF(m, D[n], b)."""
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = split(n)
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def walk(proof, fn, sn, join):
    """The walk RFC 9162 2.1.3.2 step 4 and 2.1.4.2 step 6 share: join(hash, from_left)."""
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            join(p, True)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            join(p, False)
        fn >>= 1
        sn >>= 1
    return sn == 0


def verify_inclusion(index, size, leaf_hash, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    r = [leaf_hash]

    def join(p, from_left):
        r[0] = node(p, r[0]) if from_left else node(r[0], p)
    return walk(proof, index, size - 1, join) and r[0] == root


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 2.1.4.2."""
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0:
        return not proof
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr, sr = [proof[0]], [proof[0]]

    def join(c, from_left):
        if from_left:
            fr[0], sr[0] = node(c, fr[0]), node(c, sr[0])
        else:
            sr[0] = node(sr[0], c)
    return walk(proof[1:], fn, sn, join) and fr[0] == first_hash and sr[0] == second_hash


def leaf_hashes(entries_path, size=None):
    hashes = []
    with open(entries_path, "rb") as f:
        for line in f:
            if size is not None and len(hashes) == size:
                break
            if not line.endswith(b"\n"):
                raise SystemExit(f"entry {len(hashes)} has no newline")
            hashes.append(leaf(line[:-1]))
    return hashes


def streaming_root(hashes):
    """The same root as mth(), folded left to right with a stack (fast for a million leaves)."""
    stack = []
    for n, h in enumerate(hashes):
        stack.append(h)
        n += 1
        while n % 2 == 0:
            right, left = stack.pop(), stack.pop()
            stack.append(node(left, right))
            n //= 2
    if not stack:
        return hashlib.sha256(b"").digest()
    r = stack.pop()
    while stack:
        r = node(stack.pop(), r)
    return r


def parse_checkpoint(text):
    body = text.split("\n\n", 1)[0].split("\n")
    return body[0], int(body[1]), base64.b64decode(body[2], validate=True)


def main(argv):
    command = argv[1]
    if command == "root":
        size = int(argv[3]) if len(argv) > 3 else None
        print(base64.b64encode(streaming_root(leaf_hashes(argv[2], size))).decode())
    elif command == "checkpoint":
        with open(argv[2] + "/checkpoint") as f:
            origin, size, root = parse_checkpoint(f.read())
        got = streaming_root(leaf_hashes(argv[2] + "/entries.jsonl", size))
        if got != root:
            raise SystemExit(f"root mismatch for {origin} at size {size}")
        print(f"ok {size}")
    elif command == "inclusion":
        with open(argv[2]) as f:
            lines = f.read().split("\n")
        if lines[0] != "c2sp.org/tlog-proof@v1":
            raise SystemExit("not a tlog-proof")
        rest = lines[1:]
        if rest[0].startswith("extra "):
            rest = rest[1:]
        index = int(rest[0][len("index "):])
        blank = rest.index("")
        proof = [base64.b64decode(h, validate=True) for h in rest[1:blank]]
        _, size, root = parse_checkpoint("\n".join(rest[blank + 1:]))
        with open(argv[3], "rb") as f:
            entry = f.read().rstrip(b"\n")
        if not verify_inclusion(index, size, leaf(entry), proof, root):
            raise SystemExit(f"inclusion proof for entry {index} does not verify")
        print(f"ok {index} {size}")
    elif command == "consistency":
        with open(argv[2]) as f:
            data = json.load(f)["proof"]
        _, size, root = parse_checkpoint(data["new"]["checkpoint"])
        old = data["old"]
        proof = [base64.b64decode(h) for h in data["hashes"]]
        if not verify_consistency(old["size"], size, base64.b64decode(old["root"]), root, proof):
            raise SystemExit("consistency proof does not verify")
        print(f"ok {old['size']} {size}")
    elif command == "proofs":
        hashes = leaf_hashes(argv[2])
        n = len(hashes)
        b64 = lambda h: base64.b64encode(h).decode()
        print(json.dumps({
            "roots": [b64(mth(hashes[:size])) for size in range(n + 1)],
            "inclusion": [[b64(h) for h in path(m, hashes)] for m in range(n)],
            "consistency": [[b64(h) for h in subproof(m, hashes, True)] if 0 < m < n else [] for m in range(n + 1)],
        }))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
