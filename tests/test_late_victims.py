"""Victims who spend freely elsewhere and send a scam a sliver of all they send (detect/late_victims): named when
they came back and paid a found collection wallet more than at first; people who paid it the same again are not."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from pigtrace.detect.run import analyze
from tests.ledger_builder import Ledger
from tests.test_collection_evidence import quiet_platform
from tests.test_detect_platform_worlds import exchange, findings


def _spenders(led: Ledger, wallet: str, tag: str, amounts: list[float]) -> set[str]:
    """Two people who buy at the exchange, pay ``wallet`` ``amounts`` a week apart and spend ten times as
    much at shops in between (so what they paid the wallet is a sliver of all they sent)."""
    hot = exchange(led)
    people = set()
    for i in range(2):
        p = f"{tag}{i}"
        people.add(p)
        led.transfer(hot, p, 12 * sum(amounts), at=timedelta(days=2 + i))
        for k, amount in enumerate(amounts):
            t = timedelta(days=4 + 7 * k + i, hours=3)
            led.transfer(p, wallet, amount + 13 * i, at=t)
            led.transfer(p, f"{tag}_shop{k}", 10 * amount, at=t + timedelta(days=2))
    return people


def test_people_who_came_back_with_more_are_victims_whatever_share_they_sent_but_flat_payers_are_not():
    led = Ledger()
    truth = quiet_platform(led, victims=8)
    wallet = next(iter(truth["collection"]))
    victims = _spenders(led, wallet, "spender", [300.0, 450.0, 700.0])
    members = _spenders(led, wallet, "member", [400.0, 400.0, 400.0])
    con = led.write(duckdb.connect())
    analyze(con)
    got = findings(con, led)
    assert wallet in got["scam_collection"]
    assert truth["victims"] | victims <= got["victim"]
    assert not members & set().union(*got.values())
    reasons = con.execute("SELECT reasons::VARCHAR FROM findings WHERE address = ? AND role = 'victim'",
                          [led.addr("spender0")]).fetchone()[0]
    assert "at first" in reasons
