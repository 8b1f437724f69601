"""The evidence classifier: ``Article`` → ``Evidence``, pure and versioned, every tag with the
words behind it; its vocabulary in a topic profile a librarian edits (``mild.toml``).

    classify.py   the rules: relevance, questions, findings' tags; the Evidence record
    design.py     study design and level: publication types, the authors' words, inference
    extract.py    longest follow-up, and the numbers and durations it reads
    samplesize.py sample size: counts of patients, arms, parts of the sample
    findings.py   comparators, complications, reoperations; cue matching and ranking
    harms.py      harms as events (kind, count, seriousness, surgery) and absence statements
    sponsorship.py  who paid: industry, independent or not stated (CoiStatement, GrantList)
    against.py    findings against the procedure (serious harm, high reoperation rate, imaging)
    clauses.py    clauses, negation and stated counts, for the three above
    textcues.py   segments, sentences, snippets, phrase cues (``CueSet``)
    profile.py    the topic profile (TOML) → a validated ``Profile``
    mild.toml     the bundled profile: default searches and the MILD vocabulary

It reads only the shared foundation (records, vocabulary, errors, markup, tomlfile): the store
and the digests use ``watcher.records.Evidence`` and ``watcher.vocabulary``, never this package.
"""

from watcher.evidence.classify import CLASSIFIER_VERSION, article_segments, classify
from watcher.evidence.profile import Profile, default_profile_path, load_profile

__all__ = [
    "CLASSIFIER_VERSION",
    "Profile",
    "article_segments",
    "classify",
    "default_profile_path",
    "load_profile",
]
