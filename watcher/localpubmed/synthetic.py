"""Any number of synthetic PubMed records, deterministically, for benchmarks and tests.

Every record says it is synthetic where a reader sees it (a "[SYNTHETIC] " title, invented
journals and authors, DOIs under 10.99999/synthetic., PMIDs PubMed has not reached), while its
text reads like a real abstract so that the search, the evidence classifier and the digest are
exercised honestly. :mod:`~watcher.localpubmed.synthetic_xml` renders the records in exactly
the shape of NCBI's efetch XML (it also rendered the bundled sample, ``sample/``).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

from watcher.errors import MildwatchError
from watcher.localpubmed.synthetic_xml import (
    TITLE_PREFIX,
    Author,
    Journal,
    SyntheticRecord,
    document,
    render_article,
)
from watcher.vocabulary import NUMBER_TENS, NUMBER_UNITS

DOI_PREFIX = "10.99999/synthetic."

JOURNALS = {
    "spine": Journal("Synthetic Journal of Spine Interventions", "Synth J Spine Interv",
                     "9999-0101", "999000101"),
    "pain": Journal("Synthetic Pain Medicine Reports", "Synth Pain Med Rep", "9999-0102",
                    "999000102"),
    "radiology": Journal("Synthetic Radiology and Intervention", "Synth Radiol Interv",
                         "9999-0103", "999000103", "England"),
    "surgery": Journal("Synthetic Neurosurgery Letters", "Synth Neurosurg Lett", "9999-0104",
                       "999000104", "Switzerland"),
    "economics": Journal("Synthetic Health Economics in Surgery", "Synth Health Econ Surg",
                         "9999-0105", "999000105"),
    "cognition": Journal("Synthetic Journal of Cognitive Aging", "Synth J Cogn Aging",
                         "9999-0106", "999000106", "Netherlands"),
    "trauma": Journal("Synthetic Brain Injury Research", "Synth Brain Inj Res", "9999-0107",
                      "999000107", "England"),
}  # fmt: skip
_LAST = ("Müller", "Ødegård", "García-López", "Okonkwo", "Lindqvist", "Kowalczyk", "Ibáñez",
         "Novák", "Yılmaz", "Þórsdóttir", "Dubois-Lefèvre", "Achterberg", "Halvorsen",
         "Nakashima", "Brennan", "Quiroga", "Zielińska", "Amadou", "Petrović",
         "Saarinen")  # fmt: skip
_FORE = ("Ingrid", "Tomasz", "Ana María", "Chidi", "Lars", "Éloïse", "Jonas", "Mehmet",
         "Sigrún", "Jean-Luc", "Priya", "Kenji", "Rafael", "Aoife", "Dmitri",
         "Wen")  # fmt: skip
_PLACES = (
    "Department of Pain Medicine, Example University Hospital, Springfield, USA.",
    "Spine Unit, Synthetic Medical College, Northbridge, United Kingdom.",
    "Department of Radiology, Placeholder General Hospital, Lakeside, Canada.",
    "Department of Neurosurgery, Imaginary University Hospital, Riverton, Norway.",
)
_MILD_NAMES = ("Minimally invasive lumbar decompression", "The mild® procedure",
               "Percutaneous image-guided lumbar decompression")  # fmt: skip
_SPINE_MESH = ("Aged", "Humans", "Lumbar Vertebrae/surgery", "Spinal Stenosis/surgery*",
               "Treatment Outcome")  # fmt: skip
_MILD_BACKGROUND = (
    "Hypertrophy of the ligamentum flavum is a major contributor to central canal stenosis. "
    "Minimally invasive lumbar decompression (mild) debulks the ligamentum flavum through a "
    "5-mm portal under fluoroscopic guidance."
)
# How a MILD abstract introduces the procedure: (background, abbreviation it defines, weight).
# Real abstracts use every name of the default search, so a generated corpus must too: else
# PubMed's rules (and the local server's) drop the unknown word PILD with a PhraseNotFound and
# the poller rightly fails the search. About a quarter of MILD records define "PILD", one in
# six says "percutaneous lumbar decompression" and "ligamentum flavum debulking".
_MILD_INTROS = (
    (_MILD_BACKGROUND, None, 7),
    ("Percutaneous image-guided lumbar decompression (PILD) removes hypertrophic ligamentum "
     "flavum through a 5-mm portal under fluoroscopic guidance, without implants.", "PILD", 3),
    ("Ligamentum flavum debulking relieves central canal stenosis when a hypertrophic ligament "
     "is its main cause. Percutaneous lumbar decompression (mild) achieves it through a 5-mm "
     "portal under fluoroscopic guidance.", None, 2),
)  # fmt: skip


class _Topic(NamedTuple):
    relevant: bool
    name: str
    condition: str
    comparator: str
    outcome: str
    journal: str
    mesh: tuple[str, ...]
    background: str


_TOPICS = {
    "mild": _Topic(True, "", "lumbar spinal stenosis with neurogenic claudication",
                   "epidural steroid injection", "the Oswestry Disability Index", "pain",
                   ("Decompression, Surgical/methods*", "Ligamentum Flavum/surgery",
                    *_SPINE_MESH), _MILD_BACKGROUND),
    "endoscopic": _Topic(False, "Full-endoscopic minimally invasive lumbar decompression",
                         "lateral recess stenosis", "microscopic decompression",
                         "the Oswestry Disability Index", "surgery",
                         ("Endoscopy/methods*", *_SPINE_MESH),
                         "Endoscopic techniques aim to limit muscle injury during decompression."),
    "tubular": _Topic(False, "Tubular minimally invasive lumbar decompression",
                      "degenerative lumbar spinal stenosis", "open laminectomy",
                      "the Oswestry Disability Index", "surgery",
                      ("Minimally Invasive Surgical Procedures*", *_SPINE_MESH),
                      "Unilateral tubular approaches allow bilateral decompression."),
    "laminectomy": _Topic(False, "Open decompressive laminectomy",
                          "mild to moderate lumbar spinal stenosis", "nonoperative care",
                          "the Zurich Claudication Questionnaire", "surgery",
                          ("Laminectomy*", *_SPINE_MESH),
                          "Percutaneous image-guided lumbar decompression has been proposed for "
                          "less severe stenosis, yet open laminectomy remains the reference."),
    "spacer": _Topic(False, "An interspinous process spacer",
                     "lumbar spinal stenosis with intermittent claudication",
                     "decompressive laminectomy", "the Zurich Claudication Questionnaire",
                     "spine", ("Prostheses and Implants*", *_SPINE_MESH),
                     "Interspinous spacers limit extension at the stenotic level."),
    "esi": _Topic(False, "Interlaminar epidural steroid injection", "lumbar spinal stenosis",
                  "lidocaine injection alone", "the Roland-Morris Disability Questionnaire",
                  "pain", ("Aged", "Glucocorticoids/administration & dosage*", "Humans",
                           "Injections, Epidural*", "Spinal Stenosis/drug therapy*"),
                  "Epidural corticosteroids are widely used for neurogenic claudication."),
    "mci": _Topic(False, "A multicomponent exercise programme", "mild cognitive impairment",
                  "health education", "the Montreal Cognitive Assessment", "cognition",
                  ("Aged", "Cognitive Dysfunction/therapy*", "Exercise Therapy*", "Humans"),
                  "Mild cognitive impairment often precedes dementia in older adults."),
    "mtbi": _Topic(False, "Early vestibular rehabilitation", "mild traumatic brain injury",
                   "usual care", "the Rivermead Post-Concussion Symptoms Questionnaire",
                   "trauma", ("Brain Concussion/rehabilitation*", "Humans",
                              "Post-Concussion Syndrome"),
                   "Persistent symptoms after mild traumatic brain injury delay return to work."),
}  # fmt: skip
# (topic, design, weight): about two thirds MILD, the rest near-misses a loose search catches
_KINDS = (("mild", "rct", 6), ("mild", "prospective_cohort", 12), ("mild", "case_report", 4),
          ("mild", "retrospective_cohort", 12), ("mild", "case_series", 6),
          ("mild", "systematic_review_meta_analysis", 3), ("mild", "narrative_review", 3),
          ("mild", "economic_analysis", 3), ("mild", "guideline_consensus", 2),
          ("endoscopic", "prospective_cohort", 3), ("tubular", "retrospective_cohort", 3),
          ("laminectomy", "rct", 3), ("spacer", "prospective_cohort", 3), ("esi", "rct", 3),
          ("mci", "rct", 4), ("mtbi", "prospective_cohort", 3))  # fmt: skip
_DESIGN_TYPES = {
    "rct": ("Journal Article", "Multicenter Study", "Randomized Controlled Trial"),
    "prospective_cohort": ("Journal Article", "Observational Study"),
    "case_report": ("Case Reports", "Journal Article"),
    "systematic_review_meta_analysis": ("Journal Article", "Meta-Analysis", "Review",
                                        "Systematic Review"),
    "narrative_review": ("Journal Article", "Review"),
    "guideline_consensus": ("Journal Article", "Practice Guideline"),
}  # fmt: skip
_HOW = {
    "rct": "This was a multicenter randomized controlled trial.",
    "prospective_cohort": "We conducted a prospective cohort study at three centers.",
    "retrospective_cohort": "We retrospectively reviewed a multicenter registry.",
    "case_series": "We report a consecutive case series from a single center.",
}


class _Draft(NamedTuple):
    title: str
    sections: list[tuple[str, str]]
    labels: dict[str, object]


def _words(n: int) -> str:
    tens, ones = divmod(n, 10)
    if n < 20:
        return NUMBER_UNITS[n]
    return NUMBER_TENS[tens - 2] + (f"-{NUMBER_UNITS[ones]}" if ones else "")


def _patients(n: int, rng: random.Random) -> str:
    """A sentence opening naming n patients, phrased the ways real abstracts phrase it."""
    forms = [f"A total of {n:,} patients", f"Consecutive patients (n = {n})"]
    return rng.choice(forms + ([f"{_words(n).capitalize()} patients"] if n < 100 else []))


def _span(months: int, rng: random.Random) -> tuple[str, str]:
    """(title phrase, text phrase) for a follow-up of ``months``."""
    years = months // 12
    if months % 12:
        return f"{months}-month", f"{months} months"
    return rng.choice([
        (f"{months}-month", f"{months} months"),
        (f"{_words(years).capitalize()}-year", f"{_words(years)} years"),
        (f"{years}-yr", f"{years} years"),
    ])  # fmt: skip


def _lower(name: str) -> str:
    return name[0].lower() + name[1:]


def _intro(t: _Topic, name: str, rng: random.Random) -> tuple[str, str]:
    """(background, how the text then calls the procedure): a MILD record's background is one
    of :data:`_MILD_INTROS`, and an abbreviation it defines is used in half of such records."""
    if not t.relevant:
        return t.background, _lower(name)
    weights = [weight for _, _, weight in _MILD_INTROS]
    background, abbreviation, _ = rng.choices(_MILD_INTROS, weights)[0]
    if abbreviation and rng.random() < 0.5:
        return background, abbreviation
    return background, _lower(name)


def _study(t: _Topic, design: str, rng: random.Random, year: int) -> _Draft:
    """An RCT, cohort or case series; the labels are read off the same random choices."""
    name = rng.choice(_MILD_NAMES) if t.relevant else t.name
    comparator = t.comparator
    if t.relevant and rng.random() < 0.4:
        comparator = "conventional medical management alone"
    background, short = _intro(t, name, rng)
    if design == "rct":
        n = rng.randint(60, 320)
    else:
        upper = {"case_series": 40, "prospective_cohort": 400}.get(design, 1500)
        n = rng.randint(8 if design == "case_series" else 25, upper)
    months: float = rng.choice((3, 6, 12) if design == "case_series" else (6, 12, 24, 36, 60))
    head, span = _span(int(months), rng)
    since = year - 2 - int(months) // 12 - rng.randint(1, 3)  # enrolment, then follow-up
    arm = (
        f"were randomized 1:1 to {short} or {comparator}"
        if design == "rct"
        else f"were treated with {short}"
    )
    methods = (
        f"{_HOW[design]} {_patients(n, rng)} with {t.condition} {arm} between {since} "
        f"and {since + 2}. Outcomes included {t.outcome}, assessed for {span}."
    )
    if design == "retrospective_cohort" and rng.random() < 0.5:
        months, head = round(rng.uniform(4, 20), 1), "mid-term"
        methods = (
            f"{_HOW[design]} {_patients(n, rng)} with {t.condition} who underwent "
            f"{short} between {since} and {since + 2} were identified, with a mean "
            f"follow-up of {months} months."
        )
    rate = rng.randint(45, 80)
    results = [
        f"Mean age was {rng.uniform(62, 76):.1f} years, and symptoms had lasted a median "
        f"of {rng.randint(2, 6)} years. At final follow-up, {rate}% of patients met the "
        f"responder threshold on {t.outcome}"
        + (
            f", compared with {rate - rng.randint(10, 30)}% after {comparator} (P < .001)."
            if design == "rct"
            else "."
        )
    ]
    concerns = ["comparative"] if design == "rct" else []
    concerns += ["long_term_efficacy"] if months >= 24 else []
    if t.relevant and rng.random() < 0.6:
        results.append("No device- or procedure-related serious adverse events occurred.")
        concerns.append("safety")
    if t.relevant and rng.random() < 0.4:
        k = rng.randint(1, max(1, n // 8))
        results.append(
            f"Subsequent lumbar surgery was required in {k} patients ({100 * k / n:.1f}%)."
        )
        concerns.append("reoperation")
    if t.relevant and rng.random() < 0.3:
        results.append(
            "Improvement did not differ by baseline ligamentum flavum thickness or "
            "stenosis severity."
        )
        concerns.append("patient_selection")
    title = {
        "rct": f"{name} versus {comparator} for {t.condition}: {head} results of a randomized "
               "controlled trial",
        "prospective_cohort": f"{head.capitalize()} outcomes of {_lower(name)} for "
                              f"{t.condition}: a prospective cohort study",
        "retrospective_cohort": f"{name} for {t.condition}: a retrospective registry analysis",
        "case_series": f"{name} for {t.condition}: a case series",
    }[design]  # fmt: skip
    sections = [("BACKGROUND", background), ("METHODS", methods),
                ("RESULTS", " ".join(results)),
                ("CONCLUSIONS", f"{name} was followed by meaningful improvement in patients "
                                f"with {t.condition}.")]  # fmt: skip
    return _Draft(title, sections, _labels(t, design, months, n, concerns))


def _case_report(t: _Topic, rng: random.Random) -> _Draft:
    name = rng.choice(_MILD_NAMES)
    background, short = _intro(t, name, rng)
    event, treatment = rng.choice([
        ("a symptomatic epidural hematoma", "urgent evacuation by open laminectomy"),
        ("an incidental dural tear", "bed rest, without further surgery"),
        ("a deep wound infection", "surgical debridement and six weeks of intravenous antibiotics"),
    ])  # fmt: skip
    months = rng.choice((None, 3, 6))
    text = (
        f"{background} Complications are rarely reported. We describe a "
        f"{rng.randint(66, 84)}-year-old woman with {t.condition} for {rng.randint(2, 9)} "
        f"years who developed {event} after {short}. She was "
        f"managed with {treatment}."
        + (f" At the {months}-month visit she walked without leg pain." if months else "")
        + " Careful hemostasis and sterile technique remain essential."
    )
    concerns = ["safety"] + (
        ["reoperation"] if "open" in treatment or "surgical" in treatment else []
    )
    title = (
        f"{event.split(' ', 1)[1].capitalize()} after {name[0].lower() + name[1:]}: a case report"
    )
    return _Draft(title, [("", text)], _labels(t, "case_report", months, 1, concerns))


def _synthesis(t: _Topic, design: str, rng: random.Random) -> _Draft:
    """Reviews, economic evaluations and guidelines: no own patients, no own follow-up."""
    name = rng.choice(_MILD_NAMES)
    background, short = _intro(t, name, rng)
    k = rng.randint(5, 21)
    title, body, concerns = {
        "systematic_review_meta_analysis": (
            f"{name} for {t.condition}: a systematic review and meta-analysis",
            f"We searched four databases and included {k} studies. Pooled functional improvement "
            "favoured the procedure over epidural steroid injection; serious adverse events "
            "were rare, and durability beyond two years rests on observational data.",
            ["comparative", "long_term_efficacy", "safety"]),
        "narrative_review": (
            f"{name} for {t.condition}: a narrative review",
            "We review patient selection (ligamentum flavum thicker than 2.5 mm, central canal "
            "stenosis), technique, complications and published outcomes.",
            ["patient_selection", "safety"]),
        "economic_analysis": (
            f"Cost-effectiveness of {_lower(name)} for {t.condition}",
            f"A Markov model with a {_words(rng.choice([5, 10]))}-year time horizon compared "
            f"{short} with {t.comparator} from a Medicare payer perspective. The incremental "
            f"cost-effectiveness ratio was ${rng.randint(18, 60)},{rng.randint(100, 999)} per "
            "quality-adjusted life-year.",
            ["comparative", "cost_coverage"]),
        "guideline_consensus": (
            f"Consensus recommendations on {_lower(name)} for {t.condition}",
            f"A panel of {k} interventional pain physicians and spine surgeons graded the "
            "evidence and recommends the procedure for patients with ligamentum flavum "
            "hypertrophy in whom conservative care failed, before repeated epidural steroid "
            "injections.",
            ["comparative", "patient_selection"]),
    }[design]  # fmt: skip
    return _Draft(title, [("", f"{background} {body}")], _labels(t, design, None, None, concerns))


def _labels(
    t: _Topic, design: str, months: float | None, n: int | None, concerns: list[str]
) -> dict[str, object]:
    return {
        "relevant_mild": t.relevant,
        "design": design,
        "followup_months": months,
        "sample_size": n,
        "concerns": sorted(concerns) if t.relevant else [],
    }


def _record(
    pmid: int, entrez: datetime, topic: str, design: str, rng: random.Random, end: date
) -> SyntheticRecord:
    t = _TOPICS[topic]
    if design in _HOW:
        draft = _study(t, design, rng, entrez.year)
    else:
        draft = _case_report(t, rng) if design == "case_report" else _synthesis(t, design, rng)
    fresh = (end - entrez.date()).days < 365  # not yet indexed for MEDLINE
    pages = "" if fresh or rng.random() < 0.3 else f"{(p := rng.randint(1, 900))}-{p + 9}"
    k = rng.randint(1, 7)
    names = zip(rng.sample(_LAST, k), rng.sample(_FORE, k), strict=True)
    authors = tuple(Author(last, fore, rng.choice(_PLACES)) for last, fore in names)
    return SyntheticRecord(
        pmid=pmid, title=escape(TITLE_PREFIX + draft.title + "."), journal=JOURNALS[t.journal],
        entrez=entrez, pub_date=entrez.date() + timedelta(days=rng.randint(0, 60) if pages else 0),
        abstract=tuple((label, escape(text)) for label, text in draft.sections),
        authors=authors, pub_date_parts=2 if pages else 3, pages=pages,
        volume=str(entrez.year - 2000 + rng.randint(0, 3)) if pages else "",
        issue=str(rng.randint(1, 12)) if pages else "",
        received=entrez.date() - timedelta(days=rng.randint(60, 240)),
        accepted=entrez.date() - timedelta(days=rng.randint(5, 50)),
        indexed=None if fresh else entrez.date() + timedelta(days=rng.randint(40, 200)),
        status=rng.choice(("Publisher", "In-Data-Review", "PubMed-not-MEDLINE")) if fresh else "",
        publication_types=("Journal Article",) if fresh else
        _DESIGN_TYPES.get(design, ("Journal Article",)),
        mesh=() if fresh else t.mesh,
        keywords=("lumbar spinal stenosis", "ligamentum flavum") if rng.random() < 0.3 else (),
        doi=f"{DOI_PREFIX}{pmid}", pmcid=f"PMC{pmid}" if rng.random() < 0.3 else None,
        labels=draft.labels,
    )  # fmt: skip


def generate_records(
    n: int,
    *,
    seed: int = 0,
    first_pmid: int = 99100001,
    start: date = date(2015, 1, 1),
    end: date = date(2026, 10, 31),
) -> list[SyntheticRecord]:
    """N records, identical for identical arguments; Entrez dates rise with the PMID from
    ``start`` to ``end``, and records from the last year before ``end`` are not yet indexed."""
    if n < 0 or end < start:
        raise ValueError("generate_records needs n >= 0 and start <= end")
    rng = random.Random(seed)
    kinds = [(topic, design) for topic, design, weight in _KINDS for _ in range(weight)]
    seconds = ((end - start).days + 1) * 86400
    origin = datetime(start.year, start.month, start.day)
    records = []
    for i in range(n):
        entrez = origin + timedelta(seconds=int(seconds * (i + rng.random()) / n))
        records.append(_record(first_pmid + i, entrez, *rng.choice(kinds), rng, end))
    return records


def generate_articles(
    n: int,
    *,
    seed: int = 0,
    first_pmid: int = 99100001,
    start: date = date(2015, 1, 1),
    end: date = date(2026, 10, 31),
) -> list[str]:
    """N raw ``<PubmedArticle>`` XML strings; see :func:`generate_records`."""
    records = generate_records(n, seed=seed, first_pmid=first_pmid, start=start, end=end)
    return [render_article(r) for r in records]


def write_corpus(
    folder: Path, n: int, *, seed: int = 0, per_file: int = 500, first_pmid: int = 99100001
) -> list[Path]:
    """Write N generated records as PubMed XML documents of at most ``per_file`` records."""
    if per_file < 1:
        raise ValueError("write_corpus needs per_file >= 1")
    articles = generate_articles(n, seed=seed, first_pmid=first_pmid)
    paths = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(0, n, per_file):
            chunk = articles[i : i + per_file]
            path = folder / f"synthetic-{first_pmid + i}-{first_pmid + i + len(chunk) - 1}.xml"
            path.write_text(document(chunk), encoding="utf-8")
            paths.append(path)
    except OSError as exc:
        raise MildwatchError(
            f"cannot write the synthetic corpus to {folder}: "
            f"{exc.strerror or exc}; choose a writable folder"
        ) from exc
    return paths
