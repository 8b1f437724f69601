"""Balance in the digests: "How safe is it?" lists harms first and the "no adverse events"
statements apart in one line, the landscape says how much evidence is independent, every item
carries a sponsorship badge, and harm reports and findings against the procedure are never cut
by the item cap. Pure view-model tests, then composing on a real SQLite file, then the demo's
own baseline digest read as a subscriber would."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from digests.compose import compose_due
from digests.landscape import build_landscape, group_sections, make_item
from digests.safety import build_independence, harm_facts, must_show
from tests.digest_factories import (
    NOW,
    SCHEDULE,
    WEEK,
    html_of,
    item_pmids,
    seed,
    stored_message,
    study,
    subscribe,
    text_of,
)
from watcher.cli import cli
from watcher.config import MailSettings
from watcher.records import Article, Evidence, HarmEvent, Tag
from watcher.store import Store

WIDTH = 72


def article(pmid: str, year: int = 2020) -> Article:
    return Article(pmid=pmid, title=f"[SYNTHETIC] Study {pmid}", authors=("Kim M",), pub_year=year)


def evidence(
    pmid: str, design: str = "case_series", level: str | None = "IV", **more: object
) -> Evidence:
    values: dict[str, object] = {
        "pmid": pmid, "classifier_version": "t", "profile_version": "t", "relevance": "relevant",
        "relevance_score": 0.9, "relevance_tag": None, "design": design, "design_tag": None,
        "level": level, "followup_months": None, "followup_tag": None, "sample_size": None,
        "sample_size_tag": None,
    }  # fmt: skip
    values.update(more)
    return Evidence(**values)  # type: ignore[arg-type]


def harm(kind: str, **more: object) -> HarmEvent:
    return HarmEvent(kind, f"A {kind} was reported.", "abstract", **more)  # type: ignore[arg-type]


def absence(scope: str) -> Tag:
    return Tag(scope, f"There were no {scope} adverse events.", "abstract")


# --- the view model ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "facts"),
    [
        (harm("infection", count=3, denominator=120, percent=2.5), "3 of 120 patients (2.5%)"),
        (harm("infection", count=1, seriousness="serious", surgery="yes"),
         "1 patient; serious; needed surgery"),
        (harm("other", percent=0.9, seriousness="minor"), "0.9%; minor"),
        (harm("other", surgery="no"), "number not stated; no surgery needed"),
    ],
)  # fmt: skip
def test_harm_facts_say_only_what_the_study_states(event: HarmEvent, facts: str) -> None:
    assert harm_facts(event) == facts


def test_how_safe_lists_harms_by_kind_with_every_study_then_absences_apart() -> None:
    pairs = [
        (article("1"), evidence("1", "rct", "I", absences=(absence("any"),))),
        (article("2"), evidence("2", absences=(absence("serious"),))),
        (article("3"), evidence("3", absences=(absence("any"), absence("serious")))),
        (
            article("4"),
            evidence("4", "case_report", "V", harms=(harm("hematoma_bleeding", count=1),)),
        ),
        (
            article("5", 2016),
            evidence(
                "5",
                "prospective_cohort",
                "II",
                harms=(
                    harm("dural_tear_csf_leak", count=2),
                    harm("hematoma_bleeding", percent=1.0),
                ),
                absences=(absence("infection"),),
            ),
        ),
        (article("6", 2020), evidence("6", "case_report", "V")),  # reports nothing
    ]
    safety = build_landscape(pairs).safety
    assert [g.kind for g in safety.harms] == ["hematoma_bleeding", "dural_tear_csf_leak"]
    hematoma = safety.harms[0]
    assert [r.pmid for r in hematoma.reports] == ["5", "4"]  # strongest first, case report too
    assert (
        hematoma.reports[1].design_label == "Case report"
        and hematoma.reports[1].facts == "1 patient"
    )
    assert hematoma.label == "Hematoma or bleeding" and safety.harm_studies == 2
    assert (safety.no_events, safety.no_serious) == (2, 1)
    assert safety.absence_line == (
        "2 studies stated that no procedure-related adverse events occurred; "
        "1 more that none were serious."
    )
    quiet = build_landscape([(article("7"), evidence("7"))]).safety
    assert quiet.harms == () and quiet.absence_line == ""


def test_independence_counts_studies_and_their_own_patients() -> None:
    pairs = [
        (article("1"), evidence("1", sponsorship="independent", sample_size=300)),
        (article("2"), evidence("2", sponsorship="industry", sample_size=1200)),
        (article("3"), evidence("3", sponsorship="industry")),
        (article("4"), evidence("4", "systematic_review_meta_analysis", None,
                                sponsorship="independent", sample_size=5000)),  # others' patients
        (article("5"), evidence("5")),
    ]  # fmt: skip
    independence = build_independence(pairs)
    assert independence.line == (
        "Independent: 2 of 5 studies (300 of 1,500 patients); industry: 2 studies "
        "(1,200 patients); funding not stated: 1 study"
    )
    assert build_landscape(pairs).independence == independence


def test_items_carry_a_badge_their_harms_and_go_under_safety() -> None:
    tie = Tag("industry_tie", "Dr. Kim consults for Vertos Medical.", "coi_statement")
    both = evidence(
        "1", questions=(Tag("long_term_efficacy", "x", "abstract"),),
        harms=(harm("infection", count=1, surgery="yes"),), sponsorship="industry",
        sponsorship_tags=(tie,), against=(Tag("serious_harm", "x", "abstract"),),
    )  # fmt: skip
    item = make_item(article("1"), both)
    assert item.sponsorship_label == "Industry"
    assert item.sponsorship_note == '"Dr. Kim consults for Vertos Medical."'
    assert item.harms == ("Infection: 1 patient; needed surgery",)
    assert item.against == ("Serious harm",)
    plain = make_item(
        article("2"), evidence("2", questions=(Tag("long_term_efficacy", "x", "abstract"),))
    )
    assert plain.sponsorship_label == "Funding not stated" and plain.sponsorship_note == ""
    sections = {s.key: [i.pmid for i in s.items] for s in group_sections([item, plain])}
    assert sections == {"long_term_efficacy": ["2"], "safety": ["1"]}
    grant = Tag("public_funding", "Example Foundation EF-1", "grants")
    funded = make_item(article("3"), evidence("3", sponsorship_tags=(grant,)))
    assert funded.sponsorship_note == "PubMed lists a grant from Example Foundation EF-1"


def test_what_a_digest_never_cuts() -> None:
    assert must_show(evidence("1", harms=(harm("other", percent=1.0),)))
    assert must_show(evidence("2", against=(Tag("high_reoperation_rate", "x", "abstract"),)))
    assert not must_show(evidence("3", absences=(absence("any"),)))


# --- composing -----------------------------------------------------------------------------

HARM = (
    ("METHODS", "Patients with lumbar spinal stenosis underwent percutaneous image-guided "
     "lumbar decompression (the mild procedure)."),
    ("RESULTS", "A symptomatic epidural hematoma in one patient required evacuation."),
)  # fmt: skip
MANY_LATER = (
    ("METHODS", "Eighty patients with lumbar spinal stenosis underwent percutaneous "
     "image-guided lumbar decompression (the mild procedure)."),
    ("RESULTS", "Twenty patients (25%) underwent open laminectomy within 2 years."),
)  # fmt: skip


def due(store: Store, mail: MailSettings, at: object) -> list[int]:
    return compose_due(store, now=at, mail=mail, schedule=SCHEDULE)  # type: ignore[arg-type]


def test_harm_reports_and_findings_against_pass_the_cap_and_the_question_filter(
    store: Store, mail: MailSettings
) -> None:
    seed(store, [study(99000700, "series")], at=NOW - WEEK)
    capped = subscribe(store, "capped@example.org", max_items=1)
    costs = subscribe(store, "costs@example.org", questions=["cost_coverage"])
    due(store, mail, NOW)  # the baselines
    batch = [
        study(99000701, "cost"),
        study(99000702, "rct"),
        study(99000703, "series", abstract=HARM),
        study(99000704, "series", abstract=MANY_LATER),
    ]
    seed(store, batch, at=NOW + WEEK / 7)
    digests = dict(zip((capped.email, costs.email), due(store, mail, NOW + WEEK), strict=True))
    # A cap of 1: the trial fills it; the harm report and the high rate of later surgery come
    # anyway, and only the cost study is left for the "...and 1 more" line.
    text = text_of(stored_message(store, digests[capped.email]))
    assert sorted(item_pmids(text)) == ["99000702", "99000703", "99000704"]
    assert "...and 1 more" in text
    assert text.index("How safe is it? (1)") < text.index("99000703/")
    assert "Harm reported: Hematoma or bleeding: 1 patient; serious; needed" in text
    assert "Against the procedure: High rate of further treatment or surgery" in text
    # Following cost only: not the trial, but the harm report and the finding against.
    followed = item_pmids(text_of(stored_message(store, digests[costs.email])))
    assert sorted(followed) == ["99000701", "99000703", "99000704"]


# --- the demo's baseline, as a subscriber reads it ---------------------------------------------


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> email.message.EmailMessage:
    folder: Path = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for path in (folder / "outbox").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if "Where the evidence stands" in message["Subject"]:
            return message  # type: ignore[return-value]
    raise AssertionError("the demo wrote no baseline digest")


def block(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_demo_baseline_text_lists_harms_by_kind_and_absences_in_one_line(baseline) -> None:
    text = text_of(baseline)
    safety = block(text, "How safe is it? Harms reported", "Reoperations reported")
    for kind, pmids in (("Hematoma or bleeding", ["99000004", "99000035"]),
                        ("Infection", ["99000017"]),
                        ("Dural tear or CSF leak", ["99000008", "99000034"])):  # fmt: skip
        heading = re.search(rf"^  {re.escape(kind)} - \d+ stud", safety, re.M)
        assert heading, kind
        following = safety[heading.end() :].split("\n\n")[0]
        for pmid in pmids:
            assert f"pubmed.ncbi.nlm.nih.gov/{pmid}/" in following, (kind, pmid)
    assert "1 patient; serious; needed surgery" in " ".join(safety.split())  # evacuated
    # "Nothing happened" sentences are never quoted as harms: one short line says them.
    assert "There were no device- or procedure-related adverse events" not in safety
    (line,) = re.findall(r"^No adverse events: .*(?:\n  .*)*", safety, re.M)
    assert len(line.splitlines()) <= 3 and "stated that no procedure-related" in line
    assert safety.index("Dural tear or CSF leak") < safety.index("No adverse events:")
    assert "Who paid: Independent:" in text


def test_demo_baseline_html_lists_the_same_harms(baseline) -> None:
    html = html_of(baseline)
    safety = block(html, ">How safe is it?</h3>", "Reoperations reported")
    for kind, pmid in (("Hematoma or bleeding", "99000004"), ("Infection", "99000017"),
                       ("Dural tear or CSF leak", "99000008")):  # fmt: skip
        group = block(safety, f"<b>{kind}</b>", "</ul>")
        assert f"pubmed.ncbi.nlm.nih.gov/{pmid}/" in group, kind
    assert "<b>No adverse events:</b>" in safety
    assert "There were no device- or procedure-related adverse events" not in safety
    assert re.search(r"<td[^>]*>Who paid</td><td[^>]*>Independent: \d+ of \d+ studies", html)


def test_every_item_carries_a_sponsorship_badge(baseline) -> None:
    text, html = text_of(baseline), html_of(baseline)
    items = item_pmids(text)
    facts = re.findall(r"^   \[Level [^\]]*\]", text, re.M | re.S)
    assert len(facts) == len(items) > 10
    labels = ("| Industry]", "| Independent]", "| Funding not stated]")
    flat = [" ".join(f.split()) for f in facts]
    assert all(f.endswith(labels) for f in flat), flat
    assert {label for label in labels if any(f.endswith(label) for f in flat)} == set(labels)
    badges = re.findall(r"<span [^>]*>(Industry|Independent|Funding not stated)</span>", html)
    assert len(badges) == len(items)


def test_new_text_sections_fit_72_columns(baseline) -> None:
    text = text_of(baseline)
    mine = [block(text, "How safe is it? Harms reported", "Reoperations reported"),
            block(text, "Who paid: Independent", "By level:")]  # fmt: skip
    for line in text.splitlines():  # the item lines this feature writes
        if line.lstrip().startswith(
            ("Harm reported:", "Against the procedure:", "Who paid:", "[Level")
        ):
            mine.append(line)
    mine += re.findall(r"^   \[Level [^\]]*\]", text, re.M | re.S)
    lines = [line for part in mine for line in part.splitlines()]
    too_wide = [line for line in lines if len(line) > WIDTH and "://" not in line]
    assert lines and too_wide == []


# --- the evidence views on the command line ---------------------------------------------------


def test_evidence_views_show_harms_absences_and_who_paid(tmp_path: Path) -> None:
    from watcher.localpubmed import SAMPLE_DIR

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--config", str(tmp_path / "m.toml"), *args])
        assert result.exit_code == 0, result.output
        return result.output

    run("init", "--email", "librarian@example.org")
    files = [str(SAMPLE_DIR / f"{pmid}.xml") for pmid in (99000001, 99000004, 99000012, 99000021)]
    run("import", *files)
    landscape = run("evidence")
    assert "Who paid: Independent: 1 of 4 studies" in landscape
    safety = landscape[landscape.index("How safe is it?") :]
    assert safety.index("Hematoma or bleeding — 1 study") < safety.index("No adverse events:")
    assert "PMID 99000004 (Case report): 1 patient; serious; needed surgery" in safety
    shown = run("articles", "show", "99000004")
    assert "harm (Hematoma or bleeding): 1 patient; serious; needed surgery" in shown
    assert (
        "against the procedure: Serious harm" in shown and "who paid: Funding not stated" in shown
    )
    paid = run("articles", "show", "99000001")
    assert "who paid: Industry" in paid and "said: funded by industry" in paid
    assert "absence statement: no serious adverse events" in paid


def test_rows_stored_before_harms_and_sponsorship_read_and_are_retagged(store: Store) -> None:
    """An evidence row from the previous classifier has no balance fields: it reads as
    "nothing found", and reclassify fills them in and logs the change."""
    import json

    from watcher.evidence import load_profile
    from watcher.localpubmed import SAMPLE_DIR
    from watcher.pubmed import read_records
    from watcher.tagging import reclassify, tag_articles

    (article,) = read_records(SAMPLE_DIR / "99000004.xml")
    with store.transaction():
        store.save_articles([article], run_id=None, now="2026-01-01T00:00:00+00:00")
        tag_articles(store, [article], None, load_profile())
    data = json.loads(store.db.execute("SELECT data FROM evidence").fetchone()[0])
    for key in ("harms", "sponsorship", "against", "balance"):
        data.pop(key)
    data["classifier_version"] = "2026.11.1"
    store.db.execute("UPDATE evidence SET data = ?, classifier_version = ?",
                     (json.dumps(data), "2026.11.1"))  # fmt: skip
    old = store.evidence("99000004")
    assert old is not None and (old.harms, old.sponsorship) == ((), "not_stated")
    report = reclassify(store, load_profile())
    (change,) = report.changed
    assert change["changes"]["harms"] == [None, ["hematoma_bleeding"]]
    assert change["changes"]["against"] == [None, ["serious_harm"]]


def test_the_web_evidence_map_shows_safety_and_a_badge_on_every_row(tmp_path: Path) -> None:
    from datetime import datetime

    import httpx

    from tests.websites import serve_site
    from watcher.localpubmed.synthetic import JOURNALS
    from watcher.localpubmed.synthetic_xml import SyntheticRecord, render_article

    case = SyntheticRecord(
        pmid=99000791,
        title="[SYNTHETIC] Epidural hematoma after the mild procedure: a case report.",
        journal=JOURNALS["spine"], entrez=datetime(2026, 1, 2, 6, 0), pub_date=NOW.date(),
        abstract=(("", "A woman with lumbar spinal stenosis who had undergone percutaneous "
                   "image-guided lumbar decompression needed evacuation of the hematoma."),),
        publication_types=("Case Reports",), doi="10.99999/synthetic.test.99000791",
        coi_statement="Dr. Ash is a consultant for Vertos Medical.",
    )  # fmt: skip
    with serve_site(tmp_path) as site:
        with site.store() as store:
            seed(store, [render_article(case)], at=NOW)
        page = httpx.get(site.url + "/", timeout=10).text
    safety = page[page.index("How safe is it?") :]
    assert safety.index("Hematoma or bleeding") < safety.index("1 patient; needed surgery")
    assert re.search(r"<dt>Who paid</dt><dd>Independent: 0 of \d+ studies", page)
    rows = page.count('<tr class="study')
    assert rows and page.count('class="badge sponsorship-') == rows
    assert 'class="badge sponsorship-industry">Industry</span>' in page
