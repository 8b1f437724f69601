"""What every command shares: the loaded config, the open store, errors, logging, progress.

Commands get an :class:`App` from the click context and call one library function; they
never build SQL or talk HTTP themselves.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from watcher.errors import MildwatchError
from watcher.redact import redact
from watcher.runlock import LOCK_WAIT_SECONDS

if TYPE_CHECKING:
    from watcher.config import Config
    from watcher.store import Store


class CommandError(click.ClickException):
    """A MildwatchError on its way to the terminal: one line, its own exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class MildwatchGroup(click.Group):
    """Turns expected failures into one line and an exit code, never a traceback.

    SQLite failing for the file or the disk (read-only, full, damaged, locked too long) is
    expected too, wherever it surfaces; every line is redacted of secrets."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as exc:
            _hint_global_option(ctx, exc)
            raise
        except MildwatchError as exc:
            raise CommandError(_redacted(ctx, str(exc)), exc.exit_code) from None
        except sqlite3.DatabaseError as exc:
            if type(exc) not in (sqlite3.OperationalError, sqlite3.DatabaseError):
                raise
            from watcher.store import database_error  # sqlite-utils: only once a store was used

            app = ctx.find_object(App)
            path = app._config.database if app and app._config else None
            raise CommandError(_redacted(ctx, str(database_error(exc, path))), 1) from None
        except KeyboardInterrupt:
            raise CommandError("interrupted; nothing half-written was kept", 130) from None


def _hint_global_option(ctx: click.Context, exc: click.NoSuchOption) -> None:
    """``mildwatch outbox show 3 --config site.toml``: click says only "No such option"; say
    that --config, -v and -q belong before the command, where ``mildwatch --help`` lists them."""
    root = ctx.find_root().command
    if not any(exc.option_name in p.opts for p in root.params if isinstance(p, click.Option)):
        return
    exc.message = (
        f"{exc.option_name} is an option of mildwatch itself: put it before the command, "
        f"e.g. mildwatch {exc.option_name} ... {ctx.invoked_subcommand or 'COMMAND'} ..."
    )


def _redacted(ctx: click.Context, text: str) -> str:
    app = ctx.find_object(App)
    return redact(text, app.secrets if app else ())


class RedactSecrets(logging.Filter):
    """Replaces secret values (API key, SMTP password) and secret-named URL parameters
    wherever they would be logged."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage(), self.secrets), None
        return True


@dataclass
class App:
    """Per-invocation state, created by the top-level group and closed when it ends."""

    config_arg: Path | None
    verbosity: int = 0
    _config: Config | None = None
    _store: Store | None = None
    _handler: logging.Handler | None = field(default=None, repr=False)

    # The config and the store are imported where they are first used, not at the top: a
    # command that needs neither (`--version`, `--help`) starts without them.

    @property
    def config_file(self) -> Path:
        from watcher.config import config_path

        return config_path(self.config_arg)

    @property
    def config(self) -> Config:
        if self._config is None:
            from watcher.config import load_config

            self._config = load_config(self.config_file)
            if self._handler is not None:
                self._handler.addFilter(RedactSecrets(self.secrets))
        return self._config

    @property
    def secrets(self) -> list[str]:
        """The secret values of the loaded config (none before it is loaded)."""
        if self._config is None:
            return []
        config = self._config
        return [
            s for s in (config.entrez.api_key, config.mail.smtp.password, config.web.secret) if s
        ]

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    def say(self, lines: Iterable[str] | str) -> None:
        """Report lines, unless --quiet (cron: silent when all went well)."""
        if self.quiet:
            return
        for line in [lines] if isinstance(lines, str) else lines:
            click.echo(line)

    @property
    def store(self) -> Store:
        """The database, opened (and migrated) on first use; one connection per command."""
        if self._store is None:
            from watcher.store import Store

            self._store = Store.open(self.config.database)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def setup_logging(self) -> None:
        level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
            self.verbosity, logging.DEBUG
        )
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("mildwatch %(levelname)s: %(message)s"))
        handler.addFilter(RedactSecrets([]))  # secret-named URL parameters, config or not
        root = logging.getLogger()
        for old in [h for h in root.handlers if getattr(h, "_mildwatch", False)]:
            root.removeHandler(old)
        handler._mildwatch = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.setLevel(level)
        self._handler = handler

    @property
    def interactive(self) -> bool:
        """Progress bars on a terminal; silence under cron."""
        return self.verbosity >= 0 and sys.stderr.isatty()

    @contextmanager
    def progress(self, label: str) -> Iterator[Callable[[str, int, int], None]]:
        """A ``progress(stage, done, total)`` callback drawing a bar when interactive."""
        if not self.interactive:
            yield lambda stage, done, total: None
            return
        bars: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                bar = click.progressbar(length=total, label=f"{label}: {stage}", file=sys.stderr)
                bar.__enter__()
                bars[stage] = bar
            bar.update(done - bar.pos)

        try:
            yield update
        finally:
            for bar in bars.values():
                bar.__exit__(None, None, None)


pass_app = click.make_pass_decorator(App)

wait_option = click.option(
    "--wait",
    "lock_wait",
    type=click.FloatRange(min=0),
    default=LOCK_WAIT_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another mildwatch run to finish before giving up (exit 3).",
)
