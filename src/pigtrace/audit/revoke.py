"""The exact call that removes an allowance: the contract to send it to, the function, its arguments and
the ABI-encoded calldata, as a wallet's "send transaction with data" or a block explorer's "Write contract"
page takes them.

Place in the flow: after ``allowances``; ``advice`` tells the owner to make these calls, the riskiest first.

- ERC-20 / TRC-20: ``approve(spender, 0)`` on the token contract.
- Permit2: ``approve(token, spender, 0, 0)`` on the Permit2 contract (amount 0, expiration 0 = now, per
  Permit2's ``AllowanceTransfer.approve``); it emits Permit2's ``Approval`` event, which pigtrace reads.
  ``lockdown([(token, spender)])`` does the same for many pairs at once, but its ``Lockdown`` event is not
  ingested, so the audit would not see that revocation.
- ApprovalForAll: ``setApprovalForAll(operator, false)`` on the collection contract.
- One NFT (ERC-721): ``approve(0x000…000, tokenId)`` on the collection contract.

Selectors are keccak-256 of the canonical signatures (``eth_utils``). A Tron address goes into calldata as
its 20 address bytes (the hex form without the leading 41), as TRC-20 contracts read it.
"""

from __future__ import annotations

from eth_utils import function_signature_to_4byte_selector

from pigtrace.chains.addresses import tron_base58_to_hex

ERC20_APPROVE = "approve(address,uint256)"
PERMIT2_APPROVE = "approve(address,address,uint160,uint48)"
PERMIT2_LOCKDOWN = "lockdown((address,address)[])"
SET_APPROVAL_FOR_ALL = "setApprovalForAll(address,bool)"
ZERO = "0x" + "0" * 40


def selector(signature: str) -> str:
    return "0x" + function_signature_to_4byte_selector(signature).hex()


def _word_address(address: str) -> str:
    body = tron_base58_to_hex(address)[2:] if address.startswith("T") else address[2:].lower()
    return body.rjust(64, "0")


def _word_uint(value: int) -> str:
    return f"{value:064x}"


def revoke_call(kind: str, token: str, spender: str, contract: str, token_id: str | None = None) -> dict:
    """{contract, function, args, call, calldata} removing one allowance (see the module docstring)."""
    if kind in ("erc20", "trc20"):
        sig, args, words = ERC20_APPROVE, [spender, 0], [_word_address(spender), _word_uint(0)]
        target = token
    elif kind == "permit2":
        sig, args = PERMIT2_APPROVE, [token, spender, 0, 0]
        words = [_word_address(token), _word_address(spender), _word_uint(0), _word_uint(0)]
        target = contract
    elif kind == "approval_for_all":
        sig, args, words = SET_APPROVAL_FOR_ALL, [spender, False], [_word_address(spender), _word_uint(0)]
        target = token
    elif kind == "erc721":
        tid = int(token_id or 0)
        sig, args, words = ERC20_APPROVE, [ZERO, tid], [_word_address(ZERO), _word_uint(tid)]
        target = token
    else:
        raise ValueError(f"no revoke call for allowance kind {kind!r}")
    name = sig.split("(")[0]
    shown = ", ".join(str(a).lower() if isinstance(a, bool) else str(a) for a in args)
    return {"contract": target, "function": sig, "args": args, "call": f"{name}({shown})",
            "calldata": selector(sig) + "".join(words)}
