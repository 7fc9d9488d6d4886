"""`pigtrace simulate --vary KNOB=VALUE`: each knob changes what the export says.

Every check reads the ingested export (transfers, the TagPack file); the truth only names which addresses
are the scam's, the victims or the services, never what the knob did. Worlds are small and built once
per knob setting (a knob given its style=fixed value is the style=fixed world itself), ingested into
memory; two opposite values of a knob are compared wherever one value alone proves nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pigtrace.ingest.etl import ingest_etl
from pigtrace.labels.tagpack import read_tagpack
from pigtrace.simulate.knobs import BY_NAME, KNOBS
from pigtrace.simulate.world import simulate
from pigtrace.store.warehouse import connect
from tests.cli_run import pigtrace
from tests.ledger_builder import insert_values
from tests.sim_checks import negative_balances

BASE = {"seed": 21, "users": 400, "days": 75, "scale": 6_000}
# Under style=fixed these two knobs do not take their listed value ("mixed") but the choices made before
# knobs ("own wallet or exchange, as before"): naming them changes the world.
FIXED_NOT_LISTED = {"payment_route", "deposit_wallets"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("knobs")
    built: dict[tuple, tuple] = {}

    def get(**vary):
        # a knob at its style=fixed value writes the same export as the style=fixed world (only truth.json's
        # record of the --vary arguments differs), so that world is built once
        vary = {k: v for k, v in vary.items() if v != BY_NAME[k].fixed or k in FIXED_NOT_LISTED}
        key = tuple(sorted({"style": "fixed", **vary}.items()))
        if key not in built:
            out = root / ("-".join(f"{k}_{v}" for k, v in key) or "default")
            simulate(out, vary=dict(key), **BASE)
            truth = json.loads((out / "truth.json").read_text())
            con = connect(":memory:")
            ingest_etl(con, out)
            _truth_tables(con, truth)
            built[key] = out, truth, con
        return built[key]

    yield get
    for _, _, con in built.values():
        con.close()


def _truth_tables(con, truth) -> None:
    """Who is who (from the truth), as tables the export queries join against."""
    con.execute("CREATE TABLE who (address VARCHAR, role VARCHAR, ring VARCHAR, typology VARCHAR)")
    insert_values(con, "INSERT INTO who", [(r["address"], r["role"], r["ring"], r["typology"]) for r in truth["roles"]])
    con.execute("CREATE TABLE svc (address VARCHAR, kind VARCHAR)")
    insert_values(con, "INSERT INTO svc", [(s["address"], s["kind"]) for s in truth["services"]])
    con.execute("CREATE TABLE benign (address VARCHAR, kind VARCHAR)")
    insert_values(con, "INSERT INTO benign", [(b["address"], b["kind"]) for b in truth["benign"]])


def _one(con, sql, params=()):
    return con.execute(sql, list(params)).fetchone()[0]


# -- the knob list and its validation ----------------------------------------------------------------


def test_list_knobs_names_every_knob_of_the_issue():
    rows = json.loads(pigtrace("simulate", "--list-knobs", "--format", "json", check=True).stdout)
    names = {r["name"] for r in rows}
    assert names == {"labelled_hot_wallets", "paybacks", "round_amounts", "payment_route", "deposit_wallets",
                     "deposit_addresses", "growth", "laundering_mixing", "wallet_reuse", "sweeps", "gas", "pace", "collection_hold", "exchange_use", "exchange_gas",
                     "gas_payee", "payment_gateway", "density", "victim_banks", "lenders", "desk_customers", "hop_cover", "style",
                     "tron_detail", "tron_account_history", "crawl_overlap"}
    by = {r["name"]: r for r in rows}
    assert by["style"]["default"] == "random" and by["labelled_hot_wallets"]["default"] == "0.6"
    assert by["payment_route"]["values"] == "self_custody|exchange|relay|mixed"
    assert all(r["help"] for r in rows)


@pytest.mark.parametrize("arg, names", [
    ("paybacks=sometimes", "paybacks"), ("colour=red", "colour"), ("labelled_hot_wallets=1.5", "labelled_hot_wallets"),
    ("gas", "KNOB=VALUE"),
])
def test_bad_vary_is_one_clear_error(tmp_path, arg, names):
    proc = pigtrace("simulate", "--out", str(tmp_path / "w"), "--vary", arg)
    assert proc.returncode != 0 and names in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "w").exists()


def test_random_style_rings_draw_different_choices(world):
    _, truth, _ = world(style="random")
    drawn = [r["knobs"] for r in truth["rings"]]
    varied = [k.name for k in KNOBS if len({json.dumps(d.get(k.name)) for d in drawn if k.name in d}) > 1]
    assert len(varied) >= 5, varied


def test_every_adversarial_knob_at_once_still_keeps_the_books(world):
    """Conservation holds with clean money mixed in, wallets reused, multi-hop sweeps and relays."""
    _, truth, con = world(laundering_mixing="0.5", wallet_reuse="yes", sweeps="multi_hop", payment_route="mixed",
                          gas="mixed", paybacks="mixed")
    assert negative_balances(con, truth) == []


# -- labelled_hot_wallets ----------------------------------------------------------------------------


@pytest.mark.parametrize("share", ["0", "0.3", "1"])
def test_labelled_hot_wallets_is_the_share_in_the_tagpack(world, share):
    out, truth, con = world(labelled_hot_wallets=share)
    _, rows = read_tagpack(Path(out) / "tagpack.yaml")
    labelled = {r["address"] for r in rows if r["category"] == "exchange"}
    hot = {a for (a,) in con.execute("SELECT address FROM svc WHERE kind = 'exchange_hot_wallet'").fetchall()}
    # every hot wallet really acts as one in the export: it pays many distinct addresses
    busy = _one(con, """SELECT count(*) FROM (SELECT from_address FROM transfers WHERE from_address IN
                        (SELECT address FROM svc WHERE kind = 'exchange_hot_wallet') GROUP BY 1
                        HAVING count(DISTINCT to_address) >= 5)""")
    assert busy >= len(hot) * 0.8
    assert labelled <= hot and len(labelled) == round(float(share) * len(hot))


# -- fake platforms ----------------------------------------------------------------------------------

PAID_BACK = """SELECT count(DISTINCT v.address) FROM who v
               WHERE v.role = 'victim' AND v.typology IN ('fake_platform', 'approval_drain')
                 AND EXISTS (SELECT 1 FROM transfers t JOIN who s ON s.address = t.from_address
                             WHERE t.to_address = v.address AND s.role IN ('scam_operator', 'scam_collection')
                               AND t.amount > 0)"""


def test_paybacks_none_leaves_no_payment_from_the_scam_to_its_victims(world):
    _, _, on = world(paybacks="onchain")
    _, _, none = world(paybacks="none")
    victims = _one(on, "SELECT count(*) FROM who WHERE role = 'victim' AND typology = 'fake_platform'")
    assert _one(on, PAID_BACK) >= 0.8 * victims
    assert _one(none, PAID_BACK) == 0


TIED_TO_RING = """SELECT count(*) FROM who v WHERE v.role = 'victim' AND NOT EXISTS (
                    SELECT 1 FROM transfers t JOIN who s ON s.ring = v.ring AND s.role <> 'victim'
                    WHERE (t.from_address = v.address AND t.to_address = s.address)
                       OR (t.to_address = v.address AND t.from_address = s.address))"""


@pytest.mark.parametrize("vary", [{"paybacks": "none", "payment_route": "exchange"},
                                  {"paybacks": "onchain", "payment_route": "exchange"}])
def test_every_true_victim_is_tied_to_its_ring_by_a_transfer(world, vary):
    """A role the ledger cannot show is no role to find: an exchange-paid victim never paid back is a loss
    of its ring (``on_chain: false``) but not a victim to score; one that is paid back is."""
    _, truth, con = world(**vary)
    assert _one(con, TIED_TO_RING) == 0
    victims = [v for ring in truth["rings"] if ring["typology"] == "fake_platform" for v in ring["victims"]]
    hidden = [v for v in victims if not v["on_chain"]]
    if vary["paybacks"] == "none":
        assert hidden and all(v["paid_from"] == "exchange" and not v["refunds"] for v in hidden)
        assert sum(v["lost_usd"] for v in hidden) > 0
    else:
        assert not hidden and _one(con, "SELECT count(*) FROM who WHERE role = 'victim' AND typology = 'fake_platform'") > 0


def _into_platforms(con, extra="") -> str:
    return f"""SELECT t.* FROM transfers t JOIN who c ON c.address = t.to_address
               WHERE c.role = 'scam_collection' AND c.typology = 'fake_platform' AND t.amount > 0
                 AND t.token <> 'native' {extra}"""


def test_round_amounts_no_takes_the_round_figures_away(world):
    share = "SELECT avg(CASE WHEN amount % 100000000 = 0 THEN 1 ELSE 0 END) FROM ({q}) WHERE amount >= 1000000000"
    rounds = _one(world(round_amounts="yes")[2], share.format(q=_into_platforms(world(round_amounts="yes")[2])))
    not_round = _one(world(round_amounts="no")[2], share.format(q=_into_platforms(world(round_amounts="no")[2])))
    assert rounds > 0.8 and not_round < 0.05


def test_payment_route_decides_who_sends_the_victims_money(world):
    hot = "(SELECT address FROM svc WHERE kind = 'exchange_hot_wallet')"
    from_hot = f"SELECT avg(CASE WHEN from_address IN {hot} THEN 1 ELSE 0 END) FROM ({{q}})"
    con = world(payment_route="exchange")[2]
    assert _one(con, from_hot.format(q=_into_platforms(con))) == 1.0
    con = world(payment_route="self_custody")[2]
    assert _one(con, from_hot.format(q=_into_platforms(con))) == 0.0
    # relay: every payer is a fresh wallet funded only by exchange withdrawals, used only to pay the scam
    con = world(payment_route="relay")[2]
    payers = [a for (a,) in con.execute(f"SELECT DISTINCT from_address FROM ({_into_platforms(con)})").fetchall()]
    assert payers
    for a in payers:
        senders = {s for (s,) in con.execute("SELECT DISTINCT from_address FROM transfers WHERE to_address = ? "
                                             "AND token <> 'native'", [a]).fetchall()}
        kinds = {k for (k,) in con.execute("SELECT kind FROM svc WHERE address IN (SELECT unnest(?::VARCHAR[]))",
                                           [list(senders)]).fetchall()}
        assert kinds == {"exchange_hot_wallet"}


def test_victim_banks_one_has_all_of_a_ring_s_victims_pay_from_one_exchange(world):
    def banks_per_ring(vary):
        _, truth, con = world(payment_route="exchange", **vary)
        bank = {s["address"]: s["name"] for s in truth["services"] if s["kind"] == "exchange_hot_wallet"}
        banks: dict[str, set] = {}
        for ring, sender in con.execute(f"""SELECT c.ring, t.from_address FROM ({_into_platforms(con)}) t
                                            JOIN who c ON c.address = t.to_address""").fetchall():
            banks.setdefault(ring, set()).add(bank[sender])
        return [len(b) for b in banks.values()]
    one, any_ = banks_per_ring({"victim_banks": "one"}), banks_per_ring({})
    assert one and set(one) == {1}
    assert max(any_) >= 3


def _only_added(base, con) -> None:
    """Checks that the world of ``con`` holds every transfer of the world of ``base`` (a knob that only adds), and
    keeps in ``con`` the base world's rows (``base_rows``) and those the knob added (``added``)."""
    cols = "from_address, to_address, token, amount, time"
    # a cursor of its own: other tests read the same base world, and may leave a result unfetched
    con.register("base_rows", base.cursor().sql(f"SELECT {cols} FROM transfers").to_arrow_table())
    con.execute(f"CREATE TEMP TABLE added AS SELECT {cols} FROM transfers EXCEPT ALL SELECT * FROM base_rows")
    assert _one(con, f"SELECT count(*) FROM (SELECT * FROM base_rows EXCEPT ALL SELECT {cols} FROM transfers)") == 0


