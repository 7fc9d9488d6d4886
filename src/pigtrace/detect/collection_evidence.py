"""Scam collection from the economics of taking money, for any asset and any typology, and the rings
its wallets form.

Place in the flow: flow_services -> collection_features -> **collection_evidence** (findings
scam_collection and victim, rings) -> laundering and cash_out walk forward from the wallets it found.

Every candidate wallet gets the evidence model's probability (detect/evidence_model, weights in
data/models/collection.json): devoted and repeat payers, money from on-ramps, little given back, money
passed on fast, a short life, a destination shared with other such wallets. No tell is required; each
finding lists the tells that raised its score and the one that lowered it most.

Rings: the wallets found are joined when they send most of their money to the same wallet (shared
consolidation), get gas from the same funder, share a payer (the same victim), or pay the same next hop (a
wallet that takes most of what people pay it from such wallets, whatever share of theirs it got). Each ring's
wallets, with the link that joined each, and its victims go to ``AnalysisContext.rings``, which `analyze`
stores in the ``rings`` table. A wallet just under the
threshold joins when its ring holds at least ``RING_MIN`` found wallets: a per-victim deposit wallet with
one payer counts when its ring has many (only wallets with at most ``LONE_PAYERS`` payers join so).
A ring that holds its takings for weeks, which the model weighs against (a long hold is a saver's), is
found from the ring itself (the wallet its wallets pass the money to, through one-off hops where they sweep
so), or from a wallet whose victim kept paying it more (``_held_ring``); a single
wallet that many people devoted to it paid, and that passed everything on, is found however long it held
(``_taken_from_many``), and so is one that a few devoted people paid, that passed it on and then went quiet
after a brief life (``_brief_life``). A wallet fed mostly by collection wallets (these, or those the typology detectors
named) is downstream: laundering; so is a wallet that would join a ring but that the ring's own money reached,
however many payments after the found wallets (``_ring_fed``). A wallet filled mostly from exchanges that pays
another found wallet is a victim's own wallet paying the scam (``_upstream``), unless a person paid it and, in
turn, another wallet passing its money to the same place, each payment passed on within the day: then it is one of
a platform's rotating deposit wallets (``_paid_in_turn``). A wallet that spread most of what it paid
over ``FAN_WAYS`` or more one-off wallets near the threshold (each paid by it alone, once, passing it on) is the
collection wallet sweeping through fresh hops, and they its hops, not deposit wallets with it as their victim
(``_fans_out``), unless those one-off wallets lead to places (followed on through further one-off wallets) that
such wallets of several people lead to, each person paying several of them a good share of all they sent: a
platform showing a fresh address for every payment, whose addresses are its collection wallets and those people
its victims (``_per_payment``); so are such addresses an exchange paid (a victim ordering their exchange to pay),
many of them leading to one place that is no service (``_withdrawn_to_one_place``). A wallet whose gas a wallet
it pays topped up, one that fuelled ``FUELLED_ACCOUNTS`` or more wallets paying it, is none (``_fuelled_by_payee``): an
exchange nobody labelled fuels its customers' deposit accounts from the hot wallets they sweep to, and those
accounts look like a ring's deposit wallets. A ring that fuels
its deposit wallets from the wallet they sweep to escapes this way, and so does an exchange whose accounts
get their gas from one hot wallet and sweep to another. A wallet paid mostly by withdrawals from one or two
exchanges, that nobody paid half of all they sent and that was in use for two months or more, is a person's own
wallet spending what they withdraw, whatever the model makes of its passing everything on (``_own_wallet``).

Victims: the wallets (not services, not found scam wallets, not wallets whose own money came mostly from
found scam wallets) that paid the found wallets at least ``VICTIM_SHARE`` of all they ever sent (or paid a
wallet scoring ``VICTIM_SURE``), scored by the wallet's probability and by that share: a customer of a
wallet wrongly taken for a scam spent a sliver of their money there, a victim most of it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pigtrace.arrays import distinct
from pigtrace.detect import collection_features as cf
from pigtrace.detect import evidence_model
from pigtrace.detect.gas import gas_topup_sql
from pigtrace.detect.base import AnalysisContext, Detector, Finding
from pigtrace.detect.flow_evidence import collect, usd
from pigtrace.detect.flow_services import rows_touching, settling_sql, value_of
from pigtrace.detect.flow_taint import RING_HOP, store_pairs
from pigtrace.entities import table as entity_table

THRESHOLD = 0.5  # the model's probability: about even odds on the check worlds (data/models/collection.json)
RING_THRESHOLD = 0.2  # a wallet at this probability joins when its ring holds RING_MIN found wallets
# an exchange's hot wallet fuels many of the accounts that sweep to it; a wallet paid back a little gas once is
# no exchange (on XBlock's real phishing accounts the rule without this count lost more right findings than
# wrong ones)
FUELLED_ACCOUNTS = 5
RING_MIN = 3
LONE_PAYERS = 2  # only a wallet with at most this many payers joins for its ring (a per-victim deposit wallet;
# an exchange whose customer paid through it is one payer, not one per payment)
VICTIM_SHARE = 0.2  # a payer is a victim when it sent the ring this share of all it sent ...
VICTIM_SURE = 0.9  # ... or paid a wallet scoring at least this
RELAY_ONRAMP, RELAY_HOURS = 0.1, 24.0  # a relay: under this share of its money from services, passed on this fast
COVERED = 0.99  # a payment passed on: a payment on of at least this share of it (fees aside)
MIN_VICTIM_USD = 10.0  # a payment smaller than this is not a loss worth a victim finding
DOWNSTREAM_SHARE = 0.5  # of the money people paid a wallet, the share from found wallets that makes it downstream
SPLIT_WAYS = 3  # a wallet mainly funding this many found wallets splits the scam's money, it does not pay the scam
# ... nor does a wallet people pay into: PAID_INTO or more people paid it three times or more, and as many sent it
# at least half of all they sent (a victim's own wallet gets its exchange's withdrawals and a friend's payment;
# a deposit wallet the victims' exchanges pay is paid by the ring's other victims from their own wallets too)
PAID_INTO = 3
# A wallet that paid FAN_WAYS or more fresh one-off wallets (paid once, by it alone, passing FAN_PASSED on) most
# of what it paid out sweeps through hops (_fans_out)
FAN_WAYS, FAN_PASSED = 2, 0.9
# A platform that shows a fresh address for every payment: one-off wallets (paid once, by one payer, passing
# FAN_PASSED on to one wallet) whose destination such wallets of PER_PAYMENT_PAYERS or more people feed, each
# person paying PER_PAYMENT_REPEAT or more of them at least VICTIM_SHARE of all they sent (_per_payment)
PER_PAYMENT_PAYERS, PER_PAYMENT_REPEAT = 3, 2
PER_PAYMENT_ONRAMP = 0.5  # ... people whose own money came at least this share from exchanges or other services,
PER_PAYMENT_DAYS = 1  # ... paying again days later (a wallet sweeping through fresh hops pays them all at once)
PER_PAYMENT_HOPS = 4  # where an address leads: followed on through this many one-off addresses at most
# a wallet that pays this many people pays like an exchange's hot wallet: what a person got from one nobody labelled
# is on-ramp money too (a victim of a per-payment ring was missed when its exchange's hot wallet was unlabelled)
PER_PAYMENT_BUSY = 25
PER_PAYMENT_WITHDRAWN = PER_PAYMENT_PAYERS * PER_PAYMENT_REPEAT
# ... unless that wallet settles with its counterparties as a business does (flow_services.settling_sql)
# A wallet that would join a ring is downstream when the ring's own money reached it: at least DOWNSTREAM_SHARE
# of all it received came from found wallets or from wallets so fed, however many payments after them (a peel
# chain is as long as its launderer makes it), never through a service or an exchange deposit account.
# A ring that holds: wallets that kept their payers' money at least HELD_DAYS (median), each paid by people who
# sent it at least half of all they sent, or who came back and paid it more than at first (either HELD_DEVOTED
# of its payers: victims who also spend at shops are not devoted to a rotating pool's wallets), with money from
# on-ramps (HELD_ONRAMP),
# gave nothing back (under HELD_BACK) and in the end passed at least HELD_PASSED of it on, mostly
# (HELD_TOP of what they sent) to one wallet that is no service, which RING_MIN of them share.
HELD_DAYS, HELD_DEVOTED, HELD_ONRAMP, HELD_BACK, HELD_PASSED, HELD_TOP = 3.0, 0.5, 0.5, 0.02, 0.9, 0.25
HELD_SERVICES = 0.1
# A courted wallet alone (see _held_ring) passes its takings on within COURTED_DAYS (median): a ring moves
# victims' deposits on before they complain. Chosen on XBlock's accounts first seen before 2018: at 120 days the
# rule flagged 8 more normal accounts (held 4-74 days, a person topping up their own second wallet), no
# phishing one; at 21 days one. Breaks on a ring that keeps deposits longer (collection_hold=months).
COURTED_DAYS = 21.0
# Two such wallets sharing the wallet they pass the money to, each with a courted payer, are a ring however
# long they held (a ring's deposit wallets keeping their takings for months before one sweep)
COURTED_PAIR = 2
# A wallet that takes from many: at least MANY_DEVOTED payers devoted to it (they paid it at least half of all
# they sent) with money from on-ramps, nothing given back, and in the end at least MANY_PASSED of it passed on,
# not to services.
MANY_DEVOTED, MANY_PASSED = 8, 0.95
# A wallet that lived briefly: BRIEF_DEVOTED or more payers devoted to it, nothing given back, at least
# HELD_PASSED passed on (not to services), all within BRIEF_DAYS, and then nothing more for at least
# BRIEF_DAYS before the ledger ends (a wallet still busy at the end, or a ledger too short to show a life's
# end, does not count). A scam wallet is dropped once reported; a person's or a shop's wallet lives on. Chosen
# on XBlock's accounts first seen before 2018: 5 of the 38 phishing accounts missed there found, no normal
# account flagged (by the features alone: at three devoted payers or two, 60 or 90 days, no normal account).
BRIEF_DEVOTED, BRIEF_DAYS = 3, 60
OWN_SETTLED_DAYS = 6
# A person's own wallet: at least OWN_WITHDRAWN of what it received came straight from exchanges and other services
# (its owner's withdrawals), from at most OWN_EXCHANGES exchanges, no payer sent it half of all they sent, and it
# was in use OWN_DAYS or more. Its owner spends what they withdraw (the model, fitted on an economy whose people
# keep money, weighs passing everything on as a scam wallet's tell); the victims of a ring that has their exchanges
# pay its wallet bank at several exchanges. Breaks on a ring whose victims all bank at one or two exchanges and pay
# from there into a wallet the ring keeps using for months.
OWN_WITHDRAWN, OWN_EXCHANGES, OWN_DAYS = 0.5, 2, 60.0
OWN_CAP = RING_THRESHOLD / 2  # its score is held under the ring threshold: not found, nor joined for a ring


def _feature(row: np.ndarray, name: str) -> float:
    return float(row[cf.FEATURE_INDEX[name]])


# The rules that name a wallet whatever the model's score, in the order a finding lists them, with the words it
# gives for each (from the wallet's raw feature row)
RAISED_REASONS: dict[str, Callable[[np.ndarray], str]] = {
    "held": lambda row: (
        f"a ring that holds: it kept what people paid it a median {_feature(row, 'hold_d'):.0f} days, gave none "
        f"back, then passed it on, as {RING_MIN - 1} or more such wallets did to the same wallet or after someone "
        "paid it three times or more, more at the end, each fed by people who paid it most of all they had"),
    "many": lambda row: (
        f"took from many: {_feature(row, 'devoted'):.0f} payers paid it most of all they sent, it gave none back "
        f"and passed {_feature(row, 'passed'):.0%} on, however long it held it"),
    "brief": lambda row: (
        f"lived briefly: {_feature(row, 'devoted'):.0f} payers paid it most of all they sent, it gave none back "
        f"and passed {_feature(row, 'passed'):.0%} on within {_feature(row, 'life_d'):.0f} days, then went quiet "
        f"for {BRIEF_DAYS} days or more (a scam wallet is dropped once reported; a person's or a shop's lives on)"),
    "per_payment": lambda row: (
        f"a one-off address: paid once, by a person or by an exchange on its customer's order, it passed the money "
        f"straight on (through fresh hops or not) to where {PER_PAYMENT_PAYERS} or more people paid the same way, each "
        f"through {PER_PAYMENT_REPEAT} or more such addresses and at least {VICTIM_SHARE:.0%} of all they sent, or "
        f"where {PER_PAYMENT_WITHDRAWN} or more such addresses an exchange paid lead (a platform that shows a fresh "
        "address for every payment)"),
    "fans": lambda row: (
        f"split what it took over {FAN_WAYS} or more one-off wallets that only it paid, once each, and that passed "
        "it straight on: a collection wallet sweeping through fresh hops (a victim pays wallets the scam keeps "
        "using)"),
}


def _kept_nothing_sql(alias: str = "", devoted: bool = True, passed: bool = True) -> str:
    """SQL over ``pt_cf`` (``alias``, or unprefixed): people devoted to the wallet paid it (unless not
    ``devoted``), it gave back under HELD_BACK of it and passed at least HELD_PASSED on (unless not ``passed``),
    under HELD_SERVICES of that straight to services."""
    c = f"{alias}." if alias else ""
    return ((f"{c}devoted_share >= {HELD_DEVOTED} AND " if devoted else "")
            + (f"{c}passed >= {HELD_PASSED} AND " if passed else "")
            + f"{c}back < {HELD_BACK} AND {c}to_services < {HELD_SERVICES}")


class CollectionEvidence(Detector):
    id = "collection_evidence"
    concept = "collection_wallet"
    help = (
        "Scam collection wallet, from the economics of taking money whatever the asset or story: payers that "
        "send it much of all they have and pay again, money that came to them from exchanges, little or "
        "nothing paid back, the money passed on within hours, a short life, and other such wallets sending "
        "to the same place. A logistic model trained on simulated worlds weighs these tells; none is "
        "required. Its payers are the victims; its wallets are grouped into rings by shared consolidation, "
        "gas funder, victims or next hops. A wallet that holds its takings for weeks, which the model weighs "
        "against, is found from its ring, from a person who kept paying it more (passed on within 3 weeks), or "
        "from many payers who each sent it most of what they had, or from a few such payers and a brief life "
        "followed by months of silence; a wallet the ring's own money reached is laundering, "
        "a wallet its owner fills from their own exchange account and spends from for months is theirs, "
        "and a wallet that spread its money over one-off wallets only it paid is the collection wallet sweeping "
        "through hops."
    )
    severity = "high"
    confidence = "medium"
    roles = ("scam_collection", "victim", "laundering")
    # and the collection wallets the typology detectors found: what they pass on is downstream of the scam
    reads = ("entities", "pt_value", "pt_services", "pt_deposits", "pt_token_info", "pt_cf_flow", "pt_cf_pair",
             "pt_cf_node", "pt_cf_hold", "pt_cf", "pt_cf_service", "findings:screening_hits", "findings:approval_drain",
             "findings:fake_platform", "findings:poisoning")
    writes = ("findings:collection_evidence",)

    def detect(self, ctx: AnalysisContext) -> list[Finding]:
        con = ctx.con
        keys, raw = cf.matrix(con)
        if not len(keys):
            return []
        model = evidence_model.load("collection")
        X = cf.transform(raw)
        p = model.score(X)
        _one_off_places(con)
        held = _held_ring(con, keys)
        many = _taken_from_many(raw) & ~held
        brief = _brief_life(con, keys) & ~held & ~many
        own = _own_wallet(con, keys) & ~held & ~many & ~brief
        # the model's score, and with the evidence it weighs wrongly for wallets that hold or that a person spends from
        p_model = p
        p = np.where(held | many | brief, np.maximum(p, THRESHOLD), np.where(own, np.minimum(p, OWN_CAP), p))
        near = p >= RING_THRESHOLD
        near &= ~_upstream(ctx, keys, near)
        per_payment, per_payment_payers = _per_payment(con, keys)
        per_payment &= ~held & ~many & ~brief
        business = _to_business(con, keys, near)  # a gateway's per-order addresses
        # a victim the typology detectors named (paid 'profits' by a platform's payout wallet) pays fresh addresses
        # as a collection wallet sweeping through hops would
        named_victims = np.array([f"{f.chain}:{f.address}" for f in ctx.findings if f.role == "victim"], dtype=object)
        fans = _fans_out(con, keys, near & ~business) & ~near & ~per_payment_payers & ~_named(keys, named_victims)
        p = np.where(fans | per_payment, np.maximum(p, THRESHOLD), p)
        near |= fans | per_payment
        ring_of, link_of = _rings(ctx, keys, p)
        sizes = np.bincount(ring_of[ring_of >= 0]) if (ring_of >= 0).any() else np.zeros(0, int)
        store_pairs(con, "pt_ce_typology", {(f.chain, f.address) for f in ctx.findings if f.role == "scam_collection"})
        down = _downstream(ctx, keys, near & ~per_payment_payers)  # people paying fresh addresses are victims
        # people paying a platform's fresh addresses days apart are its victims, whatever the model makes of a
        # wallet that withdraws again and again and passes all of it on (a held or many-payer rule still names one)
        found = (p >= THRESHOLD) & near & ~down & ~(per_payment_payers & ~(held | many | brief))
        joined = (p < THRESHOLD) & near & (ring_of >= 0) & ~down
        joined[joined] = sizes[ring_of[joined]] >= RING_MIN
        joined &= _payers(con, keys, joined) <= LONE_PAYERS
        joined &= ~business
        joined &= ~_split_off(con, keys, joined, near)
        joined &= ~_ring_fed(con, keys, found, joined)
        fuelled = _fuelled_by_payee(con, keys)
        settles = _settles(con, keys, found | joined)
        found &= ~fuelled & ~settles
        joined &= ~fuelled & ~settles
        chosen = np.flatnonzero(found | joined)
        # rings numbered 1, 2, ... among the wallets named, largest first
        named = ring_of[chosen]
        ids, counts = np.unique(named[named >= 0], return_counts=True)
        renumber = np.full(int(ring_of.max()) + 2, -1, dtype=np.int64)  # slot -1 (no ring) stays -1
        renumber[ids[np.argsort(-counts, kind="stable")]] = np.arange(len(ids))
        ring_of = renumber[ring_of]
        raised = {"held": held, "many": many, "brief": brief, "per_payment": per_payment, "fans": fans}
        findings = self._collection(ctx, keys, raw, X, p_model, p, model, chosen, joined & ~held & ~many & ~brief,
                                     ring_of, raised)
        findings += self._ring_hops(ctx, keys, np.flatnonzero((p >= THRESHOLD) & down), near)
        findings += self._victims(ctx, findings)
        links = {keys[i]: link_of[i] for i in chosen if ring_of[i] >= 0}
        ctx.rings = [(f.chain, f.ring, f.address, f.role,
                      links.get(f"{f.chain}:{f.address}") if f.role == "scam_collection" else "paid the ring")
                     for f in findings if f.ring]
        return findings

    def _collection(self, ctx, keys, raw, X, p_model, p, model, chosen, joined, ring_of,
                    raised: dict[str, np.ndarray]) -> list[Finding]:
        """Findings for the wallets at ``chosen``; ``raised``: for each rule of RAISED_REASONS, the wallets it
        named whatever the model's score (their score is at least THRESHOLD, their reasons say why)."""
        con = ctx.con
        _candidates(con, "pt_ce_found", keys, chosen, p)
        seen = {(c, a): (f, l) for c, a, f, l in con.execute(
            "SELECT f.chain, f.address, c.first_seen, c.last_seen FROM pt_ce_found f JOIN pt_cf c USING (chain, address)"
        ).fetchall()}
        evidence = collect(con, f"""SELECT k.chain, k.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount,
                                          v.usd, 'payment received', v.usd
                                   FROM pt_ce_found k JOIN {value_of("pt_ce_found", "address", "dst")} v ON v.chain = k.chain AND v.dst = k.address""")
        out = []
        for i in chosen:
            chain, address = keys[i].split(":", 1)
            ring = f"ring-{ring_of[i] + 1}" if ring_of[i] >= 0 else None
            why = evidence_model.reasons(model, X[i], raw[i], cf.FEATURES)
            score = float(p_model[i])
            if joined[i]:
                why.append(f"joined for its ring {ring}, which holds {RING_MIN} or more such wallets")
                score = max(score, THRESHOLD)
            for rule, named in raised.items():
                if named[i]:
                    why.append(RAISED_REASONS[rule](raw[i]))
                    score = max(score, THRESHOLD)
            first, last = seen.get((chain, address), (None, None))
            out.append(Finding(chain=chain, address=address, role="scam_collection", typology="scam_collection",
                               score=score, first_seen=first, last_seen=last,
                               reasons=[f"collection evidence {p_model[i]:.2f}: " + "; ".join(why)],
                               evidence=evidence.get((chain, address), []), ring=ring))
        return out

    def _ring_hops(self, ctx: AnalysisContext, keys: np.ndarray, rows: np.ndarray, near: np.ndarray) -> list[Finding]:
        """Laundering findings for the wallets at ``rows``: they look like collection wallets, but the people
        who paid them are the ring's wallets. Scored by the share of all they took in that came from the
        ring (clean money mixed in lowers it); the scam's money is walked on from them (flow_taint.is_seed):
        what a ring's wallet passes on goes where the ring sends it, whatever else it took in."""
        if not len(rows):
            return []
        con = ctx.con
        _candidates(con, "pt_ce_hop", keys, rows)
        _candidates(con, "pt_ce_ring", keys, np.flatnonzero(near))
        got = con.execute(f"""
            SELECT h.chain, h.address, c.first_seen, c.last_seen, c.in_usd,
                   sum(f.usd) FILTER (WHERE r.address IS NOT NULL) AS from_ring,
                   count(DISTINCT f.src) FILTER (WHERE r.address IS NOT NULL) AS ring_payers
            FROM pt_ce_hop h JOIN pt_cf c USING (chain, address)
            JOIN {cf.flow_touching("dst_ref", "pt_ce_hop", "address")} f ON f.chain = h.chain AND f.dst = h.address
            LEFT JOIN pt_ce_ring r ON r.chain = f.chain AND r.address = f.src
            GROUP BY ALL ORDER BY h.chain, h.address""").fetchall()
        evidence = collect(con, f"""SELECT k.chain, k.address, v.tx_hash, v.time, v.src, v.dst, v.token, v.amount,
                                          v.usd, 'payment from the ring', v.usd
                                   FROM pt_ce_hop k JOIN {value_of("pt_ce_hop", "address", "dst")} v ON v.chain = k.chain AND v.dst = k.address
                                   SEMI JOIN pt_ce_ring r ON r.chain = v.chain AND r.address = v.src""")
        out = []
        for chain, address, first, last, in_usd, from_ring, ring_payers in got:
            share = min(float(from_ring or 0.0) / float(in_usd), 1.0) if in_usd else 0.0
            out.append(Finding(
                chain=chain, address=address, role="laundering", typology=RING_HOP, score=max(share, 0.5),
                first_seen=first, last_seen=last,
                reasons=[f"paid by the ring: the people who paid it were scam wallets ({ring_payers} of them, "
                         f"{usd(from_ring or 0.0)}, {share:.0%} of all it took in; the rest came from exchanges "
                         f"or the ring's hops), and it passed the money on"],
                evidence=evidence.get((chain, address), [])))
        return out

    def _victims(self, ctx: AnalysisContext, found: list[Finding]) -> list[Finding]:
        if not found:
            return []
        con = ctx.con
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE pt_ce_victim AS
               WITH paid AS (
                   SELECT f.chain, f.src AS address, fsum(f.usd) AS usd, count(*) AS payments, max(k.p) AS p,
                          min(f.time) AS first_seen, max(f.time) AS last_seen, arg_max(k.address, (f.usd, k.address)) AS wallet
                   FROM {cf.flow_touching("dst_ref", "pt_ce_found", "address")} f
                   JOIN pt_ce_found k ON k.chain = f.chain AND k.address = f.dst
                   WHERE NOT f.src_service
                     AND NOT EXISTS (SELECT 1 FROM pt_ce_found x WHERE x.chain = f.chain AND x.address = f.src)
                   GROUP BY ALL)
               SELECT p.*, p.usd / nullif(n.out_usd, 0) AS share
               FROM paid p JOIN pt_cf_node n USING (chain, address)
               LEFT JOIN pt_cf_hold h USING (chain, address)
               -- a victim pays from its own savings: a wallet that relays within a day money that did not
               -- come from an exchange or other service is a hop of someone's laundering, not a victim
               WHERE NOT (coalesce(n.svc_in / nullif(n.in_usd, 0), 0) < {RELAY_ONRAMP}
                          AND coalesce(h.hold_h, 1e9) < {RELAY_HOURS})
               -- a wallet whose own money came mostly from the scam's wallets is part of the scam, not its victim
                 AND coalesce((SELECT sum(f.usd) FROM {cf.flow_touching("src_ref", "pt_ce_found", "address")} f SEMI JOIN pt_ce_found k
                                 ON k.chain = f.chain AND k.address = f.src
                               WHERE f.chain = p.chain AND f.dst = p.address), 0) < 0.5 * n.in_usd"""
        )
        rows = con.execute(
            f"SELECT chain, address, usd, payments, p, share, first_seen, last_seen, wallet FROM pt_ce_victim "
            f"WHERE usd >= {MIN_VICTIM_USD} AND (share >= {VICTIM_SHARE} OR p >= {VICTIM_SURE}) ORDER BY chain, address"
        ).fetchall()
        evidence = collect(con, f"""SELECT v.chain, v.address, f.tx_hash, f.time, f.src, f.dst, f.token, f.amount,
                                          f.usd, 'payment to a scam collection wallet', f.usd
                                   FROM pt_ce_victim v JOIN {value_of("pt_ce_victim", "address", "src")} f ON f.chain = v.chain AND f.src = v.address
                                   SEMI JOIN pt_ce_found k ON k.chain = f.chain AND k.address = f.dst""")
        ring = {(f.chain, f.address): f.ring for f in found}
        out = []
        for chain, address, paid, n, p, share, first, last, wallet in rows:
            share = min(float(share or 0.0), 1.0)
            out.append(Finding(
                chain=chain, address=address, role="victim", typology="scam_collection",
                score=float(p) * (0.6 + 0.4 * share), first_seen=first, last_seen=last,
                reasons=[f"paid {usd(paid)} in {n} payment(s) to scam collection wallet(s) such as {wallet} "
                         f"(collection evidence {p:.2f}); that is {share:.0%} of all it sent"],
                evidence=evidence.get((chain, address), []), ring=ring.get((chain, wallet))))
        return out


def _candidates(con, name: str, keys: np.ndarray, rows: np.ndarray, p: np.ndarray | None = None) -> None:
    """Temp table ``name`` (chain, address, i, p) of the candidates at positions ``rows``."""
    split = [k.split(":", 1) for k in keys[rows].tolist()]
    table = pa.table({"chain": pa.array([c for c, _ in split], pa.string()),
                      "address": pa.array([a for _, a in split], pa.string()),
                      "i": pa.array(rows.astype(np.int64), pa.int64()),
                      "p": pa.array((p[rows] if p is not None else np.zeros(len(rows))).astype(np.float64))})
    con.register("pt_ce_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM pt_ce_arrow")
    con.unregister("pt_ce_arrow")


def _one_off_places(con) -> None:
    """One-off addresses and where they lead (``pt_ce_pp_hop``: ref, payer, destination, usd, first time, paid by
    a service; ``pt_ce_pp_place``: ref, place; ``pt_ce_pp_service``: the services' refs): wallets one payer paid
    once (gas top-ups aside) that passed at least FAN_PASSED of it on, most of it to one wallet, none of it taken
    by a spender; the place is that wallet, followed on through further one-off addresses up to PER_PAYMENT_HOPS."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE pt_ce_pp_hop AS
        WITH once AS (SELECT dst_ref AS ref, any_value(src_ref) AS payer, sum(usd) AS usd,
                             bool_or(src_service) AS from_service FROM pt_cf_pair
                      GROUP BY dst_ref HAVING count(*) = 1 AND sum(n) = 1),
        passed AS (SELECT o.ref, o.payer, o.usd, o.from_service, n.t0 FROM once o JOIN pt_cf_node n USING (ref)
                   WHERE n.out_usd >= {FAN_PASSED} * n.in_usd AND n.in_usd > 0),
        dest AS (SELECT q.src_ref AS ref, arg_max(q.dst_ref, (q.usd, q.dst_ref)) AS x, max(q.usd) AS top, sum(q.usd) AS out
                 FROM pt_cf_pair q SEMI JOIN passed p ON p.ref = q.src_ref GROUP BY q.src_ref),
        -- what left the address was taken by someone else (an approved spender draining it): it is a victim's
        pulled AS (SELECT DISTINCT v.src_ref AS ref FROM pt_value v SEMI JOIN passed p ON p.ref = v.src_ref
                   WHERE v.initiator <> v.src)
        SELECT p.ref, p.payer, d.x, p.usd, p.t0, p.from_service FROM passed p JOIN dest d USING (ref)
        WHERE d.top >= {FAN_PASSED} * d.out AND p.ref NOT IN (SELECT ref FROM pulled)""")
    hop = con.execute("SELECT ref, x FROM pt_ce_pp_hop ORDER BY ref").fetchnumpy()
    refs, x = np.asarray(hop["ref"], dtype=np.int64), np.asarray(hop["x"], dtype=np.int64)
    place = x.copy()
    for _ in range(PER_PAYMENT_HOPS):  # on through one-off addresses to the first wallet that is not one
        at = np.searchsorted(refs, place)
        inside = at < len(refs)
        inside[inside] = refs[at[inside]] == place[inside]
        if not inside.any():
            break
        place = np.where(inside, x[np.minimum(at, len(refs) - 1)], place)
    con.register("pt_ce_pp_arrow", pa.table({"ref": pa.array(refs), "place": pa.array(place)}))
    con.execute("CREATE OR REPLACE TEMP TABLE pt_ce_pp_place AS SELECT * FROM pt_ce_pp_arrow")
    con.unregister("pt_ce_pp_arrow")
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_ce_pp_service AS
                   SELECT a.ref FROM pt_cf_service s JOIN addresses a USING (chain, address)""")


