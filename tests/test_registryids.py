"""Trial registration numbers: found in text, recognised in DataBankList, spelled one way."""

import pytest

from watcher.records import AbstractSection, Article, DataBankEntry, TrialRegistration
from watcher.registryids import registry_ids_in, registry_of


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Registered at ClinicalTrials.gov (NCT01234567).",
         [("ClinicalTrials.gov", "NCT01234567")]),
        ("Trial registration: nct01234567; ISRCTN12345678.",
         [("ClinicalTrials.gov", "NCT01234567"), ("ISRCTN", "ISRCTN12345678")]),
        ("ANZCTR ACTRN12615000123456 and DRKS00012345", [("ANZCTR", "ACTRN12615000123456"),
                                                        ("DRKS", "DRKS00012345")]),
        ("Chinese registry ChiCTR2000031234, Japanese UMIN000012345.",
         [("ChiCTR", "ChiCTR2000031234"), ("UMIN-CTR", "UMIN000012345")]),
        ("CTRI/2019/05/019012 in India", [("CTRI", "CTRI/2019/05/019012")]),
        ("EudraCT number: 2012-001234-56.", [("EudraCT", "2012-001234-56")]),
        ("NCT01234567 was updated; see NCT01234567 again.",
         [("ClinicalTrials.gov", "NCT01234567")]),
    ],
)  # fmt: skip
def test_ids_in_text(text: str, found: list[tuple[str, str]]) -> None:
    assert registry_ids_in(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "NCT012345678 has nine digits",  # not an NCT number
        "XNCT01234567",  # part of another token
        "Enrolment ran 2012-001234-56 without a registry name",  # a bare number is not EudraCT
        "No registration was reported.",
    ],
)
def test_no_id_where_none_is_written(text: str) -> None:
    assert registry_ids_in(text) == []


def test_databank_entries_that_are_trial_registrations() -> None:
    assert registry_of("ClinicalTrials.gov", "NCT01234567") == "ClinicalTrials.gov"
    assert registry_of("ISRCTN", "ISRCTN12345678") == "ISRCTN"
    assert registry_of("EudraCT", "2012-001234-56") == "EudraCT"
    assert registry_of("", "NCT01234567") == "ClinicalTrials.gov"  # MEDLINE SI without a bank
    assert registry_of("GENBANK", "AB123456") is None
    assert registry_of("Dryad", "10.5061/dryad.abc") is None


def test_article_lists_each_registration_once_with_its_source() -> None:
    article = Article(
        pmid="99000001",
        title="[SYNTHETIC] Two-year results of a randomized trial (NCT01234567)",
        abstract=(AbstractSection("", "Registration: NCT01234567 and ISRCTN12345678."),),
        databanks=(DataBankEntry("ClinicalTrials.gov", "nct01234567"),),
    )
    assert article.trial_registrations == (
        TrialRegistration("ClinicalTrials.gov", "NCT01234567", "databank"),
        TrialRegistration("ISRCTN", "ISRCTN12345678", "abstract"),
    )


def test_texts_without_six_digits_in_a_row_hold_no_id() -> None:
    """registry_ids_in skips its pattern where no six digits stand in a row: exact, because
    every registry's ids hold such a run (tried on texts made of ids' pieces, cut short)."""
    import random

    from watcher.registryids import _ID, _SIX_DIGITS

    pieces = ["NCT", "nct", "ISRCTN", "ACTRN", "ChiCTR", "-IOR-", "DRKS", "UMIN", "CTRI/"]
    pieces += ["EudraCT number: ", "2012-", "001234", "-56", "/05/", "0123", "45", "6", "7"]
    pieces += ["01234567", "000012345", "12615000123456"]
    pieces += ["١٢٣٤٥٦", " ", ", ", "; ", "trial "]
    rng = random.Random(3)
    found = skipped = 0
    for _ in range(5000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(1, 6)))
        if _SIX_DIGITS.search(text) is None:
            skipped += 1
            assert _ID.search(text) is None, text
        else:
            found += bool(registry_ids_in(text))
    assert found > 30 and skipped > 1000  # both sides of the gate were tried
