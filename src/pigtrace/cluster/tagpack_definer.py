"""TagPack cluster definers: a GraphSense tag with ``is_cluster_definer: true`` says its label names the whole
entity behind the address, not just the address. Addresses of one chain whose definer tags name the same
actor (or, without an actor, carry the same label) are one entity by the tag author's word."""

from __future__ import annotations

from pigtrace.cluster.base import Heuristic


class TagpackDefiner(Heuristic):
    id = "tagpack_definer"
    help = (
        "TagPack cluster definers: addresses of one chain tagged with is_cluster_definer true are linked when "
        "their tags name the same actor, or the same label when a tag names no actor; each is linked to the "
        "first such address seen in the ledger."
    )
    guard = (
        "Only tags that say is_cluster_definer true, and only addresses the ledger holds. The tag author "
        "asserts the entity, so its size is not capped; but no behavioural heuristic may attach anything to "
        "a definer cluster larger than the size cap."
    )

    def edges_sql(self) -> str:
        return """
            WITH tagged AS (
                SELECT DISTINCT a.ref, a.chain, coalesce(nullif(trim(l.actor), ''), l.label) AS entity
                FROM labels l JOIN addresses a ON a.chain = l.chain AND a.address = l.address
                WHERE l.is_cluster_definer)
            SELECT ref AS a, min(ref) OVER (PARTITION BY chain, entity) AS b FROM tagged
            QUALIFY a <> b"""
