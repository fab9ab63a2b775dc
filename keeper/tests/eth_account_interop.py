"""eth-account's side of tests/eth_account_interop.rs.

Reads one JSON request on stdin, so passwords and keys stay off the command
line, and prints one JSON answer on stdout.

  {"op": "version"}
  {"op": "decrypt", "keystore": {...}, "password": "..."}  -> {"address", "private_key"}
  {"op": "encrypt", "private_key": "hex", "password": "...", "kdf": "scrypt"|"pbkdf2",
   "iterations": null|int, "scrypt_r_p": null|[r, p]}       -> the keystore

"scrypt_r_p" overrides eth-keyfile's scrypt r and p: [1, 8] makes the files that
eth-keyfile before 0.7 wrote by default.
"""

import json
import sys

try:
    import eth_account
    from eth_account import Account
except ImportError as e:
    print(f"eth_account is not importable by {sys.executable}: {e}", file=sys.stderr)
    sys.exit(3)

req = json.load(sys.stdin)
if req["op"] == "version":
    from importlib.metadata import version

    out = {"eth_account": version("eth-account")}
elif req["op"] == "decrypt":
    key = Account.decrypt(req["keystore"], req["password"])
    out = {"address": Account.from_key(key).address, "private_key": key.hex().removeprefix("0x")}
elif req["op"] == "encrypt":
    if req.get("scrypt_r_p"):
        import eth_keyfile.keyfile

        eth_keyfile.keyfile.SCRYPT_R, eth_keyfile.keyfile.SCRYPT_P = req["scrypt_r_p"]
    out = Account.encrypt(req["private_key"], req["password"], kdf=req["kdf"], iterations=req.get("iterations"))
else:
    sys.exit(f"unknown op {req['op']!r}")
json.dump(out, sys.stdout)
