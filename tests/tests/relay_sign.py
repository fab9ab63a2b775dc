"""Signs EIP-712 typed data with PyPI eth-account, as an ordinary Ethereum
wallet would (eth_signTypedData_v4): the relayer test's independent signer.

Reads {"key": hex, "typed": {types, primaryType, domain, message}} on stdin,
prints the 65-byte signature as 0x-hex (v = 27/28).
"""
import json
import sys

from eth_account import Account
from eth_account.messages import encode_typed_data

request = json.load(sys.stdin)
signable = encode_typed_data(full_message=request["typed"])
signed = Account.sign_message(signable, private_key=bytes.fromhex(request["key"]))
print("0x" + bytes(signed.signature).hex())
