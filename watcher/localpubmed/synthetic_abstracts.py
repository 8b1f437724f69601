"""What a synthetic record says: its topic, title and abstract, and the labels read off the
same random choices (so a label is never invented: the text states it).

The words follow real abstracts about MILD and about the near-misses a loose search catches
(endoscopic and tubular decompression, spacers, injections, "mild" cognitive impairment), so
that the search, the classifier and the digest are exercised honestly.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from watcher.vocabulary import NUMBER_TENS, NUMBER_UNITS

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
# the poller rightly fails the search. About a fifth of MILD records define "PILD", one in
# seven says "percutaneous lumbar decompression" and "ligamentum flavum debulking", and one
# in seven uses the names independent authors and the maker's later papers give it
# ("percutaneous remodeling of the ligamentum flavum", "mild interlaminar decompression").
_MILD_INTROS = (
    (_MILD_BACKGROUND, None, 7),
    ("Percutaneous image-guided lumbar decompression (PILD) removes hypertrophic ligamentum "
     "flavum through a 5-mm portal under fluoroscopic guidance, without implants.", "PILD", 3),
    ("Ligamentum flavum debulking relieves central canal stenosis when a hypertrophic ligament "
     "is its main cause. Percutaneous lumbar decompression (mild) achieves it through a 5-mm "
     "portal under fluoroscopic guidance.", None, 2),
    ("Percutaneous remodeling of the ligamentum flavum (PRLL), marketed as mild interlaminar "
     "decompression, trims hypertrophic ligament and lamina through a 6-mm cannula under "
     "fluoroscopy and epidurography.", "PRLL", 2),
)  # fmt: skip


class Topic(NamedTuple):
    """A subject a record is about: MILD itself, or a near-miss a loose search also finds."""

    relevant: bool
    name: str
    condition: str
    comparator: str
    outcome: str
    journal: str
    mesh: tuple[str, ...]
    background: str


TOPICS = {
    "mild": Topic(True, "", "lumbar spinal stenosis with neurogenic claudication",
                   "epidural steroid injection", "the Oswestry Disability Index", "pain",
                   ("Decompression, Surgical/methods*", "Ligamentum Flavum/surgery",
                    *_SPINE_MESH), _MILD_BACKGROUND),
    "endoscopic": Topic(False, "Full-endoscopic minimally invasive lumbar decompression",
                         "lateral recess stenosis", "microscopic decompression",
                         "the Oswestry Disability Index", "surgery",
                         ("Endoscopy/methods*", *_SPINE_MESH),
                         "Endoscopic techniques aim to limit muscle injury during decompression."),
    "tubular": Topic(False, "Tubular minimally invasive lumbar decompression",
                      "degenerative lumbar spinal stenosis", "open laminectomy",
                      "the Oswestry Disability Index", "surgery",
                      ("Minimally Invasive Surgical Procedures*", *_SPINE_MESH),
                      "Unilateral tubular approaches allow bilateral decompression."),
    "laminectomy": Topic(False, "Open decompressive laminectomy",
                          "mild to moderate lumbar spinal stenosis", "nonoperative care",
                          "the Zurich Claudication Questionnaire", "surgery",
                          ("Laminectomy*", *_SPINE_MESH),
                          "Percutaneous image-guided lumbar decompression has been proposed for "
                          "less severe stenosis, yet open laminectomy remains the reference."),
    "spacer": Topic(False, "An interspinous process spacer",
                     "lumbar spinal stenosis with intermittent claudication",
                     "decompressive laminectomy", "the Zurich Claudication Questionnaire",
                     "spine", ("Prostheses and Implants*", *_SPINE_MESH),
                     "Interspinous spacers limit extension at the stenotic level."),
    "esi": Topic(False, "Interlaminar epidural steroid injection", "lumbar spinal stenosis",
                  "lidocaine injection alone", "the Roland-Morris Disability Questionnaire",
                  "pain", ("Aged", "Glucocorticoids/administration & dosage*", "Humans",
                           "Injections, Epidural*", "Spinal Stenosis/drug therapy*"),
                  "Epidural corticosteroids are widely used for neurogenic claudication."),
    "mci": Topic(False, "A multicomponent exercise programme", "mild cognitive impairment",
                  "health education", "the Montreal Cognitive Assessment", "cognition",
                  ("Aged", "Cognitive Dysfunction/therapy*", "Exercise Therapy*", "Humans"),
                  "Mild cognitive impairment often precedes dementia in older adults."),
    "mtbi": Topic(False, "Early vestibular rehabilitation", "mild traumatic brain injury",
                   "usual care", "the Rivermead Post-Concussion Symptoms Questionnaire",
                   "trauma", ("Brain Concussion/rehabilitation*", "Humans",
                              "Post-Concussion Syndrome"),
                   "Persistent symptoms after mild traumatic brain injury delay return to work."),
}  # fmt: skip
_HOW = {
    "rct": "This was a multicenter randomized controlled trial.",
    "prospective_cohort": "We conducted a prospective cohort study at three centers.",
    "retrospective_cohort": "We retrospectively reviewed a multicenter registry.",
    "case_series": "We report a consecutive case series from a single center.",
}


class Draft(NamedTuple):
    """What a record says (title, abstract sections) and its labels, read off the same choices."""

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


def _intro(t: Topic, name: str, rng: random.Random) -> tuple[str, str]:
    """(background, how the text then calls the procedure): a MILD record's background is one
    of :data:`_MILD_INTROS`, and an abbreviation it defines is used in half of such records."""
    if not t.relevant:
        return t.background, _lower(name)
    weights = [weight for _, _, weight in _MILD_INTROS]
    background, abbreviation, _ = rng.choices(_MILD_INTROS, weights)[0]
    if abbreviation and rng.random() < 0.5:
        return background, abbreviation
    return background, _lower(name)


def _study(t: Topic, design: str, rng: random.Random, year: int) -> Draft:
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
    return Draft(title, sections, _labels(t, design, months, n, concerns))


def _case_report(t: Topic, rng: random.Random) -> Draft:
    name = rng.choice(_MILD_NAMES)
    background, short = _intro(t, name, rng)
    event, treatment, kind = rng.choice([
        ("a symptomatic epidural hematoma", "urgent evacuation by open laminectomy",
         "hematoma_bleeding"),
        ("an incidental dural tear", "bed rest, without further surgery", "dural_tear_csf_leak"),
        ("a deep wound infection", "surgical debridement and six weeks of intravenous antibiotics",
         "infection"),
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
    labels = {**_labels(t, "case_report", months, 1, concerns), "harms": [kind]}
    return Draft(title, [("", text)], labels)


def _synthesis(t: Topic, design: str, rng: random.Random) -> Draft:
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
    return Draft(title, [("", f"{background} {body}")], _labels(t, design, None, None, concerns))


def _labels(
    t: Topic, design: str, months: float | None, n: int | None, concerns: list[str]
) -> dict[str, object]:
    return {
        "relevant_mild": t.relevant,
        "design": design,
        "followup_months": months,
        "sample_size": n,
        "concerns": sorted(concerns) if t.relevant else [],
    }


def write_abstract(t: Topic, design: str, rng: random.Random, year: int) -> Draft:
    """The title, abstract and labels of one record about ``t`` with this design."""
    if design in _HOW:
        return _study(t, design, rng, year)
    return _case_report(t, rng) if design == "case_report" else _synthesis(t, design, rng)


# --- who paid, and harms a study reports ------------------------------------------------------
# Drawn from a second random stream (seeded by the PMID), so that adding them left every
# record's text and labels as they were before.

_MAKER = "Example Spine Devices Inc."  # invented, like the trials and journals
_INDUSTRY = (
    (f"The study was funded by {_MAKER} Two authors are paid consultants for the company; "
     "the other authors declare no conflicts of interest.", ()),
    (f"One author is an employee of {_MAKER} and holds stock in the company. The other "
     "authors have nothing to disclose.", ()),
    ("The authors report personal fees from the device manufacturer outside the submitted "
     "work.", (("", "", _MAKER, "United States"),)),
)  # fmt: skip
_INDEPENDENT = (
    ("The authors declare no conflicts of interest.",
     (("EX-{pmid}", "", "Example National Research Council", "Canada"),)),
    ("The authors have nothing to disclose. This work received no external funding.", ()),
    ("None of the authors has a financial relationship with a device manufacturer.",
     (("EF-{pmid}", "", "Example Foundation for Spine Research", "United Kingdom"),)),
)  # fmt: skip
_HARMS = (
    ("hematoma_bleeding", "One patient developed a small epidural hematoma that was managed "
                          "conservatively."),
    ("dural_tear_csf_leak", "An incidental dural tear occurred in one patient and healed "
                            "without further surgery."),
    ("infection", "One superficial wound infection resolved with oral antibiotics."),
    ("neural_injury", "One patient had transient new paresthesia in the leg after the "
                      "procedure, which resolved within 6 weeks."),
)  # fmt: skip


class Disclosure(NamedTuple):
    """A record's conflict-of-interest statement and grants, and the sponsorship label."""

    coi_statement: str
    grants: tuple[tuple[str, str, str, str], ...]  # (GrantID, Acronym, Agency, Country)
    sponsorship: str  # "industry" | "independent" | "not_stated"


