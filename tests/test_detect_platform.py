"""Fake-platform detector on hand-made ledgers: the platform's deposit wallets, its victims (paying
from their own wallets or through their exchange) and its payout wallet are found with evidence; the
benign look-alikes (a saver's own exchange account, a merchant, an honest fund, a savings circle,
payroll and airdrops, an OTC desk's customers) stay quiet."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from pigtrace.detect.run import analyze
from tests.ledger_builder import Ledger
from tests.test_detect_platform_worlds import (
    benign_world,
    deposit_account,
    findings,
    investment_fund,
    scam_world,
)


def _run(led: Ledger) -> tuple[duckdb.DuckDBPyConnection, dict[str, set[str]]]:
    con = led.write(duckdb.connect())
    analyze(con)
    return con, findings(con, led)


@pytest.mark.parametrize("shape", [
    {},
    {"fresh_addresses": True},
    {"payout_from_platform": True},
    {"exchange_paid": 2},
    {"fresh_addresses": True, "exchange_paid": 3},
])
def test_platform_wallets_victims_and_payout_are_found(shape):
    led, truth = scam_world(**shape)
    _, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]
    assert truth["operators"] <= got.get("scam_operator", set())


def test_platform_on_tron():
    led, truth = scam_world(Ledger("tron"))
    _, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]


def test_findings_explain_themselves_with_transactions(scam_world_analysed):
    led, _truth, con, _ = scam_world_analysed
    platform = led.addr("pf_platform")
    typology, reasons, evidence = con.execute(
        "SELECT typology, reasons, evidence FROM findings WHERE address = ? AND role = 'scam_collection'", [platform]
    ).fetchone()
    assert typology == "fake_platform"
    import json

    reasons, evidence = json.loads(reasons), json.loads(evidence)
    assert "Fake investment platform" in reasons[0]
    assert any("inducement" in (e["note"] or "") for e in evidence)
    hashes = {t[1] for t in led.transfers}
    assert evidence and all(e["tx_hash"] in hashes for e in evidence)
    assert all({"tx_hash", "time", "from", "to", "token", "amount", "usd"} <= set(e) for e in evidence)
    victim = con.execute(
        "SELECT evidence FROM findings WHERE address = ? AND role = 'victim'", [led.addr("pf_victim0")]
    ).fetchone()[0]
    assert platform in victim


def test_benign_look_alikes_stay_quiet():
    led, _names = benign_world()
    _, got = _run(led)
    assert got == {}


def test_benign_look_alikes_next_to_a_scam_stay_quiet():
    led, names = benign_world()
    led, truth = scam_world(led)
    _, got = _run(led)
    flagged = set().union(*got.values())
    assert not flagged & names
    assert got["scam_collection"] == truth["collection"]


def test_a_fund_that_never_pays_out_is_not_excused():
    """Contrast to the honest fund: the same growing deposits and small monthly 'returns', but round
    'fees' at the end and no withdrawal honoured, is a platform."""
    led = Ledger()
    from tests.test_detect_platform_worlds import exchange

    exchange(led)
    investment_fund(led)  # the honest one
    honest = set(findings(led.write(duckdb.connect()), led))
    assert honest == set()
    led = Ledger()
    exchange(led)
    for i in range(5):
        inv = f"inv{i}"
        led.transfer("binance_hot", inv, 30000, at=timedelta(days=i))
        for k, amount in enumerate((300, 1200, 4000, 9000)):
            led.transfer(inv, "fake_fund", amount, at=timedelta(days=2 + i + 8 * k))
            if k == 0:
                led.transfer("fake_fund", inv, 20, at=timedelta(days=4 + i))
        led.transfer(inv, "fake_fund", 2000, at=timedelta(days=40 + i))  # "withdrawal fee"
    _, got = _run(led)
    assert got.get("scam_collection") == {"fake_fund"}
    assert got.get("victim") == {f"inv{i}" for i in range(5)}


# ------------------------------------------------------------------ platforms paid only through exchanges
def _exchange_paid_platform(led: Ledger, tag: str = "xp", victims: int = 4, shared: bool = False) -> dict:
    """Every victim orders their exchange to pay the platform: the deposit wallet (one per victim, or one
    shared) is paid only by exchange hot wallets, growing, with a round 'tax' at the end, and sweeps each
    payment within hours to one of two consolidation wallets. A gas funder tops up the deposit wallets,
    the consolidation wallets and the payout wallet; the payout wallet (bankrolled from an exchange) pays
    small 'profits' to the victims' exchange deposit accounts."""
    from datetime import timedelta

    from tests.test_detect_platform_worlds import deposit_account, exchange

    hots = [exchange(led, "binance_hot"), exchange(led, "okx_hot")]
    funder, payout, cons = f"{tag}_gas", f"{tag}_payout", [f"{tag}_cons_a", f"{tag}_cons_b"]
    out = {"collection": set(), "victims": set(), "operators": {payout}}
    led.transfer(hots[0], funder, 0.5, token="ETH", at=timedelta(hours=1))
    led.transfer(hots[1], payout, 3000, at=timedelta(hours=2))
    gassed = set()

    def gas(w: str, at: timedelta) -> None:
        if w not in gassed:
            gassed.add(w)
            led.transfer(funder, w, 0.01, token="ETH", at=at)

    gas(payout, timedelta(hours=3))
    for c in cons:
        gas(c, timedelta(hours=4))
    for i in range(victims):
        dep, hot = f"{tag}_deposit{i}", hots[i % 2]
        wallet = f"{tag}_platform" if shared else f"{tag}_platform{i}"
        out["collection"].add(wallet)
        out["victims"].add(dep)
        day0 = timedelta(days=1 + 2 * i, hours=3 * i)
        gas(wallet, day0 - timedelta(hours=1))
        for k, amount in enumerate((300 + 20 * i, 800 + 30 * i, 1900 + 10 * i, 4200, 3000)):
            t = day0 + timedelta(days=6 * k, hours=i)
            led.transfer(hot, wallet, amount, at=t)
            led.transfer(wallet, cons[(i + k) % 2], amount, at=t + timedelta(hours=2))
            if k == 0:
                led.transfer(payout, dep, 30 + 5 * i, at=t + timedelta(hours=20))
                deposit_account(led, dep, hot, t + timedelta(hours=22))
    return out


