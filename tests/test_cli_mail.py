"""`mildwatch subscribers`, `digest` and `outbox`, in-process with click's CliRunner on a real
SQLite file and a config in tmp_path (files transport, or SMTP at aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.digest_factories import NOW, WEEK, seed, study
from tests.mailservers import Capture, free_port
from watcher.cli import cli
from watcher.store import Store

CONFIG = """\
[database]
path = "mildwatch.db"

[mail]
transport = "{transport}"
outbox_dir = "outbox"
sender = "mildwatch <digest@mildwatch.example.org>"
admin_email = "admin@example.org"
note = "Digests move to Mondays."
max_attempts = 2
retry_base_seconds = 60

[mail.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
timeout = 5.0
"""


def write_config(folder: Path, transport: str = "files", port: int = 2525) -> Path:
    path = folder / "mildwatch.toml"
    path.write_text(CONFIG.format(transport=transport, port=port), encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    with Store.open(tmp_path / "mildwatch.db") as store:
        seed(store, [study(99005001, "rct"), study(99005002, "cohort")], at=NOW - WEEK)  # type: ignore[arg-type]
    return path


def run(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], env=env)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def fails(result: Result, code: int = 1) -> str:
    """The one-line error of a failed command (no traceback)."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_add_list_edit_unsubscribe_remove(config: Path) -> None:
    out = ok(run(config, "subscribers", "add", "Zoe@EXAMPLE.org", "--name", "Dr Zoë",
                 "--frequency", "monthly", "--question", "safety", "--question",
                 "long_term_efficacy", "--format", "text", "--send-empty",
                 "--max-items", "5"))  # fmt: skip
    assert "Added Zoe@example.org (monthly, text)." in out
    token = out.split("Unsubscribe token: ")[1].split()[0]

    listed = ok(run(config, "subscribers", "list"))
    assert "Zoe@example.org  (Dr Zoë)" in listed
    assert "monthly; text; min relevance relevant; sends 'nothing new'; max 5 items" in listed
    assert "questions: long_term_efficacy, safety" in listed and "baseline" in listed

    edited = ok(run(config, "subscribers", "edit", "zoe@example.org", "--frequency", "weekly",
                    "--all-questions", "--max-items", "0", "--search", "mild"))  # fmt: skip
    assert "weekly" in edited and "default item cap" in edited
    assert "follows searches: mild" in edited

    assert "Unsubscribed Zoe@example.org" in ok(
        run(config, "subscribers", "unsubscribe", f"unsubscribe {token}")
    )
    assert "inactive (unsubscribed)" in ok(run(config, "subscribers", "list"))
    assert "Removed Zoe@example.org" in ok(run(config, "subscribers", "remove", "Zoe@example.org"))
    assert "No subscribers" in ok(run(config, "subscribers", "list"))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("subscribers", "add", "not-an-address"), "'not-an-address' is not a valid email"),
        (
            ("subscribers", "add", "a@example.org", "--search", "nope"),
            "no saved search named 'nope'",
        ),
        (("subscribers", "edit", "ghost@example.org", "--name", "x"), "no subscriber ghost@"),
        (("subscribers", "remove", "ghost@example.org"), "no subscriber ghost@example.org"),
        (("subscribers", "unsubscribe", "forged-token"), "no subscriber has that unsubscribe"),
        (("digest", "preview", "--subscriber", "ghost@example.org"), "no subscriber ghost@"),
    ],
)
def test_bad_input_is_one_clear_line(config: Path, args: tuple[str, ...], words: str) -> None:
    assert words in fails(run(config, *args))


def test_adding_someone_twice(config: Path) -> None:
    ok(run(config, "subscribers", "add", "a@example.org"))
    assert "already subscribed" in fails(run(config, "subscribers", "add", "A@example.org"))


def test_edit_needs_something_to_change(config: Path) -> None:
    ok(run(config, "subscribers", "add", "a@example.org"))
    result = run(config, "subscribers", "edit", "a@example.org")
    assert result.exit_code == 2 and "nothing to change" in result.output


def test_preview_writes_html_and_text_and_records_nothing(config: Path, tmp_path: Path) -> None:
    ok(run(config, "subscribers", "add", "a@example.org"))
    target = tmp_path / "out" / "preview.html"
    out = ok(run(config, "digest", "preview", "--subscriber", "a@example.org",
                 "--output", str(target), "--text"))  # fmt: skip
    assert out.splitlines() == [str(target), str(target.with_suffix(".txt"))]
    html = target.read_text(encoding="utf-8")
    assert "Where the evidence stands" in html and "Digests move to Mondays." in html
    assert "cid:" not in html and (tmp_path / "out" / "preview-evidence-timeline.png").exists()
    assert "KEY STUDIES" in target.with_suffix(".txt").read_text(encoding="utf-8")
    assert "Outbox: 0 queued, 0 sent, 0 failed" in ok(run(config, "outbox"))


def test_send_due_writes_the_files_outbox(config: Path, tmp_path: Path) -> None:
    ok(run(config, "subscribers", "add", "a@example.org"))
    ok(run(config, "subscribers", "add", "b@example.org", "--format", "text"))
    out = ok(run(config, "digest", "send"))
    assert "Digests: 2 composed, 2 sent, 0 to retry, 0 failed" in out
    assert f"Messages are in {tmp_path / 'outbox'}" in out
    written = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(written) == 2
    parsed = email.message_from_bytes(written[0].read_bytes(), policy=policy.default)
    assert "Where the evidence stands" in str(parsed["Subject"])

    again = ok(run(config, "digest", "send", "--all"))
    assert "Digests: 0 composed, 0 sent, 0 to retry, 0 failed" in again
    listing = ok(run(config, "outbox", "--status", "sent"))
    assert "Outbox: 0 queued, 2 sent, 0 failed" in listing
    assert "a@example.org" in listing and "baseline" in listing


def test_send_over_smtp(tmp_path: Path, config: Path, start_smtpd) -> None:
    server = Capture()
    port = start_smtpd(server)
    config = write_config(tmp_path, "smtp", port)
    ok(run(config, "subscribers", "add", "a@example.org"))
    out = ok(run(config, "digest", "send", "--due"))
    assert "1 composed, 1 sent" in out
    [got] = server.received
    assert got["rcpt_tos"] == ["a@example.org"]
    assert got["mail_from"] == "digest@mildwatch.example.org"


def test_unreachable_smtp_server_exits_1_and_keeps_the_digest(tmp_path: Path, config: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, "smtp", port)
    ok(run(config, "subscribers", "add", "a@example.org"))
    secret = "not-to-be-printed-7x"
    result = run(config, "digest", "send", env={"MILDWATCH_SMTP_PASSWORD": secret})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"RETRY #1 to a@example.org: the SMTP server 127.0.0.1:{port} refused" in (result.stdout)
    assert secret not in result.output
    listing = ok(run(config, "outbox", "--status", "queued"))
    assert (
        "1 queued" in listing and "1 attempt(s)" in listing and "refused the connection" in listing
    )
