"""The label vocabulary: categories, concepts, confidence levels and how each maps to screening risk.

Every label in the warehouse's ``labels`` table (shipped or user) uses these strings; detectors, screening
and the TagPack validator all read them from here. The concept list extends the GraphSense concepts
taxonomy (derived from the INTERPOL Dark Web and Virtual Assets taxonomy) with the pig-butchering
concepts of DESIGN.md; the same vocabulary is shipped as ``data/labels/taxonomy.yaml`` for readers
and other tools.

Exact ``category`` strings used by the shipped packs (query these):

==================== =================================================================================
category             meaning (typical ``concepts``)
==================== =================================================================================
``exchange``         centralised exchange hot/cold/deposit wallet (``exchange``); a *service*
``bridge``           cross-chain bridge contract or custody wallet (``bridge``, ``defi_bridge``); service
``defi_dex``         DEX router, aggregator or pool (``defi_dex``, ``defi``); service
``defi_lending``     lending protocol contract (``defi_lending``, ``defi``); service
``defi``             other DeFi protocol contract (``defi``); service
``payment_processor`` payment / fiat gateway / card issuer (``payment_processor``); service
``stablecoin_issuer`` Tether/Circle treasury and token contracts (``stablecoin_issuer``); service
``mixing_service``   mixer such as Tornado Cash (``mixing_service``); risky, not a finding by itself
``issuer_blocked``   address frozen by a stablecoin issuer (``issuer_blocked``)
``sanctioned``       OFAC SDN address (``sanction``)
``scam``             scam wallet or contract (``scam`` and the typology: ``pig_butchering``,
                     ``phishing``, ``approval_phishing``, ``investment_scam``, ``giveaway_scam``)
``hacker``           exploiter / heist wallet (``hacker``, ``theft``)
==================== =================================================================================

Detectors: a *service* is any address whose category is in ``SERVICE_CATEGORIES`` (money reaching it
ends a trace; it is never a finding). Sanctioned addresses carry concept ``sanction``; scam addresses
carry one of ``SCAM_CONCEPTS``. Query concepts with DuckDB's ``list_has_any(concepts, [...])``.
"""

from __future__ import annotations

# GraphSense/TagPack confidence levels: id -> (score 0..100, meaning).
CONFIDENCE: dict[str, tuple[int, str]] = {
    "override": (100, "Manual cluster tag: the creator knows the cluster's label"),
    "ownership": (100, "Proven address ownership: the creator knows the private keys"),
    "manual_transaction": (90, "Trusted transaction: the creator moved funds between known services"),
    "service_api": (80, "Retrieved from a known and trusted service API"),
    "authority_data": (60, "Public authority data (e.g. OFAC)"),
    "trusted_provider": (50, "Trusted third-party data provider (e.g. block-explorer tags, threat intel)"),
    "service_data": (50, "Data received from a known service"),
    "forensic": (50, "Forensic or research report"),
    "untrusted_transaction": (40, "A third party moved funds between known services"),
    "web_crawl": (20, "Web crawl or community data dump"),
}

# Entity categories (INTERPOL DW-VA / GraphSense entity taxonomy, plus the ones this project needs).
CATEGORIES: dict[str, str] = {
    "exchange": "Centralised exchange (hot, cold or deposit wallet)",
    "wallet_service": "Custodial wallet service",
    "bridge": "Cross-chain bridge",
    "defi_dex": "Decentralised exchange: router, aggregator or pool",
    "defi_lending": "DeFi lending protocol",
    "defi": "Other DeFi protocol",
    "payment_processor": "Payment processor or fiat gateway",
    "stablecoin_issuer": "Stablecoin issuer treasury or token contract",
    "mining_service": "Mining pool or staking service",
    "mixing_service": "Mixer / tumbler",
    "gambling": "Gambling service",
    "marketplace": "Marketplace",
    "otc_desk": "Over-the-counter desk",
    "guarantee_marketplace": "'Guarantee' (escrow) marketplace used for laundering",
    "issuer_blocked": "Address frozen by a stablecoin issuer",
    "sanctioned": "Sanctioned by a public authority",
    "scam": "Scam wallet, contract or site",
    "hacker": "Exploiter, heist or hacker wallet",
    "perpetrator": "Other criminal actor",
    "organization": "Other organisation",
    "user": "Private user",
}

