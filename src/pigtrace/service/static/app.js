// pigtrace pages: a small client for the /v1 API. No framework and no build step; every value from the
// API reaches the page through textContent or attributes, never as HTML.
"use strict";

const ROLE_COLOURS = {
  subject: "#1b5fd1", victim: "#4f9bd9", collection: "#c62828", operator: "#8e24aa", laundering: "#ef6c00",
  deposit: "#2e7d32", exchange: "#1b5e20", otc: "#558b2f", bridge: "#00838f", dex: "#00695c", mixer: "#4e342e",
  held: "#757575", unknown: "#9e9e9e", scam_collection: "#c62828", scam_operator: "#8e24aa", cash_out: "#2e7d32",
  other: "#90a4ae",
};
let EXPLORERS = {};  // chain -> [transaction page, address page] from /v1/explorers (chains/registry.py)
const main = document.getElementById("main");

// ---------- small helpers ----------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
function usd(v) {
  if (v === null || v === undefined) return "";
  return Number(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
function short(a) { return a && a.length > 16 ? a.slice(0, 8) + "…" + a.slice(-6) : (a || ""); }
function when(t) { return t ? String(t).replace("T", " ").slice(0, 16) : ""; }
function explorer(chain, kind, value) {
  const pages = EXPLORERS[chain];
  if (!pages || !value) return null;
  if (kind === "tx") return pages[0].replace("{}", chain === "tron" ? value.replace(/^0x/i, "") : value);
  return pages[1].replace("{}", value);
}
function addrLink(a, label) { return h("a", { href: `/address/${a}`, class: "mono", "data-nav": "1" }, label || a); }
function txLink(chain, tx) {
  const url = explorer(chain, "tx", tx);
  return url ? h("a", { href: url, class: "mono", target: "_blank", rel: "noopener" }, short(tx)) : h("span", { class: "mono" }, short(tx));
}
function badge(risk) { return h("span", { class: `badge risk-${risk}` }, risk); }
function card(title, ...body) { return h("section", { class: "card" }, title ? h("h2", {}, title) : null, ...body); }
function table(cols, rows, cells) {
  return h("div", { class: "tablewrap" }, h("table", {},
    h("thead", {}, h("tr", {}, cols.map(c => h("th", {}, c)))),
    h("tbody", {}, rows.map(r => h("tr", {}, cells(r).map(c => c instanceof Node && c.tagName === "TD" ? c : h("td", {}, c)))))));
}
function num(v) { return h("td", { class: "num" }, v); }
const ROWS = 100;  // rows per table; the JSON API has them all
function capped(title, rows) { return rows.length > ROWS ? `${title} (the first ${ROWS} of ${rows.length})` : title; }
async function api(path, options) {
  const res = await fetch(path, options);
  let body = null;
  try { body = await res.json(); } catch (e) { body = { error: `${res.status} ${res.statusText}` }; }
  if (!res.ok) throw new Error(body && body.error ? body.error : `${res.status}`);
  return body;
}
function show(...nodes) { main.replaceChildren(...nodes); window.scrollTo(0, 0); }
function failed(e) { show(card("Could not load this", h("p", { class: "error" }, e.message))); }
function loading(what) { show(h("p", { class: "muted" }, `Loading ${what}…`)); }

// ---------- routing ----------
function go(path) { history.pushState({}, "", path); route(); }
window.addEventListener("popstate", route);
document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-nav]");
  if (a && !ev.ctrlKey && !ev.metaKey) { ev.preventDefault(); go(a.getAttribute("href")); }
});
document.getElementById("search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = document.getElementById("q").value.trim();
  if (q) go(searchTarget(q));
});
function searchTarget(q) {
  if (/^0x[0-9a-fA-F]{64}$/.test(q)) return `/trace/${q}`;
  if (/^0x[0-9a-fA-F]{40}$/.test(q) || /^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(q)) return `/address/${q}`;
  if (/[./]/.test(q) && !/\s/.test(q)) return `/url?u=${encodeURIComponent(q)}`;
  return `/address/${encodeURIComponent(q)}`;
}
function route() {
  const p = decodeURIComponent(location.pathname);
  const params = new URLSearchParams(location.search);
  let m;
  if ((m = p.match(/^\/address\/(.+)$/))) return addressPage(m[1]);
  if ((m = p.match(/^\/case\/(\d+)$/))) return casePage(`/v1/cases/${m[1]}`);
  if (p === "/case/new" && params.get("address")) return casePage(`/v1/addresses/${encodeURIComponent(params.get("address"))}/case`);
  if ((m = p.match(/^\/trace\/(.+)$/))) return tracePage(m[1]);
  if (p === "/url") return urlPage(params.get("u") || "");
  if (p === "/cases") return casesPage();
  if ((m = p.match(/^\/check\/(.+)$/))) return checkPage(m[1]);
  if (p === "/check") return checkPage(null);
  return homePage();
}