def write_disclosure(t: Topic, pmid: int) -> Disclosure:
    """Some industry-funded, some independent, many silent, as in the real literature
    (MILD studies more often industry-funded than the near-misses)."""
    rng = random.Random(pmid)
    draw = rng.random()
    industry = 0.35 if t.relevant else 0.1
    if draw < industry:
        coi, grants = rng.choice(_INDUSTRY)
        return Disclosure(coi, grants, "industry")
    if draw < industry + 0.25:
        coi, grants = rng.choice(_INDEPENDENT)
        grants = tuple((gid.format(pmid=pmid), *rest) for gid, *rest in grants)
        return Disclosure(coi, grants, "independent")
    return Disclosure("", (), "not_stated")


def add_harm(draft: Draft, t: Topic, design: str, pmid: int) -> Draft:
    """One in five MILD studies also reports a minor harm in its results (labelled)."""
    rng = random.Random(-pmid)
    labels = dict(draft.labels)
    labels.setdefault("harms", [])
    sections = list(draft.sections)
    results = [i for i, (label, _) in enumerate(sections) if label == "RESULTS"]
    if t.relevant and design in _HOW and results and rng.random() < 0.2:
        kind, sentence = rng.choice(_HARMS)
        label, text = sections[results[0]]
        sections[results[0]] = (label, f"{text} {sentence}")
        labels["harms"] = [kind]
        if "safety" not in labels["concerns"]:
            labels["concerns"] = sorted([*labels["concerns"], "safety"])  # type: ignore[list-item]
    return Draft(draft.title, sections, labels)
