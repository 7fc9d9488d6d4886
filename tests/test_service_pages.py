"""The web pages in a real browser: Debian's Chromium driven by Playwright against `pigtrace serve`'s app on
127.0.0.1, over a simulated, analysed world. Search an address, open its case, expand a node of the flow
graph, open the wallet check; on a desktop and a phone-sized screen. Screenshots are kept in
test-artifacts/pages/ (or $PIGTRACE_TEST_ARTIFACTS) for a person to look at."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from tests.service_world import API_KEY, free_port, service_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("PIGTRACE_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts")) / "pages"


@pytest.fixture(scope="module")
def site(analysed_template, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("PIGTRACE_API_KEYS", API_KEY)
    app, db = service_app(analysed_template[1], tmp_path_factory.mktemp("pages"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(10)
    app.state.warehouse.close()
    mp.undo()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser, viewport):
    page = browser.new_page(viewport=viewport)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _victim(app) -> tuple[str, float]:
    """The analysed world's victim with the largest loss, by the library's own case."""
    from pigtrace.trace.case import build_case

    with app.state.warehouse.reader() as con:
        victims = [a for (a,) in con.execute(
            "SELECT address FROM findings WHERE role = 'victim' ORDER BY score DESC, address LIMIT 5").fetchall()]
        cases = [build_case(con, v) for v in victims]
    best = max(cases, key=lambda c: (c.loss_usd, c.subject))
    return best.subject, round(best.loss_usd, 2)


def test_search_an_address_open_its_case_and_expand_a_node(site, browser):
    url, app = site
    victim, loss = _victim(app)
    page, errors = _page(browser, {"width": 1280, "height": 900})
    page.goto(url + "/")
    page.fill("#q", victim)
    page.click("#search button")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == victim
    assert page.locator(".badge").first.inner_text().strip().lower() in ("low", "medium", "high", "severe")
    page.screenshot(path=str(SHOTS / "address.png"), full_page=True)

    page.click("#open-case")
    page.wait_for_selector("#flowgraph .node")
    assert f"{loss:,.2f} USD" in page.inner_text("#loss")
    with app.state.warehouse.reader() as con:
        from pigtrace.trace.case import build_case

        case = build_case(con, victim)
    graph = case.graph
    nodes = page.locator("#flowgraph .node")
    assert nodes.count() == len(graph["nodes"])
    assert page.locator(f'#flowgraph .node[data-address="{victim}"]').get_attribute("data-role") == "subject"
    assert page.locator("#timeline rect").count() >= 1 and page.locator(".sankey path").count() >= 1
    tx = next(p["tx_hash"] for p in case.payments if p.get("tx_hash"))
    assert page.locator(f'a[href="https://etherscan.io/tx/{tx}"]').count() >= 1  # the registry's explorer
    page.screenshot(path=str(SHOTS / "case.png"), full_page=True)

    collection = page.locator('#flowgraph .node[data-role="collection"]').first
    target = collection.get_attribute("data-address")
    before = nodes.count()
    collection.click()
    page.wait_for_function("document.querySelector('#flowgraph').dataset.expanded === '1'")
    after = page.locator("#flowgraph .node").count()
    with app.state.warehouse.reader() as con:
        from pigtrace.service.profile import flows

        near = flows(con, target, None, 6)
    shown = {page.locator("#flowgraph .node").nth(i).get_attribute("data-address") for i in range(after)}
    assert {r["address"] for r in near["sent"] + near["received"]} <= shown and after > before
    page.screenshot(path=str(SHOTS / "case-expanded.png"), full_page=True)
    assert errors == []


def test_wallet_check_reads_well_on_a_phone(site, browser):
    url, app = site
    with app.state.warehouse.reader() as con:
        owner = con.execute(
            """SELECT owner FROM approvals WHERE approved ORDER BY unlimited DESC, owner LIMIT 1""").fetchall()
    page, errors = _page(browser, {"width": 390, "height": 844})
    page.goto(url + "/check")
    # the page renders once /v1/explorers has answered, which can be after the load event
    page.wait_for_function("document.querySelector('main').innerText.includes('recovery phrase')")
    assert "recovery phrase" in page.inner_text("main")
    address = owner[0][0] if owner else "0x" + "ab" * 20
    page.fill("#wallet", address)
    page.click("main form button")
    page.wait_for_selector("#verdict")
    text = page.inner_text("#verdict")
    if owner:
        assert "open permission" in text
        assert page.locator("#advice li").count() >= 1
    else:
        assert "No open permissions" in text
    page.screenshot(path=str(SHOTS / "wallet-check-phone.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390 + 1, f"the page is {wide}px wide on a 390px screen"
    assert errors == []


def test_a_transaction_hash_and_a_website_are_searched_too(site, browser):
    url, app = site
    with app.state.warehouse.reader() as con:
        tx = con.execute("SELECT tx_hash FROM transfers WHERE usd > 100 ORDER BY usd DESC LIMIT 1").fetchall()[0][0]
    page, errors = _page(browser, {"width": 1280, "height": 900})
    page.goto(url + "/")
    page.fill("#q", tx)
    page.click("#search button")
    page.wait_for_selector("text=Where it stopped")
    assert tx in page.inner_text("h1")
    page.fill("#q", "uniswapeth.world")
    page.click("#search button")
    page.wait_for_selector("h1")
    assert "lookalike" in page.inner_text("main")
    assert errors == []