def _held_ring(con, keys: np.ndarray) -> np.ndarray:
    """Candidates of a ring that holds its takings for weeks (the model weighs a long hold against a
    wallet, as a saver's or a merchant's): each was paid by people devoted to it, or who came back with more,
    whose money came from on-ramps, gave nothing back, held the money at least HELD_DAYS and then passed it
    on (what it had by its last payment out: the takings after its last sweep wait for the next one when the
    ledger ends), mostly to one wallet (no service) that people pay mostly through such wallets
    (DOWNSTREAM_SHARE) and that RING_MIN or more such wallets pay. A payee that is a one-off address
    (``_one_off_places``) stands for the place it leads to: a ring sweeping each deposit wallet through fresh
    hops shares no payee, only the place. A wallet alone is enough when someone courted paid it: a person (not an exchange: a saver topping up from
    their account is no victim) came back three times or more and paid
    more later than at first (a deposit the scam kept asking for, ``courted``), wherever it sent the money
    (a ring that reuses a busy wallet as its next hop), if it passed it on within COURTED_DAYS, all of it
    (on XBlock's accounts first seen before 2018, counting only what a lone wallet had by its last payment
    out flagged two normal accounts more, each paid a large sum months after its last payment). One
    person's savings moved on, or a shop's takings, have no such companions and no such payer (a saver
    moves what they bought once, not in ever larger instalments from a devoted payer); savers paying a
    shop are a sliver of its takings; victims relaying from their exchange have no devoted payers. A ring
    that spreads its sweeps over many wallets, each shared by fewer than RING_MIN, and whose victims paid
    once or never more than at first, escapes."""
    hits = con.execute(f"""
        WITH pre AS (SELECT f.chain, f.address, f.hold_d, f.payers, f.devoted_share, f.passed, n.ref, n.out_usd
                     FROM pt_cf f JOIN pt_cf_node n USING (chain, address)
                     WHERE f.payers >= 1 AND {_kept_nothing_sql("f", devoted=False, passed=False)}
                       AND f.onramp >= {HELD_ONRAMP} AND f.hold_d >= {HELD_DAYS}),
        again AS (SELECT q.dst_ref AS ref, count(*) FILTER (WHERE q.n >= 2 AND q.last_usd > q.first_usd) AS more,
                         bool_or(q.n >= 3 AND q.last_usd > q.first_usd) AS asked
                  FROM pt_cf_pair q SEMI JOIN pre p ON p.ref = q.dst_ref WHERE NOT q.src_service AND q.n >= 2
                  GROUP BY ALL),
        paid_by AS (SELECT p.chain, p.address, p.hold_d, p.ref, p.out_usd, p.passed, coalesce(a.asked, false) AS asked
                    FROM pre p LEFT JOIN again a USING (ref)
                    WHERE p.devoted_share >= {HELD_DEVOTED} OR coalesce(a.more, 0) >= {HELD_DEVOTED} * p.payers),
        -- what reached it after its last payment out it still holds when the ledger ends: not swept yet, not
        -- kept (a ring sweeps its deposit wallets every week or two, the last takings wait for the next sweep)
        last_out AS (SELECT f.src_ref AS ref, max(f.time) AS t FROM pt_cf_flow f
                     SEMI JOIN paid_by p ON p.ref = f.src_ref AND p.passed < {HELD_PASSED} GROUP BY ALL),
        swept AS (SELECT p.ref FROM paid_by p JOIN last_out o USING (ref) JOIN pt_cf_flow f ON f.dst_ref = p.ref
                  WHERE f.time <= o.t GROUP BY p.ref, p.out_usd HAVING p.out_usd >= {HELD_PASSED} * sum(f.usd)),
        held AS (SELECT * FROM paid_by WHERE passed >= {HELD_PASSED} OR ref IN (SELECT ref FROM swept)),
        -- where each one's money went, through one-off addresses to the place they lead (a ring sweeping each
        -- deposit wallet through fresh hops)
        sent AS (SELECT h.ref, coalesce(p.place, q.dst_ref) AS place, sum(q.usd) AS usd
                 FROM pt_cf_pair q JOIN held h ON h.ref = q.src_ref LEFT JOIN pt_ce_pp_place p ON p.ref = q.dst_ref
                 GROUP BY ALL),
        top AS (SELECT s.ref, arg_max(s.place, (s.usd, s.place)) AS place, max(s.usd) AS usd FROM sent s GROUP BY s.ref),
        w AS (SELECT h.chain, h.address, h.ref, t.place AS top_dst, h.hold_d, h.passed, h.asked
              FROM held h JOIN top t USING (ref)
              WHERE t.usd >= {HELD_TOP} * h.out_usd AND t.place NOT IN (SELECT ref FROM pt_ce_pp_service)),
        -- a wallet alone passed everything on (the tail a ring's wallet had not swept yet has its companions)
        c AS (SELECT *, asked AND hold_d <= {COURTED_DAYS} AND passed >= {HELD_PASSED} AS courted FROM w),
        shared AS (SELECT top_dst, count(*) >= {RING_MIN} OR count(*) FILTER (WHERE asked) >= {COURTED_PAIR} AS many
                   FROM c GROUP BY ALL HAVING many OR bool_or(courted)),
        -- the shared wallet is the ring's: most of what people paid it came from such wallets, straight or
        -- through one-off addresses (a shop many people pay, some from their savings, is paid mostly by others)
        paid AS (SELECT q.dst_ref AS top_dst, q.usd, q.src_ref, h.payer
                 FROM pt_cf_pair q SEMI JOIN shared s ON s.top_dst = q.dst_ref
                 LEFT JOIN pt_ce_pp_hop h ON h.ref = q.src_ref WHERE NOT q.src_service),
        ring AS (SELECT p.top_dst FROM paid p GROUP BY ALL
                 HAVING sum(p.usd) FILTER (WHERE p.src_ref IN (SELECT ref FROM c) OR p.payer IN (SELECT ref FROM c))
                        >= {DOWNSTREAM_SHARE} * sum(p.usd))
        SELECT c.chain || ':' || c.address AS k FROM c JOIN shared s USING (top_dst)
        SEMI JOIN ring USING (top_dst) WHERE s.many
        UNION SELECT chain || ':' || address FROM c WHERE courted
        """).fetchnumpy()["k"]
    return _named(keys, hits)


