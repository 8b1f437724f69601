"""The evidence-timeline chart: a small, valid, deterministic PNG, and its text equivalents."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import zlib

import pytest

from digests.chart import render_timeline_png, timeline_alt_text, timeline_table
from digests.model import Count, TimelineYear
from watcher.vocabulary import DESIGNS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The PNG's chunks as (type, data), checking each CRC on the way."""
    assert png[:8] == PNG_SIGNATURE
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + data) == crc, f"bad CRC in {kind!r}"
        found.append((kind, data))
        offset += 12 + length
    return found


@pytest.fixture
def timeline() -> tuple[TimelineYear, ...]:
    """Eighteen years of made-up studies across every design."""
    years = []
    for offset, year in enumerate(range(2009, 2027)):
        counts = tuple(
            Count(design, (offset + i) % 4) for i, design in enumerate(DESIGNS) if (offset + i) % 3
        )
        followup = None if offset % 5 == 4 else float(6 + offset * 3)
        years.append(TimelineYear(year, counts, followup))
    return tuple(years)


def test_png_is_valid_small_and_narrow(timeline: tuple[TimelineYear, ...]) -> None:
    png = render_timeline_png(timeline)
    assert png is not None
    found = chunks(png)
    assert found[0][0] == b"IHDR" and found[-1][0] == b"IEND"
    width, height = struct.unpack(">II", found[0][1][:8])
    assert 300 <= width <= 600 and 200 <= height <= 600
    assert 2_000 < len(png) < 60_000


def test_png_is_deterministic(timeline: tuple[TimelineYear, ...]) -> None:
    png = render_timeline_png(timeline)
    assert png is not None and png == render_timeline_png(timeline)
    kinds = {kind for kind, _ in chunks(png)}
    assert b"tIME" not in kinds  # no modification time
    text = b"".join(data for kind, data in chunks(png) if kind in (b"tEXt", b"iTXt", b"zTXt"))
    assert b"Software" not in text and b"Creation" not in text


def test_same_bytes_in_a_fresh_process_and_no_pyplot(timeline: tuple[TimelineYear, ...]) -> None:
    """A new interpreter (other hash seed) draws the same bytes, without importing pyplot."""
    code = (
        "import sys, hashlib\n"
        "from digests.chart import render_timeline_png\n"
        "from digests.model import Count, TimelineYear\n"
        f"timeline = {timeline!r}\n"
        "png = render_timeline_png(timeline)\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "print(hashlib.sha256(png).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        check=True,
    )
    assert result.stdout.strip() == hashlib.sha256(render_timeline_png(timeline)).hexdigest()


def test_changes_in_data_change_the_image(timeline: tuple[TimelineYear, ...]) -> None:
    more = (*timeline[:-1], TimelineYear(2026, (Count("rct", 9),), 120.0))
    assert render_timeline_png(more) != render_timeline_png(timeline)


def test_edge_cases_draw_or_decline() -> None:
    assert render_timeline_png(()) is None
    assert render_timeline_png((TimelineYear(2020, ()),)) is None
    one = render_timeline_png((TimelineYear(2020, (Count("rct", 1),)),))  # no follow-up at all
    assert one is not None and one.startswith(PNG_SIGNATURE)
    odd = render_timeline_png((TimelineYear(2020, (Count("registry_study", 2),), 12),))
    assert odd is not None  # an unknown design key is drawn, not dropped


def test_table_matches_the_chart() -> None:
    timeline = (
        TimelineYear(2018, (Count("rct", 1), Count("case_series", 2)), 24),
        TimelineYear(2016, (Count("case_series", 1),), 6),
        TimelineYear(2020, (Count("retrospective_cohort", 3),), 12),
    )
    lines = timeline_table(timeline).splitlines()
    assert lines[0].split() == ["Year", "RCT", "Retro", "Series", "Total", "Longest", "FU"]
    assert lines[1].split() == ["2016", "-", "-", "1", "1", "6", "mo"]
    assert lines[2].split() == ["2018", "1", "-", "2", "3", "24", "mo"]
    assert lines[3].split() == ["2020", "-", "3", "-", "3", "24", "mo"]  # longest so far
    assert "RCT = Randomized controlled trial" in " ".join(timeline_table(timeline).split())
    assert all(len(line) <= 72 for line in lines)
    assert timeline_table(()) == ""


def test_a_table_of_every_design_still_fits_72_columns() -> None:
    years = tuple(
        TimelineYear(2010 + i, tuple(Count(d, 120) for d in DESIGNS), 60, reports=1300)
        for i in range(3)
    )
    lines = timeline_table(years).splitlines()
    assert max(len(line) for line in lines) <= 72
    assert lines[0].split() == ["Year", "Total", "Papers", "Longest", "FU"]
    assert lines[1].split() == ["2010", str(120 * len(DESIGNS)), "1300", "60", "mo"]
    at = lines.index("New studies by design:")
    assert lines[at + 1].split()[0] == "Year" and len(lines[at + 1].split()) == 1 + len(DESIGNS)
    assert lines[at + 2].split() == ["2010", *["120"] * len(DESIGNS)]


def test_alt_text_summarises() -> None:
    timeline = (
        TimelineYear(2016, (Count("case_series", 1),), 6),
        TimelineYear(2018, (Count("rct", 1), Count("case_series", 2)), 60),
    )
    alt = timeline_alt_text(timeline)
    assert alt.startswith("Evidence timeline: 4 studies published 2016–2018")
    assert "longest follow-up 60 months (reported in 2018)" in alt
    assert timeline_alt_text(()) == "Evidence timeline: no studies yet."