def test_lenders_shared_adds_only_loans_that_two_victims_of_one_wallet_pass_on_within_the_day(world):
    """The knob adds transfers and changes nothing else: per lender, a withdrawal from an exchange's hot wallet
    and a loan to each of two victims who pay the same shared deposit wallet, each of whom pays that wallet at
    least the loan within the day after it."""
    vary = {"deposit_wallets": "shared", "payment_route": "self_custody"}
    _, _, base = world(**vary)
    _, truth, con = world(lenders="shared", **vary)
    _only_added(base, con)
    loans = con.execute(f"""
        SELECT l.from_address, l.to_address, (SELECT min(p.to_address) FROM ({_into_platforms(con)}) p
                                               WHERE p.from_address = l.to_address AND p.time > l.time
                                                 AND p.time <= l.time + INTERVAL 1 DAY AND p.amount >= l.amount)
        FROM added l JOIN who v ON v.address = l.to_address AND v.role = 'victim'""").fetchall()
    assert loans and _one(con, "SELECT count(*) FROM added") == 2 * len(loans)
    assert _one(con, "SELECT count(*) FROM added a JOIN svc s ON s.address = a.from_address "
                     "WHERE s.kind = 'exchange_hot_wallet'") == len(loans)
    by_lender: dict[str, list] = {}
    for lender, victim, wallet in loans:
        by_lender.setdefault(lender, []).append((victim, wallet))
    for lent in by_lender.values():
        assert len(lent) == 2 and lent[0][0] != lent[1][0] and lent[0][1] is not None and lent[0][1] == lent[1][1]
    assert {b["address"] for b in truth["benign"]} >= set(by_lender)
    assert not {r["address"] for r in truth["roles"] if r["role"] == "victim"} & set(by_lender)


