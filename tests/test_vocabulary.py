"""One vocabulary (watcher/vocabulary.py): every table that labels, orders or colours designs,
levels or questions covers exactly its keys, and the bundled profile uses no other key."""

import re
import tomllib
from pathlib import Path

import pytest

from digests.wording import OTHER_SECTION, SECTION_ORDER, SECTION_TITLES, UNCERTAIN_SECTION
from watcher import vocabulary
from watcher.evidence import default_profile_path, load_profile
from watcher.vocabulary import DESIGNS, LEVELS, QUESTIONS

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        (vocabulary.DESIGN_LABELS, DESIGNS),
        (vocabulary.DESIGN_SHORT, DESIGNS),
        (vocabulary.DESIGN_COLOURS, DESIGNS),
        (vocabulary.QUESTION_TITLES, QUESTIONS),
        (vocabulary.QUESTION_SHORT, QUESTIONS),
    ],
)
def test_every_table_covers_exactly_its_keys(table: dict[str, str], keys: tuple[str, ...]) -> None:
    assert tuple(table) == keys  # no key more, none less, and in the vocabulary's order
    assert all(value.strip() for value in table.values())


def test_keys_are_unique_and_tags_fit() -> None:
    for keys in (DESIGNS, LEVELS, QUESTIONS):
        assert len(set(keys)) == len(keys)
    assert all(len(short) <= 6 for short in vocabulary.DESIGN_SHORT.values())
    assert len(set(vocabulary.DESIGN_COLOURS.values())) == len(DESIGNS)


def test_digest_sections_are_the_questions_then_other_then_uncertain() -> None:
    assert (*QUESTIONS, OTHER_SECTION, UNCERTAIN_SECTION) == SECTION_ORDER
    assert tuple(SECTION_TITLES) == SECTION_ORDER
    assert OTHER_SECTION not in QUESTIONS and UNCERTAIN_SECTION not in QUESTIONS


def test_the_bundled_profile_uses_only_vocabulary_keys() -> None:
    data = tomllib.loads(default_profile_path().read_text(encoding="utf-8"))
    design = data["design"]
    assert set(design["levels"]) <= set(DESIGNS)
    assert set(design["levels"].values()) <= set(LEVELS)
    assert {entry["design"] for entry in design["cues"]} <= set(DESIGNS)
    assert set(design["publication_types"].values()) <= set(DESIGNS)
    assert set(design["weak_publication_types"].values()) <= set(DESIGNS)
    assert set(data["followup"]["not_for_designs"]) <= set(DESIGNS)
    assert tuple(data["questions"]) == QUESTIONS
    profile = load_profile()  # and the loader checks the same on any profile
    assert tuple(key for key, _ in profile.questions) == QUESTIONS


def test_templates_know_the_same_keys() -> None:
    """The admin-facing template README lists the keys; the level badges style each level."""
    readme = (REPO / "templates" / "README.md").read_text(encoding="utf-8")
    for key in (*DESIGNS, *SECTION_ORDER):
        assert f"`{key}`" in readme, f"templates/README.md does not list {key}"
    styles = (REPO / "templates" / "_styles.html.j2").read_text(encoding="utf-8")
    badges = re.search(r"badge_level = \{(.*?)\}", styles, re.S)
    assert badges is not None
    assert tuple(re.findall(r'"([IV]+)":', badges.group(1))) == LEVELS
