"""Exports for reference managers and spreadsheets, read back by real parsers: rispy for RIS,
bibtexparser 2 (with LaTeX decoding) for BibTeX, csv and json from the standard library."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import bibtexparser
import pytest
import rispy
from bibtexparser import middlewares
from click.testing import CliRunner

from watcher.cli import cli
from watcher.evidence import classify, load_profile
from watcher.exports import FORMATS, Row, to_bibtex, to_csv, to_json, to_ris
from watcher.exports.common import evidence_keywords, evidence_notes, split_author
from watcher.exports.table import COLUMNS
from watcher.localpubmed import SAMPLE_DIR
from watcher.pubmed import read_records
from watcher.records import Evidence


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    """Every sample record, classified (the store is not needed to format)."""
    profile = load_profile()
    articles = [a for path in sorted(SAMPLE_DIR.glob("*.xml")) for a in read_records(path)]
    return [Row(a, classify(a, profile)) for a in articles]


def squeeze(text: str) -> str:
    return " ".join(text.split())


def expected_pages(row: Row) -> tuple[str, str]:
    first, _, last = row.article.pages.partition("-")
    if last and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return first, last


def test_ris_is_read_back_by_rispy_with_every_field(rows: list[Row]) -> None:
    parsed = rispy.loads(to_ris(rows))
    assert len(parsed) == len(rows) == 46
    for entry, row in zip(parsed, rows, strict=True):
        a = row.article
        assert entry["type_of_reference"] == "JOUR"
        assert entry["accession_number"] == a.pmid
        assert entry.get("authors", []) == [
            f"{last}, {initials}" if initials else last
            for last, initials in map(split_author, a.authors)
        ]
        assert entry["title"] == squeeze(a.plain_title)
        assert entry["secondary_title"] == a.journal
        assert entry["journal_name"] == a.journal_abbrev
        assert entry["year"] == str(a.pub_year)
        assert entry.get("volume", "") == a.volume and entry.get("number", "") == a.issue
        first, last = expected_pages(row)
        assert entry.get("start_page", "") == first and entry.get("end_page", "") == last
        assert entry.get("doi") == a.doi
        assert entry.get("abstract", "") == squeeze(a.plain_abstract)
        assert entry["urls"] == [f"https://pubmed.ncbi.nlm.nih.gov/{a.pmid}/"]
        assert entry["name_of_database"] == "PubMed"
        keywords = entry.get("keywords", [])
        assert [*a.mesh_terms, *a.keywords] == keywords[: len(a.mesh_terms) + len(a.keywords)]
        assert set(evidence_keywords(row.evidence)) <= set(keywords)
        notes = ["SYNTHETIC sample record made for mildwatch: not a real publication."]
        if a.retracted:
            notes.append("RETRACTED publication: do not rely on its results.")
        assert entry["notes"] == [squeeze(n) for n in notes + evidence_notes(row.evidence)]
    # Every evidence tag travels with its snippet.
    rct = next(e for e in parsed if e["accession_number"] == "99000006")
    assert "mildwatch design: Randomized controlled trial" in rct["keywords"]
    assert any(n.startswith("mildwatch patients: 296 (abstract:") for n in rct["notes"])


def test_bibtex_is_read_back_by_bibtexparser_with_every_field(rows: list[Row]) -> None:
    library = bibtexparser.parse_string(
        to_bibtex(rows),
        append_middleware=[middlewares.LatexDecodingMiddleware(), middlewares.SeparateCoAuthors()],
    )
    assert library.failed_blocks == [] and len(library.entries) == len(rows)
    assert len({e.key for e in library.entries}) == len(rows)  # unique keys
    for entry, row in zip(library.entries, rows, strict=True):
        a = row.article
        fields = {f.key: f.value for f in entry.fields}
        assert entry.entry_type == "article" and fields["pmid"] == a.pmid
        assert fields.get("author", []) == [
            f"{last}, {initials}" if initials else last
            for last, initials in map(split_author, a.authors)
        ]
        assert fields["title"] == squeeze(a.plain_title)
        assert fields["journal"] == a.journal
        assert fields["year"] == str(a.pub_year)
        assert fields.get("volume", "") == a.volume and fields.get("number", "") == a.issue
        first, last = expected_pages(row)
        assert fields.get("pages", "") == (f"{first}–{last}" if last else first)
        assert fields.get("doi") == a.doi
        assert fields["url"] == f"https://pubmed.ncbi.nlm.nih.gov/{a.pmid}/"
        assert fields.get("abstract", "") == squeeze(a.plain_abstract)
        keywords = [*a.mesh_terms, *a.keywords, *evidence_keywords(row.evidence)]
        assert fields["keywords"] == ", ".join(dict.fromkeys(k.replace(",", ";") for k in keywords))
        notes = ["SYNTHETIC sample record made for mildwatch: not a real publication."]
        assert fields["note"] == " | ".join(notes + evidence_notes(row.evidence))
    assert library.entries[0].key == "lindqvist2012percutaneous"


def test_bibtex_escapes_what_latex_would_run_and_keeps_keys_apart(rows: list[Row]) -> None:
    nasty = "50% of $5 & {x} #1 a_b ~c ^d \\e: Müller's Ødegård"
    article = replace(rows[0].article, title=nasty.replace("&", "&amp;"), abstract=())
    twins = [Row(replace(article, pmid=str(99009000 + i)), None) for i in range(3)]
    library = bibtexparser.parse_string(
        to_bibtex(twins), append_middleware=[middlewares.LatexDecodingMiddleware()]
    )
    assert library.failed_blocks == []
    # first author, year, first title word ("50" and "of" are not words a key is made of)
    assert [e.key for e in library.entries] == [
        "lindqvist2012x", "lindqvist2012xb", "lindqvist2012xc"
    ]  # fmt: skip
    title = library.entries[0].fields_dict["title"].value
    assert title.replace("ˆ", "^") == nasty  # pylatexenc reads \textasciicircum as U+02C6


def test_csv_has_a_column_per_tag_and_no_cell_a_spreadsheet_would_run(rows: list[Row]) -> None:
    table = list(csv.DictReader(io.StringIO(to_csv(rows), newline="")))
    assert list(table[0]) == list(COLUMNS) and len(table) == len(rows)
    by_pmid = {r["pmid"]: r for r in table}
    rct = by_pmid["99000006"]
    assert (rct["design"], rct["level"], rct["sample_size"]) == ("rct", "I", "296")
    assert rct["followup_months"] == "12.0" and rct["synthetic"] == "yes"
    assert "n = 296" in rct["sample_size_snippet"]
    assert rct["q_safety"].startswith("No device- or procedure-related serious adverse events")
    assert rct["q_cost_coverage"] == ""
    hostile = replace(
        rows[0].article, pmid="1", title="=HYPERLINK(&quot;http://x&quot;)",
        authors=("@SUM(A1) X", "+1 Y", "-2 Z"), journal="\tTabbed",
    )  # fmt: skip
    (row,) = list(csv.DictReader(io.StringIO(to_csv([Row(hostile, None)]), newline="")))
    assert row["title"] == '\'=HYPERLINK("http://x")'
    assert row["authors"] == "'@SUM(A1) X; +1 Y; -2 Z" and row["journal"] == "'\tTabbed"


def test_json_holds_the_article_and_its_evidence_exactly(rows: list[Row]) -> None:
    items = json.loads(to_json(rows))
    for item, row in zip(items, rows, strict=True):
        assert item["pmid"] == row.article.pmid and item["synthetic"] is True
        assert item["article"]["title"] == row.article.title and "raw" not in item["article"]
        assert Evidence.from_dict(item["evidence"]) == row.evidence


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Path:
    config = tmp_path / "mildwatch.toml"
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config), "init"]).exit_code == 0
    files = [str(p) for p in sorted(SAMPLE_DIR.glob("*.xml"))]
    assert runner.invoke(cli, ["--config", str(config), "import", *files]).exit_code == 0
    return config


def test_export_takes_the_filters_of_articles_list(config: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for fmt in FORMATS:
        out = tmp_path / f"rct.{fmt}"
        args = ["--config", str(config), "export", "--format", fmt, "--design", "rct",
                "--relevance", "relevant", "-o", str(out)]  # fmt: skip
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and "Wrote 5 article(s)" in result.output
    ris = rispy.loads((tmp_path / "rct.ris").read_text(encoding="utf-8"))
    trial_reports = ["99000006", "99000011", "99000021", "99000044", "99000045"]
    assert sorted(e["accession_number"] for e in ris) == trial_reports
    listed = runner.invoke(cli, ["--config", str(config), "articles", "list", "--design", "rct",
                                 "--relevance", "relevant"])  # fmt: skip
    assert sorted(line[:8] for line in listed.output.splitlines() if line[:2] == "99") == (
        trial_reports
    )
    level = runner.invoke(cli, ["--config", str(config), "export", "--format", "json",
                                "--level", "I", "--min-followup", "24"])  # fmt: skip
    assert [i["pmid"] for i in json.loads(level.output)] == ["99000045", "99000011"]


def test_export_to_an_unwritable_path_is_one_line_and_writes_nothing(
    config: Path, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("kept\n")
    before = sorted(tmp_path.rglob("*"))
    # Unwritable even for root: a folder that is a file, a missing folder, and /proc.
    for target in (tmp_path / "a-file" / "x.ris", tmp_path / "missing" / "x.ris",
                   Path("/proc/mildwatch-export.ris")):  # fmt: skip
        result = CliRunner().invoke(
            cli, ["--config", str(config), "export", "--format", "ris", "-o", str(target)]
        )
        assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
        assert result.output.startswith(f"Error: cannot write {target}")
    assert sorted(tmp_path.rglob("*")) == before
    assert (tmp_path / "a-file").read_text() == "kept\n"