def test_desk_customers_yes_adds_only_sales_from_own_wallets_to_the_rings_consolidation_wallets(world):
    """The knob adds transfers and changes nothing else: per customer (a wallet no other transfer touches),
    withdrawals from exchanges' hot wallets, each paid on whole, hours later, to one of the ring's laundering
    wallets that the ring's own wallets also pay, two or more times."""
    _, _, base = world()
    _, truth, con = world(desk_customers="yes")
    _only_added(base, con)
    customers = {b["address"] for b in truth["benign"] if b["kind"] == "desk_customer"}
    assert len(customers) >= 2 and not customers & {r["address"] for r in truth["roles"]}
    sales = con.execute("""
        SELECT p.from_address, p.to_address, count(*),
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM added w JOIN svc s ON s.address = w.from_address
                                              WHERE s.kind = 'exchange_hot_wallet' AND w.to_address = p.from_address
                                                AND w.token = p.token AND w.amount = p.amount
                                                AND w.time < p.time AND w.time >= p.time - INTERVAL 12 HOUR))
        FROM added p WHERE p.token <> 'native' AND p.from_address IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY ALL""", [sorted(customers)]).fetchall()
    assert {c for c, _, _, _ in sales} == customers
    assert all(n >= 2 and bought == n for _, _, n, bought in sales)
    desks = {d for _, d, _, _ in sales}
    assert desks <= {r["address"] for r in truth["roles"] if r["role"] == "laundering"}
    assert _one(con, """SELECT count(DISTINCT to_address) FROM base_rows WHERE to_address IN (SELECT unnest(?::VARCHAR[]))
                        AND from_address IN (SELECT address FROM who)""", [sorted(desks)]) == len(desks)
    assert _one(con, "SELECT count(*) FROM base_rows WHERE from_address IN (SELECT unnest(?::VARCHAR[])) "
                     "OR to_address IN (SELECT unnest(?::VARCHAR[]))", [sorted(customers)] * 2) == 0


