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
