"""The shortcuts taken for speed (issue 10) give exactly what the plain way gives.

Each test runs the fast path and a plain reference side by side over many texts made to be
awkward: phrases of the bundled profile with their case, spaces and hyphens changed, letters
the regex folds specially (İ ı ſ K), other dashes and spaces, brackets and stops. The golden
tests (test_golden.py) check the same on whole records; these find the corner a record lacks.
"""

from __future__ import annotations

import random
import re

import pytest

from watcher.evidence import extract, load_profile, samplesize, textcues
from watcher.evidence.classify import _SHARE_TREATED, alias_pattern
from watcher.evidence.clauses import _BREAK, _sentence_end, clause_spans
from watcher.evidence.phrasefind import PhraseIndex, fold, part_of, phrase_key
from watcher.evidence.textcues import (
    CueGroup,
    CueSet,
    Segment,
    Segments,
    compile_phrases,
    folded,
    holds_any,
)
from watcher.markup import _walk, clean_text, fragment_text, safe_fragment

NOISE = ["İ", "ı", "ſ", "K", "\u00a0", "–", "‐", "-", " ", "  ", "\n", "(", ")", ";", ",", "."]
SPECIAL = {"i": "İı", "s": "ſ", "k": "K"}
WORDS = ["patients", "the", "and", "but", "Mild", "MILD", "no", "were", "12", "%", "of"]


def all_cue_sets() -> list[CueSet]:
    profile = load_profile()
    found: list[CueSet] = []

    def walk(value: object) -> None:
        if isinstance(value, CueSet):
            found.append(value)
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                walk(getattr(value, name))

    walk(profile)
    return found


def reference_spans(cues: CueSet, text: str) -> list[tuple[int, int]]:
    """CueSet.spans as it was: every pattern run over the whole text with finditer."""
    loose = compile_phrases(cues.phrases)
    exact = compile_phrases(cues.case_sensitive, case_sensitive=True)
    unless = compile_phrases(cues.unless)
    found = [m.span() for m in loose.finditer(text)] if loose else []
    letters = [c for c in text if c.isalpha()]
    upper = len(letters) > 20 and sum(c.isupper() for c in letters) > 0.6 * len(letters)
    if exact and not upper:
        found += [m.span() for m in exact.finditer(text)]
    if unless and found:
        blocked = [m.span() for m in unless.finditer(text)]
        found = [s for s in found if not any(s[0] < b[1] and b[0] < s[1] for b in blocked)]
    return sorted(set(found))


def garble(phrase: str, rng: random.Random) -> str:
    """A phrase as a text might spell it: case changed, spaces and hyphens varied, noise."""
    out = []
    for char in phrase.replace("*", "").replace(" ... ", " and the "):
        if char in " -":
            out.append(rng.choice(["", " ", "-", "–", "\u00a0", "  ", "‐"]))
        elif char.lower() in SPECIAL and rng.random() < 0.1:
            out.append(rng.choice(SPECIAL[char.lower()]))  # what IGNORECASE also matches
        elif char.isalpha() and rng.random() < 0.3:
            out.append(char.swapcase())
        else:
            out.append(char)
        if rng.random() < 0.02:
            out.append(rng.choice(NOISE))
    return "".join(out)


def texts(cues: list[CueSet], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    phrases = [p for c in cues for p in (*c.phrases, *c.case_sensitive, *c.unless)]
    made = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 8)):
            roll = rng.random()
            if roll < 0.5:
                parts.append(garble(rng.choice(phrases), rng))
            elif roll < 0.8:
                parts.append(rng.choice(WORDS))
            else:
                parts.append(rng.choice(NOISE))
        text = " ".join(parts)
        made.append(text.upper() if rng.random() < 0.1 else text)
    return made


def test_every_cue_set_finds_what_finditer_finds() -> None:
    cues = all_cue_sets()
    assert len(cues) > 60
    checked = 0
    for text in texts(cues, 1500, seed=10):
        for cue in cues:
            assert cue.spans(text) == reference_spans(cue, text), (cue.phrases[:3], text)
            checked += bool(cue.spans(text))
    assert checked > 1000  # most texts hold several phrases: the test is not about misses