def test_hop_cover_yes_adds_only_small_withdrawals_to_the_rings_hops_before_their_money_arrives(world):
    """The knob adds transfers and changes nothing else: each one a withdrawal from an exchange's hot wallet to
    one of the ring's laundering wallets, made before the ring's wallets first paid it, and smaller than that
    payment (in the same token)."""
    _, _, base = world()
    _, truth, con = world(hop_cover="yes")
    _only_added(base, con)
    laundering = {r["address"] for r in truth["roles"] if r["role"] == "laundering"}
    covers = con.execute("""
        SELECT a.to_address, a.time, a.amount, f.time, f.amount
        FROM added a JOIN svc s ON s.address = a.from_address AND s.kind = 'exchange_hot_wallet'
        LEFT JOIN (SELECT to_address, token, min(time) AS time, arg_min(amount, time) AS amount
                   FROM base_rows WHERE from_address IN (SELECT address FROM who WHERE role <> 'victim')
                   GROUP BY ALL) f ON f.to_address = a.to_address AND f.token = a.token""").fetchall()
    assert len(covers) >= 5 and len(covers) == _one(con, "SELECT count(*) FROM added")
    assert {hop for hop, *_ in covers} <= laundering
    assert all(paid_at is not None and t < paid_at and amount < paid for _, t, amount, paid_at, paid in covers)


