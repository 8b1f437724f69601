"""`mildwatch studies` and the stored study groups, on a real SQLite file: records parsed,
tagged by the real classifier, grouped, listed and shown with their reasons; librarians'
merges and splits survive `mildwatch reclassify`; bad input is one line and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.digest_factories import seed
from tests.factories import xml
from tests.study_factories import NCT, reported_studies, trial_report
from watcher.cli import cli
from watcher.regroup import regroup
from watcher.store import Store

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "mildwatch.toml"
    assert run(path, "init", "--email", "librarian@example.org").exit_code == 0
    with Store.open(tmp_path / "mildwatch.db") as store:
        seed(store, reported_studies(99005000), at=AT)
        regroup(store, now=AT.isoformat())
    return path


def groups(config: Path) -> dict[str, list[str]]:
    with Store.open(config.parent / "mildwatch.db") as store:
        return store.study_groups()


def test_list_and_show_say_which_papers_are_one_study_and_why(config: Path) -> None:
    listed = run(config, "studies", "list")
    assert listed.exit_code == 0, listed.output
    rows = [line.split() for line in listed.output.splitlines()]
    trial = next(r for r in rows if r and r[0] == "99005001")
    assert trial[1:3] == ["HARBOR-2", "RCT"] and trial[3:6] == ["240", "60", "mo"]
    assert "3  linked" in listed.output.replace(trial[0], "")
    assert "PROBABLY one study" in listed.output  # the cohort, 1 and 5 years
    assert "99005021" not in listed.output  # single-report studies only with --all
    assert "99005021" in run(config, "studies", "list", "--all").output

    shown = run(config, "studies", "show", "harbor-2")
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "Study 99005001: HARBOR-2 (linked)" in text
    assert "Sample size: 240 (main report: PMID 99005001" in text
    assert "Longest follow-up: 60 months (PMID 99005003)" in text
    order = [text.index(f"9900500{i}  ") for i in (1, 2, 3)]
    assert order == sorted(order)  # reports in publication order
    assert f"same registration: {NCT}  (99005002 – 99005003)" in text
    assert "same study name: HARBOR-2  (99005001 – 99005002)" in text
    assert run(config, "studies", "show", "99005003").output == text  # by any of its PMIDs
    assert run(config, "studies", "show", NCT.lower()).output == text  # or its registration
    cohort = run(config, "studies", "show", "99005012").output
    assert "probably (weak): same design (prospective_cohort) and n = 90" in cohort
    assert groups(config)["99005001"] == ["99005001", "99005002", "99005003"]


def test_merge_and_split_survive_reclassify(config: Path) -> None:
    merged = run(config, "studies", "merge", "99005021", "99005022", "--reason", "same cohort")
    assert merged.exit_code == 0, merged.output
    assert "Merged: study 99005021" in merged.output
    split = run(config, "studies", "split", "99005012", "--reason", "different patients")
    assert split.exit_code == 0, split.output
    confirmed = run(config, "studies", "confirm", "HARBOR-2", "--reason", "checked registry")
    assert confirmed.exit_code == 0, confirmed.output

    def state() -> dict[str, list[str]]:
        stored = groups(config)
        assert "confirmed by a librarian" in run(config, "studies", "show", "99005022").output
        assert "confirmed by a librarian" in run(config, "studies", "show", "99005003").output
        return stored

    before = state()
    assert before["99005021"] == ["99005021", "99005022"]
    assert before["99005011"] == ["99005011"] and before["99005012"] == ["99005012"]

    retagged = run(config, "reclassify", "--all")
    assert retagged.exit_code == 0, retagged.output
    assert state() == before
    shown = run(config, "studies", "show", "99005021").output
    assert "merge by" in shown and "same cohort" in shown and "#1" in shown


def test_bad_input_is_one_line_and_changes_nothing(config: Path) -> None:
    before = groups(config)
    cases = [
        (("studies", "show", "12345"), "PMID 12345 is not among the relevant, classified papers"),
        (("studies", "show", "NOSUCH-1"), "no study is called 'NOSUCH-1'"),
        (("studies", "merge", "99005001", "--reason", "x"), "name at least two studies"),
        (("studies", "merge", "99005001", "harbor-2", "--reason", "x"), "already one study"),
        (
            ("studies", "split", "99005001", "99005002", "99005003", "--reason", "x"),
            "has no other reports to split them from",
        ),
        (("studies", "split", "99005001", "99005011", "--reason", "x"), "belong to 2 studies"),
        (("studies", "split", "HARBOR-2", "--reason", "x"), "split takes the PMIDs"),
        (("studies", "confirm", "99005021", "--reason", "x"), "has one report"),
    ]
    for args, message in cases:
        result = run(config, *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith("Error: ") and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    missing = run(config, "studies", "merge", "99005021", "99005022")
    assert missing.exit_code == 2 and "--reason" in missing.output
    assert groups(config) == before
    with Store.open(config.parent / "mildwatch.db") as store:
        assert store.study_decisions() == []


def test_import_regroups_what_it_stores(tmp_path: Path) -> None:
    config = tmp_path / "mildwatch.toml"
    assert run(config, "init", "--email", "librarian@example.org").exit_code == 0
    saved = tmp_path / "saved.xml"
    saved.write_text(
        xml(
            [
                trial_report(99005031, 12, date(2014, 3, 1), named=True, registered=False),
                trial_report(99005032, 24, date(2015, 4, 1), named=True, registered=False),
            ]
        ),
        encoding="utf-8",
    )
    assert run(config, "import", str(saved)).exit_code == 0
    assert groups(config) == {"99005031": ["99005031", "99005032"]}
