"""A small evidence base and subscribers on a real SQLite file, served by the real uvicorn
server on loopback, for the web tests (HTTP with httpx, and the headless-browser test)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from digests.web import running
from digests.web.app import WebApp
from tests.digest_factories import NOW, seed, study, subscribe
from watcher.config import Config, load_config
from watcher.store import Store, Subscriber

BASE_URL = "https://digest.example.org/mildwatch"
RETRACTED = 9006


@dataclass(frozen=True)
class Site:
    """A served site: its address, its config, and the two subscribers in it."""

    url: str
    config: Config
    surgeon: Subscriber
    colleague: Subscriber

    def store(self) -> Store:
        return Store.open(self.config.database)


CONFIG = f"""
[database]
path = "mildwatch.db"
[mail]
outbox_dir = "outbox"
sender = "mildwatch <digest@mildwatch.example.org>"
[web]
base_url = "{BASE_URL}"
"""


def site_config(tmp_path: Path, text: str = CONFIG) -> Config:
    """A config file as an admin writes it (so [web] base_url sets the digests' links)."""
    path = tmp_path / "mildwatch.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env={"MILDWATCH_WEB_SECRET": "test-secret"})


def build(tmp_path: Path, text: str = CONFIG) -> tuple[Config, Subscriber, Subscriber]:
    """Two RCTs (60 months, one retracted), a cohort (24 months), a cost study, a case
    series (12 months) and an uncertain record; two weekly subscribers."""
    config = site_config(tmp_path, text)
    with Store.open(config.database) as store:
        seed(
            store,
            [
                study(9001, "rct", title="Trial of decompression against injection"),
                study(9002, "cohort", title="Two-year cohort"),
                study(9003, "cost", title="Cost to Medicare"),
                study(9004, "series", title="A small series"),
                study(9005, "uncertain"),
                study(
                    RETRACTED,
                    "rct",
                    title="A withdrawn trial",
                    publication_types=("Randomized Controlled Trial", "Retracted Publication"),
                ),
            ],
            at=NOW,
        )
        surgeon = subscribe(store, "surgeon@example.org", name="Dr Surgeon")
        colleague = subscribe(store, "colleague@example.org", name="Dr Colleague")
    return config, surgeon, colleague


@contextmanager
def serve_site(tmp_path: Path, text: str = CONFIG) -> Iterator[Site]:
    config, surgeon, colleague = build(tmp_path, text)
    with running(WebApp(config, clock=lambda: NOW).starlette()) as url:
        yield Site(url, config, surgeon, colleague)


def csrf_of(html: str) -> str:
    """The CSRF token in a page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)