def test_deposit_wallets_per_victim_gives_each_victim_its_own_wallet(world):
    payers = "SELECT to_address, count(DISTINCT from_address) AS n FROM ({q}) GROUP BY 1"
    con = world(deposit_wallets="per_victim", payment_route="self_custody")[2]
    assert _one(con, f"SELECT max(n) FROM ({payers.format(q=_into_platforms(con))})") == 1
    con = world(deposit_wallets="shared", payment_route="self_custody")[2]
    assert _one(con, f"SELECT max(n) FROM ({payers.format(q=_into_platforms(con))})") >= 3


def test_deposit_addresses_per_payment_gives_every_payment_a_fresh_wallet(world):
    """Per victim, the most payments one platform wallet took from that victim: several when the addresses
    are reused, one each when the platform shows a fresh address for every payment."""
    most = "SELECT max(n) FROM (SELECT from_address, to_address, count(*) AS n FROM ({q}) GROUP BY ALL)"
    con = world(deposit_wallets="per_victim", payment_route="self_custody")[2]
    assert _one(con, most.format(q=_into_platforms(con))) >= 3
    con = world(deposit_wallets="per_victim", payment_route="self_custody", deposit_addresses="per_payment")[2]
    assert _one(con, most.format(q=_into_platforms(con))) == 1
    assert _one(con, f"SELECT count(DISTINCT to_address) FROM ({_into_platforms(con)})") >= 3 * _one(
        con, f"SELECT count(DISTINCT from_address) FROM ({_into_platforms(con)})")


def test_growth_noisy_brings_setbacks(world):
    drops = """WITH p AS (SELECT from_address, amount, lag(amount) OVER (PARTITION BY from_address, to_address
                                                                   ORDER BY block_number, log_index) AS prev
                          FROM ({q}))
               SELECT avg(CASE WHEN amount < prev THEN 1 ELSE 0 END) FROM p WHERE prev IS NOT NULL"""
    mono = world(growth="monotone", payment_route="self_custody")[2]
    noisy = world(growth="noisy", payment_route="self_custody")[2]
    assert _one(noisy, drops.format(q=_into_platforms(noisy))) > _one(mono, drops.format(q=_into_platforms(mono))) + 0.1


# -- laundering --------------------------------------------------------------------------------------

LAUNDER_IN = """SELECT sum(t.usd) FILTER (WHERE t.from_address IN (SELECT address FROM svc WHERE kind = 'exchange_hot_wallet'))
                       / sum(t.usd)
                FROM transfers t JOIN who l ON l.address = t.to_address
                WHERE l.role = 'laundering' AND t.token <> 'native'"""


def test_laundering_mixing_brings_clean_money_into_laundering_wallets(world):
    assert _one(world(laundering_mixing="0")[2], LAUNDER_IN) in (None, 0.0)
    # half of what leaves a consolidation wallet is clean; the hops after it take the mix from it
    assert _one(world(laundering_mixing="0.5")[2], LAUNDER_IN) > 0.1


def test_wallet_reuse_shares_laundering_wallets_with_business_and_other_rings(world):
    ordinary = """SELECT count(DISTINCT l.address) FROM who l JOIN transfers t ON t.to_address = l.address
                  JOIN benign b ON b.address = t.from_address WHERE l.role = 'laundering' AND t.token <> 'native'"""
    shared = """SELECT count(*) FROM (
                    SELECT t.to_address FROM transfers t JOIN who l ON l.address = t.to_address
                    JOIN who s ON s.address = t.from_address
                    WHERE l.role = 'laundering' AND s.role IN ('scam_collection', 'laundering')
                    GROUP BY 1 HAVING count(DISTINCT s.ring) >= 2)"""
    fresh = world(wallet_reuse="no")[2]
    reused = world(wallet_reuse="yes")[2]
    assert _one(fresh, ordinary) == 0 and _one(fresh, shared) == 0
    assert _one(reused, ordinary) > 0 and _one(reused, shared) > 0


