"""check-url beyond the lists: the brand set, each lexical signal, the learned score, verdict precedence."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pigtrace.cli import app
from pigtrace.labels.hostnames import name_labels, parse_host, registrable, skeleton, suffix, word_pattern
from pigtrace.labels.url_signals import host_signals, project_names
from pigtrace.labels.urls import THRESHOLD, UrlChecker, check_urls

FIX = Path(__file__).parent / "fixtures" / "urls_benign"


def _one(url):
    return check_urls([url])[0]


@pytest.mark.parametrize("url, brand", [
    ("uniswapeth.world", "Uniswap"),  # brand name inside another name
    ("trust-wallet.io", "Trust Wallet"),  # brand split by a hyphen
    ("wallet-trustt.com", "Trust Wallet"),  # words swapped, and a typo
    ("c0inbase-claim.xyz", "Coinbase"),  # digit for a letter
    ("xn--pncakeswap-c4i.finance", "PancakeSwap"),  # punycode: 'pаncakeswap' with a Cyrillic а
    ("pendle-airdrop.com", "pendle"),  # a derived (Etherscan-labelled) brand next to a lure word
])
def test_lookalikes_of_the_brand_set(url, brand):
    r = _one(url)
    assert r["verdict"] == "lookalike", r
    assert brand in r["source"] and r["signals"] and "score" in r


def test_official_domains_of_derived_brands_are_allowed():
    for url in ("app.uniswap.org", "https://app.pendle.finance/trade", "synthetix.io", "www.opensea.io"):
        r = _one(url)
        assert r["verdict"] == "allowed", r


def test_derived_brand_names_alone_are_not_lookalikes():
    assert _one("pendleton-wool.com")["verdict"] != "lookalike"  # an ordinary name that contains a brand


def test_registrable_domains_come_from_the_public_suffix_list():
    assert registrable("a.b.example.co.uk") == "example.co.uk"
    assert registrable("scam.netlify.app") == "scam.netlify.app" and suffix("scam.netlify.app") == "netlify.app"
    assert registrable("me.github.io") == "me.github.io"
    assert name_labels("app.uniswap.org") == ("uniswap", "app")


def test_skeleton_folds_tr39_confusables():
    assert skeleton("bіnаnсе") == "binance"  # Cyrillic і, а, с, е
    assert skeleton("0kx") == "okx" and skeleton("1edger") == "ledger"
    assert skeleton("rnetamask") == "metamask"


@pytest.mark.parametrize("host, signal, detail", [
    ("claim-your-rewards.site", "lure_word", "claim"),
    ("walletconnectsync.com", "lure_word", "walletconnect"),
    ("project.xyz", "abused_tld", ".xyz"),
    ("funs-virtual-airdrop.pages.dev", "free_hosting", "pages.dev"),
    ("someone.netlify.app", "free_hosting", "netlify.app"),
    ("my-app.vercel.app", "free_hosting", "vercel.app"),
    ("site.web.app", "free_hosting", "web.app"),
    ("a-b-c.com", "many_hyphens", "a-b-c"),
    ("c0inbase.com", "digit_for_letter", "c0inbase -> coinbase"),
    ("xn--mtamask-7gg.io", "punycode", "looks like metamask.io"),
    ("abcdefghijklmnopqrstuvwxyz.com", "long_name", "abcdefghijklmnopqrstuvwxyz"),
    ("a.b.c.d.example.com", "deep_subdomain", "a.b.c.d.example.com"),
    ("102.220.160.214", "ip_host", "102.220.160.214"),
    ("olas-proposal.com", "drainer_lure", "proposal"),
    ("registersomething.xyz", "drainer_lure", "register"),  # a lure glued at the start of a name
    ("voting-etherfi.com", "project_lure", "voting + etherfi"),
    ("allocations-autonolas.xyz", "project_lure", "allocations + autonolas"),
    ("register-qwzxproject.com", "drainer_name", "register"),  # any name, known project or not
    ("qwzxproject-allocations.org", "drainer_name", "allocations"),
])
def test_each_signal(host, signal, detail):
    sig = host_signals(host, None, project_names())
    assert signal in sig, sig
    assert detail in sig[signal]


def test_plain_sites_raise_no_signal():
    assert host_signals("example.com") == {}
    assert host_signals("www.python.org") == {}


def test_suspicious_needs_no_brand_and_names_its_signals():
    r = _one("funs-virtual-airdrop.pages.dev")
    assert r["verdict"] == "suspicious", r
    assert r["score"] >= THRESHOLD and r["matched"] == "funs-virtual-airdrop.pages.dev"
    text = " ".join(r["signals"])
    assert "free hosting" in text and "lure word" in text and "airdrop" in text
    low = _one("example.com")
    assert low["verdict"] == "unknown" and low["score"] < THRESHOLD


def test_allow_list_and_block_lists_win_over_signals_and_score():
    # MetaMask's allow list holds look-alike names; official domains win too, whatever the score says
    for url in ("metamasks.com", "opensea.io", "https://www.coinbase.com/airdrop-claim"):
        assert _one(url)["verdict"] == "allowed"
    blocked = _one("binance.vu")
    assert blocked["verdict"] == "blocked" and "score" not in blocked  # only list hits are blocked


def test_cli_exit_code_for_suspicious_and_json_fields():
    out = CliRunner().invoke(app, ["check-url", "funs-virtual-airdrop.pages.dev", "-f", "json"])
    assert out.exit_code == 3, out.output
    assert '"signals"' in out.stdout and '"score"' in out.stdout
    assert CliRunner().invoke(app, ["check-url", "example.com"]).exit_code == 0


def test_real_project_websites_are_rarely_flagged():
    """Regression on real benign sites the model was not fitted on (fixtures/urls_benign/README.md)."""
    hosts = FIX.joinpath("project_websites.txt").read_text().split()
    res = check_urls(hosts)
    flagged = [r["url"] for r in res if r["verdict"] in ("blocked", "lookalike", "suspicious")]
    assert len(hosts) == 300
    assert not [r for r in res if r["verdict"] == "blocked"]
    assert len(flagged) <= 3, flagged  # 2 of 300 at the shipped threshold


def test_project_name_with_a_drainer_lure_is_suspicious_and_says_why():
    for url, words in (("olas-proposal.com", "proposal + olas"), ("treasury-degen.org", "treasury + degen")):
        r = _one(url)
        assert r["verdict"] == "suspicious", r
        # the source names the rule, or the model when the score alone is over the threshold; the signals say why
        assert words in r["source"] + " ".join(r["signals"]) and any("drainer lure" in s for s in r["signals"]), r
    # projects name their own pages this way: glued words and a lure in a subdomain do not count
    for host in ("flashstake.io", "stake.lido.fi", "celolaunch.io"):
        assert "project_lure" not in host_signals(host, None, project_names()), host
    assert "project_lure" not in host_signals("claim-your-rewards.site", None, project_names())  # no project


def test_a_strong_drainer_word_hyphenated_with_any_name_is_suspicious():
    from pigtrace.labels.url_signals import drainer_name
    assert drainer_name("vote-qwzxlabs") == "vote" and drainer_name("qwzxlabs-distribution") == "distribution"
    assert drainer_name("claim-your-rewards") == "claim"
    # one word, glued words, an empty word, and the words projects name their own sites with do not count
    for label in ("allocation", "registerqwzx", "vote-", "crypto-stake", "green-mining", "project-portal",
                  "token-launch", "genesis-fund"):
        assert drainer_name(label) is None, label
    assert "drainer_name" not in host_signals("vote.qwzxlabs.com", None, project_names())  # a lure subdomain
    r = _one("qwzxlabs-proposal.com")
    assert r["verdict"] == "suspicious", r
    assert "proposal" in r["source"] + " ".join(r["signals"]), r
    # the known-project rule names the project first
    assert "drainer_name" not in host_signals("voting-etherfi.com", None, project_names())
    # the allow list and official domains still win
    assert _one("https://www.coinbase.com/claim-rewards")["verdict"] == "allowed"


@pytest.mark.parametrize("url, brand", [
    ("hyperliquid-app.net", "Hyperliquid"),  # hand-written brands of 2024-2025 drainer lures
    ("eigenlayer.top", "EigenLayer"),  # the brand's name under another TLD
    ("claim-kaito.xyz", "Kaito"),
    ("etherfi-points.com", "ether.fi"),
    ("solana-airdrop.com", "Solana"),  # a chain's name (generic) next to a lure word
])
def test_lookalikes_of_added_brands(url, brand):
    r = _one(url)
    assert r["verdict"] == "lookalike", r
    assert brand in r["source"]


def test_added_brands_official_domains_are_allowed_and_generic_names_alone_are_not_lookalikes():
    for url in ("app.hyperliquid.xyz", "jup.ag", "stake.lido.fi", "app.aave.com", "www.ether.fi"):
        assert _one(url)["verdict"] == "allowed", url
    # ordinary words and names that contain an added brand's name or are one edit from it
    for url in ("solanart.io", "scrollbar.dev", "blastoff.com", "beforecoinmarketcap.com", "lorenzo-pizza.com",
                "athena-ai.io", "radium-labs.com", "camino-app.com", "debunk.news", "dimension.io", "borachain.io"):
        assert _one(url)["verdict"] != "lookalike", url


def test_drainer_words_with_an_i_for_an_l_and_the_words_of_sign_up_pages():
    from pigtrace.labels.url_signals import drainer_name
    assert drainer_name("ailocation-qwzx") == "ailocation (allocation)"
    assert drainer_name("proposai-qwzxfi") == "proposai (proposal)"
    assert drainer_name("qwzx-ciaims") == "ciaims (claims)"
    assert drainer_name("signup-qwzx") == "signup" and drainer_name("qwzx-multipliers") == "multipliers"
    assert drainer_name("mining-qwzx") is None and drainer_name("iiii-qwzx") is None  # a word read so is no lure


def test_a_drainer_word_lowers_the_bar_for_the_score():
    from pigtrace.labels.urls import DRAINER_THRESHOLD
    from pigtrace.labels.url_signals import strong_drainer_word
    assert strong_drainer_word({"drainer_lure": "claim"}) == "claim"
    assert strong_drainer_word({"drainer_lure": "rewards"}) == "rewards"
    assert strong_drainer_word({"drainer_lure": "mint"}) is None and strong_drainer_word({}) is None
    c = UrlChecker()
    sig = {"drainer_lure": "claim"}
    mid = (DRAINER_THRESHOLD + THRESHOLD) / 2
    r = c._verdict("claim.qwzx.network", "claim.qwzx.network", sig, mid, 0.0, {})
    assert r["verdict"] == "suspicious" and "'claim'" in r["source"], r
    assert c._verdict("mint.qwzx.network", "mint.qwzx.network", {"drainer_lure": "mint"}, mid, 0.0, {})["verdict"] == "unknown"
    assert c._verdict("claim.qwzx.network", "claim.qwzx.network", sig, DRAINER_THRESHOLD - 0.01, 0.0, {})["verdict"] == "unknown"


@pytest.mark.parametrize("url", ["solana-community.com", "pendle-app.net", "virtuals-hub.org", "monadfoundation.xyz"])
def test_a_generic_brand_name_next_to_a_companion_word_is_a_lookalike(url):
    assert _one(url)["verdict"] == "lookalike"


def test_project_names_are_not_lure_or_ordinary_words():
    names = project_names()
    assert {"etherfi", "autonolas", "pendle", "uniswap"} <= names
    assert not {"claim", "airdrop", "token", "finance", "crypto", "project"} & names
    assert not [n for n in names if "phish" in n]


def test_word_pattern_finds_what_a_longest_first_alternation_finds():
    import re
    words = ["uni", "uniswap", "unicorn", "swap", "pendle", "pend", "a"]
    slow = re.compile("|".join(sorted(words, key=len, reverse=True)))
    fast = re.compile(word_pattern(words))
    for text in ("myuniswapx", "unicornpendle", "xpendx", "zzz", "a", "unisw", "swapuni"):
        a, b = slow.search(text), fast.search(text)
        assert (a and (a.start(), a.group(0))) == (b and (b.start(), b.group(0))), text


def test_plain_url_fast_path_parses_like_the_full_parser():
    assert parse_host("HTTPS://Example.COM:8080/Path?x=1#y") == ("example.com", "/Path")
    assert parse_host("x.example.com.") == ("x.example.com", "/")
    assert parse_host("a_b.example.com/p") == ("a_b.example.com", "/p")
    assert parse_host("user@example.com") == ("example.com", "/")  # not plain: the full parser answers


def test_answers_kept_between_batches_do_not_change_verdicts():
    c = UrlChecker()
    cold = c.check_batch(["hype-finance.com", "mycoinbasewallet.net"])
    c.check_batch(["xn--fnance-hub-x2i.com", "binnance.com"])  # 'fіnance' folds to a stop word
    warm = c.check_batch(["hype-finance.com", "mycoinbasewallet.net"])
    assert [r["verdict"] for r in cold] == [r["verdict"] for r in warm] == ["unknown", "lookalike"]


def test_name_shape_values_on_hand_written_names():
    import numpy as np

    from pigtrace.labels import url_shape
    names = ["czqmxtj", "voting-etherfi", "kfoy9cuik3hf6ok", "abc123-4567", ""]
    v = url_shape.values(names, np.array([0, 1, 2, 0, 3]))
    col = {name: j for j, (name, _, _) in enumerate(url_shape.SHAPES)}
    assert v[0, col["consonant_run"]] == 7 and v[0, col["letters"]] == 7 and v[0, col["vowel_share"]] == 0
    assert v[1, col["hyphens"]] == 1 and v[1, col["letters"]] == 13 and v[1, col["subdomains"]] == 1
    # y counts as a vowel: the longest consonant run of kfoy9cuik3hf6ok is 'kf' or 'hf'
    assert v[2, col["digits"]] == 3 and v[2, col["digit_run"]] == 1 and v[2, col["consonant_run"]] == 2
    assert v[3, col["digit_run"]] == 4 and v[3, col["digits"]] == 7  # a run stops at a hyphen
    assert v[4].tolist() == [0, 0, 0, 0, 0, 0, 0, 3]  # an empty name has only its subdomain count
    assert v[2, col["entropy"]] > v[1, col["entropy"]] > 2.5  # random letters spread wider than words
    cols = url_shape.columns(v)
    assert cols.shape == (5, len(url_shape.SHAPES)) and cols.max() < url_shape.WIDTH
    names_of = url_shape.bin_names()
    assert names_of[cols[0, col["consonant_run"]]] == "consonant_run>4"
    assert names_of[cols[1, col["hyphens"]]] == "hyphens<=1"


def test_name_shape_is_named_in_the_signals_when_it_pushes_the_score():
    from pigtrace.labels import url_shape
    from pigtrace.labels.lexical import model, shape_of
    vals, cols = shape_of(["x7k2qzvbt9w.com"])
    weights = model().shape_weights
    words = url_shape.describe(vals[0], cols[0], weights, at_least=-100.0)  # every feature, whatever its weight
    assert len(words) == len(url_shape.SHAPES)
    assert "consonants in a row: 5" in " ".join(words) and all("log-odds" in w for w in words)
    r = _one("x7k2qzvbt9w.com")
    named = [s for s in r["signals"] if s.startswith("name shape:")]
    pushed = [w for w, k in zip(words, cols[0]) if weights[k] >= 0.5]  # the weight, not its rounded text
    assert named == pushed  # only the bins that add half a log-odds or more are named


def test_sophos_hosts_are_model_positives_without_app_stores(tmp_path):
    import shutil

    from pigtrace.labels.url_corpus import sophos_hosts
    (tmp_path / "sophos-iocs").mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "labels_sophos_iocs" / "sophos_scam_iocs.csv",
                tmp_path / "sophos-iocs")
    hosts = set(sophos_hosts(tmp_path))
    assert "binance.vu" in hosts and "app.btccdn.vip" in hosts  # a domain and a URL's host
    assert not hosts & {"apps.apple.com", "play.google.com", "twitter.com"}


def test_name_shape_words_of_a_batch_are_those_of_each_host():
    from pigtrace.labels import url_shape
    from pigtrace.labels.lexical import model, shape_of
    hosts = ["x7k2qzvbt9w.com", "voting-etherfi.com", "app.uniswap.org", "a.b.c.example.io", "102.220.160.214"]
    vals, cols = shape_of(hosts)
    w = model().shape_weights
    for at_least in (0.5, -100.0):
        batch = url_shape.describe_batch(vals, cols, w, at_least)
        assert batch == [url_shape.describe(vals[k], cols[k], w, at_least) for k in range(len(hosts))]
    assert vals[3, [n for n, _, _ in url_shape.SHAPES].index("subdomains")] == 3


def test_two_words_swapped_and_joined_are_a_typo_only_one_edit_from_the_brand():
    """'locker-token' read backwards is 'tokenlocker', two edits from TokenPocket: two words in another order
    and two letters changed is another name, not a misspelling; one edit still is ('pocket-tokem')."""
    assert _one("locker-token.com")["verdict"] != "lookalike"
    hit = _one("pocket-tokem.com")
    assert hit["verdict"] == "lookalike" and "TokenPocket" in hit["source"], hit
    assert _one("tokinpockat-wallet.com")["verdict"] == "lookalike"  # a word two edits away, in order: still one


def test_model_examples_take_the_fitted_parts_and_leave_a_fold_out(tmp_path):
    """The model is fitted on the `train` and `tune` project sites, never `test`; for the out-of-fold scores the
    threshold is chosen on, a fold's sites and the host names of their tokens are left out of the fit."""
    import csv
    import json

    from pigtrace.labels import lexical_train
    from pigtrace.labels.url_corpus import cv_fold, split_of
    names = [f"project{i}" for i in range(200)]
    site = {}
    for n in names:  # one site of each part, and a train site of another fold than the tune one
        site.setdefault(split_of(f"{n}.io"), n)
    other = next(n for n in names if split_of(f"{n}.io") == "train" and cv_fold(f"{n}.io", 5) != cv_fold(
        f"{site['tune']}.io", 5))
    (tmp_path / "eth-labels-dawsbot").mkdir()
    with open(tmp_path / "eth-labels-dawsbot" / "eth_labels_2024.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["explorer", "label", "kind", "address", "name_tag", "symbol", "website"])
        for n in (site["train"], site["tune"], site["test"], other):
            w.writerow(["etherscan", "tokens", "tokens", "0x" + "1" * 40, f"{n} Coin", "X", f"https://{n}.io/"])
    (tmp_path / "etherscan-labels-brianleect").mkdir()
    (tmp_path / "etherscan-labels-brianleect" / "evm_explorer_labels_2023.csv").write_text("chain,address,name_tag,labels\n")
    (tmp_path / "metamask-eth-phishing-detect").mkdir()
    (tmp_path / "metamask-eth-phishing-detect" / "config.json").write_text(json.dumps(
        {"blacklist": ["claim-reward.xyz"], "whitelist": [], "fuzzylist": []}))
    (tmp_path / "cryptoscamdb").mkdir()
    (tmp_path / "cryptoscamdb" / "cryptoscamdb_entries.csv").write_text("name,url\n")
    (tmp_path / "sophos-iocs").mkdir()
    (tmp_path / "sophos-iocs" / "sophos_scam_iocs.csv").write_text("indicator_type,value\n")
    hosts, y = lexical_train.examples(tmp_path, set())
    benign = {h for h, label in zip(hosts, y) if label == 0}
    assert {f"{site['train']}.io", f"{site['tune']}.io", f"{other}.io"} <= benign
    assert f"{site['test']}.io" not in benign and not any(h.startswith(f"{site['test']}coin.") for h in benign)
    assert any(h.startswith(f"{site['tune']}coin.") for h in benign)  # its token's name as a host name too
    hosts, y = lexical_train.examples(tmp_path, set(), leave_out=cv_fold(f"{site['tune']}.io", 5))
    assert f"{site['tune']}.io" not in hosts and not any(h.startswith(f"{site['tune']}coin.") for h in hosts)
    assert f"{other}.io" in hosts and "claim-reward.xyz" in hosts


def test_a_domain_with_its_dot_dropped_or_made_a_hyphen_is_a_lookalike():
    """A brand's or a project's domain written as one name under another top-level domain ('solv-finance.shop'
    for solv.finance, 'pufferfi.site' for puffer.fi); the project's own site, and a project site that happens to
    be named so, are not."""
    hit = _one("solv-finance.shop")
    assert hit["verdict"] == "lookalike" and hit["matched"] == "solv.finance" and "made a hyphen" in hit["source"], hit
    hit = _one("pufferfi.site")
    assert hit["verdict"] == "lookalike" and "dot dropped" in hit["source"], hit
    assert _one("solv.finance")["verdict"] not in ("lookalike", "blocked")
    c = UrlChecker()
    c.project_domains = c.project_domains | {"solv-finance.shop"}
    assert c.check("solv-finance.shop")["verdict"] != "lookalike"


@pytest.mark.parametrize("url,brand", [("aavenetwork.app", "Aave"), ("getmeteora.xyz", "Meteora"),
                                       ("scrolldao.top", "Scroll"), ("aave-fdn.com", "Aave")])
def test_a_brand_name_joined_with_a_lure_or_companion_word_is_a_lookalike(url, brand):
    """Short and ordinary-word brand names count glued to a lure or companion word ('aave' is too short to be
    looked for inside other names; 'scroll' is a word)."""
    hit = _one(url)
    assert hit["verdict"] == "lookalike" and brand in hit["source"], hit


def test_a_brand_name_glued_to_another_word_is_not_a_lookalike():
    for url in ("scrollbar.com", "aaverage.org", "lidocaine.com"):
        assert _one(url)["verdict"] != "lookalike", _one(url)


def test_the_score_bar_is_lower_on_free_hosting_and_cheap_top_level_domains():
    """Project sites seldom live on a free hosting subdomain or a cheap TLD: there a lower score flags the host,
    and the verdict says which bar it passed."""
    from pigtrace.labels.urls import BARS
    c = UrlChecker()
    for signal, detail in (("abused_tld", ".xyz"), ("free_hosting", "pages.dev")):
        bar, where = BARS[signal]
        score = (bar + THRESHOLD) / 2
        r = c._verdict("qwzx.example", "qwzx.example", {signal: detail}, score, 0.0, {})
        assert r["verdict"] == "suspicious" and where in r["source"], r
        assert c._verdict("qwzx.example", "qwzx.example", {}, score, 0.0, {})["verdict"] == "unknown"


def test_file_names_in_the_labels_website_column_are_not_project_sites():
    from pigtrace.labels.url_corpus import website_host
    assert website_host("sushitoken_32.png") is None and website_host("") is None
    assert website_host("https://www.sushi.com/") == "www.sushi.com"


def test_public_suffix_shortcut_answers_as_the_list_does():
    from pigtrace.labels.hostnames import _PSL, registrable, suffix
    for h in ("a.b.example.co.uk", "me.github.io", "x.netlify.app", "a.city.kobe.jp", "www.ck", "x.www.ck", "foo.ck",
              "a.b.database.run", "example.com", "x.y.notatld", "co.uk", "uniswap-claim.xyz"):
        assert suffix(h) == (_PSL.publicsuffix(h) or h.rsplit(".", 1)[-1]), h
        assert registrable(h) == (_PSL.privatesuffix(h) or h), h


def test_model_reads_2_to_6_grams_and_refuses_a_file_fitted_with_others(tmp_path, monkeypatch):
    """Every 2- to 6-gram of '^host$' is hashed (none crossing into the next host), and a model file fitted with
    other n-grams (the 3- to 5-grams of earlier builds) is refused with the fix, not read with wrong weights."""
    import numpy as np

    from pigtrace.labels import lexical, url_shape
    from pigtrace.labels.url_signals import SIGNALS
    rows, _ = lexical.ngram_buckets(["ab.io", "x.co"])  # '^ab.io$' (7 characters), '^x.co$' (6)
    assert np.bincount(rows).tolist() == [sum(7 - n + 1 for n in range(2, 7)), sum(6 - n + 1 for n in range(2, 7))]
    m = lexical.LexicalModel(np.zeros(lexical.BUCKETS, dtype=np.float32), np.zeros(len(SIGNALS), dtype=np.float32),
                             0.0, np.zeros(url_shape.WIDTH, dtype=np.float32))
    monkeypatch.setattr(lexical, "DATA_DIR", tmp_path)
    m.save(tmp_path / lexical.MODEL_FILE)
    assert lexical.model.__wrapped__().bias == 0.0
    monkeypatch.setattr(lexical, "NGRAMS", (3, 4, 5))
    with pytest.raises(RuntimeError, match="rebuild the label packs"):
        lexical.model.__wrapped__()
