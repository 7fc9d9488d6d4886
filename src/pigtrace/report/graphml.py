"""A case's flow graph as GraphML, for Gephi, Maltego, yEd or networkx: a directed graph whose nodes are the
case's wallets and services (``role``, ``kind``, ``chain``, ``label``) and whose edges are the USD that moved
between two of them (``usd``, ``transfers``), exactly the case's ``graph``.

Place in the flow: trace/case (``graph``) -> **report/graphml** -> a .graphml file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

NS = "http://graphml.graphdrawing.org/xmlns"
NODE_KEYS = [("role", "string"), ("kind", "string"), ("chain", "string"), ("label", "string")]
EDGE_KEYS = [("usd", "double"), ("transfers", "int")]


def graphml_text(case: dict) -> str:
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}graphml")
    for name, kind in NODE_KEYS:
        ET.SubElement(root, f"{{{NS}}}key", {"id": name, "for": "node", "attr.name": name, "attr.type": kind})
    for name, kind in EDGE_KEYS:
        ET.SubElement(root, f"{{{NS}}}key", {"id": name, "for": "edge", "attr.name": name, "attr.type": kind})
    graph = ET.SubElement(root, f"{{{NS}}}graph", {"id": f"case-{case.get('id') or 'unsaved'}",
                                                   "edgedefault": "directed"})
    chain = case["chain"]
    for n in case["graph"]["nodes"]:
        node = ET.SubElement(graph, f"{{{NS}}}node", {"id": n["id"]})
        label = f"{n['role']} {n['id'][:8]}…{n['id'][-4:]}"
        for key, value in (("role", n["role"]), ("kind", n.get("kind") or ""), ("chain", chain), ("label", label)):
            ET.SubElement(node, f"{{{NS}}}data", {"key": key}).text = str(value)
    for i, e in enumerate(case["graph"]["edges"]):
        edge = ET.SubElement(graph, f"{{{NS}}}edge", {"id": f"e{i}", "source": e["from"], "target": e["to"]})
        ET.SubElement(edge, f"{{{NS}}}data", {"key": "usd"}).text = repr(float(e["usd"]))
        ET.SubElement(edge, f"{{{NS}}}data", {"key": "transfers"}).text = str(int(e["transfers"]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_graphml(case: dict, out: Path) -> Path:
    out.write_text(graphml_text(case), encoding="utf-8")
    return out