def test_sweeps_multi_hop_puts_a_wallet_between_deposit_account_and_hot_wallet(world):
    not_to_hot = """SELECT count(*) FROM transfers t JOIN svc d ON d.address = t.from_address
                    WHERE d.kind = 'exchange_deposit' AND t.token <> 'native'
                      AND t.to_address NOT IN (SELECT address FROM svc WHERE kind = 'exchange_hot_wallet')"""
    collection_direct = """SELECT count(*) FROM transfers t JOIN who c ON c.address = t.from_address
                           JOIN who k ON k.address = t.to_address
                           WHERE c.role = 'scam_collection' AND k.role = 'laundering' AND t.token <> 'native'"""
    direct = world(sweeps="direct")[2]
    multi = world(sweeps="multi_hop")[2]
    assert _one(direct, not_to_hot) == 0
    assert _one(multi, not_to_hot) > 0
    # multi-hop: the forwarders really pass the deposits on to hot wallets
    assert _one(multi, """SELECT count(*) FROM transfers t JOIN svc f ON f.address = t.from_address
                          JOIN svc h ON h.address = t.to_address
                          WHERE f.kind = 'exchange_forwarder' AND h.kind = 'exchange_hot_wallet'""") > 0
    assert _one(direct, collection_direct) > 0 and _one(multi, collection_direct) > 0


# for each payment a collection wallet received, the days until the wallet next sent anything
HELD_DAYS = """WITH ins AS (SELECT t.to_address AS a, t.time FROM transfers t JOIN who c ON c.address = t.to_address
                            WHERE c.role = 'scam_collection' AND t.token <> 'native'),
                    outs AS (SELECT from_address AS a, time FROM transfers WHERE token <> 'native')
               SELECT median(date_diff('second', i.time, o.time) / 86400.0)
               FROM ins i ASOF JOIN outs o ON o.a = i.a AND o.time >= i.time"""


def test_collection_hold_months_keeps_victims_money_for_weeks(world):
    hours = _one(world(collection_hold="hours")[2], HELD_DAYS)
    months = _one(world(collection_hold="months")[2], HELD_DAYS)
    assert hours < 2 and months > 10 * hours and months > 7


def test_gas_from_exchanges_leaves_no_shared_funder(world):
    funded = """SELECT count(*) FROM (
                    SELECT t.from_address FROM transfers t JOIN who f ON f.address = t.from_address
                    JOIN who w ON w.address = t.to_address
                    WHERE t.token = 'native' AND f.role = 'scam_operator' GROUP BY 1
                    HAVING count(DISTINCT t.to_address) >= 3)"""
    assert _one(world(gas="dedicated_funder")[2], funded) > 0
    assert _one(world(gas="exchange")[2], funded) == 0


def test_gas_payee_tops_up_the_ring_wallets_from_the_ring_wallet_they_pay(world):
    """gas_payee=yes: a collection wallet's gas comes from the ring wallet it sweeps its money to (as an exchange's
    hot wallet tops up the accounts that sweep to it); by default from a funder or an exchange, never from there."""
    from_payee = """SELECT count(DISTINCT c.address) FROM who c
                    JOIN transfers g ON g.to_address = c.address AND g.token = 'native'
                    JOIN transfers p ON p.from_address = c.address AND p.to_address = g.from_address
                                    AND p.token <> 'native'
                    JOIN who r ON r.address = g.from_address AND r.ring = c.ring
                    WHERE c.role = 'scam_collection' AND g.time < p.time"""
    assert _one(world()[2], from_payee) == 0
    assert _one(world(gas_payee="yes")[2], from_payee) >= 3


def _exchange_reach(out, truth, con) -> dict[str, tuple[int, int]]:
    """Per exchange: (distinct addresses outside the exchange its hot wallets paid, its deposit accounts and
    forwarders that swept to them)."""
    own = {s["address"]: s["name"] for s in truth["services"]
           if s["kind"] in ("exchange_hot_wallet", "exchange_deposit", "exchange_forwarder")}
    hot = {s["address"] for s in truth["services"] if s["kind"] == "exchange_hot_wallet"}
    rows = con.execute("SELECT from_address, to_address FROM transfers").fetchall()
    reach: dict[str, tuple[set, set]] = {n: (set(), set()) for n in set(own.values())}
    for frm, to in rows:
        if frm in hot and to not in own:
            reach[own[frm]][0].add(to)
        elif to in hot and frm in own and own[frm] == own[to]:
            reach[own[to]][1].add(frm)
    return {n: (len(p), len(d)) for n, (p, d) in reach.items()}


def test_exchange_use_mixed_makes_some_exchanges_off_ramps_that_withdraw_little(world):
    on = _exchange_reach(*world())
    mixed_world = world(exchange_use="mixed")
    mixed = _exchange_reach(*mixed_world)
    off = {e["name"] for e in mixed_world[1]["params"]["exchanges"] if e.get("offramp")}
    assert 1 <= len(off) < len(mixed)
    # an on-ramp pays withdrawals to far more addresses than sweep into it; an off-ramp to fewer
    assert all(paid > 2 * swept for paid, swept in on.values())
    assert all(mixed[n][0] < mixed[n][1] for n in off)
    assert all(mixed[n][0] > 2 * mixed[n][1] for n in mixed if n not in off)