def _exchange_buyers(led: Ledger, tag: str = "retail") -> set[str]:
    """Benign look-alikes of exchange-paid deposit wallets: people buying at an exchange in growing, round
    amounts, withdrawing to self-custody and moving it on to their own cold wallet within hours (one of
    them with two self-custody wallets and one cold wallet); and a shop paid by exchange withdrawals that
    settles to its exchange deposit account."""
    from datetime import timedelta

    from tests.test_detect_platform_worlds import exchange

    hots = [exchange(led, "binance_hot"), exchange(led, "okx_hot")]
    names = set()
    wallets = [(f"{tag}_a_hot", f"{tag}_a_cold"), (f"{tag}_b_hot1", f"{tag}_b_cold"), (f"{tag}_b_hot2", f"{tag}_b_cold"),
               (f"{tag}_c_hot", f"{tag}_c_cold")]
    for i, (w, cold) in enumerate(wallets):
        names |= {w, cold}
        hot = hots[i % 2]
        led.transfer(hot, w, 0.01, token="ETH", at=timedelta(days=i, hours=1))  # gas bought at the exchange
        for k, amount in enumerate((250 + 10 * i, 700, 1500, 3500, 2000)):
            t = timedelta(days=1 + i + 6 * k, hours=2 * i)
            led.transfer(hot, w, amount, at=t)
            led.transfer(w, cold, amount, at=t + timedelta(hours=3))
    shop, dep = f"{tag}_shop", f"{tag}_shop_deposit"
    names |= {shop, dep}
    for d in range(1, 40, 2):
        led.transfer(hots[d % 2], shop, [120, 300, 800, 1000, 2000][d % 5], at=timedelta(days=d))
        led.transfer(shop, dep, [120, 300, 800, 1000, 2000][d % 5], at=timedelta(days=d, hours=5))
        led.transfer(dep, hots[0], [120, 300, 800, 1000, 2000][d % 5], at=timedelta(days=d, hours=6))
    return names