def _taken_from_many(raw: np.ndarray) -> np.ndarray:
    """Candidates that took money from many people devoted to them, whose money came from on-ramps, gave
    none back and passed it all on, not to services: however long they held it. The model weighs a long
    hold against a wallet (a saver's or a merchant's), but a saver keeps their own money and a merchant's
    customers also pay elsewhere; phishing wallets of 2017 held their takings for weeks. A ring's
    consolidation wallet is paid by wallets that people paid, not by people with on-ramp money. A wallet
    whose payers also pay elsewhere, that keeps a share at the end, or that spreads its takings over
    wallets of fewer than MANY_DEVOTED payers each escapes (the last is the ring rules' case)."""
    f = cf.FEATURE_INDEX
    return ((raw[:, f["devoted"]] >= MANY_DEVOTED) & (raw[:, f["devoted_share"]] >= HELD_DEVOTED)
            & (raw[:, f["onramp"]] >= HELD_ONRAMP)
            & (raw[:, f["back"]] < HELD_BACK) & (raw[:, f["passed"]] >= MANY_PASSED)
            & (raw[:, f["to_services"]] < HELD_SERVICES))


def _brief_life(con, keys: np.ndarray) -> np.ndarray:
    """Candidates that lived briefly (see BRIEF_DAYS): devoted payers, nothing given back, the money passed
    on, within BRIEF_DAYS, and quiet for BRIEF_DAYS or more before the ledger of their chain ends. What
    escapes: a ring that keeps a wallet busy for months, or whose wallets each take from one or two people."""
    hits = con.execute(f"""
        WITH ends AS (SELECT chain, max(last_seen) AS end_t FROM pt_cf GROUP BY chain)
        SELECT c.chain || ':' || c.address AS k FROM pt_cf c JOIN ends e USING (chain)
        WHERE c.devoted >= {BRIEF_DEVOTED} AND {_kept_nothing_sql("c")} AND c.life_d <= {BRIEF_DAYS}
          AND c.last_seen <= e.end_t - INTERVAL {BRIEF_DAYS} DAY""").fetchnumpy()["k"]
    return _named(keys, hits)


