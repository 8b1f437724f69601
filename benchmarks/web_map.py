"""How fast the evidence map answers over a large database, and screenshots of it.

    uv run python benchmarks/web_map.py [--records 5000] [--repeat 20] [--write]
                                        [--screenshots docs/]

Run by hand (timings are never asserted in tests). It stores N synthetic records
(``watcher.localpubmed.synthetic``: every title says [SYNTHETIC]), classifies them with the
real classifier, serves the real app with uvicorn on 127.0.0.1 and times HTTP requests with
httpx: the map's first request (templates compiled, chart drawn), the map again, a filtered
map, a late page, one study page, /healthz, and the static export. The anchor is reading
the same rows from SQLite through the ``Store`` alone (``classified()`` for both tabs), the
floor any page over all the evidence pays; each request is given as a ratio to it.

``--screenshots DIR`` also photographs the map of the bundled 43-record sample (the demo's
data) at 375 px and 1280 px wide with headless Chromium + chromedriver (Selenium):
``DIR/web-map-375.png`` and ``DIR/web-map-1280.png``. ``--write`` replaces the "Web: the
evidence map" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from digests.web import WebApp, export_site, running  # noqa: E402
from watcher.clock import iso  # noqa: E402
from watcher.config import load_config  # noqa: E402
from watcher.evidence import load_profile  # noqa: E402
from watcher.localpubmed import SAMPLE_DIR  # noqa: E402
from watcher.localpubmed.synthetic import generate_articles  # noqa: E402
from watcher.localpubmed.synthetic_xml import document  # noqa: E402
from watcher.pubmed import parse_pubmed_xml  # noqa: E402
from watcher.store import Store  # noqa: E402
from watcher.tagging import tag_articles  # noqa: E402

BENCHMARKS_MD = REPO / "docs" / "benchmarks.md"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CONFIG = '[database]\npath = "mildwatch.db"\n[web]\nbase_url = "https://example.org"\n'


def make_site(folder: Path, xml_documents: list[str]) -> WebApp:
    """A config and a database holding the records of ``xml_documents``, classified."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mildwatch.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(folder / "mildwatch.toml", env={})
    profile = load_profile()
    with Store.open(config.database) as store, store.transaction():
        store.add_search("mild", "mild[tiab]", author="bench", reason="bench", now=iso(NOW))
        for text in xml_documents:
            articles = parse_pubmed_xml(text.encode())
            store.save_articles(articles, run_id=None, now=iso(NOW))
            tag_articles(store, articles, None, profile)
            store.record_hits(store.search("mild").id, [a.pmid for a in articles], now=iso(NOW))  # type: ignore[union-attr]
        store.record_poll_success(
            store.search("mild").id,  # type: ignore[union-attr]
            watermark="2026/11/23",
            count=len(xml_documents),
            translation="",
            now=iso(NOW),
        )
    return WebApp(config, clock=lambda: NOW)