def test_segments_asked_together_answer_as_each_segment_does() -> None:
    """``Segments`` skips a cue set none of whose phrases can start in any of them; every set
    finds the same matches, and the same first one, as over the segments one by one."""
    cues = all_cue_sets()
    made = texts(cues, 600, seed=11)
    rng = random.Random(12)
    skipped = 0
    for start in range(0, len(made), 3):
        plain = [
            Segment(rng.choice(["title", "abstract", "mesh"]), t) for t in made[start : start + 3]
        ]
        together = Segments(plain)
        for cue in cues:
            assert cue.matches(together) == cue.matches(plain)
            assert cue.first(together) == cue.first(plain)
            skipped += not together.may_hold(cue._finders)
    assert skipped > 1000  # most sets are skipped somewhere: the shortcut is tested


def test_all_capitals_is_judged_as_before() -> None:
    """The byte count for ASCII texts says what counting str.isalpha/isupper said."""

    def reference(text: str) -> bool:
        letters = list(filter(str.isalpha, text))
        return len(letters) > 20 and sum(map(str.isupper, letters)) > 0.6 * len(letters)

    rng = random.Random(13)
    made = texts(all_cue_sets(), 400, seed=14)
    made += ["".join(rng.choice("aB1 .ÉéK") for _ in range(rng.randint(0, 60))) for _ in range(400)]
    made += [t.upper() for t in made[:200]]
    assert sum(map(reference, made)) > 100  # both answers are tested
    for text in made:
        assert textcues._mostly_upper(text) == reference(text), text


def test_the_split_separator_matches_what_one_class_matched() -> None:
    """Phrase patterns write a separator as two classes (cheaper to compile); with the single
    class they had before, every list of the profile finds the same spans in the same texts."""
    cues = all_cue_sets()
    lists = [(c.phrases, False) for c in cues] + [(c.case_sensitive, True) for c in cues]
    lists += [(c.unless, False) for c in cues]
    pairs = []
    for phrases, case_sensitive in lists:
        split = compile_phrases(phrases, case_sensitive=case_sensitive)
        if split is not None:
            assert textcues.SEPARATOR_RUN in split.pattern or " " not in "".join(phrases)
            one = split.pattern.replace(textcues.SEPARATOR_RUN, "[\\s\\-‐–]*")
            pairs.append((split, re.compile(one, split.flags)))
    found = 0
    for text in texts(cues, 800, seed=12):
        for split, one in pairs:
            spans = [m.span() for m in split.finditer(text)]
            assert spans == [m.span() for m in one.finditer(text)], (one.pattern[:60], text)
            found += bool(spans)
    assert found > 1000


def test_a_cue_set_without_a_profile_has_an_index_of_its_own() -> None:
    cues = CueSet(phrases=("long term", "fluoroscop*"), case_sensitive=("MILD",))
    text = "Long-term results; FLUOROSCOPY-guided mild MILD longterm"
    assert cue_text(cues, text) == ["Long-term", "FLUOROSCOPY", "MILD", "longterm"]
    assert cues.spans(text) == reference_spans(cues, text)


def test_a_cue_set_compiles_its_pattern_only_when_a_text_needs_it() -> None:
    """Loading a profile compiles nothing; a text where none of a list's phrases can start
    leaves that list uncompiled, and a text with one compiles it and finds it."""
    cues = CueSet(phrases=("long term", "fluoroscop*"), unless=("no long term",))
    finders = (cues._finders.loose, cues._finders.unless)
    assert all(f is not None and f._pattern is None for f in finders)
    assert cues.spans("Short-term results only.") == []
    assert all(f is not None and f._pattern is None for f in finders)
    assert cue_text(cues, "Long-term results.") == ["Long-term"]
    assert cues._finders.loose is not None and cues._finders.loose._pattern is not None


def test_a_key_inside_a_word_is_no_place_to_try() -> None:
    """A phrase that starts with a letter cannot start inside a word ("no" in "known"): a text
    holding its key only there leaves the list uncompiled, and a word that starts with it is
    still found (a separator may be left out)."""
    cues = CueSet(phrases=("no complications",))
    assert cues.spans("Stenosis was known; complications were rare.") == []
    assert cues._finders.loose is not None and cues._finders.loose._pattern is None
    text = "Known complications; nocomplications; no-complications"
    assert cue_text(cues, text) == ["nocomplications", "no-complications"]
    assert cues.spans(text) == reference_spans(cues, text)


