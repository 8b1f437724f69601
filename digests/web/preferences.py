"""The preferences form: what a posted form asks to change, checked before anything is written.

Pure: a form (field → values) and the button pressed in, the changes for
``Store.change_preferences`` out, or a ``WebInputError`` saying which field is wrong. The
store checks the values again; this layer gives the reader the words for their own form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from watcher.errors import WebInputError
from watcher.store import FORMATS, FREQUENCIES
from watcher.vocabulary import QUESTIONS

ACTIONS = ("save", "pause", "resume", "resubscribe")
MAX_ITEMS = 1000


def form_changes(action: str, form: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The changes ``action`` asks for; "save" reads the settings fields of ``form``."""
    if action == "pause":
        return {"paused": True}
    if action == "resume":
        return {"paused": False}
    if action == "resubscribe":
        return {"active": True, "paused": False}
    if action != "save":
        raise WebInputError(f"unknown action {action!r}; use the page's buttons")
    frequency = _one(form, "frequency")
    if frequency not in FREQUENCIES:
        raise WebInputError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    format_ = _one(form, "format")
    if format_ not in FORMATS:
        raise WebInputError(f"format must be one of {', '.join(FORMATS)}")
    questions = list(form.get("questions", ()))
    unknown = [q for q in questions if q not in QUESTIONS]
    if unknown:
        raise WebInputError(f"unknown question {unknown[0]!r}")
    if _one(form, "scope") == "all":
        questions = []
    elif not questions:
        raise WebInputError(
            "tick at least one question, or choose “all questions” to follow everything"
        )
    max_items_text = _one(form, "max_items")
    max_items = None
    if max_items_text:
        if not max_items_text.isdigit() or not 1 <= int(max_items_text) <= MAX_ITEMS:
            raise WebInputError(
                f"the most studies per digest must be a whole number from 1 to {MAX_ITEMS}, "
                "or empty for the usual number"
            )
        max_items = int(max_items_text)
    return {
        "frequency": frequency,
        "format": format_,
        "questions": questions,
        "max_items": max_items,
    }


def _one(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return str(values[-1]).strip()