def test_density_sparse_spreads_about_the_same_transfers_over_three_times_the_people(tmp_path):
    """A sparse world has the people of three normal ones, the rings and about the transfers of one: each person
    sends seldom, so the median person's payments fall by half or more. (Its own worlds: the module's world is sized
    for knobs, with more people than its transfer budget has room for.)"""
    worlds = {}
    for density in ("normal", "sparse"):
        out = tmp_path / density
        simulate(out, seed=21, users=200, days=75, scale=12_000, vary={"style": "fixed", "density": density})
        truth = json.loads((out / "truth.json").read_text())
        con = connect(":memory:")
        ingest_etl(con, out)
        _truth_tables(con, truth)
        worlds[density] = truth, con
    (normal_truth, normal), (sparse_truth, sparse) = worlds["normal"], worlds["sparse"]
    assert sparse_truth["params"]["users"] == 3 * normal_truth["params"]["users"]
    assert len(sparse_truth["rings"]) == len(normal_truth["rings"])
    count = "SELECT count(*) FROM transfers"
    assert 0.75 < _one(sparse, count) / _one(normal, count) < 1.25
    per_person = ("SELECT median(n) FROM (SELECT b.address, count(t.from_address) AS n FROM benign b "
                  "LEFT JOIN transfers t ON t.from_address = b.address GROUP BY 1)")
    assert _one(sparse, per_person) < 0.5 * _one(normal, per_person)
    for _, con in worlds.values():
        con.close()


def test_exchange_gas_wallet_tops_up_deposit_accounts_instead_of_the_hot_wallets(world):
    """Under gas_wallet each exchange's deposit accounts get their first gas from one wallet that no deposit
    account sweeps to and that a hot wallet of the same exchange funds; under hot_wallets from the hot wallets."""
    topped = """SELECT s.kind, count(DISTINCT t.to_address) FROM transfers t JOIN svc d ON d.address = t.to_address
                JOIN svc s ON s.address = t.from_address
                WHERE t.token = 'native' AND d.kind = 'exchange_deposit' GROUP BY 1"""
    hot = dict(world()[2].execute(topped).fetchall())
    _, truth, con = world(exchange_gas="gas_wallet")
    gas = dict(con.execute(topped).fetchall())
    assert hot.get("exchange_hot_wallet", 0) > 0 and "exchange_gas_wallet" not in hot
    assert gas.get("exchange_gas_wallet", 0) > 0 and "exchange_hot_wallet" not in gas
    assert _one(con, """SELECT count(*) FROM transfers t JOIN svc g ON g.address = t.to_address
                        WHERE g.kind = 'exchange_gas_wallet' AND t.token <> 'native'""") == 0
    wallets = {s["address"]: s["name"] for s in truth["services"] if s["kind"] == "exchange_gas_wallet"}
    hot_of = {s["address"]: s["name"] for s in truth["services"] if s["kind"] == "exchange_hot_wallet"}
    funders = con.execute("""SELECT t.to_address, t.from_address FROM transfers t JOIN svc g ON g.address = t.to_address
                             WHERE g.kind = 'exchange_gas_wallet'""").fetchall()
    assert funders and all(hot_of.get(f) == wallets[g] for g, f in funders)