# Concepts: the GraphSense concepts taxonomy (entity and abuse concepts) plus pigtrace's extensions.
CONCEPTS: dict[str, str] = {
    # entity concepts
    "exchange": "Centralised exchange",
    "wallet_service": "Custodial wallet service",
    "bridge": "Cross-chain bridge (alias of defi_bridge)",
    "defi_bridge": "Cross-chain bridge",
    "defi": "Decentralised finance protocol",
    "defi_dex": "Decentralised exchange",
    "defi_lending": "Lending protocol",
    "payment_processor": "Payment processor",
    "stablecoin_issuer": "Stablecoin issuer",
    "mining_service": "Mining or staking service",
    "mixing_service": "Mixing service",
    "gambling": "Gambling",
    "marketplace": "Marketplace",
    "organization": "Organisation",
    "user": "User",
    # abuse concepts
    "sanction": "Sanctioned by a public authority (OFAC SDN)",
    "issuer_blocked": "Frozen by a stablecoin issuer",
    "scam": "Scam",
    "phishing": "Phishing",
    "investment_scam": "Fake investment platform",
    "giveaway_scam": "Giveaway / 'trust trading' scam",
    "ponzi_scheme": "Ponzi scheme",
    "ransomware": "Ransomware",
    "sextortion": "Sextortion",
    "hacker": "Hacker or exploiter",
    "theft": "Stolen funds (heist)",
    "malware": "Malware",
    "terrorism": "Terrorist financing",
    # pigtrace extensions (DESIGN.md)
    "pig_butchering": "Pig-butchering (sha zhu pan) romance/investment scam",
    "approval_phishing": "Approval phishing / wallet drainer",
    "address_poisoning": "Address poisoning (look-alike address)",
    "collection_wallet": "Scam collection wallet receiving victims' money",
    "money_mule": "Money mule account",
    "otc_desk": "Over-the-counter desk",
    "guarantee_marketplace": "'Guarantee' marketplace",
    "victim": "Victim of a scam",
}

# Screening: which concepts make an address risky, and how much.
SEVERE_CONCEPTS = frozenset({"sanction"})
HIGH_CONCEPTS = frozenset({
    "scam", "phishing", "investment_scam", "giveaway_scam", "ponzi_scheme", "ransomware", "sextortion",
    "hacker", "theft", "malware", "terrorism", "pig_butchering", "approval_phishing", "address_poisoning",
    "collection_wallet", "money_mule", "issuer_blocked", "guarantee_marketplace",
})
MEDIUM_CONCEPTS = frozenset({"mixing_service", "otc_desk"})
SCAM_CONCEPTS = frozenset({
    "scam", "phishing", "investment_scam", "giveaway_scam", "ponzi_scheme", "pig_butchering",
    "approval_phishing", "address_poisoning", "collection_wallet",
})
RISKY_CONCEPTS = SEVERE_CONCEPTS | HIGH_CONCEPTS | MEDIUM_CONCEPTS
# Categories that name a wrongdoer, not a service: such a label never makes an address a service, and a
# behaviour-only analysis (`pigtrace analyze --behaviour-only`) does not read it at all.
ABUSE_CATEGORIES = frozenset({"scam", "sanctioned", "hacker", "perpetrator", "issuer_blocked"})

# Services end a trace and are never findings (DESIGN.md).
SERVICE_CATEGORIES = frozenset({
    "exchange", "wallet_service", "bridge", "defi_dex", "defi_lending", "defi", "payment_processor",
    "stablecoin_issuer", "mining_service",
})

RISK_LEVELS = ("severe", "high", "medium", "low", "none")
RISK_ORDER = {level: i for i, level in enumerate(reversed(RISK_LEVELS))}  # none=0 .. severe=4



def _sql_list(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in sorted(values)) + "]"


# A label row that calls its address a wrongdoer (scam, phishing, sanction, hack, frozen by an issuer ...)
# rather than naming a service. The TagPack ``abuse`` field counts too, except the service-like abuse
# concepts (mixers, OTC desks), which are attributions a trace ends at. Behaviour-only analysis and the
# entities table (services) never read such a row.
ABUSE_LABEL_SQL = (
    f"(coalesce(category, '') IN ({_sql_list(ABUSE_CATEGORIES)[1:-1]})"
    f" OR list_has_any(coalesce(concepts, []::VARCHAR[]), {_sql_list(HIGH_CONCEPTS | SEVERE_CONCEPTS)})"
    f" OR coalesce(abuse, '') NOT IN ('', {_sql_list(MEDIUM_CONCEPTS)[1:-1]}))"
)


def label_concepts_sql(alias: str) -> str:
    """SQL for a label row's concepts including its TagPack ``abuse`` field: a user's pack that says only
    ``abuse: scam`` is as risky as one listing the concept."""
    return (f"list_distinct(list_concat(coalesce({alias}.concepts, []::VARCHAR[]), "
            f"CASE WHEN {alias}.abuse IS NULL THEN []::VARCHAR[] ELSE [{alias}.abuse] END))")
