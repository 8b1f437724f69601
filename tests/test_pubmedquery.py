"""The PubMed query language: parsing, field semantics and PubMed's quiet failure modes.

Pure tests: the real parser and evaluator over the real in-memory TextIndex, no XML, no HTTP.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import MILD_QUERY, POLL_WINDOW
from watcher.errors import QueryError, QuerySyntaxError
from watcher.evidence import default_profile_path
from watcher.localpubmed.index import Author, SearchDoc, TextIndex
from watcher.localpubmed.query import parse_date_span, parse_query, restrict, tokens
from watcher.localpubmed.query_eval import SearchResult, search
from watcher.searches import profile_searches

DOCS = (
    SearchDoc(
        "1",
        title="Minimally invasive lumbar decompression (mild®) for lumbar spinal stenosis.",
        abstract=("Image guided debulking of the ligamentum flavum.", "RESULTS: walking improved."),
        mesh=("Spinal Stenosis", "Decompression, Surgical"),
        mesh_major=("Spinal Stenosis",),
        authors=(Author("Smith", "John Andrew", "JA"), Author("Müller", "Anna", "A")),
        journal=("Pain Physician",),
        publication_types=("Randomized Controlled Trial", "Journal Article"),
        languages=("eng",),
        edat=date(2024, 2, 10),
        crdt=date(2024, 2, 10),
        pdat=date(2024, 3, 1),
        mdat=date(2024, 5, 1),
    ),
    SearchDoc(
        "2",
        title="Percutaneous image-guided lumbar decompression: the mild procedure at two years.",
        abstract=("Neurogenic claudication improved after PILD.",),
        keywords=("decompressive surgery",),
        authors=(Author("Smithson", "Kate", "K"),),
        journal=("Spine",),
        publication_types=("Journal Article",),
        languages=("ger",),
        edat=date(2024, 3, 31),
        crdt=date(2023, 12, 30),
        pdat=date(2023, 12, 1),
    ),
    SearchDoc(
        "3",
        title="Mild cognitive impairment: a review.",
        mesh=("Cognitive Dysfunction",),
        authors=(Author("MILD Study Group"),),
        publication_types=("Review",),
        languages=("eng",),
        edat=date(2024, 4, 1),
        crdt=date(2024, 4, 1),
        pdat=date(2024, 1, 1),
    ),
    SearchDoc(
        "4",
        title="Stenosis outcomes after laminectomy.",
        abstract=("Decompression of the canal relieved claudication.",),
        publication_types=("Controlled Clinical Trial",),
        languages=("eng",),
    ),
)


@pytest.fixture(scope="module")
def index() -> TextIndex:
    idx = TextIndex()
    for doc in DOCS:
        idx.add(doc)
    return idx


@pytest.fixture
def run(index: TextIndex):
    return lambda query: search(query, index)


@pytest.fixture
def hits(run):
    return lambda query: set(run(query).pmids)


def test_tokens_ignore_case_punctuation_and_accents() -> None:
    assert tokens("Image-Guided") == ("image", "guided")
    assert tokens("mild®") == ("mild",)
    assert tokens("Müller, A.") == ("muller", "a")


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2024", (date(2024, 1, 1), date(2024, 12, 31))),
        ("2024/02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("2024/3/5", (date(2024, 3, 5), date(2024, 3, 5))),
        ("2024-03-05", (date(2024, 3, 5), date(2024, 3, 5))),
        ("2024/13", None),
        ("2024/02/30", None),
        ("March 2024", None),
    ],
)
def test_parse_date_span(text: str, span: tuple[date, date] | None) -> None:
    assert parse_date_span(text) == span


@pytest.mark.parametrize(
    ("query", "position", "hint"),
    [
        ("(mild OR stenosis", 0, "never closed"),
        ("mild OR stenosis)", 16, "no matching '('"),
        ('"lumbar decompression[tiab]', 0, "unclosed quote"),
        ("mild[tiab", 4, "unclosed field tag"),
        ("AND mild", 0, "needs a term before it"),
        ("mild AND", 5, "AND has no search term after it"),
        ("mild AND OR stenosis", 5, "AND has no search term after it"),
        ("mild AND ()", 9, "empty parentheses"),
        ("[tiab]", 0, "needs a search term"),
        ("mild]", 4, "unexpected"),
        ("review:2024[dp]", 0, "not a date range"),
    ],
)
def test_syntax_errors_point_at_the_problem(query: str, position: int, hint: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert hint in str(caught.value)
    assert isinstance(caught.value, QueryError)


def test_empty_query_has_no_root() -> None:
    assert parse_query("   ").root is None


def test_boolean_operators_evaluate_left_to_right(hits) -> None:
    assert hits("stenosis OR mild") == {"1", "2", "3", "4"}
    # PubMed: (stenosis OR cognitive) AND review, not stenosis OR (cognitive AND review)
    assert hits("stenosis OR cognitive AND review[pt]") == {"3"}
    assert hits("stenosis OR (cognitive AND review[pt])") == {"1", "3", "4"}
    assert hits("mild NOT review[pt]") == {"1", "2"}
    assert hits("mild NOT review[pt] OR laminectomy") == {"1", "2", "4"}


def test_adjacent_terms_are_anded_and_lowercase_operators_are_words(hits) -> None:
    assert hits("mild stenosis") == {"1"}
    assert hits('"mild procedure" claudication') == {"2"}
    assert hits("(mild) (claudication)") == {"2"}


def test_phrases_match_consecutive_tokens_across_punctuation(hits) -> None:
    assert hits('"lumbar decompression"[tiab]') == {"1", "2"}
    assert hits('"decompression lumbar"[tiab]') == set()
    assert hits('"image-guided debulking"[tiab]') == {"1"}  # "Image guided debulking"
    assert hits('"mild® for lumbar"[ti]') == {"1"}
    assert hits('"MINIMALLY invasive"[TIAB]') == {"1"}


def test_truncation_needs_four_characters(run, hits) -> None:
    assert hits("decompress*[tiab]") == {"1", "2", "4"}
    assert hits('"lumbar decomp*"[ti]') == {"1", "2"}
    result = run("mild AND dec*")
    assert result.phrases_ignored == ("dec*",)
    assert set(result.pmids) == hits("mild")


def test_title_abstract_and_keyword_fields(hits) -> None:
    assert hits("claudication[ti]") == set()
    assert hits("claudication[ab]") == {"2", "4"}
    assert hits("claudication[Title/Abstract]") == {"2", "4"}
    assert hits("decompressive[tiab]") == {"2"}  # keywords are part of [tiab]
    assert hits("walking[Abstract] AND stenosis[Title]") == {"1"}


def test_mesh_matches_within_descriptor_names(hits) -> None:
    assert hits('"spinal stenosis"[mh]') == {"1"}
    assert hits("stenosis[mesh]") == {"1"}
    assert hits('"Cognitive Dysfunction"[MeSH Terms]') == {"3"}
    assert hits("surgical[majr]") == set()
    assert hits("spinal stenosis[majr]") == {"1"}


def test_publication_type_matches_a_whole_type(run, hits) -> None:
    assert hits('"randomized controlled trial"[pt]') == {"1"}
    assert hits("Randomized Controlled Trial[Publication Type]") == {"1"}
    assert hits("controlled clinical trial[pt]") == {"4"}
    assert run("trial[pt]").phrases_not_found == ("trial",)


def test_author_initials_match_as_prefixes(hits) -> None:
    assert hits("Smith J[au]") == {"1"}
    assert hits("smith[au]") == {"1"}  # not Smithson
    assert hits('"Smith JA"[Author]') == {"1"}
    assert hits("smith john[au]") == {"1"}
    assert hits("Muller A[au]") == {"1"}
    assert hits('"mild study group"[au]') == {"3"}
    assert hits("smith[au] OR smithson k[au]") == {"1", "2"}


def test_language_accepts_codes_and_names(hits) -> None:
    assert hits("eng[la]") == {"1", "3", "4"}
    assert hits("german[la]") == {"2"}
    assert hits("mild AND English[Language]") == {"1", "3"}


def test_all_fields_cover_mesh_authors_journal_and_types(hits) -> None:
    assert hits("physician") == {"1"}  # journal
    assert hits("smithson") == {"2"}  # author
    assert hits("dysfunction[all]") == {"3"}  # MeSH
    assert hits("review") == {"3"}  # publication type
    assert hits('"pain physician"[ta]') == {"1"}


def test_date_ranges_are_inclusive_whole_days(hits) -> None:
    assert hits("2024/01/01:2024/03/31[edat]") == {"1", "2"}
    assert hits("2024/01/01:2024/03/31[crdt]") == {"1"}
    assert hits('"2024/01/01"[crdt] : "2024/03/31"[crdt]') == {"1"}
    assert hits("2023/12/30:2023/12/30[Date - Create]") == {"2"}
    assert hits("2024/02:2024/03[pdat]") == {"1"}  # end month included
    assert hits("2024[dp]") == {"1", "3"}
    assert hits("2024/05[mdat]") == {"1"}
    assert hits("2024:2024") == {"1", "3"}  # untagged ranges are publication dates
    assert hits("mild 2023[dp]") == {"2"}  # the tag binds the date, not "mild"


def test_records_missing_a_date_never_match_it(hits) -> None:
    assert "4" not in hits("1900:2100[edat]")
    assert "4" not in hits("1900:2100[dp]")


def test_unknown_field_tag_is_reported_and_searched_everywhere(run) -> None:
    result = run("dysfunction[tiabx]")
    assert result.fields_not_found == ("tiabx",)
    assert set(result.pmids) == {"3"}  # found in MeSH: the search was broadened
    assert result.translation == '"dysfunction"[All Fields]'
    assert result.has_errors


def test_unquoted_term_found_nowhere_is_dropped(run) -> None:
    result = run("cognitive[tiab] AND zzqxmild[tiab]")
    assert result.phrases_not_found == ("zzqxmild",)
    assert set(result.pmids) == {"3"}  # silently broadened, like PubMed
    assert result.translation == '"cognitive"[Title/Abstract]'
    only = run("zzqxmild")
    assert set(only.pmids) == set()
    assert only.output_messages == ("No items found.",)


def test_unknown_words_drop_out_of_a_run(run) -> None:
    result = run("lumbar zzqx decompression[ti]")
    assert result.phrases_not_found == ("zzqx",)
    assert result.translation == '"lumbar decompression"[Title]'
    assert set(result.pmids) == {"1", "2"}


def test_run_falls_back_to_anded_words_when_not_a_phrase(run) -> None:
    result = run("decompression stenosis[tiab]")
    assert result.translation == '("decompression"[Title/Abstract] AND "stenosis"[Title/Abstract])'
    assert set(result.pmids) == {"1", "4"}


def test_quoted_phrase_found_nowhere_matches_nothing(run) -> None:
    result = run('mild OR "lumbar zzqx"[tiab]')
    assert result.quoted_phrases_not_found == ('"lumbar zzqx"',)
    assert result.phrases_not_found == ()
    assert set(result.pmids) == {"1", "2", "3"}
    assert set(run('mild AND "lumbar zzqx"').pmids) == set()


def test_phrase_present_elsewhere_is_not_a_warning(run) -> None:
    result = run('"spinal stenosis"[ab]')
    assert result == SearchResult(
        pmids=frozenset(),
        translation='"spinal stenosis"[Abstract]',
        output_messages=("No items found.",),
    )


def test_untagged_terms_appear_in_the_translation_set(run) -> None:
    result = run("mild AND stenosis[tiab]")
    assert result.translation_set == (("mild", '"mild"[All Fields]'),)
    assert result.translation == '"mild"[All Fields] AND "stenosis"[Title/Abstract]'


def test_mild_query_is_the_bundled_profiles_default_search() -> None:
    """The tests below pin MILD_QUERY's translation and hits; they must be running the query
    the bundled profile seeds (if the profile changed, update tests/factories.py to match)."""
    [default] = profile_searches(default_profile_path())
    assert default.query == MILD_QUERY


def test_default_mild_search_with_the_poll_window(run) -> None:
    assert set(run(MILD_QUERY).pmids) == {"1", "2"}
    result = run(f"({MILD_QUERY}) AND {POLL_WINDOW}")
    assert set(result.pmids) == {"1", "2"}
    assert not result.has_errors
    assert result.quoted_phrases_not_found == (
        '"interlaminar decompression"',
        '"percutaneous lumbar decompression"',
        '"ligamentum flavum debulking"',
        '"remodeling of the ligamentum flavum"',
    )
    assert result.translation == (
        '(("minimally invasive lumbar decompression"[Title/Abstract] OR '
        '"mild procedure"[Title/Abstract] OR "interlaminar decompression"[Title/Abstract] OR '
        '"percutaneous image-guided lumbar decompression"[Title/Abstract] OR '
        '"image-guided lumbar decompression"[Title/Abstract] OR '
        '"percutaneous lumbar decompression"[Title/Abstract] OR "pild"[Title/Abstract] OR '
        '"ligamentum flavum debulking"[Title/Abstract] OR '
        '"remodeling of the ligamentum flavum"[Title/Abstract] OR "mild"[Title]) AND '
        '("stenosis"[Title/Abstract] OR '
        '"spinal stenosis"[MeSH Terms] OR "claudication"[Title/Abstract])) AND '
        "(2024/01/01:2024/03/31[Date - Entry] OR 2024/01/01:2024/03/31[Date - Create])"
    )


def test_restrict_adds_an_esearch_date_window(index: TextIndex) -> None:
    from watcher.localpubmed.query_eval import evaluate

    query = restrict(parse_query("mild OR stenosis"), "edat", date(2024, 1, 1), date(2024, 3, 31),
                     "2024/01/01:2024/03/31[edat]")  # fmt: skip
    result = evaluate(query, index)
    assert set(result.pmids) == {"1", "2"}
    assert result.translation == '("mild"[All Fields] OR "stenosis"[All Fields]) AND ' + (
        "2024/01/01:2024/03/31[edat]"
    )
    window_only = restrict(parse_query(""), "pdat", date(2024, 1, 1), date(2024, 1, 31), "x")
    assert set(evaluate(window_only, index).pmids) == {"3"}


def test_replacing_and_removing_documents_updates_the_index() -> None:
    idx = TextIndex()
    idx.add(SearchDoc("7", title="Mild procedure"))
    idx.add(SearchDoc("7", title="Retracted: something else"))
    assert set(search("procedure", idx).pmids) == set()
    assert set(search("retracted", idx).pmids) == {"7"}
    idx.remove("7")
    assert len(idx) == 0
    assert search("retracted", idx).phrases_not_found == ("retracted",)
