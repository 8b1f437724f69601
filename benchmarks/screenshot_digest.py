"""Render a sample digest to HTML and screenshot it in headless Chromium, to check the layout
at a phone-ish 600 px by eye. Run by hand (not part of CI):

    uv run python benchmarks/screenshot_digest.py [--out DIR] [--width 600] [--templates DIR]

Writes DIR/digest.html (the chart inlined as a data: URL so a browser can show it), DIR/digest.txt,
DIR/digest.eml and DIR/digest.png. Chromium: `apt-get install -y chromium` (Debian) if missing.
The sample is synthetic and says so.
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from digests.landscape import group_sections
from digests.model import (
    ArticleUpdate,
    Count,
    DigestItem,
    DigestView,
    Landscape,
    LongestFollowUp,
    Period,
    Recipient,
    ReportedFigure,
    TimelineYear,
)
from digests.render import build_message, render
from digests.wording import make_headline

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def sample_view() -> DigestView:
    """A realistic weekly update: several questions, a retraction, overflow, synthetic data."""
    items = [
        DigestItem(
            pmid="99000101",
            title_html="[SYNTHETIC] Five-year outcomes of percutaneous image-guided lumbar "
            "decompression versus epidural steroid injection: a randomized trial",
            journal="Journal of Synthetic Spine",
            year=2026,
            authors="Alder KM et al.",
            design="rct",
            level="II",
            followup_months=60,
            sample_size=302,
            questions=("long_term_efficacy", "comparative", "reoperation"),
            snippet="At 5 years, ODI improvement was sustained (mean -17.2 points) and 8.9% "
            "of MILD patients had subsequent open decompression.",
            doi="10.5555/jss.2026.0101",
            pmcid="PMC9900101",
            synthetic=True,
        ),
        DigestItem(
            pmid="99000102",
            title_html="[SYNTHETIC] Ligamentum flavum thickness &amp; response to MILD "
            "in <i>neurogenic claudication</i>",
            journal="Synthetic Pain Physician",
            year=2026,
            authors="Birch T et al.",
            design="prospective_cohort",
            level="III",
            followup_months=12,
            sample_size=88,
            questions=("patient_selection",),
            snippet="Patients with ligamentum flavum ≥ 2.5 mm improved more on ZCQ at 12 months.",
            doi="10.5555/spp.2026.102",
            synthetic=True,
        ),
        DigestItem(
            pmid="99000103",
            title_html="[SYNTHETIC] Adverse events after 1,230 MILD procedures: a registry "
            "analysis",
            journal="Synthetic Interventional Radiology",
            year=2025,
            authors="Cedar L et al.",
            design="retrospective_cohort",
            level="III",
            followup_months=6,
            sample_size=1013,
            questions=("safety",),
            snippet="No device- or procedure-related serious adverse events were reported in "
            "1,230 procedures in 1,013 patients.",
            synthetic=True,
        ),
        DigestItem(
            pmid="99000104",
            title_html="[SYNTHETIC] Medicare coverage with evidence development for MILD: "
            "what changed",
            journal="Synthetic Health Policy",
            year=2026,
            authors="Dogwood P",
            design="narrative_review",
            level="V",
            questions=("cost_coverage",),
            snippet="Coverage now requires participation in an approved study.",
            synthetic=True,
        ),
    ]
    timeline = tuple(
        TimelineYear(year, tuple(Count(k, v) for k, v in counts.items()), fu)
        for year, counts, fu in [
            (2010, {"case_series": 2}, 6),
            (2012, {"case_series": 1, "prospective_cohort": 1}, 12),
            (2013, {"rct": 1, "prospective_cohort": 1}, 12),
            (2016, {"rct": 1, "retrospective_cohort": 2}, 24),
            (2018, {"systematic_review_meta_analysis": 1, "prospective_cohort": 2}, 24),
            (2020, {"retrospective_cohort": 3, "economic_analysis": 1}, 36),
            (2023, {"case_series": 2, "narrative_review": 1}, 24),
            (2025, {"retrospective_cohort": 1}, 6),
            (2026, {"rct": 1, "prospective_cohort": 1, "narrative_review": 1}, 60),
        ]
    )
    landscape = Landscape(
        total_studies=sum(y.total for y in timeline),
        by_design=(
            Count("systematic_review_meta_analysis", 1),
            Count("rct", 3),
            Count("prospective_cohort", 5),
            Count("retrospective_cohort", 6),
            Count("case_series", 5),
            Count("economic_analysis", 1),
            Count("narrative_review", 2),
        ),
        by_level=(Count("I", 1), Count("II", 3), Count("III", 11), Count("IV", 5), Count("V", 2)),
        by_question=tuple(
            Count(k, v)
            for k, v in [
                ("long_term_efficacy", 6),
                ("patient_selection", 4),
                ("reoperation", 5),
                ("safety", 12),
                ("cost_coverage", 2),
                ("comparative", 4),
                ("operator", 1),
            ]
        ),
        rct_count=3,
        rct_patients=612,
        longest_followup=LongestFollowUp(60, "99000101", "Alder KM et al. 2026", True, 36),
        studies_24_months=6,
        studies_60_months=1,
        reoperations=(
            ReportedFigure(
                "8.9% had subsequent open decompression at 5 years",
                "99000101",
                "Alder KM et al. 2026",
            ),
        ),
        timeline=timeline,
    )
    start = date(2026, 11, 16)
    return DigestView(
        recipient=Recipient("Dr Zoë Müller", "zoe.mueller@example.org"),
        period=Period.of(start, date(2026, 11, 22)),
        kind="update",
        headline=make_headline("update", len(items) + 3, landscape, retracted_count=1),
        sections=group_sections(items),
        updates=(
            ArticleUpdate(
                pmid="99000050",
                title_html="[SYNTHETIC] Early results of MILD in 40 patients",
                kind="retracted",
                what_changed="Retracted by the journal: duplicate publication of an earlier "
                "cohort.",
                notice_pmid="99000199",
                synthetic=True,
            ),
        ),
        overflow_count=3,
        overflow_url="https://pubmed.ncbi.nlm.nih.gov/?term=99000105,99000106,99000107",
        admin_note="Next week's digest moves to Monday mornings.",
        landscape=landscape,
        unsubscribe="https://digest.example.org/unsubscribe/abc123",
        synthetic=True,
    )


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("digest-screenshot"))
    parser.add_argument("--width", type=int, default=600)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--templates", type=Path, default=None, help="override folder")
    args = parser.parse_args(argv)

    view = sample_view()
    rendered = render(view, templates_dir=args.templates)
    args.out.mkdir(parents=True, exist_ok=True)
    html_text = rendered.html
    for image in rendered.images:  # a browser cannot resolve cid:, a data: URL it can
        data = base64.b64encode(image.data).decode()
        html_text = html_text.replace(
            f"cid:{image.cid}", f"data:image/{image.subtype};base64,{data}"
        )
    (args.out / "digest.html").write_text(html_text, encoding="utf-8")
    (args.out / "digest.txt").write_text(rendered.text, encoding="utf-8")
    message = build_message(
        rendered,
        sender="mildwatch <digest@example.org>",
        to="zoe.mueller@example.org",
        message_id="<sample.20261116@mildwatch.example.org>",
        date=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
        list_unsubscribe=view.unsubscribe,
        list_unsubscribe_post=True,
    )
    (args.out / "digest.eml").write_bytes(bytes(message))
    print(
        f"HTML {len(rendered.html):,} bytes, text {len(rendered.text):,} bytes, "
        f"message {len(bytes(message)):,} bytes -> {args.out}"
    )

    chromium = find_chromium()
    if chromium is None:
        print(
            "chromium not found; install it (apt-get install -y chromium) for a screenshot",
            file=sys.stderr,
        )
        return 1
    shot = (args.out / "digest.png").resolve()
    with tempfile.TemporaryDirectory() as profile:
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            f"--window-size={args.width},{args.height}", f"--screenshot={shot}",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
            (args.out / "digest.html").resolve().as_uri(),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(f"screenshot: {shot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