def test_a_piece_cut_inside_a_word_finds_a_phrase_at_its_start() -> None:
    """A piece sees no character before its own start, so a phrase may start there (as
    finditer over the piece finds it) although the whole text has it inside a word."""
    cues = CueSet(phrases=("mild",))
    whole = "Unmild and mild."
    assert cue_text(cues, whole) == ["mild"]
    piece = part_of(whole, 2, len(whole))
    assert cues.spans(piece) == reference_spans(cues, str(piece)) == [(0, 4), (9, 13)]


def cue_text(cues: CueSet, text: str) -> list[str]:
    return [text[s:e] for s, e in cues.spans(text)]


@pytest.mark.parametrize(
    ("phrase", "key"),
    [
        ("long-term follow*", "longtermfollow"),
        ("systematic ... review*", "systematic"),
        ("mild®", "mild"),
        ("-free", None),
        ("Ødegård", None),
        ("(R) device", "(r)device"),
    ],
)
def test_phrase_keys(phrase: str, key: str | None) -> None:
    assert phrase_key(phrase) == key


def test_texts_the_keys_could_misjudge_are_scanned_whole() -> None:
    assert fold("Straße İstanbul") is None  # İ lower-cases to two characters
    assert fold("uſed") is None
    index = PhraseIndex()
    assert index.add(["-free"]) is None  # a phrase with no key: that list is scanned
    cues = CueSet(phrases=("used",), index=index)
    assert cues.spans("uſed and used") == [(0, 4), (9, 13)]


def reference_clauses(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """clause_spans as it was: every character looked at."""
    end = len(text) if end is None else end
    spans, begin, depth, position = [], start, 0, start
    while position < end:
        char = text[position]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            found = _BREAK.match(text, position, end)
            stop = position
            if not found and (found := _reference_sentence_end(text, position, end)):
                stop = position + 1
            if found and found.end() > position:
                if text[begin:stop].strip():
                    spans.append((begin, stop))
                begin = position = found.end()
                continue
        position += 1
    if text[begin:end].strip():
        spans.append((begin, end))
    return spans


def _reference_sentence_end(text: str, position: int, end: int) -> re.Match | None:
    found = re.compile(r"\.\s+(?=[A-Z])").match(text, position, end)
    if not found:
        return None
    word = re.search(r"([\w.]+)$", text[:position])
    token = word.group(1).lower() if word else ""
    return None if token in {"dr", "mr", "mrs", "ms", "prof", "vs", "al", "st", "fig", "no",
                             "e.g", "i.e"} or len(token) == 1 else found  # fmt: skip


def test_clauses_are_found_as_before() -> None:
    rng = random.Random(3)
    pieces = [*WORDS, ", and", ", but", " but ", " BUT ", " whereas ", ";", ":", "(", ")", "["]
    pieces += ["]", ". The", ". a", "Inc. The", "e.g. The", "\n", "  ", " x" * 30 + ". Then"]
    for _ in range(3000):
        text = "".join(
            rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(1, 25))
        )
        start = rng.randint(0, len(text))
        end = rng.choice([None, rng.randint(start, len(text))])
        assert clause_spans(text, start, end) == reference_clauses(text, start, end), text
    assert _sentence_end("a " + "x" * 60 + ". The", 62, 67) is not None


def test_a_clause_never_starts_right_after_a_word_character() -> None:
    """So a clause's phrase starts are among its sentence's, and a sentence no harm word can
    start in is passed over whole (harms.read_harms, CueGroup): a piece cut inside a word
    would see starts its sentence does not."""
    rng = random.Random(4)
    pieces = [*WORDS, ", and", ", but", " but ", " whereas ", ";", ":", "(", ")", ". The"]
    pieces += ["Inc. The", "e.g. The", ";x", ":y", ",and ", "\n", "  ", "–", "-"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(25))
        start = rng.randint(0, len(text))
        for begin, _ in clause_spans(text, start):
            assert begin == start or not (text[begin - 1].isalnum() or text[begin - 1] == "_")


def test_a_cue_group_passes_over_only_texts_where_none_of_its_sets_finds_anything() -> None:
    cues = all_cue_sets()
    group = CueGroup(cues[:12])
    passed = 0
    for text in texts(cues, 800, seed=15):
        if not group.may_hold(text):
            passed += 1
            assert all(c.spans(text) == [] for c in cues[:12]), text
    assert passed > 50
    assert CueGroup([*cues[:3], CueSet(phrases=("-free",))]).may_hold("nothing here")  # scanned


