"""The command line, in-process with click's CliRunner, on real files and a real local server."""

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from watcher.cli import cli
from watcher.localpubmed import SAMPLE_DIR as SAMPLE
from watcher.localpubmed import LocalPubMed
from watcher.store import Store

ROOT = Path(__file__).parent.parent


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def all_commands(group: click.Group = cli, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # lazy commands too, imported here
        command = group.get_command(ctx, name)
        assert command is not None, f"{prefix}{name} is listed but cannot be loaded"
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{prefix}{name} ")


@pytest.fixture
def pubmed() -> Iterator[LocalPubMed]:
    with LocalPubMed(SAMPLE) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path, pubmed: LocalPubMed) -> Path:
    config = tmp_path / "mildwatch.toml"
    result = run("--config", str(config), "init", "--email", "librarian@example.org")
    assert result.exit_code == 0, result.output
    text = config.read_text().replace(
        'base_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"',
        f'base_url = "{pubmed.base_url}"',
    )
    config.write_text(text.replace("backoff_seconds = 2.0", "backoff_seconds = 0.01"))
    return tmp_path


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, command in all_commands():
        assert command.help and len(command.help.strip()) > 20, f"{name} has no help text"
        assert run(*name.split(), "--help").exit_code == 0
        assert f"mildwatch {name.split()[0]}" in readme, f"`mildwatch {name}` missing from README"


def test_init_writes_config_database_and_default_search(workdir: Path) -> None:
    assert (workdir / "mildwatch.db").exists()
    with Store.open(workdir / "mildwatch.db") as store:
        assert [s.name for s in store.searches()] == ["mild-outcomes"]
    again = run("--config", str(workdir / "mildwatch.toml"), "init")
    assert again.exit_code == 0 and "Keeping the existing config" in again.output


def test_poll_then_articles_status_and_filters(workdir: Path) -> None:
    config = str(workdir / "mildwatch.toml")
    polled = run("--config", config, "poll")
    assert polled.exit_code == 0, polled.output
    assert "41 found, 41 new" in polled.output
    listed = run("--config", config, "articles", "list", "--design", "rct")
    assert listed.exit_code == 0 and "Randomized controlled trial" in listed.output
    assert "[SYNTHETIC]" in listed.output and "made-up sample data" in listed.output
    shown = run("--config", config, "articles", "show", "99000011")
    assert "Evidence tags" in shown.output and "follow-up: 24 mo" in shown.output
    status = run("--config", config, "status")
    assert "polled through" in status.output and "#1     poll       ok" in status.output


def test_one_line_errors_without_tracebacks(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[entrez]\nemial = 'x@example.org'\n")
    result = run("--config", str(bad), "status")
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {bad}:2: unknown key 'emial' in [entrez] (did you mean 'email'?)"
    )

    no_email = tmp_path / "noemail.toml"
    no_email.write_text("[database]\npath = 'm.db'\n")
    result = run("--config", str(no_email), "poll")
    assert result.exit_code == 2 and "entrez.email is not set" in result.output
    assert "Traceback" not in result.output

    unreachable_db = tmp_path / "db.toml"
    unreachable_db.write_text("[database]\npath = 'no/such/folder/m.db'\n")
    result = run("--config", str(unreachable_db), "status")
    assert result.exit_code == 1 and "folder" in result.output and "does not exist" in result.output


def test_global_option_after_the_command_says_where_it_goes(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    result = run("outbox", "show", "3", "--config", str(config))
    assert result.exit_code == 2
    assert "--config is an option of mildwatch itself: put it before the command" in result.output
    assert "mildwatch --config ... outbox" in result.output

    result = run("status", "-q")
    assert result.exit_code == 2 and "-q is an option of mildwatch itself" in result.output

    result = run("status", "--bogus")  # not a global option: click's own words, no hint
    assert result.exit_code == 2 and "No such option '--bogus'" in result.output
    assert "option of mildwatch itself" not in result.output


def test_import_garbage_stores_nothing_and_keeps_existing_data(workdir: Path) -> None:
    config = str(workdir / "mildwatch.toml")
    ok = run("--config", config, "import", str(SAMPLE / "99000001.xml"))
    assert ok.exit_code == 0 and "1 new" in ok.output
    garbage = workdir / "garbage.xml"
    garbage.write_text("<PubmedArticleSet><PubmedArticle><oops></PubmedArticleSet>")
    result = run("--config", config, "import", str(SAMPLE / "99000002.xml"), str(garbage))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {garbage}")
    assert len(result.output.strip().splitlines()) == 1
    with Store.open(workdir / "mildwatch.db") as store:
        assert store.all_pmids() == ["99000001"]  # the good file of the failed import: not stored


def test_failing_search_exits_one_and_keeps_window(workdir: Path, pubmed: LocalPubMed) -> None:
    config = str(workdir / "mildwatch.toml")
    edit = run(
        "--config",
        config,
        "searches",
        "edit",
        "mild-outcomes",
        "--query",
        "decompression[tiabx]",
        "--reason",
        "typo test",
    )
    assert edit.exit_code == 1 and "FieldNotFound" in edit.output  # refused before saving
    with Store.open(workdir / "mildwatch.db") as store:
        store.update_search("mild-outcomes", query="decompression[tiabx]", author="t", reason="r")
    result = run("--config", config, "poll")
    assert result.exit_code == 1 and "FAILED" in result.output and "FieldNotFound" in result.output


def test_classify_prints_json_lines_in_the_corpus_shape(tmp_path: Path) -> None:
    import json

    result = run("classify", str(SAMPLE / "99000011.xml"), str(SAMPLE / "99000032.xml"))
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["pmid"] for r in rows] == ["99000011", "99000032"]
    first = rows[0]
    assert {
        "relevance",
        "design",
        "level",
        "followup_months",
        "sample_size",
        "questions",
        "evidence",
    } <= set(first)
    assert first["relevance"] == "relevant" and first["design"] == "rct"
    assert first["evidence"]["design"]["snippet"]
    assert rows[1]["relevance"] == "not_relevant"  # mild cognitive impairment


def test_search_enable_disable_and_history(workdir: Path) -> None:
    config = str(workdir / "mildwatch.toml")
    off = run("--config", config, "searches", "disable", "mild-outcomes", "--reason", "pause")
    assert off.exit_code == 0 and "Disabled 'mild-outcomes'." in off.output
    assert "(disabled)" in run("--config", config, "searches", "list").output
    on = run("--config", config, "searches", "enable", "mild-outcomes")
    assert on.exit_code == 0 and "Enabled 'mild-outcomes'." in on.output
    history = run("--config", config, "searches", "history", "mild-outcomes").output
    assert "seeded from the topic profile" in history and "pause (disabled)" in history
    missing = run("--config", config, "searches", "disable", "nope")
    assert missing.exit_code == 1 and "no saved search named 'nope'" in missing.output