@pytest.mark.parametrize("shared", [False, True])
def test_exchange_paid_platform_is_found(shared):
    led = Ledger()
    truth = _exchange_paid_platform(led, shared=shared, victims=4 if not shared else 5)
    con, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]
    assert truth["operators"] <= got.get("scam_operator", set())
    evidence = con.execute(
        "SELECT evidence FROM findings WHERE address = ? AND role = 'victim'", [led.addr("xp_deposit0")]
    ).fetchone()[0]
    assert led.addr("xp_payout") in evidence


def test_exchange_buyers_moving_to_their_cold_wallets_stay_quiet():
    led = Ledger()
    _exchange_buyers(led)
    _, got = _run(led)
    assert got == {}


def test_exchange_buyers_next_to_an_exchange_paid_platform_stay_quiet():
    led = Ledger()
    names = _exchange_buyers(led)
    truth = _exchange_paid_platform(led)
    _, got = _run(led)
    assert not set().union(*got.values()) & names
    assert got.get("scam_collection") == truth["collection"]


# ------------------------------------------------------------------ victims tied into the ring
def _self_paying_ring_with_busy_victims(led: Ledger, tag: str = "sp", victims: int = 5) -> dict:
    """One deposit wallet per victim, all sweeping to one consolidation wallet. Each victim withdraws from
    the exchange just before each payment (so the victim's own wallet forwards what it gets to the
    platform and is tied into the ring), gets three growing 'profits' from the payout wallet (a victim-like
    sequence of its own) and small flat payments from two friends. The friends and the payout wallet
    paying the victims say nothing about the platform: the ring is still found, and the friends are not
    victims."""
    from datetime import timedelta

    from tests.test_detect_platform_worlds import exchange

    hot, cons, payout = exchange(led), f"{tag}_consolidation", f"{tag}_payout"
    out = {"collection": set(), "victims": set(), "operators": {payout}, "friends": set()}
    for i in range(victims):
        v, platform = f"{tag}_victim{i}", f"{tag}_platform{i}"
        out["victims"].add(v)
        out["collection"].add(platform)
        day0 = timedelta(days=2 * i, hours=3 * i)
        for k, amount in enumerate((150 + 10 * i, 700, 2600 + 100 * i, 6100, 3000, 2000)):
            t = day0 + timedelta(days=1 + 6 * k, hours=1)
            led.transfer(hot, v, amount, at=t - timedelta(hours=1))
            led.transfer(v, platform, amount, at=t)
            led.transfer(platform, cons, amount, at=t + timedelta(hours=2))
            if k < 3:
                led.transfer(payout, v, (20, 60, 150)[k] + i, at=t + timedelta(days=1))
        for f in range(2):
            friend = f"{tag}_friend{i}_{f}"
            out["friends"].add(friend)
            led.transfer(hot, friend, 500, at=day0 + timedelta(days=2, hours=f))
            for d in range(3):
                led.transfer(friend, v, 40, at=day0 + timedelta(days=3 + 4 * d, hours=f))
    return out


def test_victims_tied_into_the_ring_do_not_hide_the_platform():
    led = Ledger()
    truth = _self_paying_ring_with_busy_victims(led)
    _, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]
    assert truth["operators"] <= got.get("scam_operator", set())
    assert not set().union(*got.values()) & truth["friends"]