// ---------- home ----------
async function homePage() {
  const intro = card(null,
    h("p", { class: "plain" }, "Search an address, a transaction hash or a website."),
    h("p", { class: "muted" }, "Someone asked you to connect your wallet to a savings pool or trading app? ",
      h("a", { href: "/check", "data-nav": "1" }, "Check your wallet"), "."));
  show(intro, h("p", { class: "muted" }, "Loading the latest findings…"));
  try {
    const f = await api("/v1/findings?limit=15");
    show(intro, card(`Strongest findings (${f.total} in all)`,
      table(["address", "role", "typology", "score", "last seen"], f.items,
        r => [addrLink(r.address, short(r.address)), r.role, r.typology || "", num(r.score.toFixed(2)), when(r.last_seen)])));
  } catch (e) { show(intro, card("Findings", h("p", { class: "muted" }, e.message))); }
}

// ---------- address ----------
async function addressPage(address) {
  loading("the address");
  let p, cases;
  try {
    [p, cases] = await Promise.all([api(`/v1/addresses/${encodeURIComponent(address)}`), api("/v1/cases")]);
  } catch (e) { return failed(e); }
  const mine = cases.cases.filter(c => c.subject === p.address);
  const head = card(null,
    h("h1", { class: "mono" }, p.address),
    h("p", {}, badge(p.risk), " ", h("span", { class: "muted" }, p.chain || ""),
      " ", explorer(p.chain, "address", p.address) ? h("a", { href: explorer(p.chain, "address", p.address), target: "_blank", rel: "noopener" }, "block explorer") : null),
    p.reasons.length ? h("ul", { class: "reasons" }, p.reasons.slice(0, 12).map(r => h("li", {}, r))) : h("p", { class: "muted" }, "Nothing risky is known about this address."),
    h("p", {},
      mine.length ? mine.map(c => h("a", { href: `/case/${c.id}`, "data-nav": "1", class: "button", style: "margin-right:.5rem" }, `Open case ${c.id}`)) :
        h("a", { href: `/case/new?address=${encodeURIComponent(p.address)}`, "data-nav": "1", class: "button", id: "open-case" }, "Open its case"),
      " ", h("a", { href: `/trace/${p.address}`, "data-nav": "1", class: "button secondary" }, "Trace its money"),
      " ", h("a", { href: `/check/${p.address}`, "data-nav": "1", class: "button secondary" }, "Wallet check")));
  const parts = [head];
  const facts = [];
  for (const a of p.activity || []) facts.push(h("div", { class: "stat" }, h("b", {}, `${usd(a.usd_in)} in / ${usd(a.usd_out)} out USD`),
    `${a.transfers_in} transfers in, ${a.transfers_out} out on ${a.chain}, ${when(a.first_seen)} to ${when(a.last_seen)}`));
  if (p.ring) facts.push(h("div", { class: "stat" }, h("b", {}, `ring ${p.ring.ring}`), `${p.ring.members} members; here as ${p.ring.role} (${p.ring.link})`));
  if (p.cluster) facts.push(h("div", { class: "stat" }, h("b", {}, `cluster ${p.cluster.cluster_id}`), `${p.cluster.members} addresses`));
  if (p.entity) facts.push(h("div", { class: "stat" }, h("b", {}, p.entity.entity || p.entity.kind), `${p.entity.kind} (${p.entity.source})`));
  if (facts.length) parts.push(card("What it is", h("div", { class: "grid" }, facts)));
  if (p.findings.length) parts.push(card("Findings", ...p.findings.map(f => h("div", {},
    h("p", {}, h("b", {}, f.role), f.typology ? ` (${f.typology})` : "", ` score ${f.score.toFixed(2)}`, f.ring ? `, ring ${f.ring}` : ""),
    h("ul", { class: "reasons" }, f.reasons.map(r => h("li", {}, typeof r === "string" ? r : JSON.stringify(r)))),
    f.evidence.length ? h("details", {}, h("summary", {}, `evidence (${f.evidence.length})`),
      table(["time", "transaction", "from", "to", "amount", "usd"], f.evidence.slice(0, 50), e => [when(e.time),
        e.tx_hash ? txLink(f.chain, e.tx_hash) : "", e.from ? addrLink(e.from, short(e.from)) : "", e.to ? addrLink(e.to, short(e.to)) : "",
        e.amount !== undefined ? `${e.amount} ${e.symbol || ""}` : "", num(usd(e.usd))])) : null))));
  if (p.labels.length) parts.push(card("Labels and where they come from",
    table(["label", "category", "pack", "source", "origin", "confidence", "updated"], p.labels,
      l => [l.label, l.category || (l.concepts || []).join(", "), l.pack, l.source, l.origin, l.confidence || "", l.lastmod || ""])));
  const ex = p.exposure;
  if (ex && (ex.incoming.counterparties.length || ex.outgoing.counterparties.length)) {
    const rows = [...ex.incoming.counterparties.map(c => ({ ...c, dir: "received from" })), ...ex.outgoing.counterparties.map(c => ({ ...c, dir: "sent to" }))];
    parts.push(card(`Exposure within ${ex.hops} hops`, table(["", "address", "hop", "usd", "why"], rows,
      c => [c.dir, addrLink(c.address, short(c.address)), num(c.hop), num(usd(c.usd)), c.why])));
  }
  show(...parts);
}