def _own_wallet(con, keys: np.ndarray) -> np.ndarray:
    """Candidates that look like a person's own wallet (see OWN_WITHDRAWN): mostly their own withdrawals from one
    or two exchanges, nobody devoted to them, in use for months."""
    rel = entity_table.current(con)
    hits = con.execute(f"""
        WITH own AS (SELECT c.chain, c.address, n.ref FROM pt_cf c JOIN pt_cf_node n USING (chain, address)
                     WHERE c.devoted = 0 AND c.life_d >= {OWN_DAYS} AND n.svc_in >= {OWN_WITHDRAWN} * n.in_usd),
        -- an exchange's hot wallets are one exchange (an unlabelled hot wallet nobody grouped counts as its own)
        banks AS (SELECT o.chain, o.address, count(DISTINCT coalesce(e.entity, p.src)) AS n
                  FROM own o JOIN pt_cf_pair p ON p.dst_ref = o.ref AND p.src_service
                  LEFT JOIN {rel} e ON e.chain = p.chain AND e.address = p.src
                  GROUP BY ALL)
        SELECT chain || ':' || address AS k FROM banks WHERE n <= {OWN_EXCHANGES}""").fetchnumpy()["k"]
    return _named(keys, hits)


def _payers(con, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Distinct payers of the candidates at ``rows`` (an exchange or other service one payer, however many
    payments its customers made through it); the others get 0."""
    out = np.zeros(len(keys), dtype=np.int64)
    _candidates(con, "pt_ce_lone", keys, np.flatnonzero(rows))
    for i, n in con.execute(f"""SELECT k.i, count(DISTINCT q.src) FROM pt_ce_lone k
                               JOIN {rows_touching("pt_cf_pair", "dst_ref", "pt_ce_lone", "address")} q ON q.chain = k.chain AND q.dst = k.address GROUP BY k.i""").fetchall():
        out[i] = n
    return out


def _upstream(ctx: AnalysisContext, keys: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Found wallets that got most of their money straight from exchanges and other services, some from
    people too, and sent at least DOWNSTREAM_SHARE of what they sent to other found wallets: they pay the
    scam (a victim whose own wallet forwards what its exchange and its friends send it), so the victims'
    rule judges them, and the wallets they pay are not downstream of the scam but its start. (A deposit
    wallet the scam has victims' exchanges pay gets nothing from people.) Not so a wallet that is the main
    source of SPLIT_WAYS or more of the found wallets it pays: a victim pays into the scam's wallets, each
    fed by many; a scam wallet splitting its takings feeds fresh wallets that hold little else. Nor a wallet
    people pay into (PAID_INTO): a deposit wallet that the victims' exchanges pay is paid by its other victims
    from their own wallets too, again and again. Nor a wallet a victim paid in turn with another that passes its
    money on to the same place (``_paid_in_turn``): a platform rotating its deposit wallets."""
    up = _found_flow(ctx, keys, found, "out", f"""n.svc_in >= 0.5 * n.in_usd AND EXISTS (
        SELECT 1 FROM {rows_touching("pt_cf_pair", "dst_ref", "pt_ce_first", "address")} q
        WHERE q.chain = k.chain AND q.dst = k.address AND NOT q.src_service)
        AND (SELECT count(*) FROM {rows_touching("pt_cf_pair", "src_ref", "pt_ce_first", "address")} q JOIN pt_cf_node d ON d.chain = q.chain AND d.address = q.dst
             SEMI JOIN pt_ce_first s ON s.chain = q.chain AND s.address = q.dst
             WHERE q.chain = k.chain AND q.src = k.address AND q.usd >= {DOWNSTREAM_SHARE} * d.in_usd) < {SPLIT_WAYS}
        AND NOT ((SELECT devoted FROM pt_cf c WHERE c.chain = k.chain AND c.address = k.address) >= {PAID_INTO}
                 AND (SELECT count(*) FROM {rows_touching("pt_cf_pair", "dst_ref", "pt_ce_first", "address")} q
                      WHERE q.chain = k.chain AND q.dst = k.address AND NOT q.src_service AND q.n >= 3) >= {PAID_INTO})""")
    return up & ~_paid_in_turn(ctx, keys, found) if up.any() else up


def _paid_in_turn(ctx: AnalysisContext, keys: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Found wallets that a person paid who also paid another found wallet sending most of what it sent
    (DOWNSTREAM_SHARE) to the same place, where each payment that person made to such wallets was passed on there
    within RELAY_HOURS by a payment at least as large (COVERED, fees aside): the ring's deposit wallets, passing
    on what their victims pay (a platform rotating its deposit addresses, a victim paying each in turn), not
    victims' own wallets, however much of their money came from exchanges. A person: no service, no found wallet
    or one the typology detectors named as the scam's, paying fewer than PER_PAYMENT_BUSY addresses. The scam's
    payout wallet paying its victims' wallets fails the relay test (a victim does not pass its 'profit' on within
    the day), and so does a busy payer (an employer, an exchange nobody labelled). What breaks it: a relative
    lending to two victims of one ring who each invest the loan that day; a ring giving each victim one deposit
    wallet (no person pays two)."""
    con = ctx.con
    store_pairs(con, "pt_ce_scam_named", {(f.chain, f.address) for f in ctx.findings if f.role != "victim"})
    _candidates(con, "pt_ce_first", keys, np.flatnonzero(found))
    rows = con.execute(f"""
        WITH first AS (SELECT f.i, a.ref FROM pt_ce_first f JOIN addresses a ON a.chain = f.chain AND a.address = f.address),
        named AS (SELECT a.ref FROM pt_ce_scam_named s JOIN addresses a ON a.chain = s.chain AND a.address = s.address),
        dest AS (
            SELECT q.src_ref AS k, q.dst_ref AS d FROM pt_cf_pair q JOIN pt_cf_node n ON n.ref = q.src_ref
            WHERE q.src_ref IN (SELECT ref FROM first) AND q.usd >= {DOWNSTREAM_SHARE} * n.out_usd),
        paid AS (
            SELECT f.src_ref AS p, f.dst_ref AS k, d.d, f.time, f.usd FROM pt_cf_flow f JOIN dest d ON d.k = f.dst_ref
            WHERE NOT f.src_service AND f.src_ref NOT IN (SELECT ref FROM first)
              AND f.src_ref NOT IN (SELECT ref FROM named)),
        people AS (
            SELECT src_ref AS p FROM pt_cf_pair WHERE src_ref IN (SELECT p FROM paid)
            GROUP BY ALL HAVING count(*) < {PER_PAYMENT_BUSY}),
        passed AS (SELECT o.src_ref, o.dst_ref, o.time, o.usd FROM pt_cf_flow o SEMI JOIN dest d ON d.k = o.src_ref AND d.d = o.dst_ref),
        relayed AS (
            SELECT p.p, p.k, p.d, EXISTS (
                SELECT 1 FROM passed o WHERE o.src_ref = p.k AND o.dst_ref = p.d AND o.time >= p.time
                  AND o.time <= p.time + INTERVAL {int(RELAY_HOURS)} HOUR AND o.usd >= {COVERED} * p.usd) AS relayed
            FROM paid p SEMI JOIN people USING (p)),
        victims AS (SELECT p, d FROM relayed GROUP BY ALL HAVING count(DISTINCT k) >= 2 AND bool_and(relayed))
        SELECT DISTINCT f.i FROM relayed r SEMI JOIN victims v USING (p, d) JOIN first f ON f.ref = r.k""").fetchall()
    return _mask(keys, rows)


def _downstream(ctx: AnalysisContext, keys: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Found wallets that got at least DOWNSTREAM_SHARE of the money people paid them (services' payments
    left out) from other found wallets or from the collection wallets the typology detectors named
    (``pt_ce_typology``: a drain's receivers, a fake platform's deposit wallets): their payers are the
    scam, not its victims (consolidation, the next hop, a forwarder between the receivers and the
    consolidation), so laundering judges them. Withdrawals from exchanges count for neither side: a
    launderer who mixes clean exchange money into a hop makes it no more a wallet that victims pay."""
    _candidates(ctx.con, "pt_ce_first", keys, np.flatnonzero(found))
    rows = ctx.con.execute(f"""
        WITH scam AS (SELECT chain, address FROM pt_ce_first UNION SELECT chain, address FROM pt_ce_typology)
        SELECT k.i FROM pt_ce_first k
        JOIN {cf.flow_touching("dst_ref", "pt_ce_first", "address")} f
          ON f.chain = k.chain AND f.dst = k.address AND NOT f.src_service
        LEFT JOIN scam s ON s.chain = f.chain AND s.address = f.src
        GROUP BY k.i HAVING sum(f.usd) FILTER (WHERE s.address IS NOT NULL) >= {DOWNSTREAM_SHARE} * sum(f.usd)""").fetchall()
    return _mask(keys, rows)


def _ring_fed(con, keys: np.ndarray, found: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Candidates at ``rows`` that got at least DOWNSTREAM_SHARE of all they received (exchange withdrawals
    included) from the ``found`` wallets, the typology detectors' collection wallets, or wallets fed so,
    however many payments on: a peel chain's hop the ring's gas funder also tops up is linked to the ring,
    but the ring's money, not a victim's, is what reached it, so laundering judges it. A victim paid back a
    little by the ring got most of its money elsewhere and stays out."""
    if not rows.any():
        return np.zeros(len(keys), dtype=bool)
    _candidates(con, "pt_ce_first", keys, np.flatnonzero(found))
    con.execute("""CREATE OR REPLACE TEMP TABLE pt_ce_fed AS
                   SELECT chain, address FROM pt_ce_first UNION SELECT chain, address FROM pt_ce_typology""")
    # each round adds the wallets one payment further on; the set only grows, so the walk ends
    while con.execute(f"""
            INSERT INTO pt_ce_fed
            SELECT q.chain, q.dst FROM {rows_touching("pt_cf_pair", "src_ref", "pt_ce_fed", "address")} q
            JOIN pt_cf_node n ON n.chain = q.chain AND n.address = q.dst
            SEMI JOIN pt_ce_fed s ON s.chain = q.chain AND s.address = q.src
            ANTI JOIN pt_ce_fed t ON t.chain = q.chain AND t.address = q.dst
            ANTI JOIN pt_cf_service v ON v.chain = q.chain AND v.address = q.dst  -- services and deposit accounts
            GROUP BY q.chain, q.dst, n.in_usd HAVING sum(q.usd) >= {DOWNSTREAM_SHARE} * n.in_usd""").fetchone()[0]:
        pass
    _candidates(con, "pt_ce_lone", keys, np.flatnonzero(rows))
    hits = con.execute("SELECT k.i FROM pt_ce_lone k SEMI JOIN pt_ce_fed f USING (chain, address)").fetchall()
    return _mask(keys, hits)


def _fuelled_by_payee(con, keys: np.ndarray) -> np.ndarray:
    """Candidates whose gas a wallet they paid topped up, where that wallet fuelled FUELLED_ACCOUNTS or more
    wallets that paid it (see the module's docstring)."""
    hits = con.execute(f"""
        WITH fuelled AS (
            SELECT DISTINCT g.src_ref AS hot, g.dst_ref AS account FROM pt_value g
            WHERE {gas_topup_sql("g")}
              AND EXISTS (SELECT 1 FROM pt_value p WHERE p.src_ref = g.dst_ref AND p.dst_ref = g.src_ref
                          AND NOT {gas_topup_sql("p")})),
        hot AS (SELECT hot FROM fuelled GROUP BY hot HAVING count(*) >= {FUELLED_ACCOUNTS})
        SELECT DISTINCT a.chain || ':' || a.address AS k FROM fuelled f SEMI JOIN hot h USING (hot)
        JOIN addresses a ON a.ref = f.account""").fetchnumpy()["k"]
    return _named(keys, hits)


def _named(keys: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """True at the candidates whose key (chain:address) is among ``hits``. A set, not ``np.isin``: on object
    arrays that compares every key with every hit (two minutes for 58,000 hits on a 10M-transfer ledger)."""
    named = set(hits.tolist())
    return np.fromiter((k in named for k in keys.tolist()), dtype=bool, count=len(keys))


def _mask(keys: np.ndarray, rows: list[tuple]) -> np.ndarray:
    """True at the candidate positions that ``rows`` (query results whose first column is ``i``) name."""
    out = np.zeros(len(keys), dtype=bool)
    out[[r[0] for r in rows]] = True
    return out


def _split_off(con, keys: np.ndarray, rows: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Wallets at ``rows`` whose main payer (at least DOWNSTREAM_SHARE of the money people paid them) is
    the main payer of SPLIT_WAYS or more of the ``near`` wallets: a victim pays into its deposit wallet,
    a launderer splits one wallet's money over many fresh ones that hold nothing else."""
    _candidates(con, "pt_ce_near_all", keys, np.flatnonzero(near))
    _candidates(con, "pt_ce_lone", keys, np.flatnonzero(rows))
    hits = con.execute(f"""
        WITH people AS (SELECT dst_ref, sum(usd) AS usd FROM pt_cf_pair WHERE NOT src_service GROUP BY ALL),
        main AS (SELECT q.chain, q.src, q.dst FROM pt_cf_pair q JOIN people m ON m.dst_ref = q.dst_ref
                 WHERE NOT q.src_service AND q.usd >= {DOWNSTREAM_SHARE} * m.usd),
        splitter AS (SELECT m.chain, m.src FROM main m SEMI JOIN pt_ce_near_all n ON n.chain = m.chain AND n.address = m.dst
                     GROUP BY ALL HAVING count(*) >= {SPLIT_WAYS})
        SELECT DISTINCT k.i FROM pt_ce_lone k JOIN main m ON m.chain = k.chain AND m.dst = k.address
        SEMI JOIN splitter s ON s.chain = m.chain AND s.src = m.src""").fetchall()
    return _mask(keys, hits)


def _fans_out(con, keys: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Candidates that paid at least DOWNSTREAM_SHARE of what they paid out to FAN_WAYS or more one-off
    ``near`` wallets: each paid by this wallet alone, once, and passing at least FAN_PASSED of it on. That is
    a collection wallet sweeping through fresh hops (the hops look like per-victim deposit wallets, and the
    wallet like their victim); a victim pays deposit wallets the scam keeps using, again and again or shared
    with other victims, or fresh addresses that other victims' fresh addresses share a destination with
    (``_per_payment``: the caller leaves those victims out)."""
    _candidates(con, "pt_ce_near_all", keys, np.flatnonzero(near))
    hits = con.execute(f"""
        WITH paid AS (SELECT q.dst_ref, any_value(q.src_ref) AS src_ref, sum(q.usd) AS usd
                      FROM {rows_touching("pt_cf_pair", "dst_ref", "pt_ce_near_all", "address")} q
                      GROUP BY q.dst_ref HAVING count(*) = 1 AND sum(q.n) = 1),
        hop AS (SELECT p.src_ref, sum(p.usd) AS usd FROM paid p JOIN pt_cf_node n ON n.ref = p.dst_ref
                WHERE n.out_usd >= {FAN_PASSED} * n.in_usd GROUP BY p.src_ref HAVING count(*) >= {FAN_WAYS})
        SELECT n.chain || ':' || n.address FROM pt_cf_node n JOIN hop h ON h.src_ref = n.ref
        WHERE h.usd >= {DOWNSTREAM_SHARE} * n.out_usd""").fetchall()
    return _named(keys, np.array([h[0] for h in hits], dtype=object))


def _per_payment(con, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(one-off addresses, the people who paid them): wallets one payer paid once (gas top-ups aside) that passed
    at least FAN_PASSED of it on, most of it to one wallet, where such addresses of PER_PAYMENT_PAYERS or more
    people lead to the same places, each person paying PER_PAYMENT_REPEAT or more of them, together at least
    VICTIM_SHARE of all they sent. A platform that shows each victim a fresh address for every payment: one
    address alone is a laundering hop's shape, the people paying the same place through many of them are not.
    Where an address leads: its destination, followed on through further one-off addresses (a ring sweeping
    each deposit through fresh hops) up to PER_PAYMENT_HOPS; the places are taken together when the same
    people's addresses lead to them (a ring with several consolidation wallets, each victim's payments spread
    over them), never through a service or a wallet that settles as a business does. A person paying a
    merchant's per-order addresses spends a sliver of their money there; a gateway whose customers spend more
    settles with its merchants (``flow_services.settling_sql``). The addresses and their places are
    ``_one_off_places``'s tables."""
    edges = con.execute(f"""
        WITH hop AS (SELECT h.ref, h.payer, p.place AS x, h.usd, h.t0 FROM pt_ce_pp_hop h JOIN pt_ce_pp_place p USING (ref)
                WHERE NOT h.from_service AND p.place <> h.payer AND p.place NOT IN (SELECT ref FROM pt_ce_pp_service)),
        places AS (SELECT DISTINCT x FROM hop),
        business AS ({settling_sql("places", "x")}),
        -- who paid the gas of the addresses and of the people: a ring fuels its own wallets, not its victims
        fuel AS (SELECT DISTINCT g.src_ref AS funder, g.dst_ref AS ref FROM pt_value g
                 SEMI JOIN (SELECT ref FROM hop UNION SELECT payer FROM hop) k ON k.ref = g.dst_ref
                 WHERE {gas_topup_sql("g")}),
        hop_fuel AS (SELECT DISTINCT h.x, f.funder FROM hop h JOIN fuel f USING (ref)),
        -- the people's own money came from exchanges: their labelled or recognised hot wallets, or wallets that
        -- pay as many people as a hot wallet does (one nobody labelled)
        payer_in AS (SELECT q.src_ref, q.dst_ref, q.usd FROM pt_cf_pair q
                     SEMI JOIN (SELECT DISTINCT payer FROM hop) k ON k.payer = q.dst_ref WHERE NOT q.src_service),
        busy AS (SELECT q.src_ref FROM pt_cf_pair q SEMI JOIN (SELECT DISTINCT src_ref FROM payer_in) s USING (src_ref)
                 GROUP BY q.src_ref HAVING count(*) >= {PER_PAYMENT_BUSY}),
        onramp AS (SELECT n.ref, n.svc_in + coalesce(sum(p.usd) FILTER (WHERE p.src_ref IN (SELECT src_ref FROM busy)), 0)
                          AS usd, n.in_usd
                   FROM pt_cf_node n SEMI JOIN (SELECT DISTINCT payer FROM hop) k ON k.payer = n.ref
                   LEFT JOIN payer_in p ON p.dst_ref = n.ref
                   GROUP BY n.ref, n.svc_in, n.in_usd),
        paid AS (SELECT h.* FROM hop h JOIN onramp n ON n.ref = h.payer
                 WHERE n.usd >= {PER_PAYMENT_ONRAMP} * n.in_usd AND h.x NOT IN (SELECT x FROM business)
                   AND NOT EXISTS (SELECT 1 FROM fuel f JOIN hop_fuel u ON u.funder = f.funder
                                   WHERE f.ref = h.payer AND u.x = h.x)),
        person AS (SELECT p.payer FROM paid p JOIN pt_cf_node n ON n.ref = p.payer
                   GROUP BY p.payer, n.out_usd
                   HAVING count(*) >= {PER_PAYMENT_REPEAT} AND sum(p.usd) >= {VICTIM_SHARE} * n.out_usd
                      AND max(p.t0) >= min(p.t0) + INTERVAL {PER_PAYMENT_DAYS} DAY)
        SELECT p.ref, p.payer, p.x FROM paid p SEMI JOIN person USING (payer) ORDER BY ALL""").fetchnumpy()
    hops, payers, places = (np.asarray(edges[c], dtype=np.int64) for c in ("ref", "payer", "x"))
    withdrawn = _withdrawn_to_one_place(con)
    if not len(hops):
        return (_named(keys, withdrawn), np.zeros(len(keys), dtype=bool))
    # people and places joined by the addresses between them; a group needs PER_PAYMENT_PAYERS people
    nodes, idx = np.unique(np.concatenate([payers, places]), return_inverse=True)
    m = len(payers)
    graph = coo_matrix((np.ones(m), (idx[:m], idx[m:])), shape=(len(nodes), len(nodes)))
    _, group = connected_components(graph, directed=False)
    person_group = group[idx[:m]]
    people = np.unique(np.stack([person_group, payers]), axis=1)[0]
    big = np.bincount(people, minlength=group.max() + 1) >= PER_PAYMENT_PAYERS
    keep = big[person_group]
    names = con.execute("SELECT ref, chain || ':' || address FROM addresses WHERE ref IN (SELECT unnest(?))",
                        [np.unique(np.concatenate([hops[keep], payers[keep]])).tolist()]).fetchall()
    name = dict(names)
    hops_named = np.array([name[r] for r in np.unique(hops[keep])], dtype=object)
    return (_named(keys, np.concatenate([hops_named, withdrawn])),
            _named(keys, np.array([name[r] for r in np.unique(payers[keep])], dtype=object)))


def _withdrawn_to_one_place(con) -> np.ndarray:
    """Keys of one-off addresses an exchange paid (a victim ordering their exchange to pay the platform's fresh
    address; an exchange: a labelled or recognised hot wallet) that lead to a place (``pt_ce_pp_place``) that
    PER_PAYMENT_WITHDRAWN or more such addresses lead to, a place that is no service and does not settle as a
    business does. An exchange's deposit addresses sweep to its hot wallet, a service once labelled or
    recognised. The addresses must be the ring's: PER_PAYMENT_PAYERS or more of those leading to the place kept in
    gas by one wallet that is no service. People who each withdrew once from their exchange to a fresh wallet and
    paid a phishing wallet all of it look the same but for that tie (their gas came with the withdrawal); a ring
    that buys its addresses' gas at exchanges is left to the other rules. A drained wallet (what left it was taken
    by someone else) is no such address (``_per_payment``)."""
    return con.execute(f"""
        WITH withdrawn AS (SELECT h.ref, p.place AS x FROM pt_ce_pp_hop h JOIN pt_ce_pp_place p USING (ref)
                           WHERE h.from_service AND p.place NOT IN (SELECT ref FROM pt_ce_pp_service)),
        -- the ring's own tie: a gas funder that is no service keeps several of the addresses leading there
        fuel AS (SELECT DISTINCT w.ref, w.x, g.src_ref AS funder FROM withdrawn w JOIN pt_value g ON g.dst_ref = w.ref
                 WHERE {gas_topup_sql("g")} AND g.src_ref NOT IN (SELECT ref FROM pt_ce_pp_service)),
        kept AS (SELECT x, funder FROM fuel GROUP BY x, funder HAVING count(*) >= {PER_PAYMENT_PAYERS}),
        hop AS (SELECT DISTINCT f.ref, f.x FROM fuel f SEMI JOIN kept k USING (x, funder)),
        gathered AS (SELECT x FROM hop GROUP BY x HAVING count(*) >= {PER_PAYMENT_WITHDRAWN}),
        place AS (SELECT x FROM gathered EXCEPT {settling_sql("gathered", "x")})
        SELECT a.chain || ':' || a.address AS k FROM hop h SEMI JOIN place USING (x)
        JOIN addresses a ON a.ref = h.ref""").fetchnumpy()["k"]


def _to_business(con, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Candidates at ``rows`` whose main destination settles like a business (``flow_services.settling_sql``):
    a gateway's per-order addresses, one payer each and passing everything on at once, share its hot wallet and
    its gas wallet as a ring's deposit wallets share theirs; where the money goes next tells them apart."""
    if not rows.any():
        return np.zeros(len(keys), dtype=bool)
    _candidates(con, "pt_ce_lone", keys, np.flatnonzero(rows))
    hits = con.execute(f"""
        WITH dest AS (SELECT k.i, a.ref FROM pt_ce_lone k JOIN pt_cf c USING (chain, address)
                      JOIN addresses a ON a.chain = c.chain AND a.address = c.top_dst)
        SELECT i FROM dest WHERE ref IN ({settling_sql("dest", "ref")})""").fetchall()
    return _mask(keys, hits)


def _settles(con, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Candidates at ``rows`` that themselves settle like a business (``flow_services.settling_sql``): a
    payment processor or a shop paying the same suppliers week after week. Where people transact seldom, most
    of what each customer ever sent went to it, as a victim's savings go to a ring; a ring sweeps to its own
    consolidation wallet or spreads the money over fresh hops and a mule account or two."""
    if not rows.any():
        return np.zeros(len(keys), dtype=bool)
    _candidates(con, "pt_ce_settling", keys, np.flatnonzero(rows))
    hits = con.execute(f"""
        WITH own AS (SELECT k.i, a.ref FROM pt_ce_settling k JOIN addresses a ON a.chain = k.chain AND a.address = k.address)
        SELECT i FROM own WHERE ref IN ({settling_sql("own", "ref", OWN_SETTLED_DAYS)})""").fetchall()
    return _mask(keys, hits)


def _found_flow(ctx: AnalysisContext, keys: np.ndarray, found: np.ndarray, side: str, where: str = "true") -> np.ndarray:
    """Found wallets (meeting ``where``, over ``k`` and its ``pt_cf_node`` row ``n``) at least
    DOWNSTREAM_SHARE of whose inflow (``side`` "in") or outflow ("out") went between them and other found
    wallets."""
    mine, other, total = ("dst", "src", "in_usd") if side == "in" else ("src", "dst", "out_usd")
    _candidates(ctx.con, "pt_ce_first", keys, np.flatnonzero(found))
    rows = ctx.con.execute(f"""
        SELECT k.i FROM pt_ce_first k JOIN pt_cf_node n USING (chain, address)
        JOIN {cf.flow_touching(f"{mine}_ref", "pt_ce_first", "address")} f ON f.chain = k.chain AND f.{mine} = k.address
        SEMI JOIN pt_ce_first s ON s.chain = f.chain AND s.address = f.{other}
        WHERE {where}
        GROUP BY k.i, n.{total} HAVING sum(f.usd) >= {DOWNSTREAM_SHARE} * n.{total}""").fetchall()
    return _mask(keys, rows)


def _rings(ctx: AnalysisContext, keys: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Rings among the wallets at or above RING_THRESHOLD: connected components of the links (shared
    destination, gas funder, payer, next hop). Returns each candidate's ring index (-1: none, or alone) and the
    link that tied it in."""
    con = ctx.con
    near = np.flatnonzero(p >= RING_THRESHOLD)
    ring_of = np.full(len(keys), -1, dtype=np.int64)
    link_of = [""] * len(keys)
    if len(near) < 2:
        return ring_of, link_of
    _candidates(con, "pt_ce_near", keys, near)
    # the pairs into wallets that a near wallet pays (only those can have two near payers)
    near_paid = f"""(SELECT DISTINCT q.chain, q.dst FROM {rows_touching("pt_cf_pair", "src_ref", "pt_ce_near", "address")} q
                     JOIN pt_ce_near n ON n.chain = q.chain AND n.address = q.src)"""
    links = con.execute(f"""
        -- a wallet such wallets pay, not only as their main destination, that takes most of what people pay
        -- it from them: a ring's next hop (a shop or a friend many pay is paid mostly by others)
        WITH theirs AS (
            SELECT q.chain, q.dst FROM {rows_touching("pt_cf_pair", "dst_ref", near_paid, "dst")} q
            LEFT JOIN pt_ce_near n ON n.chain = q.chain AND n.address = q.src
            WHERE NOT q.src_service AND NOT EXISTS (SELECT 1 FROM pt_cf_service s WHERE s.chain = q.chain
                                                    AND s.address = q.dst)
            GROUP BY ALL HAVING count(n.i) >= 2
               AND sum(q.usd) FILTER (WHERE n.i IS NOT NULL) >= {DOWNSTREAM_SHARE} * sum(q.usd)),
        hub AS (
            SELECT n.i, 'sends to the same wallet ' || c.top_dst AS link, c.chain, c.top_dst AS hub, 0 AS prio
            FROM pt_ce_near n JOIN pt_cf c USING (chain, address) WHERE c.top_dst IS NOT NULL
            UNION ALL
            SELECT n.i, 'gas from the same funder ' || v.src, v.chain, v.src, 0
            FROM pt_ce_near n JOIN {value_of("pt_ce_near", "address", "dst")} v ON v.chain = n.chain AND v.dst = n.address
            WHERE {gas_topup_sql("v")}
              AND NOT EXISTS (SELECT 1 FROM pt_cf_service s WHERE s.chain = v.chain AND s.address = v.src)
            UNION ALL
            SELECT DISTINCT n.i, 'paid by the same wallet ' || f.src, f.chain, f.src, 0
            FROM pt_ce_near n JOIN {cf.flow_touching("dst_ref", "pt_ce_near", "address")} f
              ON f.chain = n.chain AND f.dst = n.address WHERE NOT f.src_service
            UNION ALL  -- named only where no link above ties the wallet in (prio 1)
            SELECT n.i, 'sends to the same wallet ' || q.dst, q.chain, q.dst, 1
            FROM pt_ce_near n JOIN {rows_touching("pt_cf_pair", "src_ref", "pt_ce_near", "address")} q
              ON q.chain = n.chain AND q.src = n.address
            SEMI JOIN theirs t ON t.chain = q.chain AND t.dst = q.dst),
        firsts AS (SELECT chain, hub, min(i) AS root, count(DISTINCT i) AS k FROM hub GROUP BY ALL HAVING k > 1)
        SELECT DISTINCT h.i, f.root, h.link, h.prio FROM hub h JOIN firsts f USING (chain, hub) WHERE h.i <> f.root
        UNION ALL SELECT DISTINCT f.root, f.root, h.link, h.prio FROM hub h JOIN firsts f USING (chain, hub)
        WHERE h.i = f.root ORDER BY 1, 4, 3""").fetchall()
    if not links:
        return ring_of, link_of
    a = np.array([r[0] for r in links], dtype=np.int64)
    b = np.array([r[1] for r in links], dtype=np.int64)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(keys), len(keys)))
    _n, comp = connected_components(graph, directed=False)
    linked = np.zeros(len(keys), dtype=bool)
    linked[a] = True
    labels = distinct(comp[linked])
    index = {c: k for k, c in enumerate(labels)}
    for i, root, link, _prio in links:
        if ring_of[i] < 0:
            ring_of[i] = index[comp[i]]
            link_of[i] = link
    return ring_of, link_of