def test_two_visible_victims_and_exchange_paid_ones_make_a_platform():
    """A shared deposit wallet paid by two self-custody victims and, on their customers' orders, by
    exchanges: the payout wallet paying both visible victims also pays small one-off 'profits' to the
    exchange victims' deposit accounts (and nothing else); those count as victims too."""
    from tests.test_detect_platform_worlds import exchange, fake_platform

    led = Ledger()
    truth = fake_platform(led, hot=exchange(led), victims=2, exchange_paid=2)
    _, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]
    assert truth["operators"] <= got.get("scam_operator", set())


# ------------------------------------------------------------------ sweeps are not paybacks
def _platform_sweeping_to_an_otc_buyer(led: Ledger, tag: str = "sw", victims: int = 5) -> dict:
    """A shared platform wallet sweeps every deposit within hours to one of two consolidation wallets,
    each of which passes what it holds on to the same downstream wallet (an OTC desk's buyer) every few days. The
    consolidation wallets then pay that wallet a growing sequence (they look like its 'victims'), and the
    platform's sweeps to them look like large payments back to those 'victims': they are sweeps, moving
    money away from the ring, and must not count as money returned to the ring's victims."""
    from datetime import timedelta

    from tests.test_detect_platform_worlds import exchange

    hot = exchange(led)
    platform, payout, buyer = f"{tag}_platform", f"{tag}_payout", f"{tag}_otc_buyer"
    cons = [f"{tag}_cons_a", f"{tag}_cons_b"]
    out = {"collection": {platform}, "victims": set(), "operators": {payout}, "downstream": set(cons) | {buyer}}
    led.transfer(hot, payout, 2000, at=timedelta(hours=1))
    held: dict[str, list] = {c: [] for c in cons}
    for c in cons:  # the consolidation wallets already deal with that buyer, with the ring's earlier money
        led.transfer(hot, c, 20100, at=timedelta(hours=2))
        led.transfer(c, buyer, 100, at=timedelta(hours=6))
        led.transfer(c, buyer, 20000, at=timedelta(hours=20))
    for i in range(victims):
        v = f"{tag}_victim{i}"
        out["victims"].add(v)
        day0 = timedelta(days=2 * i, hours=3 * i)
        deposits = [120 + 10 * i, 400, 1100, 2600 + 100 * i, 5000, 2000]
        led.transfer(hot, v, sum(deposits) + 1000, at=day0)
        for k, amount in enumerate(deposits):
            t = day0 + timedelta(days=1 + 5 * k, hours=1)
            c = cons[(i + k) % 2]
            led.transfer(v, platform, amount, at=t)
            led.transfer(platform, c, amount, at=t + timedelta(hours=2))
            held[c].append((t + timedelta(hours=2), amount))
            if k == 0:
                led.transfer(payout, v, 15 + i, at=t + timedelta(days=2))
    for c, got in held.items():  # each consolidation wallet passes on what it holds every four days
        for day in range(4, 48, 4):
            batch = sum(a for t, a in got if timedelta(days=day - 4) <= t < timedelta(days=day))
            if batch:
                led.transfer(c, buyer, batch, at=timedelta(days=day, hours=12))
    return out


def test_sweeps_to_the_rings_own_consolidation_wallets_are_not_paybacks():
    led = Ledger()
    truth = _platform_sweeping_to_an_otc_buyer(led)
    _, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert truth["victims"] <= got.get("victim", set())
    assert not got.get("victim", set()) & truth["downstream"]


