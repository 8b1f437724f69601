"""The TOML files people edit (the config, the topic profile), read so that every mistake can
name ``file:line``.

tomllib keeps no positions, so :class:`TomlFile` keeps the text beside the parsed data and
finds a key's line by a scan for its table header and then the key, which is enough for files
written by hand: ``[a.b]`` and ``[[a.b]]`` headers (the n-th array table is ``a.b[n]``, from
1), quoted keys and table names, and top-level keys before the first header. Both readers
raise :class:`~watcher.errors.ConfigError` as ``file:line: message`` (``file: message`` when
no line can be found): the profile's messages are ``key: problem`` (:meth:`TomlFile.key_error`),
the config's name the key in their own words (:meth:`TomlFile.error`).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcher.errors import ConfigError

_HEADER = re.compile(r"\[\[?\s*([^\[\]]+?)\s*\]")
_NAME_PART = re.compile(r"\"[^\"]*\"|'[^']*'|[^.\"']+")
_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)")


def _table_name(raw: str) -> str:
    """A header's table as a dotted name: ``mail . smtp`` is ``mail.smtp``, ``a."B-1"`` is
    ``a.B-1``."""
    return ".".join(part.strip().strip("\"'") for part in _NAME_PART.findall(raw) if part.strip())


@dataclass(frozen=True)
class TomlFile:
    """A parsed TOML file with its text, for errors that point at a line."""

    path: Path
    text: str = field(repr=False)
    data: dict[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, text: str, path: Path) -> TomlFile:
        """Parse ``text`` (read from ``path``); raises ``tomllib.TOMLDecodeError``, which the
        caller words (see :func:`syntax_error`)."""
        return cls(path, text, tomllib.loads(text))

    def line_of(self, dotted: str) -> int | None:
        """The line of a key ("design.cues[2].phrases" is in the second ``[[design.cues]]``),
        else of its table's header, else of the table ``dotted`` names; None if none is there."""
        table, _, key = dotted.rpartition(".")
        indexed = re.fullmatch(r"(.*)\[(\d+)\]", table)
        name, wanted = (indexed.group(1), int(indexed.group(2))) if indexed else (table, 1)
        assignment = re.compile(r"[\"']?" + re.escape(key) + r"[\"']?\s*=")
        inside, seen, header = not table, 0, None
        for number, line in enumerate(self.text.splitlines(), start=1):
            stripped = line.strip()
            opening = _HEADER.match(stripped)
            if opening:
                current = _table_name(opening.group(1))
                seen += current == name
                inside = current == name and seen == wanted
                header = number if inside else header
                if current == dotted:
                    header = number
            elif inside and assignment.match(stripped):
                return number
        return header

    def location(self, dotted: str) -> str:
        """``file:line`` of ``dotted``, or ``file`` when its line cannot be found."""
        line = self.line_of(dotted)
        return f"{self.path}:{line}" if line else str(self.path)

    def error(self, dotted: str, message: str, choices: Iterable[str] = ()) -> ConfigError:
        """``file:line: message``; with ``choices``, a hint at the closest one to the key."""
        close = difflib.get_close_matches(dotted.rpartition(".")[2], list(choices), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return ConfigError(f"{self.location(dotted)}: {message}{hint}")

    def key_error(self, dotted: str, problem: str) -> ConfigError:
        """``file:line: key: problem``."""
        return self.error(dotted, f"{dotted}: {problem}")


def syntax_error(path: Path, error: tomllib.TOMLDecodeError) -> ConfigError:
    """``file:line: invalid TOML: what`` (tomllib puts the position at the end of its message)."""
    found = _POSITION.search(str(error))
    message = _POSITION.sub("", str(error)).strip()
    location = f"{path}:{found.group(1)}" if found else str(path)
    return ConfigError(f"{location}: invalid TOML: {message}")
