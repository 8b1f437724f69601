"""``article_fields`` is ``dataclasses.asdict`` for an Article, without the deep copy: same dict,
so content hashes (stored, compared at every poll) and stored columns do not change."""

from __future__ import annotations

from dataclasses import asdict, replace

from watcher.localpubmed.synthetic import generate_articles
from watcher.localpubmed.synthetic_xml import document
from watcher.pubmed import parse_pubmed_xml
from watcher.records import (
    AbstractSection,
    Article,
    Correction,
    DataBankEntry,
    Grant,
    article_fields,
)


def test_same_as_asdict() -> None:
    articles = parse_pubmed_xml(document(generate_articles(60, seed=7)))
    full = replace(
        articles[0],
        abstract=(AbstractSection("A", "x"), AbstractSection("", "y")),
        corrections=(Correction("ErratumIn", "src", None),),
        databanks=(DataBankEntry("ClinicalTrials.gov", "NCT00000001"),),
        grants=(Grant("Agency", "ID", "AC", "Country"),),
    )
    for article in [*articles, full, Article(pmid="1", title="")]:
        assert article_fields(article) == asdict(article)
        assert type(article_fields(article)["abstract"]) is tuple