# ------------------------------------------------------------------ small rings tied by their gas funder
def _small_ring_with_one_visible_victim(led: Ledger, tag: str = "sr", profit: float = 300) -> dict:
    """Three victims: one pays its own platform wallet from self-custody; two order their exchanges to pay
    a second platform wallet (exchange-paid, growing, round 'taxes', swept on). One gas funder tops up
    both platform wallets and the payout wallet; the payout wallet, bankrolled from an exchange, pays one
    small 'profit' to each victim (to the self-custody wallet, and to the exchange victims' deposit
    accounts). ``profit``: the size of the largest such payment (a share of a large deposit)."""
    from datetime import timedelta

    from tests.test_detect_platform_worlds import deposit_account, exchange

    hot = exchange(led)
    funder, payout = f"{tag}_gas", f"{tag}_payout"
    own, paid = f"{tag}_platform_a", f"{tag}_platform_b"
    cons = f"{tag}_consolidation"
    out = {"collection": {own, paid}, "victims": set(), "operators": {payout}}
    led.transfer(hot, funder, 0.5, token="ETH", at=timedelta(hours=1))
    led.transfer(hot, payout, 3000, at=timedelta(hours=2))
    for w in (payout, own, paid):
        led.transfer(funder, w, 0.01, token="ETH", at=timedelta(hours=3))
    v = f"{tag}_victim"
    out["victims"].add(v)
    deposits = [1000, 2300, 4700, 11600, 19600, 2000, 3000]
    led.transfer(hot, v, sum(deposits) + 1000, at=timedelta(days=1))
    for k, amount in enumerate(deposits):
        t = timedelta(days=2 + 5 * k)
        led.transfer(v, own, amount, at=t)
        led.transfer(own, cons, amount, at=t + timedelta(hours=2))
        if k == 0:
            led.transfer(payout, v, 340, at=t + timedelta(hours=20))
    for i in range(2):
        dep = f"{tag}_deposit{i}"
        out["victims"].add(dep)
        for k, amount in enumerate((700 + 100 * i, 1900, 6200, 14000, 35600, 2000)):
            t = timedelta(days=3 + i + 5 * k, hours=5)
            led.transfer(hot, paid, amount, at=t)
            led.transfer(paid, cons, amount, at=t + timedelta(hours=3))
            if k == 0:
                led.transfer(payout, dep, 250 + 20 * i, at=t + timedelta(hours=20))
                deposit_account(led, dep, hot, t + timedelta(hours=22))
            if k == 2 and i == 1:
                led.transfer(payout, dep, profit, at=t + timedelta(hours=20))
    return out


@pytest.mark.parametrize("profit", [300, 2500])
def test_small_ring_is_tied_together_by_its_gas_funder(profit):
    """A self-custody victim paid a 'profit' by the payout wallet counts with the exchange deposit accounts
    it paid (the payout wallet does nothing else), and a 'profit' above the usual few hundred still counts
    while it is a small share of what the platform had been paid by then."""
    led = Ledger()
    truth = _small_ring_with_one_visible_victim(led, profit=profit)
    _, got = _run(led)
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]
    assert truth["operators"] <= got.get("scam_operator", set())


def test_a_gas_funded_payer_of_large_sums_is_not_a_payout_wallet():
    """The same ring shape, but what the payout wallet sends is not small next to what the platform had
    been paid (a business settling with its customers): nothing is found through the gas funder. (The
    self-custody victim's own platform wallet may still be found from its own economics: one payer paying
    it growing sums, all swept on within hours.)"""
    led = Ledger()
    truth = _small_ring_with_one_visible_victim(led, profit=200000)
    _, got = _run(led)
    assert "sr_platform_b" not in got.get("scam_collection", set())  # tied in only through the gas funder
    assert not truth["operators"] & got.get("scam_operator", set())


