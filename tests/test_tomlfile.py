"""The one TOML reader behind the config and the topic profile: errors name file:line."""

import tomllib
from pathlib import Path

import pytest

from watcher.tomlfile import TomlFile, syntax_error

TEXT = """\
top = 1
[ mail . smtp ]
host = "h"
[outcomes."SF-12"]
phrases = ["SF 12*"]
[[design.cues]]
design = "rct"
[[design.cues]]
"design" = "case_series"
phrases = ["case series"]
[design.levels]
"""


@pytest.fixture
def toml() -> TomlFile:
    return TomlFile.parse(TEXT, Path("topic.toml"))


@pytest.mark.parametrize(
    ("dotted", "line"),
    [
        ("top", 1),  # a top-level key, before any header
        ("mail.smtp.host", 3),  # spaces inside the header
        ("mail.smtp", 2),  # a table by its header
        ("outcomes.SF-12.phrases", 5),  # a quoted table name
        ("design.cues[1].design", 7),  # the first [[design.cues]]
        ("design.cues[2].design", 9),  # the second, with a quoted key
        ("design.cues[2].unless", 8),  # a missing key: its table's header
        ("design.levels.rct", 11),
        ("nowhere.key", None),
    ],
)
def test_line_of(toml: TomlFile, dotted: str, line: int | None) -> None:
    assert toml.line_of(dotted) == line


def test_errors_name_file_line_and_key(toml: TomlFile) -> None:
    assert str(toml.key_error("mail.smtp.host", "must be a string")) == (
        "topic.toml:3: mail.smtp.host: must be a string"
    )
    assert str(toml.error("nowhere.hots", "unknown key 'hots'", ["host", "port"])) == (
        "topic.toml: unknown key 'hots' (did you mean 'host'?)"
    )


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(tomllib.TOMLDecodeError) as caught:
        TomlFile.parse("a = 1\nb = \n", Path("x.toml"))
    assert str(syntax_error(Path("x.toml"), caught.value)).startswith("x.toml:2: invalid TOML: ")
