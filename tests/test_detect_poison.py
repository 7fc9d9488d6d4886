"""Address-poisoning detector on hand-built ledgers: the typology and its benign look-alikes."""

from __future__ import annotations

import json

import duckdb

from pigtrace.detect.run import analyze
from tests.ledger_builder import Ledger


def run(led: Ledger) -> tuple[dict[str, set[str]], duckdb.DuckDBPyConnection]:
    con = led.write(duckdb.connect())
    analyze(con, only=["poisoning"])
    out: dict[str, set[str]] = {}
    for address, role in con.execute("SELECT address, role FROM findings").fetchall():
        out.setdefault(role, set()).add(address)
    return out, con


def paying_owner(led: Ledger) -> tuple[str, str]:
    """An owner who buys USDT at an exchange and pays a friend's wallet."""
    hot = led.addr("exchange_hot")
    led.label(hot, "OKX 3", "exchange", concepts=["exchange"])
    owner, friend = led.addr("owner"), led.addr("friend")
    led.transfer(hot, owner, 5000)
    led.wait(hours=2)
    led.transfer(owner, friend, 1200)
    return owner, friend


def test_zero_value_transfer_from_then_payment_to_the_lookalike():
    led = Ledger()
    owner, friend = paying_owner(led)
    fake = led.lookalike(friend, prefix=5, suffix=4)
    led.wait(minutes=3)
    planted = led.transfer(owner, fake, 0, initiator="poisoner")  # a 0-value transferFrom by a third party
    led.wait(days=2)
    payment = led.transfer(owner, fake, 3000)  # copied from history
    found, con = run(led)
    assert found["victim"] == {owner}
    assert found["scam_collection"] == {fake}
    assert found["scam_operator"] == {led.addr("poisoner")}
    ev = json.loads(con.execute("SELECT evidence FROM findings WHERE role = 'victim'").fetchone()[0])
    hashes = [e["tx_hash"] for e in ev]
    assert planted in hashes and payment in hashes
    reasons = json.loads(con.execute("SELECT reasons FROM findings WHERE role = 'victim'").fetchone()[0])
    assert any("first 5 and last 4 characters" in r for r in reasons)


def test_fake_token_from_lookalike_without_payment_flags_only_the_scam_side():
    led = Ledger()
    owner, friend = paying_owner(led)
    fake_usdt = led.token("FAKE_USDT", symbol="USDT", decimals=6)
    fakes = [led.lookalike(friend, seed=str(i)) for i in range(2)]
    for fake in fakes:  # one sent by the look-alike itself, one through a poisoning contract
        led.transfer(fake, owner, 1200, token="FAKE_USDT", initiator=fake if fake == fakes[0] else "poisoner")
    found, _ = run(led)
    assert "victim" not in found and "scam_collection" not in found
    # the look-alikes, the poisoner, and the fake "USDT" deployed for the planting
    assert found["scam_operator"] == set(fakes) | {led.addr("poisoner"), fake_usdt}


def test_dust_imitating_a_sender_and_the_owner_paying_it_back():
    led = Ledger()
    hot = led.addr("exchange_hot")
    led.label(hot, "OKX 3", "exchange", concepts=["exchange"])
    led.transfer(hot, "owner", 900)
    led.transfer("employer", "owner", 2000)  # the owner is paid by someone it will pay back later
    fake = led.lookalike("employer")
    led.transfer(fake, "owner", 0.001)  # dust from the look-alike
    led.wait(days=3)
    led.transfer("owner", fake, 500)
    found, _ = run(led)
    assert found["victim"] == {led.addr("owner")}
    assert found["scam_collection"] == {fake}


def test_tron_zero_value_poisoning():
    led = Ledger("tron")
    owner, friend = led.addr("owner"), led.addr("friend")
    led.transfer("exchange_hot", owner, 800)
    led.transfer(owner, friend, 300)
    fake = led.addr("tron_vanity")  # Tron look-alikes share base58 characters; build one by hand
    fake = friend[:5] + fake[5:-4] + friend[-4:]
    led.transfer(owner, fake, 0, initiator="poisoner")
    led.transfer(owner, fake, 300)
    found, _ = run(led)
    assert found["victim"] == {owner} and found["scam_collection"] == {fake}


def as_trongrid(led: Ledger) -> Ledger:
    """Token rows as TronGrid ingest writes them: kind 'trc20'."""
    led.transfers = [t[:6] + ("trc20",) + t[7:] if t[6] == "erc20" else t for t in led.transfers]
    return led


def test_tron_lookalike_of_the_address_bytes_at_a_busy_owner():
    # A Tron look-alike made on the 20 address bytes (hex) shares the leading base58 characters only
    # roughly and the trailing ones not at all (they come from the checksum): it must be matched on hex.
    led = Ledger("tron")
    owner, friend = led.addr("owner"), led.addr("friend")
    led.transfer("exchange_hot", owner, 90_000)
    for i in range(300):  # a busy owner: many real counterparties
        led.transfer(owner, f"shop{i % 60}", 20)
        led.transfer(f"client{i % 40}", owner, 25)
    led.transfer(owner, friend, 1500)
    fake = led.lookalike(friend, prefix=5, suffix=4)
    assert fake[-4:] != friend[-4:]
    led.wait(minutes=10)
    planted = led.transfer(owner, fake, 0, initiator="poisoner")
    dust_fake = led.lookalike(friend, seed="dust", prefix=4, suffix=5)
    led.transfer(dust_fake, owner, 0.01)  # dust from a second look-alike
    led.wait(days=3)
    payment = led.transfer(owner, fake, 2000)
    found, con = run(as_trongrid(led))
    assert found["victim"] == {owner}
    assert found["scam_collection"] == {fake}
    assert found["scam_operator"] == {led.addr("poisoner"), dust_fake}
    ev = json.loads(con.execute("SELECT evidence FROM findings WHERE role = 'victim'").fetchone()[0])
    hashes = [e["tx_hash"] for e in ev]
    assert planted in hashes and payment in hashes
    reasons = json.loads(con.execute("SELECT reasons FROM findings WHERE role = 'victim'").fetchone()[0])
    assert any("first 5 and last 4 hex characters" in r for r in reasons)