# ------------------------------------------------------------------ deposit wallets are not a platform's victims
def _deposit_wallets_people_pay(led: Ledger, tag: str = "dw") -> dict:
    """A ring's three deposit wallets, each paid by four victims (money bought at an exchange, each victim
    paying it all it sends, in growing sums over four weeks), each sweeping what it holds to the ring's
    consolidation wallet once a week: growing sweeps, the last a round sum. Two victims also pay a small
    sum into the other deposit wallets (the ring rotates the address it shows), after those wallets' first
    sweeps: seen from the consolidation wallet, they are a payout wallet paying its 'victims' early
    'profits', and the sweeps are the victim pattern."""
    from datetime import timedelta

    from tests.test_detect_platform_worlds import exchange

    hot = exchange(led)
    cons = f"{tag}_consolidation"
    deposits = [f"{tag}_deposit{d}" for d in range(3)]
    out = {"collection": set(deposits), "victims": set(), "consolidation": cons}
    for d, dep in enumerate(deposits):
        paid = [[100 + 10 * i + d, 400, 900 + 50 * i, 1600] for i in range(4)]  # victim i's weekly payments
        for i, amounts in enumerate(paid):
            v = f"{tag}_victim{d}_{i}"
            out["victims"].add(v)
            led.transfer(hot, v, sum(amounts) + 700, at=timedelta(days=d, hours=i))
            for k, amount in enumerate(amounts):
                led.transfer(v, dep, amount, at=timedelta(days=1 + d + 7 * k, hours=i + 1))
        for k in range(4):  # the week's takings, swept on
            week = sum(amounts[k] for amounts in paid)
            amount = round(week, -2) if k == 3 else week
            led.transfer(dep, cons, amount, at=timedelta(days=2 + d + 7 * k, hours=12))
    for i, (v, others) in enumerate(((f"{tag}_victim0_0", deposits[1:]), (f"{tag}_victim1_1", deposits[::2]))):
        for j, dep in enumerate(others):
            led.transfer(v, dep, 60 + 10 * j, at=timedelta(days=10 + j, hours=3 + i))
    return out


def test_a_rings_deposit_wallets_are_not_taken_for_a_platforms_victims():
    """The deposit wallets many devoted people pay are collection wallets, not victims of their
    consolidation wallet, and the victims paying two of them are no payout wallets (no operators). Before
    the rule that a victim is no wallet people pay into, the consolidation wallet was a fake platform, the
    deposit wallets its victims and two of their victims its operators."""
    led = Ledger()
    truth = _deposit_wallets_people_pay(led)
    _, got = _run(led)
    assert not got.get("scam_operator", set()) & truth["victims"]
    assert not got.get("victim", set()) & truth["collection"]
    assert truth["collection"] <= got.get("scam_collection", set())
    assert truth["victims"] <= got.get("victim", set())


