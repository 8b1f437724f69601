"""The follow-up tracks drawn with few artists look exactly as when each study had its own.

``_reference_draw_tracks`` is the drawing as it was before (one ``plot`` per one-report study,
thousands at 10,000 papers; a study with several reports drawn as the chart draws it): the
PNGs of both, decoded, must have the same pixels, on timelines with many studies, with
one-report studies only, and with tracks of different designs that overlap (where the order
of drawing shows).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import pytest

from digests.chart import TRACK_LABELS, _draw_track, _draw_tracks, _reference_lines
from digests.studymodel import StudyTrack

matplotlib = pytest.importorskip("matplotlib")
np = pytest.importorskip("numpy")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402

Draw = Callable[[Axes, Sequence[StudyTrack]], None]


def _reference_draw_tracks(axes: Axes, tracks: Sequence[StudyTrack]) -> None:
    """The drawing as ``digests.chart._draw_tracks`` did it before it drew the one-report
    studies' dots as one artist: a ``plot`` per dot, in the tracks' order among the rest."""
    top = max(m for t in tracks for _, m in t.points)
    labelled: list[tuple[int, float]] = []
    for track in tracks:
        if len(track.points) == 1:
            xs, ys = zip(*track.points, strict=True)
            axes.plot(xs, ys, "o", color="#BBBBBB", markersize=3, zorder=1)
        else:
            _draw_track(axes, track, labelled, top)
    _reference_lines(axes, top)


def drawn(draw: Draw, tracks: Sequence[StudyTrack]) -> tuple[np.ndarray, int]:
    """The decoded pixels of the tracks drawn by ``draw`` on the chart's lower panel (its
    size, resolution and PNG options), and how many lines the axes hold."""
    fig = Figure(figsize=(5.6, 3.8), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    axes = fig.add_subplot()
    draw(axes, tracks)
    axes.tick_params(labelsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return imread(io.BytesIO(buffer.getvalue()), format="png"), len(axes.lines)


def dot(year: int, months: float, design: str = "case_series") -> StudyTrack:
    return StudyTrack(f"Dot {year} {months}", design, ((year, months),))


def track(name: str, design: str, *points: tuple[int, float]) -> StudyTrack:
    return StudyTrack(name, design, points)


# Four labelled studies apart, then two of different designs along one path (unlabelled, so
# only their lines and dots overlap), a third crossing them, and one-report studies on their
# points: where they overlap, the later-drawn one shows.
OVERLAPPING = (
    *(track(f"L{i}", "rct", (2008 + i, 3.0), (2010 + i, 5.0)) for i in range(TRACK_LABELS)),
    dot(2016, 12.0),
    track("ALPHA", "rct", (2014, 6.0), (2016, 12.0), (2019, 24.0)),
    track("Beta cohort", "prospective_cohort", (2014, 6.0), (2016, 12.0), (2019, 24.0)),
    dot(2019, 24.0, "rct"),
    track("GAMMA", "case_series", (2015, 12.0), (2017, 12.0), (2019, 24.0), (2021, 60.0)),
    dot(2014, 6.0),
)


def many() -> tuple[StudyTrack, ...]:
    """Two thousand one-report studies over twenty years, a dozen followed studies (more than
    are labelled, two ending at one place) among them, in the order study_tracks gives."""
    designs = ("rct", "prospective_cohort", "retrospective_cohort", "case_series", "other")
    tracks: list[StudyTrack] = []
    for i in range(2000):
        tracks.append(dot(2005 + i % 21, float(3 + (i * 7) % 61)))
        if i % 170 == 0:
            start = 2006 + i % 13
            points = ((start, 6.0), (start + 2, 12.0 + i % 5), (start + 4, 24.0 + i % 37))
            tracks.append(track(f"T{i}", designs[i % len(designs)], *points))
    tracks.append(track("Twin", "rct", (2012, 12.0), (2018, 40.0)))
    tracks.append(track("Twin B", "case_series", (2013, 12.0), (2018, 40.0)))
    return tuple(tracks)


ONLY_DOTS = tuple(dot(2010 + i % 9, float(6 * (i % 11) + 1)) for i in range(300))
ONE_TRACK = (track("SOLO", "rct", (2018, 12.0), (2020, 24.0)),)


@pytest.mark.parametrize(
    "tracks",
    [many(), OVERLAPPING, ONLY_DOTS, ONE_TRACK, (dot(2020, 12.0),)],
    ids=["many", "overlapping", "only-dots", "one-track", "one-dot"],
)
def test_same_pixels_as_one_artist_per_study(tracks: tuple[StudyTrack, ...]) -> None:
    new, lines = drawn(_draw_tracks, tracks)
    old, _ = drawn(_reference_draw_tracks, tracks)
    assert new.shape == old.shape
    differ = int((new != old).any(axis=-1).sum())
    assert differ == 0, f"{differ} pixels differ from the per-study drawing"
    followed = sum(len(t.points) > 1 for t in tracks)
    dots = any(len(t.points) == 1 for t in tracks)
    assert lines <= dots + 2 * followed + 2  # the dots, each followed study's two, 24/60 mo


def test_the_comparison_sees_the_order_of_overlapping_tracks() -> None:
    """The overlapping timeline is one where drawing order shows (so the test above checks
    it): drawn in another order, its pixels differ."""
    first = TRACK_LABELS + 1  # ALPHA, then Beta cohort: swapped
    reordered = (*OVERLAPPING[:first], OVERLAPPING[first + 1], OVERLAPPING[first],
                 *OVERLAPPING[first + 2 :])  # fmt: skip
    as_given, _ = drawn(_reference_draw_tracks, OVERLAPPING)
    swapped, _ = drawn(_reference_draw_tracks, reordered)
    assert (as_given != swapped).any()


def test_many_studies_are_few_artists() -> None:
    tracks = many()
    _, lines = drawn(_draw_tracks, tracks)
    _, before = drawn(_reference_draw_tracks, tracks)
    assert before > 2000 and lines < 40