def test_tron_two_real_counterparties_sharing_address_bytes_and_zero_transfers_are_quiet():
    led = Ledger("tron")
    owner, friend = led.addr("owner"), led.addr("friend")
    led.transfer("exchange_hot", owner, 5000)
    led.transfer(owner, friend, 1200)
    twin = led.lookalike(friend, seed="vanity twin")  # a genuine second wallet with the same hex ends
    led.transfer(owner, twin, 700)
    led.transfer(owner, twin, 300)
    led.transfer(owner, "someone", 0, initiator="spammer")  # zero-value, but no look-alike
    led.token("AIRDROP", decimals=18)
    for i in range(5):
        led.transfer("airdropper", f"user{i}", 100, token="AIRDROP")
    led.transfer("airdropper", owner, 100, token="AIRDROP")
    near = led.lookalike(friend, seed="near", prefix=3, suffix=3)  # 6 shared hex digits: could be chance
    led.transfer(owner, near, 0, initiator="spammer")
    found, _ = run(as_trongrid(led))
    assert found == {}


# ------------------------------------------------------------------------------------ benign look-alikes
def test_owner_sending_zero_itself_is_quiet():
    led = Ledger()
    owner, friend = paying_owner(led)
    fake = led.lookalike(friend)
    led.transfer(owner, fake, 0)  # the owner's own (odd) zero transfer: nobody planted anything
    led.transfer(owner, fake, 10)
    found, _ = run(led)
    assert found == {}


def test_lookalike_sharing_too_few_characters_is_quiet():
    led = Ledger()
    owner, friend = paying_owner(led)
    near = led.lookalike(friend, prefix=3, suffix=3)  # 6 shared characters: could be chance
    led.transfer(owner, near, 0, initiator="spammer")
    assert run(led)[0] == {}


def test_lookalike_with_three_leading_and_four_trailing_characters_is_caught():
    led = Ledger()
    owner, friend = paying_owner(led)
    fake = led.lookalike(friend, prefix=3, suffix=4)
    led.transfer(owner, fake, 0, initiator="poisoner")
    assert run(led)[0]["scam_operator"] == {fake, led.addr("poisoner")}


def test_airdrop_and_unrelated_zero_transfers_are_quiet():
    led = Ledger()
    owner, friend = paying_owner(led)
    led.token("AIRDROP", decimals=18)
    for i in range(5):
        led.transfer("airdropper", f"user{i}", 100, token="AIRDROP")
    led.transfer("airdropper", owner, 100, token="AIRDROP")
    led.transfer(owner, "someone", 0, initiator="spammer")  # zero-value, but no look-alike
    found, _ = run(led)
    assert found == {}


def test_two_real_counterparties_sharing_ends_are_quiet():
    led = Ledger()
    owner, friend = paying_owner(led)
    twin = led.lookalike(friend, seed="vanity twin")  # a genuine second wallet with the same ends
    led.transfer(owner, twin, 700)
    led.transfer(owner, twin, 300)
    found, _ = run(led)
    assert found == {}


def test_lookalike_long_after_the_last_real_transfer_is_quiet():
    led = Ledger()
    owner, friend = paying_owner(led)
    led.wait(days=60)
    fake = led.lookalike(friend)
    led.transfer(owner, fake, 0, initiator="poisoner")
    found, _ = run(led)
    assert found == {}


def test_tron_hex_tail_is_the_last_hex_digits_of_the_address_bytes():
    """The hex-form key read on every counterparty of a planted owner (a BIGINT sum modulo 2^44) is the
    last digits of the 20 address bytes, as decoding the whole address gives them; not a Tron address: NULL."""
    import random

    from pigtrace.chains.addresses import tron_hex_to_base58
    from pigtrace.detect.poison_sql import _tron_hex, _tron_hex_tail

    rnd = random.Random(5)
    hexes = ["41" + "".join(rnd.choice("0123456789abcdef") for _ in range(40)) for _ in range(300)]
    hexes += ["41" + "0" * 40, "41" + "f" * 40, "41" + "0" * 37 + "abc"]
    con = duckdb.connect()
    con.execute("CREATE TABLE a (x VARCHAR)")
    con.executemany("INSERT INTO a VALUES (?)", [[tron_hex_to_base58(h)] for h in hexes]
                    + [["0x" + "ab" * 20], ["Tnotbase58O0Il"], [None]])
    got = dict(con.execute(f"SELECT x, {_tron_hex_tail('x', 3)} FROM a").fetchall())
    assert all(got[tron_hex_to_base58(h)] == h[-3:] for h in hexes)
    assert con.execute(f"SELECT count(*) FROM a WHERE {_tron_hex_tail('x', 5)} IS DISTINCT FROM "
                       f"right({_tron_hex('x')}, 5)").fetchone()[0] == 0
    assert got["0x" + "ab" * 20] is None and got["Tnotbase58O0Il"] is None