def _rotating_deposit_wallets(led: Ledger, tag: str = "rot") -> dict:
    """A ring that shows each victim whichever of its three deposit wallets is current (it rotates them every
    ten days), each wallet sweeping every payment to the consolidation wallet half an hour after it lands.
    Twelve victims pay four growing sums two days apart from what they withdrew from an exchange, spending more
    at shops (so none is devoted to a wallet); three of them, paying smaller sums, start late in a wallet's turn
    and pay the next wallet too. Seen from the consolidation wallet, the wallets' growing sweeps are the victim
    pattern, and a victim's payments into two of them, small beside what each had swept so far, look like a
    payout wallet's early 'profits'."""
    from datetime import timedelta

    from tests.test_detect_platform_worlds import exchange

    hot = exchange(led)
    cons = f"{tag}_consolidation"
    deposits = [f"{tag}_deposit{d}" for d in range(3)]
    out = {"collection": set(deposits), "victims": set(), "consolidation": cons}
    for i, start in enumerate((0, 1, 2, 5, 9, 10, 11, 15, 19, 20, 21, 25)):
        v = f"{tag}_victim{i}"
        out["victims"].add(v)
        crosses = start % 10 == 5  # pays into this wallet's turn and the next one's
        amounts = (40, 90, 200 + 5 * i, 420) if crosses else (100 + 10 * i, 260, 540 + 5 * i, 900)
        led.transfer(hot, v, sum(amounts) + 3500, at=timedelta(days=start, hours=i))
        for k, amount in enumerate(amounts):
            day = start + 2 * k + 1
            led.transfer(v, f"{tag}_shop{i % 4}", 750, at=timedelta(days=day + 1, hours=i))
            dep = deposits[(day // 10) % 3]
            hour = 0 if k == 0 and not crosses else 1 + i  # a wallet's turn opens with a first, small payment
            led.transfer(v, dep, amount, at=timedelta(days=day, hours=hour))
            led.transfer(dep, cons, amount, at=timedelta(days=day, hours=hour, minutes=30))
    return out


def test_victims_paying_a_rings_rotating_deposit_wallets_are_not_its_payout_wallets():
    """Victims who paid two of a ring's rotating deposit wallets are victims, not operators, and the
    consolidation wallet is not the platform: the money the victims paid into a wallet is what it swept on,
    not money paid back. Before the FED_NEED rule (platform_sequences) one such victim was named an operator
    and the consolidation wallet a collection wallet."""
    led = Ledger()
    truth = _rotating_deposit_wallets(led)
    _, got = _run(led)
    assert not got.get("scam_operator", set()) & truth["victims"]
    assert truth["consolidation"] not in got.get("scam_collection", set())
    assert got.get("scam_collection") == truth["collection"]
    assert got.get("victim") == truth["victims"]


def _fund_banking_at_its_exchange(led: Ledger, tag: str = "bf", investors: int = 8, hot: str = "binance_hot") -> set[str]:
    """An honest fund whose receiving wallet banks every deposit at its exchange deposit account, and whose
    payout wallet (bankrolled by exchange withdrawals) pays each investor a small monthly return while they
    are still adding money: per investor the shape of a platform's victim and its 'profit' payments."""
    fund, bank, payout = f"{tag}_fund", f"{tag}_bank", f"{tag}_payout"
    names = {fund, bank, payout}
    for i in range(investors):
        inv = f"{tag}_investor{i}"
        names.add(inv)
        led.transfer(hot, inv, 40000, at=timedelta(days=i))
        for k, amount in enumerate((400 + 10 * i, 1500, 3000 + 50 * i, 5000, 7000)):
            t = timedelta(days=2 + i + 12 * k, hours=i)
            led.transfer(inv, fund, amount, at=t)
            led.transfer(fund, bank, amount, at=t + timedelta(hours=6))
    deposit_account(led, bank, hot, timedelta(days=70))
    for month in (20, 40):
        led.transfer(hot, payout, 5000, at=timedelta(days=month - 1))
        for i in range(investors):
            led.transfer(payout, f"{tag}_investor{i}", 40 + 5 * i + month, at=timedelta(days=month, minutes=i))
    return names


def test_a_fund_that_banks_at_its_exchange_is_not_a_platforms_payout_through_a_shared_investor():
    """One of the platform's victims also puts money into an honest fund; the victim's wallet, paid by a
    relative in growing sums and passing all of it on to the platform and to the fund, ties the fund into
    the platform's ring. The fund banks what it gets at its exchange: its investors are its customers, and
    its payout wallet paying them small monthly returns is not the platform's payout wallet (on a simulated
    Tron world such a fund's 35 investors were named victims and its payout wallet an operator)."""

    led, truth = scam_world()
    fund = _fund_banking_at_its_exchange(led)
    both = "pf_victim0"
    led.transfer("relative", both, 300, at=timedelta(days=3))
    for k, amount in enumerate((900, 2500, 4000)):
        led.transfer("relative", both, amount, at=timedelta(days=6 + 8 * k))
    for k, amount in enumerate((1200, 2600, 3500)):
        led.transfer(both, "bf_fund", amount, at=timedelta(days=8 + 8 * k))
    _, got = _run(led)
    flagged = set().union(*got.values())
    assert not flagged & fund, sorted(flagged & fund)
    assert got.get("scam_collection") == truth["collection"]
    assert truth["victims"] <= got.get("victim", set())
