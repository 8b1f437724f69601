"""``mildwatch web --static OUTDIR``: the evidence map and every study page as plain files, for
an admin who can only publish a folder (an intranet share).

The pages are the live app's templates with relative links: ``index.html`` (the studies),
``uncertain.html``, ``articles/{pmid}.html``, and ``static/`` (the stylesheet, the script that
filters the table in the browser, the timeline chart). Nothing personal is written: no
subscriber page exists in an export. Each file is written to a temporary name and renamed,
so a reader of the share never sees half a page.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from digests.web.app import STATIC_DIR, WebApp
from digests.web.evidencemap import MapQuery
from digests.web.pages import Site
from watcher.errors import ConfigError
from watcher.store import Store


@dataclass(frozen=True)
class ExportReport:
    folder: Path
    studies: int
    uncertain: int
    pages: int


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    if isinstance(data, str):
        partial.write_text(data, encoding="utf-8")
    else:
        partial.write_bytes(data)
    os.replace(partial, path)


def export_site(web: WebApp, folder: Path) -> ExportReport:
    """Write the static site into ``folder`` (created if needed; files of ours replaced)."""
    try:
        return _export(web, folder)
    except OSError as error:
        raise ConfigError(f"cannot write the static site to {folder}: {error}") from None


def _export(web: WebApp, folder: Path) -> ExportReport:
    site = Site(static=True)
    with Store.open_readonly(web.config.database) as store:
        data = web.map_data(store)
        for tab, name in (("studies", "index.html"), ("uncertain", "uncertain.html")):
            html = web.render_map(data, MapQuery(tab=tab), site, paged=False)
            _write(folder / name, html)
        pmids = [row.pmid for rows in data.rows.values() for row in rows]
        for pmid in pmids:
            html = web.article_html(store, pmid, site.below(1))
            if html is not None:
                _write(folder / "articles" / f"{pmid}.html", html)
    for asset in STATIC_DIR.iterdir():
        if asset.is_file():
            (folder / "static").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(asset, folder / "static" / asset.name)
    image = web.pages.chart_for(data.landscape.timeline)
    if image is not None:
        _write(folder / "static" / "timeline.png", image.data)
    return ExportReport(
        folder=folder,
        studies=len(data.rows["studies"]),
        uncertain=len(data.rows["uncertain"]),
        pages=2 + len(pmids),
    )
