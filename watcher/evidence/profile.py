"""Topic profiles: the vocabulary the evidence classifier reads, kept in a TOML file a librarian
can edit (``mild.toml`` is the bundled default).

Only the classifier's own sections are read and validated here (``[relevance]``, ``[design]``,
``[followup]``, ``[questions.*]``, ``[comparators.*]``, ``[outcomes.*]``, ``[complications]``,
``[harms.*]``, ``[sponsorship.*]``, ``[against.*]``);
``[profile]`` gives the name and version, and ``[[searches]]`` belongs to ``watcher.searches``.
Every mistake is a :class:`~watcher.errors.ConfigError` naming the file, the key and, where it
can be found, the line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watcher.errors import ConfigError
from watcher.evidence.against import AgainstLexicon
from watcher.evidence.harms import HarmLexicon
from watcher.evidence.phrasefind import PhraseIndex
from watcher.evidence.sponsorship import SponsorshipLexicon
from watcher.evidence.textcues import CueSet
from watcher.tomlfile import TomlFile
from watcher.vocabulary import DESIGNS, HARM_KINDS, LEVELS, QUESTIONS

_CUE_KEYS = frozenset({"phrases", "case_sensitive", "unless"})


def default_profile_path() -> Path:
    """The bundled MILD profile (found next to this module, in a checkout or an installed wheel)."""
    return Path(__file__).with_name("mild.toml")


@dataclass(frozen=True)
class RelevanceLexicon:
    """What makes an article about the MILD procedure itself (see mild.toml for the scoring)."""

    names: CueSet  # unambiguous names of the procedure
    ambiguous_names: CueSet  # names others use too (e.g. "MILD" for tubular surgery)
    generic_names: CueSet  # "minimally invasive lumbar decompression": needs context
    context: CueSet  # how MILD is done: percutaneous, fluoroscopy, ligamentum flavum...
    topic: CueSet  # what it treats: without one, ambiguous and generic names count nothing
    near_miss: CueSet  # how other operations are done: endoscope, tubular retractor...
    collisions: CueSet  # "mild" as an adjective: mild cognitive impairment...
    notices: CueSet  # errata, retraction notices: about an article, not evidence themselves
    background_sections: tuple[str, ...]  # names found only here count half
    relevant_at: float
    uncertain_at: float


@dataclass(frozen=True)
class DesignLexicon:
    """Study design from publication types first, then the authors' own words."""

    publication_types: tuple[tuple[str, str], ...]  # decisive PubMed type → design
    weak_publication_types: tuple[tuple[str, str], ...]  # used when the text is silent
    cues: tuple[tuple[str, CueSet], ...]  # design → wording, most specific design first
    design_sections: tuple[str, ...]  # abstract labels that state the design
    objective_sections: tuple[str, ...]
    methods_sections: tuple[str, ...]
    other_studies: CueSet  # a sentence about other studies ("previous trials showed")
    this_study: CueSet  # ... unless it names this one ("this review", "the present study")
    inferred: tuple[tuple[str, CueSet], ...]  # no design word: what was done → design
    treated_patients: CueSet  # a count of treated patients: a case series ...
    compared_groups: CueSet  # ... or, with groups compared, a retrospective cohort
    levels: tuple[tuple[str, str], ...]
    reviews_of_rcts: CueSet  # a review of randomised trials only → Level I


@dataclass(frozen=True)
class Profile:
    """A topic profile, validated; build it with :func:`load_profile`."""

    name: str
    version: str
    description: str
    path: str
    relevance: RelevanceLexicon
    design: DesignLexicon
    no_followup_designs: tuple[str, ...]
    long_term_months: float
    model_words: CueSet  # an economic model: its durations are horizons, not follow-up
    protocol_titles: CueSet  # a title announcing a study protocol: nothing measured yet
    protocol_plans: CueSet  # the whole study still to be done ("will be randomized")
    questions: tuple[tuple[str, CueSet], ...]
    question_skips: tuple[tuple[str, CueSet], ...]  # sentences that cannot answer a question
    safety_other_treatments: CueSet
    comparison_controls: CueSet
    comparators: tuple[tuple[str, CueSet], ...]
    outcomes: tuple[tuple[str, CueSet], ...]
    complications: CueSet
    harms: HarmLexicon
    sponsorship: SponsorshipLexicon
    against: AgainstLexicon

    def question(self, key: str) -> CueSet:
        return dict(self.questions)[key]

    def question_skip(self, key: str) -> CueSet:
        return dict(self.question_skips)[key]

    def level_for(self, design: str) -> str | None:
        return dict(self.design.levels).get(design)


