#!/usr/bin/env python3
"""Re-checks a `lode audit export` file with nothing but the Python standard
library: an auditor's check that does not trust the keeper's own code.

Each row's hash is BLAKE2b-256 over
  b"lode-audit-v1" || seq (u64 big-endian) || prev_hash (32 bytes)
  || len(entry) (u64 big-endian) || entry (the canonical JSON bytes),
row 1's prev_hash is 32 zero bytes, and each row's prev_hash is the hash of
the row before it.

Usage: audit-check.py EXPORT.json [ANCHOR_TO_SEQ ANCHOR_HASH_HEX]
Prints "ok <entries> <head hash>" and exits 0, or names the first bad
sequence and exits 1.
"""
import hashlib
import json
import struct
import sys


def link(seq, prev, entry):
    h = hashlib.blake2b(digest_size=32)
    h.update(b"lode-audit-v1")
    h.update(struct.pack(">Q", seq))
    h.update(prev)
    h.update(struct.pack(">Q", len(entry)))
    h.update(entry)
    return h.digest()


def unhex(s):
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


def main():
    export = json.load(open(sys.argv[1]))
    if export.get("format") != "lode-audit-v1" or export.get("hash") != "blake2b-256":
        print("not a lode-audit-v1 export")
        return 1
    prev, hashes = bytes(32), {}
    for expected, row in enumerate(export["rows"], start=1):
        seq = row["seq"]
        if seq != expected:
            print(f"broken at sequence {seq}: expected sequence {expected}")
            return 1
        if unhex(row["prev_hash"]) != prev:
            print(f"broken at sequence {seq}: prev_hash does not match the previous row")
            return 1
        entry = row["entry_canonical"].encode("utf-8")
        digest = link(seq, prev, entry)
        if digest != unhex(row["hash"]):
            print(f"broken at sequence {seq}: the hash does not match the entry")
            return 1
        if json.loads(entry) != row["entry"]:
            print(f"broken at sequence {seq}: the readable entry differs from the hashed one")
            return 1
        prev, hashes[seq] = digest, digest
    if len(sys.argv) == 4:
        to_seq, anchored = int(sys.argv[2]), unhex(sys.argv[3])
        if hashes.get(to_seq) != anchored:
            print(f"anchor mismatch at sequence {to_seq}")
            return 1
    print(f"ok {len(hashes)} {prev.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