// ---------- cases ----------
async function casesPage() {
  loading("the cases");
  try {
    const c = await api("/v1/cases");
    show(card(`Saved cases (${c.cases.length})`, c.cases.length ? table(["case", "subject", "as", "loss usd", "co-victims", "cash-out usd", "created"], c.cases,
      r => [h("a", { href: `/case/${r.id}`, "data-nav": "1" }, `case ${r.id}`), addrLink(r.subject, short(r.subject)), r.subject_kind,
        num(usd(r.loss_usd)), num(r.co_victims), num(usd(r.cash_out_usd)), when(r.created)]) :
      h("p", { class: "muted" }, "No saved cases yet: open an address and its case, or run pigtrace case ADDRESS.")));
  } catch (e) { failed(e); }
}

async function casePage(path) {
  loading("the case");
  let c;
  try { c = await api(path); } catch (e) { return failed(e); }
  const cash = c.cash_out.reduce((t, r) => t + r.usd, 0);
  const parts = [card(null,
    h("h1", {}, c.id ? `Case ${c.id}` : "Case (not saved)"),
    h("p", {}, addrLink(c.subject), ` on ${c.chain}, as ${c.subject_kind}`),
    h("div", { class: "grid" },
      h("div", { class: "stat", id: "loss" }, h("b", {}, `${usd(c.loss_usd)} USD`), "lost"),
      h("div", { class: "stat" }, h("b", {}, c.co_victims.length), "other victims who paid the same wallets"),
      h("div", { class: "stat" }, h("b", {}, c.collection_wallets.length), "collection wallets"),
      h("div", { class: "stat" }, h("b", {}, `${usd(cash)} USD`), `reached ${c.cash_out.length} cash-out accounts`)),
    h("p", { class: "muted" }, `Traced ${c.method}, from the ${c.basis.replace("+", " and ")}.`),
    c.id ? h("p", { id: "downloads" }, "Hand it over: ", ["html", "pdf", "stix", "graphml", "tagpack"].map(f =>
      h("a", { href: `/v1/cases/${c.id}/report?format=${f}`, class: "button secondary", style: "margin:0 .4rem .4rem 0" }, f.toUpperCase()))) : null,
    c.notes && c.notes.length ? h("ul", { class: "reasons" }, c.notes.map(n => h("li", {}, n))) : null)];
  const graphCard = card("Flow graph", h("p", { class: "muted" }, "Drag to pan, wheel or pinch to zoom, click a node to show its largest counterparties."));
  parts.push(graphCard);
  parts.push(card("Where the money went", sankey(c)));
  parts.push(card("Victim timeline", timeline(c)));
  if (c.cash_out.length) parts.push(card(capped("Cash-out: freeze or subpoena here", c.cash_out), table(["kind", "entity", "address", "this case usd", "ring usd"], c.cash_out.slice(0, ROWS),
    r => [r.kind, r.entity || "", addrLink(r.address, short(r.address)), num(usd(r.usd)), num(usd(r.ring_usd))])));
  if (c.key_nodes.length) parts.push(card(capped("Key nodes", c.key_nodes), table(["address", "role", "victim usd"], c.key_nodes.slice(0, ROWS),
    r => [addrLink(r.address, short(r.address)), r.role, num(usd(r.victim_usd))])));
  if (c.co_victims.length) parts.push(card(capped(`Other victims (${c.co_victims.length})`, c.co_victims), table(["address", "paid from", "payments", "usd", "last paid"], c.co_victims.slice(0, ROWS),
    r => [addrLink(r.address, short(r.address)), r.paid_from || "", num(r.payments), num(usd(r.usd)), when(r.last_paid)])));
  show(...parts);
  graphCard.append(flowGraph(c));
}

