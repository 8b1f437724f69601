"""Files saved from PubMed, read and imported a batch at a time: the same records and the same
error messages as reading them whole, committed batches kept after a crash, nothing twice."""

from pathlib import Path

import pytest

from watcher.errors import ParseError
from watcher.evidence import load_profile
from watcher.fileimport import check_files, import_files
from watcher.localpubmed import SAMPLE_DIR
from watcher.localpubmed.synthetic import generate_articles
from watcher.localpubmed.synthetic_xml import document
from watcher.pubmed import read_records
from watcher.pubmed.files import read_batches
from watcher.store import Store

DATA = Path(__file__).parent / "data" / "pubmed"


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """450 synthetic records in one document: three batches of 200 (the last one short)."""
    path = tmp_path_factory.mktemp("files") / "synthetic.xml"
    path.write_text(document(generate_articles(450, seed=7)), encoding="utf-8")
    return path


def read_all(path: Path, batch: int = 200) -> list:
    return [article for chunk in read_batches(path, batch) for article in chunk]


def outcome(read, path: Path) -> tuple[str, object]:
    try:
        return "records", read(path)
    except ParseError as error:
        return "error", str(error)


def test_batches_give_the_records_reading_whole_gives(big_file: Path) -> None:
    sizes = [len(chunk) for chunk in read_batches(big_file)]
    assert sizes == [200, 200, 50]
    whole = read_records(big_file)
    streamed = read_all(big_file)
    assert streamed == whole
    assert [a.raw for a in streamed] == [a.raw for a in whole]  # raw is left out of ==
    for path in [*sorted(SAMPLE_DIR.glob("*.xml"))[:5], *sorted(DATA.glob("*"))]:
        assert outcome(lambda p: read_all(p, 2), path) == outcome(read_records, path), path


@pytest.mark.parametrize(
    "spoil",
    [
        lambda text: text[: len(text) // 2],  # cut in the middle of a record
        lambda text: text[: text.rindex("</PubmedArticleSet>")],  # cut after the last record
        lambda text: text.replace("</PubmedArticle>\n", "</PubmedArticle>\n<Stray>", 300),
        lambda text: text + "<after/>",
        lambda text: text.replace("<MedlineCitation ", "<MedlineCitatio ", 1).replace(
            "</MedlineCitation>", "</MedlineCitatio>", 1
        ),
    ],
    ids=["truncated", "no-end", "stray-tag", "junk-after", "incomplete-record"],
)
def test_a_spoiled_file_fails_as_reading_it_whole_does(
    big_file: Path, tmp_path: Path, spoil
) -> None:
    path = tmp_path / "spoiled.xml"
    path.write_text(spoil(big_file.read_text(encoding="utf-8")), encoding="utf-8")
    kind, message = outcome(read_all, path)
    assert kind == "error" and (kind, message) == outcome(read_records, path)
    assert str(path) in str(message) and "\n" not in str(message)


def test_unusual_but_good_documents_are_read_whole_without_repeating_records(
    big_file: Path, tmp_path: Path
) -> None:
    text = big_file.read_text(encoding="utf-8")
    marker = "</PubmedArticle>\n"
    cut = text.index(marker, len(text) * 3 // 4) + len(marker)  # a comment after 2 batches
    path = tmp_path / "commented.xml"
    path.write_text(text[:cut] + "<!-- saved by hand -->\n" + text[cut:], encoding="utf-8")
    assert read_all(path) == read_records(big_file)


def test_medline_files_are_read_line_by_line(tmp_path: Path) -> None:
    source = DATA / "two_records.txt"
    assert read_all(source, 1) == read_records(source)
    broken = tmp_path / "broken.txt"
    broken.write_bytes(source.read_bytes().replace(b"PMID- ", b"PMID- \xff", 1))
    assert outcome(read_all, broken) == outcome(read_records, broken)
    assert "is not UTF-8 text" in str(outcome(read_all, broken)[1])


def test_import_commits_batches_and_a_rerun_after_a_crash_stores_nothing_twice(
    big_file: Path, tmp_path: Path
) -> None:
    profile = load_profile()

    def crash_after_first_batch(stage: str, done: int, total: int) -> None:
        assert total == 450
        if done >= 200:
            raise KeyboardInterrupt  # as if the process were stopped here

    with Store.open(tmp_path / "m.db") as store:
        with pytest.raises(KeyboardInterrupt):
            import_files(store, [big_file], profile, progress=crash_after_first_batch)
        assert store.count_articles() == 200  # the committed batch, tagged
        assert len(store.classified(("relevant", "uncertain", "not_relevant"))) == 200
        (crashed,) = store.recent_runs(kind="import")
        assert crashed.status == "interrupted"

        report = import_files(store, [big_file], profile)
        assert report.records == 450 and report.counts["new"] == 250
        assert store.count_articles() == 450
        assert len(store.events(kinds=("new",))) == 450  # one "new" each, none twice
        assert import_files(store, [big_file], profile).counts["new"] == 0


def test_a_bad_file_among_good_ones_stores_nothing(big_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(big_file.read_text(encoding="utf-8")[:-30], encoding="utf-8")
    with pytest.raises(ParseError, match="broken or truncated XML"):
        check_files([big_file, bad])
    with Store.open(tmp_path / "m.db") as store:
        with pytest.raises(ParseError):
            import_files(store, [big_file, bad], load_profile())
        assert store.count_articles() == 0