def test_payment_gateway_per_order_gives_repeat_customers_a_fresh_address_for_every_order(world):
    """Under per_order a benign gateway appears: every order address takes one payment (from the customer's own
    wallet or straight from an exchange's hot wallet), gets its gas from the gateway's gas wallet and sweeps all of
    it to the gateway's hot wallet; customers order more than once; the hot wallet pays its merchants on several
    days; refunds come from a wallet an exchange bankrolls. Without the knob there is no gateway."""
    assert _one(world()[2], "SELECT count(*) FROM benign WHERE kind = 'gateway_order'") == 0
    _, truth, con = world(payment_gateway="per_order")
    gateway = {b["address"] for b in truth["benign"] if b["kind"] == "payment_gateway"}
    orders = {b["address"] for b in truth["benign"] if b["kind"] == "gateway_order"}
    assert len(gateway) == 3 and len(orders) >= 100
    con.execute("CREATE TEMP TABLE orders AS SELECT address FROM benign WHERE kind = 'gateway_order'")
    tokens_in = dict(con.execute("""SELECT t.to_address, count(*) FROM transfers t SEMI JOIN orders o ON o.address = t.to_address
                                    WHERE t.token <> 'native' GROUP BY 1""").fetchall())
    assert set(tokens_in) == orders and set(tokens_in.values()) == {1}
    payers = dict(con.execute("""SELECT coalesce(s.kind, b.kind), count(*) FROM transfers t SEMI JOIN orders o ON o.address = t.to_address
                                 LEFT JOIN svc s ON s.address = t.from_address LEFT JOIN benign b ON b.address = t.from_address
                                 WHERE t.token <> 'native' GROUP BY 1""").fetchall())
    assert payers.get("exchange_hot_wallet", 0) > 0 and payers.get("gateway_customer", 0) > 0
    sweeps = con.execute("""SELECT count(DISTINCT t.to_address), count(DISTINCT t.from_address) FROM transfers t
                            SEMI JOIN orders o ON o.address = t.from_address WHERE t.token <> 'native'""").fetchone()
    fuel = con.execute("""SELECT count(DISTINCT t.from_address), count(DISTINCT t.to_address) FROM transfers t
                          SEMI JOIN orders o ON o.address = t.to_address WHERE t.token = 'native'""").fetchone()
    assert sweeps == (1, len(orders)) and fuel == (1, len(orders))
    hot = con.execute("""SELECT DISTINCT t.to_address FROM transfers t SEMI JOIN orders o ON o.address = t.from_address""").fetchone()[0]
    assert hot in gateway
    assert _one(con, """SELECT max(n) FROM (SELECT t.from_address, count(*) AS n FROM transfers t
                        WHERE t.to_address IN (SELECT address FROM orders) AND t.token <> 'native'
                          AND t.from_address IN (SELECT address FROM benign WHERE kind = 'gateway_customer') GROUP BY 1)""") >= 2
    assert _one(con, """SELECT count(*) FROM (SELECT to_address FROM transfers WHERE from_address = ? AND token <> 'native'
                        GROUP BY 1 HAVING count(DISTINCT time::DATE) >= 3)""", [hot]) >= 3
    refunds = (gateway - {hot}) - {f for (f,) in con.execute(
        "SELECT DISTINCT from_address FROM transfers WHERE to_address IN (SELECT address FROM orders)").fetchall()}
    bankroll = con.execute("""SELECT DISTINCT s.kind FROM transfers t JOIN svc s ON s.address = t.from_address
                              WHERE t.to_address = ? AND t.token <> 'native'""", list(refunds)).fetchall()
    assert bankroll == [("exchange_hot_wallet",)]


def test_the_simulator_shares_no_code_or_data_with_the_detectors():
    """No label packs, price tables, detector constants or decoders: the simulator's modules (the scorer
    aside) import nothing from labels, detect, ingest or the chain registry."""
    import ast

    import pigtrace.simulate as sim

    forbidden = ("pigtrace.labels", "pigtrace.detect", "pigtrace.ingest", "pigtrace.chains.registry", "pigtrace.graph",
                 "pigtrace.trace")
    seen = []
    for path in Path(sim.__file__).parent.glob("*.py"):
        if path.name == "evaluate.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                seen += [(path.name, node.module) for f in forbidden if node.module.startswith(f)]
            elif isinstance(node, ast.Import):
                seen += [(path.name, a.name) for a in node.names for f in forbidden if a.name.startswith(f)]
    assert seen == []


def test_every_address_the_truth_names_acts_on_chain(world):
    """The truth names only addresses the ledger shows: each one sends, receives, signs, is called or is
    a token in it. An address that never acts (a poisoner the ring drew but never used) is no role anyone
    could find, and counted as one it would be a miss no detector can avoid."""
    for vary in ({}, {"style": "random"}, {"style": "random", "pace": "slow"}):
        _, truth, con = world(**vary)
        idle = con.execute("""
            SELECT w.address, w.role, w.typology FROM who w
            WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE w.address IN (t.from_address, t.to_address, t.initiator, t.token))
              AND NOT EXISTS (SELECT 1 FROM transactions x WHERE w.address IN (x.from_address, x.to_address))""").fetchall()
        assert not idle, (vary, idle)