// The flow graph: columns by role (victims, collection, operators, laundering, cash-out), edges sized by USD.
const COLUMN = { victim: 0, subject: 0, collection: 1, operator: 1, laundering: 2 };
function flowGraph(c) {
  const nodes = new Map();
  const edges = [];
  const col = (role) => COLUMN[role] !== undefined ? COLUMN[role] : 3;
  for (const n of c.graph.nodes) nodes.set(n.id, { id: n.id, role: n.role, kind: n.kind, col: col(n.role) });
  for (const e of c.graph.edges) edges.push({ from: e.from, to: e.to, usd: e.usd });
  const svg = s("svg", { class: "graph", id: "flowgraph", role: "img", "aria-label": "flow graph of the case" });
  const world = s("g", {});
  svg.append(world);
  let view = { x: -40, y: -30, w: 1000, h: 560 };
  const setView = () => svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  function layout() {
    const byCol = new Map();
    for (const n of nodes.values()) { if (!byCol.has(n.col)) byCol.set(n.col, []); byCol.get(n.col).push(n); }
    for (const [k, list] of byCol) {
      list.sort((a, b) => (a.order || 0) - (b.order || 0) || a.id.localeCompare(b.id));
      list.forEach((n, i) => { n.x = k * 230; n.y = i * 34; });
    }
  }
  function draw() {
    layout();
    world.replaceChildren();
    const maxUsd = Math.max(1, ...edges.map(e => e.usd || 0));
    for (const e of edges) {
      const a = nodes.get(e.from), b = nodes.get(e.to);
      if (!a || !b) continue;
      const w = 1 + 9 * Math.sqrt((e.usd || 0) / maxUsd);
      const mx = (a.x + b.x) / 2;
      world.append(s("path", { d: `M${a.x},${a.y} C${mx},${a.y} ${mx},${b.y} ${b.x},${b.y}`, fill: "none",
        stroke: "#90a4ae", "stroke-opacity": 0.6, "stroke-width": w, class: "edge" },
        s("title", {}, `${short(e.from)} → ${short(e.to)}: ${usd(e.usd)} USD`)));
    }
    for (const n of nodes.values()) {
      const g = s("g", { class: "node", transform: `translate(${n.x},${n.y})`, "data-address": n.id, "data-role": n.role, tabindex: 0 });
      g.append(s("circle", { r: n.expanded ? 9 : 7, fill: ROLE_COLOURS[n.role] || ROLE_COLOURS.other, stroke: "#fff", "stroke-width": 2 }),
        s("text", { x: 11, y: 4 }, `${short(n.id)} · ${n.role}`), s("title", {}, `${n.id} (${n.role}${n.kind ? ", " + n.kind : ""})`));
      g.addEventListener("click", (ev) => { ev.stopPropagation(); expand(n); });
      g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") expand(n); });
      world.append(g);
    }
  }
  async function expand(n) {
    if (n.expanded) { go(`/address/${n.id}`); return; }
    n.expanded = true;
    try {
      const f = await api(`/v1/addresses/${n.id}/flows?limit=6`);
      let i = 0;
      for (const r of f.sent) {
        if (!nodes.has(r.address)) nodes.set(r.address, { id: r.address, role: r.role || (r.label ? "labelled" : "other"), col: n.col + 1, order: 1000 + i++, added: true });
        if (!edges.some(e => e.from === n.id && e.to === r.address)) edges.push({ from: n.id, to: r.address, usd: r.usd });
      }
      for (const r of f.received) {
        if (!nodes.has(r.address)) nodes.set(r.address, { id: r.address, role: r.role || (r.label ? "labelled" : "other"), col: n.col - 1, order: 1000 + i++, added: true });
        if (!edges.some(e => e.from === r.address && e.to === n.id)) edges.push({ from: r.address, to: n.id, usd: r.usd });
      }
      svg.dataset.expanded = String(Number(svg.dataset.expanded || 0) + 1);
    } catch (e) { n.error = e.message; }
    draw();
  }
  // pan and zoom
  let drag = null;
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.target.closest(".node")) return;  // a click on a node expands it
    drag = { x: ev.clientX, y: ev.clientY, v: { ...view } }; svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const k = view.w / svg.clientWidth;
    view.x = drag.v.x - (ev.clientX - drag.x) * k; view.y = drag.v.y - (ev.clientY - drag.y) * k; setView();
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const f = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
    const r = svg.getBoundingClientRect();
    const px = view.x + (ev.clientX - r.left) / r.width * view.w, py = view.y + (ev.clientY - r.top) / r.height * view.h;
    view = { x: px - (px - view.x) * f, y: py - (py - view.y) * f, w: view.w * f, h: view.h * f }; setView();
  }, { passive: false });
  draw(); setView();
  const legend = h("p", { class: "legend" }, ["subject", "victim", "collection", "operator", "laundering", "deposit", "exchange", "bridge", "other"]
    .map(r => h("span", {}, h("i", { style: `background:${ROLE_COLOURS[r]}` }), r)));
  return h("div", {}, svg, legend);
}

