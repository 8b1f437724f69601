"""The bundled templates ship inside the wheel and load from there through the same loader.

Builds the real wheel with the build backend already installed in the environment (hatchling is
a dev dependency; `python -m build --no-isolation`), so the test needs no package index and runs
with the network cut off. Deselect with `-k "not wheel"`, or set MILDWATCH_SKIP_WHEEL_TEST=1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.environ.get("MILDWATCH_SKIP_WHEEL_TEST") == "1",
    reason="MILDWATCH_SKIP_WHEEL_TEST=1",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: use the hatchling installed beside us instead of fetching one.
    command = [
        sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"wheel build failed:\n{result.stdout}\n{result.stderr}"
    [built] = out.glob("mildwatch-*.whl")
    return built


def test_every_template_is_in_the_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    bundled = sorted(p.name for p in (REPO / "templates").iterdir() if p.is_file())
    assert {"digest.html.j2", "digest.txt.j2", "subject.txt.j2", "README.md"} <= set(bundled)
    missing = [name for name in bundled if f"digests/templates/{name}" not in names]
    assert missing == []
    assert "digests/render.py" in names and "digests/model.py" in names


def test_bundled_data_is_in_the_wheel(wheel: Path) -> None:
    """The starter config, the topic profile and the synthetic sample are read from the
    installed package (``mildwatch init``, the classifier, ``mildwatch demo``)."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    sample = REPO / "watcher" / "localpubmed" / "sample"
    bundled = [
        "watcher/starter.toml",
        "watcher/evidence/mild.toml",
        *(f"watcher/localpubmed/sample/{p.name}" for p in sample.iterdir() if p.is_file()),
    ]
    assert len(bundled) == 2 + 46 + 2  # 46 records, their README and labels.jsonl
    assert [name for name in bundled if name not in names] == []


def test_installed_wheel_renders_from_its_own_templates(wheel: Path, tmp_path: Path) -> None:
    """Unpack the wheel (what an install does), and render with it alone on the path."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = """
import json, sys
from datetime import date
import digests.render as r
from digests.model import DigestView, Period, Recipient
period = Period.of(date(2026, 11, 16), date(2026, 11, 22))
view = DigestView(Recipient("A", "a@example.org"), period, "nothing_new", "No new studies")
out = r.render(view)
print(json.dumps({"module": r.__file__, "templates": str(r.bundled_templates_dir()),
                  "subject": out.subject, "html": "<table" in out.html, "text": out.text}))
"""
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the repository, so its sources cannot shadow the wheel
        env=env,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert Path(report["module"]).is_relative_to(site)
    assert Path(report["templates"]) == site / "digests" / "templates"
    assert report["subject"] == "Week of 16 Nov 2026: No new studies"
    assert report["html"] and "No new studies this period" in report["text"]


def test_the_web_pages_and_their_assets_are_in_the_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    pages = sorted(p.name for p in (REPO / "templates" / "web").iterdir())
    assert "map.html.j2" in pages and "preferences.html.j2" in pages
    assert [n for n in pages if f"digests/templates/web/{n}" not in names] == []
    assert {"digests/web/static/web.css", "digests/web/static/filter.js"} <= names
