"""The evidence timeline: new studies per year stacked by design (later reports of a known study
on top, apart), and each study's follow-up as it grows, report by report.

Drawn with matplotlib's object API (``Figure`` + the Agg canvas), never ``pyplot``: no global
figure registry, nothing shared between threads, and every style is set on the artists rather
than through ``rcParams``. The PNG carries no timestamp or software tag, so the same timeline
gives the same bytes (golden tests, and the outbox can tell a re-render from a change).

``timeline_table`` is the same data as text, for the plain part and for readers without images.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from digests.model import TimelineYear
from digests.studymodel import StudyTrack
from digests.wording import TEXT_WIDTH, design_label, format_months
from watcher.vocabulary import DESIGN_COLOURS, DESIGN_SHORT, DESIGNS

if TYPE_CHECKING:  # matplotlib is imported where a chart is drawn: it takes a second to load
    from matplotlib.axes import Axes

WIDTH_PX = 560
HEIGHT_PX = 380
DPI = 100
LEGEND_COLUMNS = 5

_TEXT = "#1a1a1a"
_MUTED = "#555555"
_LATER = "#FFFFFF"  # other reports: white, hatched, so only new studies look "full"
TRACK_LABELS = 4  # studies with several reports labelled on the chart, the strongest first


def _designs_present(timeline: Sequence[TimelineYear]) -> list[str]:
    """Design keys with at least one study, strongest first; unknown keys after known ones."""
    present = {c.key for year in timeline for c in year.by_design if c.count}
    known = [d for d in DESIGNS if d in present]
    return known + sorted(present - set(known))


def _cumulative_longest(timeline: Sequence[TimelineYear]) -> list[float | None]:
    """The longest follow-up published up to and including each year."""
    best: float | None = None
    out: list[float | None] = []
    for year in timeline:
        months = year.longest_followup_months
        if months is not None and (best is None or months > best):
            best = months
        out.append(best)
    return out


def _sorted(timeline: Sequence[TimelineYear]) -> list[TimelineYear]:
    return sorted(timeline, key=lambda y: y.year)


def _row_major(handles: list, labels: list, *, columns: int) -> tuple[list, list]:
    """Reorder legend entries so they read left to right (matplotlib fills column by column)."""
    rows = -(-len(handles) // columns)
    order = [
        i * columns + j
        for j in range(columns)
        for i in range(rows)
        if i * columns + j < len(handles)
    ]
    return [handles[i] for i in order], [labels[i] for i in order]


def _later_reports(year: TimelineYear) -> int:
    """Papers that year that did not start a new study (a trial's 2-year report, its protocol)."""
    return max(year.reports - year.total, 0)


def _draw_tracks(axes: Axes, tracks: Sequence[StudyTrack]) -> None:
    """Each study's longest follow-up so far as a step line through its reports (coloured by
    design, the strongest few named); a study with one report is a small grey dot.

    The dots are one artist: thousands of one-report studies were thousands of ``plot`` calls,
    the chart's cost growing with the papers. They look alike and lie below every line (zorder
    1), so one marker line stamps the same pixels in the same order. Studies with several
    reports keep an artist each: where two tracks overlap the later is drawn on top, and one
    path for several tracks would blend their shared antialiased edges once instead of twice.
    """
    top = max(m for t in tracks for _, m in t.points)
    dots = [t.points[0] for t in tracks if len(t.points) == 1]
    if dots:
        xs, ys = zip(*dots, strict=True)
        axes.plot(xs, ys, "o", color="#BBBBBB", markersize=3, zorder=1)
    labelled: list[tuple[int, float]] = []
    for track in tracks:
        if len(track.points) > 1:
            _draw_track(axes, track, labelled, top)
    _reference_lines(axes, top)


def _draw_track(
    axes: Axes, track: StudyTrack, labelled: list[tuple[int, float]], top: float
) -> None:
    """One study with several reports: its step line and dots, and its name while fewer than
    ``TRACK_LABELS`` are named (``labelled``: where the names so far stand)."""
    xs, ys = zip(*track.points, strict=True)
    colour = DESIGN_COLOURS.get(track.design, "#999999")
    axes.step(xs, ys, where="post", color=colour, linewidth=1.8, zorder=2)
    axes.plot(xs, ys, "o", color=colour, markersize=4, zorder=3)
    if len(labelled) < TRACK_LABELS:
        # Labels of studies that end at the same place are stacked, not overprinted.
        near = sum(x == xs[-1] and abs(y - ys[-1]) < top * 0.1 for x, y in labelled)
        labelled.append((xs[-1], ys[-1]))
        axes.annotate(
            track.name,
            (xs[-1], ys[-1]),
            xytext=(-4, 4 - 10 * near),
            textcoords="offset points",
            ha="right",
            fontsize=7,
            color=colour,
        )


def _reference_lines(axes: Axes, top: float) -> None:
    """Room above the highest point, and the 24- and 60-month lines surgeons look for."""
    axes.set_ylim(0, max(top * 1.25, 30))
    for ref in (24, 60):
        if ref <= top * 1.25:
            axes.axhline(ref, color=_MUTED, linewidth=0.7, linestyle=(0, (3, 3)))
            axes.annotate(
                f"{ref} mo",
                (0, ref),
                xycoords=("axes fraction", "data"),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=7,
                color=_MUTED,
            )


def render_timeline_png(
    timeline: Sequence[TimelineYear],
    tracks: Sequence[StudyTrack] = (),
    *,
    width_px: int = WIDTH_PX,
    height_px: int = HEIGHT_PX,
) -> bytes | None:
    """The timeline as PNG bytes, or None when there is nothing to draw. With ``tracks`` the
    lower panel follows each study's follow-up; without, the longest follow-up overall."""
    years = _sorted(timeline)
    if not years or not any(y.total or y.reports for y in years):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    xs = [y.year for y in years]
    fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=(3, 2), hspace=0.45)
    bars = fig.add_subplot(grid[0])
    line = fig.add_subplot(grid[1], sharex=bars)

    bottoms = [0] * len(years)
    # A design this vocabulary lacks (stored by another classifier version) is drawn, not dropped.
    for design in _designs_present(years):
        counts = [sum(c.count for c in y.by_design if c.key == design) for y in years]
        bars.bar(
            xs,
            counts,
            bottom=bottoms,
            width=0.8,
            color=DESIGN_COLOURS.get(design, "#CCCCCC"),
            edgecolor="white",
            linewidth=0.5,
            label=DESIGN_SHORT.get(design, design),
        )
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    later = [_later_reports(y) for y in years]
    if any(later):
        bars.bar(
            xs,
            later,
            bottom=bottoms,
            width=0.8,
            color=_LATER,
            edgecolor=_MUTED,
            linewidth=0.6,
            hatch="////",
            label="Other report",
        )
        bottoms = [b + c for b, c in zip(bottoms, later, strict=True)]
    bars.set_title(
        "New studies per year, by design (a study's other reports hatched)"
        if any(later)
        else "Studies per year, by design",
        fontsize=10,
        color=_TEXT,
        loc="left",
    )
    bars.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    handles, labels = _row_major(*bars.get_legend_handles_labels(), columns=LEGEND_COLUMNS)
    bars.legend(
        handles,
        labels,
        fontsize=7,
        ncol=LEGEND_COLUMNS,
        frameon=False,
        loc="upper left",
        handlelength=1.0,
        columnspacing=0.8,
        labelcolor=_TEXT,
    )
    bars.set_ylim(0, max(bottoms) * 1.45 + 0.5)  # headroom for the legend

    longest = _cumulative_longest(years)
    points = [(x, m) for x, m in zip(xs, longest, strict=True) if m is not None]
    if tracks:
        _draw_tracks(line, tracks)
    elif points:
        px, py = zip(*points, strict=True)
        line.step(px, py, where="post", color="#0072B2", linewidth=1.8)
        line.plot(px, py, "o", color="#0072B2", markersize=3)
        _reference_lines(line, max(py))
    else:
        line.text(
            0.5,
            0.5,
            "no follow-up reported",
            ha="center",
            va="center",
            fontsize=8,
            color=_MUTED,
            transform=line.transAxes,
        )
    line.set_title(
        "Follow-up of each study as its reports come out (months)"
        if tracks
        else "Longest follow-up reported so far (months)",
        fontsize=10,
        color=_TEXT,
        loc="left",
    )
    line.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))

    for ax in (bars, line):
        ax.tick_params(labelsize=8, colors=_TEXT)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
    bars.tick_params(labelbottom=False)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.93, bottom=0.08)

    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"optimize": True}
    )
    return buffer.getvalue()


