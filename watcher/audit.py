"""Recall audit: relevant papers that no keyword query names, found through PubMed's similar
articles of the papers the searches did find.

For every stored relevant paper, ELink ``pubmed_pubmed`` (with scores) lists its similar
articles, 100 source papers a request. Those a saved search already matches are set aside;
each enabled search is asked, in one esearch per 200 PMIDs, whether it matches the rest (it
may, outside its poll windows). What no search matches is fetched in batches (unless stored)
and classified in memory; the relevant ones are listed with the words they share with the
papers they resemble that no saved query contains: suggestions for ``searches test``.
Nothing is stored.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from watcher.citations import matched_by_queries
from watcher.evidence import Profile, classify
from watcher.pubmed import EntrezClient
from watcher.records import Article
from watcher.store import Store

SIMILAR = "pubmed_pubmed"
MAX_CANDIDATES = 300  # similar articles checked and fetched at most, best scored first
MAX_WORDS = 6
SYNTHETIC_MARK = "[SYNTHETIC]"  # the sample's title marker is not a word a paper shares
_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_STOPWORD_TEXT = """about above after again against all also among an and any are as at be been
before being below between both but by can could did do does done during each either for from
further had has have having here how however if in into is it its itself may might more most
much must no nor not now of off on once only or other our out over own per same should since so
some such than that the their them then there these they this those through to too under until
up upon us using very via was we were what when where whether which while who whom why will
with within without would versus vs patients patient study studies results result methods
method conclusion conclusions background objective objectives purpose aim aims group groups
months month years year weeks week days day mean median total included including compared
significant significantly reported report reports data analysis performed associated one two
three four five six first second use used based follow-up outcome outcomes rate rates"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Missed:
    """A relevant paper no saved search matches, and why it looks like the ones they do."""

    article: Article
    design: str
    similar_to: tuple[tuple[str, int], ...]  # (stored relevant PMID, score), best first
    words: tuple[str, ...]  # shared with those papers, absent from every saved query
    stored: bool


@dataclass
class AuditReport:
    audited: int  # stored relevant papers whose similar articles were asked for
    similar: int = 0  # distinct similar articles PubMed listed (not themselves audited)
    unmatched: int = 0  # of those, matched by no saved search
    judged: int = 0  # fetched or stored, and classified
    missed: list[Missed] = field(default_factory=list)  # the relevant ones
    requests: int = 0


def audit(
    store: Store, client: EntrezClient, profile: Profile, *, max_candidates: int = MAX_CANDIDATES
) -> AuditReport:
    sources = {article.pmid: article for article, _ in store.classified(("relevant",))}
    before = client.requests_made
    report = AuditReport(len(sources))
    links = client.elink(sorted(sources), linkname=SIMILAR, scores=True) if sources else {}
    near: dict[str, list[tuple[str, int]]] = {}
    for source, found in links.items():
        for link in found:
            if link.pmid not in sources:
                near.setdefault(link.pmid, []).append((source, link.score or 0))
    report.similar = len(near)
    ranked = sorted(near, key=lambda p: (-max(s for _, s in near[p]), p))
    matched = store.matched_by_searches(ranked)
    candidates = [p for p in ranked if p not in matched][:max_candidates]
    searches = store.searches(enabled_only=True)
    for _, found in matched_by_queries(client, searches, candidates):
        matched |= found
    unmatched = [p for p in candidates if p not in matched]
    report.unmatched = len(unmatched)
    stored = {a.pmid: a for a in store.articles(unmatched)}
    missing = [p for p in unmatched if p not in stored]
    fetched = {a.pmid: a for batch in client.fetch_batches(missing) for a in batch}
    query_words = words_in(" ".join(s.query for s in searches))
    for pmid in unmatched:
        article = stored.get(pmid) or fetched.get(pmid)
        if article is None:
            continue
        report.judged += 1
        evidence = (store.evidence(pmid) if pmid in stored else None) or classify(article, profile)
        if evidence.relevance != "relevant":
            continue
        similar = tuple(sorted(near[pmid], key=lambda pair: -pair[1]))
        shared = shared_words(article, [sources[s] for s, _ in similar], query_words)
        report.missed.append(Missed(article, evidence.design, similar, shared, pmid in stored))
    report.requests = client.requests_made - before
    return report


def _text(article: Article) -> str:
    title = article.plain_title.removeprefix(SYNTHETIC_MARK)
    return " ".join([title, article.plain_abstract, *article.keywords, *article.mesh_terms])


def words_in(text: str) -> set[str]:
    """Words and two-word phrases of ``text`` (lower case, stopwords out)."""
    tokens = _WORD.findall(text.lower())
    kept = {t for t in tokens if len(t) > 3 and t not in STOPWORDS}
    pairs = {
        f"{a} {b}"
        for a, b in itertools.pairwise(tokens)
        if a not in STOPWORDS and b not in STOPWORDS and len(a) > 2 and len(b) > 2
    }
    return kept | pairs


def shared_words(
    article: Article, similar: Iterable[Article], query_words: set[str]
) -> tuple[str, ...]:
    """What the paper says that the papers it resembles say too and no query contains, most
    widely shared first, phrases before single words on a tie."""
    mine = words_in(_text(article))
    counts: Counter[str] = Counter()
    for other in similar:
        counts.update(mine & words_in(_text(other)))
    lacking = [w for w in counts if w not in query_words and not set(w.split()) <= query_words]
    lacking.sort(key=lambda w: (-counts[w], -len(w.split()), w))
    return tuple(lacking[:MAX_WORDS])