// Sankey: victim money from the victims through collection and laundering wallets to where it stopped.
function sankey(c) {
  const group = new Map(c.graph.nodes.map(n => [n.id, n.role === "subject" ? "victim" : n.role]));
  const stages = ["victim", "collection", "laundering"];
  const stageOf = (r) => { const i = stages.indexOf(r); return i >= 0 ? i : (r === "operator" ? 1 : 3); };
  const flows = new Map();
  for (const e of c.graph.edges) {
    const a = group.get(e.from), b = group.get(e.to);
    if (!a || !b || stageOf(a) >= stageOf(b)) continue;
    const key = `${a}|${b}`;
    flows.set(key, (flows.get(key) || 0) + (e.usd || 0));
  }
  if (!flows.size) return h("p", { class: "muted" }, "No traced flows between the case's wallets to draw.");
  const into = new Map(), out = new Map();
  for (const [k, v] of flows) {
    const [a, b] = k.split("|");
    out.set(a, (out.get(a) || 0) + v); into.set(b, (into.get(b) || 0) + v);
  }
  const totals = new Map([...new Set([...into.keys(), ...out.keys()])].map(n => [n, Math.max(into.get(n) || 0, out.get(n) || 0)]));
  const width = 900, height = 300, nodeW = 14;
  const cols = new Map();
  for (const name of totals.keys()) { const st = stageOf(name); if (!cols.has(st)) cols.set(st, []); cols.get(st).push(name); }
  const scale = (height - 40) / Math.max(...[...cols.values()].map(list => list.reduce((t, n) => t + totals.get(n), 0)), 1);
  const pos = new Map();
  for (const [st, list] of cols) {
    let y = 10;
    for (const n of list) { const hgt = Math.max(3, totals.get(n) * scale); pos.set(n, { x: 20 + st * (width - 180) / 3, y, h: hgt, outY: y, inY: y }); y += hgt + 16; }
  }
  const svg = s("svg", { class: "sankey", viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": "where the victims' money went" });
  for (const [k, v] of [...flows].sort((a, b) => b[1] - a[1])) {
    const [a, b] = k.split("|"), pa = pos.get(a), pb = pos.get(b), w = Math.max(1, v * scale);
    const x0 = pa.x + nodeW, x1 = pb.x, y0 = pa.outY + w / 2, y1 = pb.inY + w / 2, mx = (x0 + x1) / 2;
    pa.outY += w; pb.inY += w;
    svg.append(s("path", { d: `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}`, fill: "none", stroke: ROLE_COLOURS[a] || "#999",
      "stroke-opacity": 0.35, "stroke-width": w }, s("title", {}, `${a} → ${b}: ${usd(v)} USD`)));
  }
  for (const [n, p] of pos) {
    svg.append(s("rect", { x: p.x, y: p.y, width: nodeW, height: p.h, fill: ROLE_COLOURS[n] || "#999" }),
      s("text", { x: p.x + nodeW + 4, y: p.y + Math.min(p.h / 2 + 4, p.h + 10) }, `${n} ${usd(totals.get(n))}`));
  }
  return svg;
}

// The subject's payments in time: what they paid in, what came back, and the amounts.
function timeline(c) {
  const pays = (c.payments || []).filter(p => p.time).slice().sort((a, b) => String(a.time).localeCompare(String(b.time)));
  if (!pays.length) return h("p", { class: "muted" }, "No payments of the subject in this case.");
  const t0 = Date.parse(pays[0].time), t1 = Date.parse(pays[pays.length - 1].time);
  const span = Math.max(1, t1 - t0), maxUsd = Math.max(1, ...pays.map(p => p.usd || 0));
  const width = 900, height = 170;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": "victim timeline", id: "timeline" });
  svg.append(s("line", { x1: 20, y1: 110, x2: width - 20, y2: 110, stroke: "#90a4ae" }));
  pays.forEach((p, i) => {
    const x = 20 + (Date.parse(p.time) - t0) / span * (width - 40);
    const back = (p.direction || "").startsWith("paid back") || p.direction === "received";
    const hgt = 8 + 80 * Math.sqrt((p.usd || 0) / maxUsd);
    const round = p.usd >= 100 && Math.abs(p.usd - Math.round(p.usd / 100) * 100) < 0.005;
    const last = i === pays.length - 1 && !back;
    svg.append(s("rect", { x: x - 3, y: back ? 110 : 110 - hgt, width: 6, height: back ? hgt / 2 : hgt,
      fill: back ? "#2e7d32" : (last ? "#7a0019" : (round ? "#e08a00" : "#c62828")) },
      s("title", {}, `${when(p.time)} ${p.direction}: ${usd(p.usd)} USD${round ? " (round amount)" : ""}${last ? " (last payment)" : ""}`)));
  });
  svg.append(s("text", { x: 20, y: 160, "font-size": 12 }, when(pays[0].time)), s("text", { x: width - 140, y: 160, "font-size": 12 }, when(pays[pays.length - 1].time)));
  const key = h("p", { class: "legend" }, [["#c62828", "payment to the scam"], ["#e08a00", "round amount (often a 'tax' or 'fee')"],
    ["#7a0019", "last payment"], ["#2e7d32", "money paid back"]].map(([col, t]) => h("span", {}, h("i", { style: `background:${col}` }), t)));
  return h("div", {}, svg, key, pays.length > ROWS ? h("p", { class: "muted" }, capped("Payments", pays)) : null,
    table(["time", "what", "to / from", "usd", "transaction"], pays.slice(0, ROWS),
    p => [when(p.time), p.direction, (p.direction === "paid back" ? p.from : p.to) ? addrLink(p.direction === "paid back" ? p.from : p.to, short(p.direction === "paid back" ? p.from : p.to)) : "", num(usd(p.usd)), p.tx_hash ? txLink(c.chain, p.tx_hash) : ""]));
}

// ---------- trace ----------
async function tracePage(source) {
  loading("the trace");
  let t;
  try { t = await api(`/v1/trace/${encodeURIComponent(source)}`); } catch (e) { return failed(e); }
  show(card(null, h("h1", { class: "mono" }, t.source), h("p", {}, `${usd(t.input_usd)} USD followed (${t.method}, ${t.follow}) over ${t.hops_total} hops; ${usd(t.unresolved_usd)} USD unresolved.`)),
    card(capped("Where it stopped", t.endpoints), table(["kind", "entity", "address", "usd"], t.endpoints.slice(0, ROWS), e => [e.kind, e.entity || "", addrLink(e.address, short(e.address)), num(usd(e.usd))])),
    card(capped("Hops", t.hops), table(["time", "from", "to", "usd", "transaction"], t.hops.slice(0, ROWS),
      r => [when(r.time), addrLink(r.from, short(r.from)), addrLink(r.to, short(r.to)), num(usd(r.usd)), r.tx_hash ? txLink(t.chain, r.tx_hash) : ""])));
}

// ---------- url ----------
async function urlPage(u) {
  if (!u) return homePage();
  loading("the website check");
  try {
    const r = await api(`/v1/urls/check?url=${encodeURIComponent(u)}`);
    const signals = r.signals ? (Array.isArray(r.signals) ? r.signals : Object.entries(r.signals).map(([k, v]) => `${k}: ${v}`)) : [];
    show(card(null, h("h1", { class: "mono" }, r.host || r.input || u), h("p", {}, badge(r.verdict === "blocked" ? "high" : (r.verdict === "lookalike" || r.verdict === "suspicious" ? "medium" : "none")), " ", h("b", {}, r.verdict)),
      r.reason ? h("p", {}, r.reason) : null, signals.length ? h("ul", { class: "reasons" }, signals.map(x => h("li", {}, x))) : null,
      h("details", {}, h("summary", {}, "all fields"), h("pre", { class: "mono" }, JSON.stringify(r, null, 2)))));
  } catch (e) { failed(e); }
}

// ---------- wallet check (for ordinary people) ----------
function checkForm(value) {
  const input = h("input", { id: "wallet", type: "text", value: value || "", placeholder: "Your wallet address (0x… or T…)", autocomplete: "off",
    spellcheck: "false", style: "width:100%;padding:.6rem;font-size:1rem", "aria-label": "your wallet address" });
  return h("form", { onsubmit: (ev) => { ev.preventDefault(); if (input.value.trim()) go(`/check/${input.value.trim()}`); } },
    h("p", {}, input), h("p", {}, h("button", { type: "submit" }, "Check my wallet")));
}
async function checkPage(address) {
  const intro = card("Check your wallet",
    h("p", { class: "plain" }, "If someone asked you to “connect your wallet” to a savings pool, a mining pool or a trading app, they may have been given permission to take your money. This page shows those permissions and what to do about them."),
    h("p", { class: "muted" }, "Only your public wallet address is needed. Never type your recovery phrase or private key into any website, including this one."),
    checkForm(address));
  if (!address) return show(intro);
  show(intro, h("p", { class: "muted" }, "Checking…"));
  let a;
  try { a = await api(`/v1/audit/${encodeURIComponent(address)}`); } catch (e) { return show(intro, card("We could not check this address", h("p", { class: "error" }, e.message))); }
  const allowances = a.allowances || [];
  const sum = a.summary || {};
  const risky = allowances.filter(x => x.risk === "high");
  const verdict = card("What we found", h("div", { class: "plain", id: "verdict" },
    allowances.length === 0 ? h("p", { class: "big" }, "No open permissions were found for this wallet.") :
      h("p", { class: "big" }, allowances.length === 1 ?
        "1 open permission lets another address take tokens from this wallet" + (risky.length ? ", and it looks dangerous." : ".") :
        `${allowances.length} open permissions let other addresses take tokens from this wallet` + (risky.length ? `; ${risky.length} of them look dangerous.` : ".")),
    allowances.length ? h("p", {}, `Money that could be taken right now: about ${usd(sum.value_at_risk_usd || 0)} USD.`) : null,
    sum.taken_by_others ? h("p", {}, `Tokens worth about ${usd(sum.taken_by_others_usd || 0)} USD were already taken out of this wallet by someone else.`) : null,
    h("p", { class: "muted" }, `Checked ${when(a.as_of)} from the transactions this service holds (up to ${when(a.data_until)}).`)));
  const parts = [intro, verdict];
  if ((a.advice || []).length) parts.push(card("What to do now", h("ol", { class: "steps", id: "advice" }, a.advice.map(t => h("li", {}, t)))));
  if (allowances.length) parts.push(card("Permissions (approvals)", table(["token", "who can take it", "how much", "at risk now", "danger", "why"], allowances,
    x => [x.symbol || short(x.token), addrLink(x.spender, short(x.spender)), x.amount,
      h("td", { class: "num" }, x.value_at_risk || "", x.value_at_risk_usd ? ` (${usd(x.value_at_risk_usd)} USD)` : ""),
      badge(x.risk || "none"), h("ul", { class: "reasons" }, (x.reasons || []).map(r => h("li", {}, r)))]),
    allowances.some(x => x.revoke) ? h("details", {}, h("summary", {}, "the exact calls that cancel each permission (for a helper or a wallet app)"),
      table(["token", "contract to call", "call", "data"], allowances.filter(x => x.revoke),
        x => [x.symbol || short(x.token), h("span", { class: "mono" }, x.revoke.contract), h("span", { class: "mono" }, x.revoke.call || x.revoke.function),
          h("span", { class: "mono" }, x.revoke.calldata)])) : null));
  if ((a.taken_by_others || []).length) parts.push(card("Tokens someone else took out of this wallet", table(["when", "amount", "usd", "taken by", "sent to", "transaction"], a.taken_by_others,
    t => [when(t.first_taken), t.amount, num(usd(t.usd)), addrLink(t.by, short(t.by)), addrLink(t.to, short(t.to)), (t.tx_hashes || []).length ? txLink(a.chain, t.tx_hashes[0]) : ""])));
  if ((a.flagged_payments || []).length) parts.push(card("Payments to addresses known for scams", table(["last paid", "to", "payments", "usd", "why"], a.flagged_payments,
    p => [when(p.last_paid), addrLink(p.address, short(p.address)), num(p.payments), num(usd(p.usd)), [].concat(p.why || []).join("; ")])));
  if ((a.lookalikes || []).length) parts.push(card("Look-alike addresses in your history", h("p", {}, "These addresses were made to look like ones you use, so that you copy the wrong one. Always check the whole address before sending."),
    table(["look-alike", "looks like", "you paid it", "same characters"], a.lookalikes,
      l => [addrLink(l.lookalike, short(l.lookalike)), addrLink(l.imitates, short(l.imitates)), l.you_paid ? `yes, ${usd(l.paid_usd)} USD` : "no", l.shared])));
  if ((a.report_to || []).length) parts.push(card("Who to tell", h("ul", { id: "report-to" }, a.report_to.map(r => h("li", {}, h("b", {}, r.who), `: ${r.why} ${r.how}`)))));
  show(...parts);
}

fetch("/v1/explorers").then(r => r.ok ? r.json() : {}).catch(() => ({})).then(e => { EXPLORERS = e; route(); });