def timeline_alt_text(timeline: Sequence[TimelineYear]) -> str:
    """One sentence for the image's alt text: what the chart shows, for screen readers."""
    years = _sorted(timeline)
    if not years:
        return "Evidence timeline: no studies yet."
    total = sum(y.total for y in years)
    papers = sum(max(y.reports, y.total) for y in years)
    text = f"Evidence timeline: {total} studies published {years[0].year}–{years[-1].year}"
    text += f" in {papers} reports" if papers > total else ""
    longest = _cumulative_longest(years)[-1]
    if longest is not None:
        year = next(y.year for y in years if y.longest_followup_months == longest)
        text += f"; longest follow-up {format_months(longest)} (reported in {year})"
    return text + ". The same figures are in the table in the text version."


def _mo(months: float) -> str:
    return format_months(months).replace(" months", " mo").replace(" month", " mo")


def _fixed_width(rows: Sequence[Sequence[str]], gap: str = "  ") -> list[str]:
    """Rows of cells as right-aligned columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        gap.join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def timeline_table(timeline: Sequence[TimelineYear], tracks: Sequence[StudyTrack] = ()) -> str:
    """The chart's data as a fixed-width text table (one row a year, one column a design),
    then each study with several reports and its follow-up at each."""
    years = _sorted(timeline)
    if not years:
        return ""
    designs = _designs_present(years)
    papers = any(_later_reports(y) for y in years)
    heads = [DESIGN_SHORT.get(d, d[:6]) for d in designs]
    header = ["Year", *heads, "Total", *(["Papers"] if papers else []), "Longest FU"]
    rows = []
    for year, best in zip(years, _cumulative_longest(years), strict=True):
        counts = {c.key: c.count for c in year.by_design}
        rows.append(
            [
                str(year.year),
                *(str(counts.get(d, 0) or "-") for d in designs),
                str(year.total),
                *([str(year.reports)] if papers else []),
                "" if best is None else _mo(best),
            ]
        )
    lines = _fixed_width([header, *rows])
    if max(map(len, lines)) > TEXT_WIDTH:  # many designs: designs apart from the totals
        split = 1 + len(designs)
        lines = _fixed_width([[row[0], *row[split:]] for row in [header, *rows]])
        by_design = _fixed_width([row[:split] for row in [header, *rows]])
        if max(map(len, by_design)) > TEXT_WIDTH:
            by_design = _fixed_width([row[:split] for row in [header, *rows]], gap=" ")
        lines += ["", "New studies by design:", *by_design]
    legend = ", ".join(f"{DESIGN_SHORT.get(d, d)} = {design_label(d)}" for d in designs)
    counted = (
        "Total = studies first reported that year; Papers = every report that year, a "
        "study's protocol and later reports included. "
        if papers
        else ""
    )
    note = f"{counted}Longest FU = longest follow-up reported so far. {legend}."
    text = [*lines, "", textwrap.fill(note, width=TEXT_WIDTH, break_on_hyphens=False)]
    followed = [t for t in tracks if len(t.points) > 1]
    if followed:
        text += ["", "Follow-up of studies with several reports (longest so far, by year):"]
        for track in followed:
            steps = " -> ".join(f"{year} {_mo(months)}" for year, months in track.points)
            short = DESIGN_SHORT.get(track.design, track.design)
            text.append(
                textwrap.fill(
                    f"{track.name} ({short}): {steps}", TEXT_WIDTH, subsequent_indent="    "
                )
            )
    return "\n".join(text)