class _Reader:
    """Typed access to the parsed TOML, raising ConfigError ``file:line: key: problem``."""

    def __init__(self, file: TomlFile) -> None:
        self.file, self.path, self.data = file, file.path, file.data
        self.index = PhraseIndex()  # every cue set of the profile finds its phrases in one pass

    def fail(self, dotted: str, problem: str) -> ConfigError:
        return self.file.key_error(dotted, problem)

    def table(self, dotted: str, *, keys: frozenset[str] | None = None) -> dict[str, Any]:
        """A table; with ``keys``, its plain (non-table) keys must be among them."""
        node: Any = self.data
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise self.fail(dotted, f"missing table; add a [{dotted}] section (see mild.toml)")
        plain = {k for k, v in node.items() if not isinstance(v, dict)}
        unknown = sorted(plain - keys) if keys is not None else []
        if unknown:
            raise self.fail(f"{dotted}.{unknown[0]}", f"unknown key; use {', '.join(sorted(keys))}")
        return node

    def strings(self, table: dict[str, Any], dotted: str, key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{dotted}.{key}", 'must be a list of non-empty strings: ["a", "b"]')
        return tuple(value)

    def number(self, table: dict[str, Any], dotted: str, key: str, lo: float, hi: float) -> float:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise self.fail(f"{dotted}.{key}", f"must be a number from {lo} to {hi}")
        return float(value)

    def design_key(self, value: Any, dotted: str) -> str:
        if value not in DESIGNS:
            raise self.fail(dotted, f"unknown design {value!r}; use one of {', '.join(DESIGNS)}")
        return value

    def cues(self, dotted: str, *, extra: frozenset[str] = frozenset()) -> CueSet:
        table = self.table(dotted)
        unknown = sorted(set(table) - _CUE_KEYS - extra)
        if unknown:
            raise self.fail(
                f"{dotted}.{unknown[0]}", "unknown key; use phrases, case_sensitive, unless"
            )
        cues = CueSet(
            phrases=self.strings(table, dotted, "phrases"),
            case_sensitive=self.strings(table, dotted, "case_sensitive"),
            unless=self.strings(table, dotted, "unless"),
            index=self.index,
        )
        if not cues:
            raise self.fail(f"{dotted}.phrases", "no phrases; give at least one")
        return cues

    def optional_cues(self, dotted: str) -> CueSet:
        """A cue table added in a later profile version: a profile written before it still
        loads, without that rule (an empty CueSet matches nothing)."""
        node: Any = self.data
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return self.cues(dotted) if node is not None else CueSet(index=self.index)

    def cue_tables(self, dotted: str) -> tuple[tuple[str, CueSet], ...]:
        return tuple((key, self.cues(f"{dotted}.{key}")) for key in self.table(dotted))


def load_profile(path: Path | None = None) -> Profile:
    """Read and validate a topic profile; ``None`` means the bundled ``mild.toml``."""
    path = Path(path) if path is not None else default_profile_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"topic profile {path} not found; give an existing .toml file or leave it out to "
            "use the bundled profile"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the topic profile: {exc}") from None
    try:
        file = TomlFile.parse(text, path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _build(_Reader(file))


_FOLLOWUP_KEYS = frozenset(
    {"not_for_designs", "long_term_months", "model_words", "protocol_titles", "protocol_plans"}
)


def _build(r: _Reader) -> Profile:
    meta = r.table("profile", keys=frozenset({"name", "version", "description"}))
    for key in ("name", "version"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise r.fail(f"profile.{key}", 'must be a non-empty string, e.g. version = "1"')
    followup = r.table("followup", keys=_FOLLOWUP_KEYS)
    return Profile(
        name=meta["name"],
        version=meta["version"],
        description=str(meta.get("description", "")),
        path=str(r.path),
        relevance=_relevance(r),
        design=_design(r),
        no_followup_designs=tuple(
            r.design_key(d, "followup.not_for_designs")
            for d in r.strings(followup, "followup", "not_for_designs")
        ),
        long_term_months=r.number(followup, "followup", "long_term_months", 1, 600),
        model_words=CueSet(r.strings(followup, "followup", "model_words"), index=r.index),
        protocol_titles=CueSet(r.strings(followup, "followup", "protocol_titles"), index=r.index),
        protocol_plans=CueSet(r.strings(followup, "followup", "protocol_plans"), index=r.index),
        questions=_questions(r),
        question_skips=tuple(
            (key, _strings_cues(r, f"questions.{key}", "skip_sentences")) for key in QUESTIONS
        ),
        safety_other_treatments=_strings_cues(r, "questions.safety", "other_treatments"),
        comparison_controls=_strings_cues(r, "questions.comparative", "controls"),
        comparators=r.cue_tables("comparators"),
        outcomes=r.cue_tables("outcomes"),
        complications=r.cues("complications"),
        harms=_harms(r),
        sponsorship=_sponsorship(r),
        against=_against(r),
    )


def _strings_cues(r: _Reader, dotted: str, key: str) -> CueSet:
    """An extra phrase list inside a cue table (e.g. [questions.safety] other_treatments)."""
    return CueSet(r.strings(r.table(dotted), dotted, key), index=r.index)


def _relevance(r: _Reader) -> RelevanceLexicon:
    table = r.table(
        "relevance", keys=frozenset({"relevant_at", "uncertain_at", "background_sections"})
    )
    relevant_at = r.number(table, "relevance", "relevant_at", 0, 1)
    uncertain_at = r.number(table, "relevance", "uncertain_at", 0, 1)
    if uncertain_at > relevant_at:
        raise r.fail("relevance.uncertain_at", "must not be above relevant_at")
    return RelevanceLexicon(
        names=r.cues("relevance.names"),
        ambiguous_names=r.cues("relevance.ambiguous_names"),
        generic_names=r.cues("relevance.generic_names"),
        context=r.cues("relevance.context"),
        topic=r.optional_cues("relevance.topic"),
        near_miss=r.cues("relevance.near_miss"),
        collisions=r.cues("relevance.collisions"),
        notices=r.cues("relevance.notices"),
        background_sections=_sections(r, table, "relevance", "background_sections"),
        relevant_at=relevant_at,
        uncertain_at=uncertain_at,
    )


def _design(r: _Reader) -> DesignLexicon:
    sections = {"design_sections", "objective_sections", "methods_sections"}
    table = r.table("design", keys=frozenset({*sections, "cues", "inferred"}))

    def mapping(name: str) -> tuple[tuple[str, str], ...]:
        pairs = r.table(f"design.{name}").items()
        return tuple((pt, r.design_key(d, f"design.{name}.{pt}")) for pt, d in pairs)

    levels = tuple(r.table("design.levels").items())
    for design, level in levels:
        r.design_key(design, f"design.levels.{design}")
        if level not in LEVELS:
            raise r.fail(f"design.levels.{design}", f"level must be one of {', '.join(LEVELS)}")
    labels = {key: _sections(r, table, "design", key) for key in sections}
    return DesignLexicon(
        publication_types=mapping("publication_types"),
        weak_publication_types=mapping("weak_publication_types"),
        cues=_design_cues(r, table, "cues"),
        design_sections=labels["design_sections"],
        objective_sections=labels["objective_sections"],
        methods_sections=labels["methods_sections"],
        other_studies=r.cues("design.other_studies"),
        this_study=r.optional_cues("design.this_study"),
        inferred=_design_cues(r, table, "inferred", required=False),
        treated_patients=r.optional_cues("design.treated_patients"),
        compared_groups=r.optional_cues("design.compared_groups"),
        levels=levels,
        reviews_of_rcts=r.cues("design.reviews_of_rcts"),
    )


def _design_cues(
    r: _Reader, table: dict[str, Any], key: str, *, required: bool = True
) -> tuple[tuple[str, CueSet], ...]:
    """[[design.cues]] or [[design.inferred]] (optional): design + phrases, in order."""
    cues = []
    entries = table.get(key)
    if entries is None and not required:
        return ()
    if not isinstance(entries, list) or not entries:
        raise r.fail(f"design.{key}", f"missing; add [[design.{key}]] entries (design + phrases)")
    for number, entry in enumerate(entries, start=1):
        where = f"design.{key}[{number}]"
        if not isinstance(entry, dict) or "design" not in entry:
            raise r.fail(f"{where}.design", f'each [[design.{key}]] needs design = "..."')
        unknown = sorted(set(entry) - _CUE_KEYS - {"design"})
        if unknown:
            raise r.fail(
                f"{where}.{unknown[0]}", "unknown key; use design, phrases, case_sensitive, unless"
            )
        cues.append(
            (
                r.design_key(entry["design"], f"{where}.design"),
                CueSet(
                    r.strings(entry, where, "phrases"),
                    r.strings(entry, where, "case_sensitive"),
                    r.strings(entry, where, "unless"),
                    index=r.index,
                ),
            )
        )
    return tuple(cues)


def _questions(r: _Reader) -> tuple[tuple[str, CueSet], ...]:
    table = r.table("questions")
    unknown = sorted(set(table) - set(QUESTIONS))
    if unknown:
        raise r.fail(
            f"questions.{unknown[0]}", f"unknown question; the questions are {', '.join(QUESTIONS)}"
        )
    extras = {"safety": {"other_treatments"}, "comparative": {"controls"}}
    return tuple(
        (key, r.cues(f"questions.{key}", extra=frozenset({"skip_sentences", *extras.get(key, ())})))
        for key in QUESTIONS
    )


def _harms(r: _Reader) -> HarmLexicon:
    keys = frozenset({"skip_sentences", "methods_wording", "unrelated", "skip_sections"})
    table = r.table("harms", keys=keys)
    kinds = r.table("harms.kinds")
    if tuple(kinds) != HARM_KINDS:
        raise r.fail(
            "harms.kinds", f"needs exactly these kinds, in this order: {', '.join(HARM_KINDS)}"
        )
    return HarmLexicon(
        kinds=tuple((key, r.cues(f"harms.kinds.{key}")) for key in HARM_KINDS),
        unspecified=r.cues("harms.unspecified"),
        skip=CueSet(r.strings(table, "harms", "skip_sentences"), index=r.index),
        methods=CueSet(r.strings(table, "harms", "methods_wording"), index=r.index),
        unrelated=CueSet(r.strings(table, "harms", "unrelated"), index=r.index),
        serious=r.cues("harms.serious"),
        minor=r.cues("harms.minor"),
        surgery=r.cues("harms.surgery"),
        no_surgery=r.cues("harms.no_surgery"),
        skip_sections=_sections(r, table, "harms", "skip_sections"),
    )


def _sections(r: _Reader, table: dict[str, Any], dotted: str, key: str) -> tuple[str, ...]:
    return tuple(s.upper() for s in r.strings(table, dotted, key))


def _sponsorship(r: _Reader) -> SponsorshipLexicon:
    table = r.table("sponsorship", keys=frozenset({"disclosure_sections"}))
    return SponsorshipLexicon(
        makers=r.cues("sponsorship.makers"),
        companies=r.cues("sponsorship.companies"),
        ties=r.cues("sponsorship.ties"),
        funding=r.cues("sponsorship.funding"),
        no_conflicts=r.cues("sponsorship.no_conflicts"),
        no_funding=r.cues("sponsorship.no_funding"),
        public=r.cues("sponsorship.public"),
        statements=r.cues("sponsorship.statements"),
        disclosure_sections=_sections(r, table, "sponsorship", "disclosure_sections"),
    )


def _against(r: _Reader) -> AgainstLexicon:
    table = r.table("against", keys=frozenset({"high_reoperation_percent"}))
    return AgainstLexicon(
        high_reoperation_percent=r.number(table, "against", "high_reoperation_percent", 0, 100),
        no_decompression=r.cues("against.no_decompression"),
        skip_sections=_sections(r, r.table("harms"), "harms", "skip_sections"),
    )