def test_a_defined_abbreviation_is_found_where_the_old_pattern_found_it() -> None:
    """The alias pattern looks for "mild" / "Mild" from its first letter, the word check
    second: the same spans as with the check first."""
    rng = random.Random(16)
    noise = [" ", "-", "_", ".", "(", ")", "x", "É", "é", "2", "\n", "–"]
    for alias in ["mild", "MILD", "pild", "iPLD", "m-d", "a®b", "x_1", "Ödem"[1:] + "a"]:
        spellings = {alias, alias[0].upper() + alias[1:]}
        old = re.compile(rf"(?<![\w-])(?:{'|'.join(map(re.escape, spellings))})(?![\w-])")
        new = alias_pattern(alias)
        for _ in range(400):
            words = [rng.choice([*spellings, alias.upper(), *noise]) for _ in range(12)]
            text = "".join(words)
            at = rng.randint(0, len(text))
            found = [m.span() for m in new.finditer(text, at)]
            assert found == [m.span() for m in old.finditer(text, at)], (alias, text, at)


def test_plain_markup_is_read_as_the_html_parser_reads_it() -> None:
    """Text without tags, with entities or not (good, bad, partial, unterminated, out of
    range): the shortcuts give what the HTML parser's walk gives."""
    rng = random.Random(5)
    alphabet = ["a", "B", " ", "  ", "\t", "\n", "\u00a0", "é", "e\u0301", ">", "'", '"', "ß", "x"]
    alphabet += ["&", ";", "#", "amp", "&amp;", "&lt;", "&#233;", "&#x2013;", "&#0;", "&#xD800;"]
    alphabet += ["&nbsp;", "&notin", "&not", "&copy", "&#65", "&#x41", "&bogus;", "&#99999999;"]
    for _ in range(6000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        for unknown in ("drop", "show"):
            walked = _walk(text, unknown)
            assert safe_fragment(text, unknown_tags=unknown) == "".join(walked.html).strip()
            assert fragment_text(text, unknown_tags=unknown) == clean_text("".join(walked.text))


# --- the cheap pre-checks in front of costly patterns ------------------------------------------

GATE_PIECES = [
    "4 patİents",
    "5 PATıENTS",
    "6 ſubjects",
    "7 caſes",
    "3 PERſONS",
    "2 weeKs",
    "8 daYs",
    "9 YEARſ",
    "ſeventy patients",
    "12 Were treated",
    "40 were randomized",
    "Twelve had been treated",
    "75 WERE enrolled",
    "12 spacer and 14 injection patients",
    "9 mild or 11 ESI participants",
    "(n = 40)",
    "N=1,013",
    "6 weeks",
    "at 2 years",
    "40% received",
    *WORDS,
    "12",
    "1,013",
    "6.4",
    "two",
    "Seventy-five",
    "one hundred and",
    "a",
    "n =",
    "N=",
    "= 40",
    "=",
    "were",
    "WERE",
    "had been",
    "HAD  been",
    "randomized",
    "treated",
    "enrolled",
    "patients",
    "PATIENTS",
    "cases",
    "women",
    "abdomen",
    "men",
    "treatment",
    "veterans",
    "month",
    "MONTHS",
    "mo",
    "more",
    "wk",
    "w\u212a",
    "weeks",
    "day",
    "DAYS",
    "yr",
    "YEARS",
    "decade",
    "year-old",
    "%",
    "40%",
    "received",
    "underwent",
    "-",
    "–",
    ",",
    ";",
    ".",
    "(",
    ")",
    "İ",
    "ı",
    "ſ",
    "\u00a0",
    "follow-up",
    "at",
    "and",
    "or",
    "vs",
    "mild",
    "injection",
]


def gate_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        words = [rng.choice(GATE_PIECES) for _ in range(rng.randint(1, 14))]
        text = "".join(w + rng.choice([" ", " ", "", "-"]) for w in words)
        made.append(text.upper() if rng.random() < 0.1 else text)
    return made


def test_a_pre_check_skips_a_pattern_only_where_it_cannot_match() -> None:
    """Each gate is exact: when it says no, its pattern finds nothing in the same text (so a
    reader that skips the pattern there gives what running it would)."""

    gates = [
        (lambda t: holds_any(folded(t), extract.UNIT_WORDS), extract._DURATION),
        (lambda t: holds_any(folded(t), samplesize.PEOPLE_WORDS), samplesize._COUNT_NOUN),
        (lambda t: holds_any(folded(t), samplesize.PEOPLE_WORDS), samplesize._PAIRED),
        (lambda t: "=" in t, samplesize._COUNT_N),
        (lambda t: holds_any(folded(t), samplesize.VERB_WORDS), samplesize._COUNT_VERB),
        (lambda t: "%" in t, _SHARE_TREATED),
    ]
    matched = [0] * len(gates)
    skipped = [0] * len(gates)
    for text in gate_texts(6000, seed=11):
        for i, (gate, pattern) in enumerate(gates):
            if gate(text):
                matched[i] += pattern.search(text) is not None
            else:
                skipped[i] += 1
                assert pattern.search(text) is None, (pattern.pattern[:40], text)
    assert min(matched) > 50 and min(skipped) > 500  # both sides of every gate were tried


NUMBER_PIECES = ["٣ patients", "１２ months", "none", "NONE", "done", "A year", "a MONTH", "ſix"]
NUMBER_PIECES += ["ſeventeen weeks", "eİght", "fİfteen", "Fifty-two", "twenty one", "a.", "2a"]


def test_count_and_duration_patterns_tried_at_the_numbers_find_what_finditer_finds() -> None:
    """The count and duration patterns are tried only where number_starts says a number (or,
    for durations, an "a") can stand: the same matches, groups and all, as scanning."""
    rng = random.Random(17)
    numbers_only = (
        samplesize._COUNT_NOUN,
        samplesize._COUNT_VERB,
        samplesize._PAIRED,
        extract._DURATION,
    )
    found = 0
    for text in gate_texts(5000, seed=13):
        if rng.random() < 0.3:
            text = f"{text} {rng.choice(NUMBER_PIECES)} {rng.choice(GATE_PIECES)}"
        numbers, articles = extract.number_starts(text)
        for pattern in numbers_only:
            starts = sorted(numbers + articles) if pattern is extract._DURATION else numbers
            fast = [(m.span(), m.groupdict()) for m in extract.anchored(pattern, text, starts)]
            assert fast == [(m.span(), m.groupdict()) for m in pattern.finditer(text)], text
            found += len(fast)
    assert found > 2000
    assert extract.number_starts("٣ and １２ or none")[0] == (0, 6, 13)
    assert extract.number_starts("a\u3000year, A\tweek, data month")[1] == (0, 8, 19)
    assert not any(chr(c).isspace() for c in range(0x3001, 0x110000))  # what the keys assume


def test_the_veto_gate_skips_the_pattern_only_where_it_cannot_match() -> None:
    pieces = [*GATE_PIECES, "planned", "PLANNED", "wİll", "is ongoing", "to be reported"]
    pieces += ["to  be reported", "markovian", "Simulations", "are needed", "is required"]
    pieces += ["warranted", "lacking", "scheduled", "futures", "shoulder", "willing", "horizon"]
    rng = random.Random(19)
    hits = skipped = 0
    for _ in range(6000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        if holds_any(folded(text), extract.VETO_WORDS):
            hits += extract._SENTENCE_VETO.search(text) is not None
        else:
            skipped += 1
            assert extract._SENTENCE_VETO.search(text) is None, text
    assert hits > 500 and skipped > 500


def reference_sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """textcues.sentence_spans as it was: the word before each stop searched in the whole
    sentence so far."""
    spans, start = [], 0
    for found in re.finditer(r"[.!?](?=\s+[\"'(\[]?[A-Z0-9])", text):
        word = re.search(r"([\w.]*)$", text[start : found.start()])
        token = word.group(1).lower() if word else ""
        if token in textcues._ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", token):
            continue
        spans.append((start, found.end()))
        start = found.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((start, len(text)))
    return tuple(spans)


def test_sentences_are_split_as_before() -> None:
    rng = random.Random(29)
    pieces = [*WORDS, "vs.", "et al.", "U.S.", "e.g.", "Dr.", "3.5", "A.", "The", "(The", "\n"]
    pieces += ["x" * 45, "y" * 39 + ".", "Inc.", "ſ.", "İ.", "a\n.", ". ", "! ", "? ", "12."]
    for _ in range(4000):
        text = "".join(p + rng.choice([" ", " ", "", "  "]) for p in rng.choices(pieces, k=20))
        assert textcues.sentence_spans.__wrapped__(text) == reference_sentence_spans(text), text
