"""Address normalisation: EVM checksums, Tron base58check <-> 41-hex, clear rejections."""

from __future__ import annotations

import pytest

from pigtrace.chains.addresses import guess_chain, normalize, to_checksum, tron_base58_to_hex, tron_hex_to_base58
from pigtrace.errors import InvalidAddress

USDT_CHECKSUM = "0xdAC17F958D2ee523a2206206994597C13D831ec7"


def test_evm_forms():
    assert normalize(USDT_CHECKSUM) == USDT_CHECKSUM.lower()
    assert normalize(USDT_CHECKSUM.upper().replace("0X", "0x")) == USDT_CHECKSUM.lower()
    assert normalize("  " + USDT_CHECKSUM.lower()[2:]) == USDT_CHECKSUM.lower()
    assert to_checksum(USDT_CHECKSUM.lower()) == USDT_CHECKSUM


@pytest.mark.parametrize("bad, why", [
    ("0xdAC17F958D2ee523a2206206994597C13D831eC7", "checksum"),
    ("0xdac17f958d2ee523a2206206994597c13d831ec", "40 hex"),
    ("0xgac17f958d2ee523a2206206994597c13d831ec7", "40 hex"),
])
def test_evm_rejections(bad, why):
    with pytest.raises(InvalidAddress, match=why):
        normalize(bad)


def test_tron_both_directions():
    # USDT-TRC20 contract: base58 and its 41-hex form as found in TronGrid raw_data
    assert tron_base58_to_hex("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"
    assert tron_hex_to_base58("41a614f803b6fd780986a42c78ec9c7f77e6ded13c") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert normalize("0x41a614f803b6fd780986a42c78ec9c7f77e6ded13c", "tron") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert normalize("TL24LCps5FKwp3PoU1MvrYrwhi5LU1tHre", "tron") == "TL24LCps5FKwp3PoU1MvrYrwhi5LU1tHre"


def test_tron_rejections():
    with pytest.raises(InvalidAddress, match="checksum"):
        normalize("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "tron")
    with pytest.raises(InvalidAddress, match="not a Tron address"):
        normalize("0xdac17f958d2ee523a2206206994597c13d831ec7", "tron")


def test_guess_chain():
    assert guess_chain(USDT_CHECKSUM) == "evm"
    assert guess_chain("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") == "tron"
    assert guess_chain("bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6") == "bitcoin"
    assert guess_chain("hello") is None