def timed(work: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def measure(records: int, repeat: int, folder: Path) -> tuple[list[tuple[str, str, str]], dict]:
    chunks = generate_articles(records, seed=12)
    web = make_site(folder, [document(chunks[i : i + 500]) for i in range(0, records, 500)])
    with Store.open_readonly(web.config.database) as store:
        counts = {
            "stored": store.count_articles(),
            "relevant": len(store.classified(("relevant",))),
            "uncertain": len(store.classified(("uncertain",))),
        }
        anchor = statistics.median(
            timed(lambda: (store.classified(("relevant",)), store.classified(("uncertain",))), 3)
        )
        pmid = store.classified(("relevant",))[0][0].pmid
    rows: list[tuple[str, str, str]] = [
        ("anchor: `Store.classified()` for both tabs", ms(anchor), "1.0×")
    ]
    with running(web.starlette()) as url, httpx.Client(base_url=url, timeout=60) as client:

        def get(path: str, **params: str) -> None:
            reply = client.get(path, params=params)
            reply.raise_for_status()

        cold = timed(lambda: get("/"), 1)[0]
        web.warm()  # what a poll does: the evidence changed, the next reader rebuilds the map
        with Store.open(web.config.database) as store, store.transaction():
            tag_articles(store, store.articles([pmid]), None, load_profile())  # re-tagged now
        rebuilt = timed(lambda: get("/"), 1)[0]
        requests = [
            ("GET / first request (templates compiled, map built, chart drawn)", [cold]),
            ("GET / after the evidence changed (previous map, rebuilt behind it)", [rebuilt]),
            ("GET / (map, page 1 of 50 rows)", timed(lambda: get("/"), repeat)),
            (
                "GET /?design=rct&followup=24",
                timed(lambda: get("/", design="rct", followup="24"), repeat),
            ),
            ("GET /?sort=title&page=20", timed(lambda: get("/", sort="title", page="20"), repeat)),
            (
                "GET /?text=stenosis+walking",
                timed(lambda: get("/", text="stenosis walking"), repeat),
            ),
            (f"GET /articles/{pmid}", timed(lambda: get(f"/articles/{pmid}"), repeat)),
            ("GET /healthz", timed(lambda: get("/healthz"), repeat)),
        ]
    for label, times in requests:
        median = statistics.median(times)
        rows.append((label, ms(median), f"{median / anchor:.1f}×"))
    started = time.perf_counter()
    report = export_site(web, folder / "static-site")
    rows.append((f"`web --static` ({report.pages:,} pages)", ms(time.perf_counter() - started), ""))
    return rows, counts


def screenshots(out: Path) -> list[Path]:
    """The map of the bundled sample at phone and desktop width (full page height)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory() as temp:
        sample = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DIR.glob("*.xml"))]
        web = make_site(Path(temp) / "sample", sample)
        written = []
        with running(web.starlette()) as url:
            for width in (375, 1280):
                options = webdriver.ChromeOptions()
                options.binary_location = "/usr/bin/chromium"
                for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                             "--hide-scrollbars", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync", "--no-first-run",
                             f"--user-data-dir={temp}/profile-{width}",
                             f"--window-size={width},900"):  # fmt: skip
                    options.add_argument(flag)
                driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
                try:
                    driver.get(url + "/")
                    height = driver.execute_script("return document.body.scrollHeight")
                    driver.set_window_size(width, min(int(height) + 140, 2600))
                    path = out / f"web-map-{width}.png"
                    driver.save_screenshot(str(path))
                    written.append(path)
                finally:
                    driver.quit()
    return written


def section(rows: list[tuple[str, str, str]], counts: dict, args: argparse.Namespace) -> str:
    lines = [
        "## Web: the evidence map",
        "",
        f"Measured with `uv run python benchmarks/web_map.py --records {args.records} "
        f"--repeat {args.repeat}` on {platform.machine()} ({platform.python_version()}), "
        f"{counts['stored']:,} synthetic records stored ({counts['relevant']:,} relevant, "
        f"{counts['uncertain']:,} uncertain), the real uvicorn server on 127.0.0.1, httpx as "
        "the client; medians. The anchor reads the same rows through the `Store` alone.",
        "",
        "| what | median | vs anchor |",
        "| --- | --- | --- |",
        *[f"| {label} | {time} | {ratio} |" for label, time, ratio in rows],
        "",
        "Target: the map for 5,000 stored articles well under a second. The rows and the "
        "landscape are built once per change of the evidence (a poll, a reclassification: "
        "`Store.evidence_version()`) and kept; `mildwatch web` builds them before it starts "
        "listening, and after a change readers get the previous map while the new one is "
        "built in a background thread (`WebApp.served_map`; `web --static` always exports the "
        "current one). A request then filters, sorts and renders one page of 50 rows.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--screenshots", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        rows, counts = measure(args.records, args.repeat, Path(temp))
    text = section(rows, counts, args)
    print(text)
    if args.write:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from accuracy import write_section

        write_section(BENCHMARKS_MD, text)
    if args.screenshots:
        for path in screenshots(args.screenshots):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
