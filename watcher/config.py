"""The one configuration file (TOML) as frozen dataclasses.

The file people edit is kept apart from the state the program writes (the SQLite database).
Secrets never live in the file: the NCBI API key and the SMTP password are read from
environment variables whose *names* the file may choose. Every problem is reported as a
:class:`ConfigError` naming the file, the key and, where it can be found, the line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from watcher.configrules import WEEKDAYS as WEEKDAYS  # re-exported: periods use it
from watcher.configrules import validate
from watcher.errors import ConfigError
from watcher.tomlfile import TomlFile, syntax_error

NCBI_EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
CLINICALTRIALS_API = "https://clinicaltrials.gov/api/v2/"
DEFAULT_CONFIG_NAME = "mildwatch.toml"
CONFIG_ENV = "MILDWATCH_CONFIG"


@dataclass(frozen=True)
class EntrezSettings:
    """How we talk to NCBI. ``api_key`` comes from the environment variable ``api_key_env``."""

    email: str | None = None
    tool: str = "mildwatch"
    base_url: str = NCBI_EUTILS
    api_key_env: str = "NCBI_API_KEY"
    batch_size: int = 200
    timeout: float = 60.0
    max_tries: int = 5
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 120.0
    requests_per_second: float | None = None
    api_key: str | None = field(default=None, repr=False)

    @property
    def rate_limit(self) -> float:
        """Requests per second we allow ourselves: NCBI's ceiling unless the file asks for less."""
        ceiling = 10.0 if self.api_key else 3.0
        wanted = self.requests_per_second
        return ceiling if wanted is None else min(wanted, ceiling)


@dataclass(frozen=True)
class RegistrySettings:
    """How we talk to ClinicalTrials.gov (API v2). Off unless the file turns it on, so an
    upgrade never starts calling a new host by itself; ``mildwatch init`` writes it on."""

    enabled: bool = False
    base_url: str = CLINICALTRIALS_API
    timeout: float = 30.0
    page_size: int = 100
    requests_per_second: float = 1.0
    max_tries: int = 4
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 60.0


@dataclass(frozen=True)
class PollSettings:
    overlap_days: int = 3
    backfill_from: str = "1990/01/01"
    profile: Path | None = None


@dataclass(frozen=True)
class ScheduleSettings:
    timezone: str = "UTC"
    poll_time: str = "06:00"
    digest_time: str = "07:00"
    weekly_day: str = "mon"
    monthly_day: int = 1


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP relay; ``password`` comes from the environment variable ``password_env``."""

    host: str = "localhost"
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str = "MILDWATCH_SMTP_PASSWORD"
    timeout: float = 30.0
    ca_file: Path | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class MailSettings:
    transport: str = "files"
    outbox_dir: Path = Path("outbox")
    sender: str = "mildwatch <mildwatch@localhost>"
    admin_email: str | None = None
    unsubscribe_url: str | None = None
    preferences_url: str | None = None
    evidence_url: str | None = None  # where every study is listed (default: the web map)
    templates_dir: Path | None = None
    note: str = ""
    max_items: int = 25
    max_attempts: int = 6
    retry_base_seconds: int = 300
    retention_days: int = 28  # sent messages' bytes kept this long (0: dropped once sent)
    allow_internal_domains: bool = False  # e.g. x@hospital.local, x@intranet
    smtp: SmtpSettings = field(default_factory=SmtpSettings)


@dataclass(frozen=True)
class WebSettings:
    """``mildwatch web``: where it listens, the public address behind the admin's reverse
    proxy (digests link to it), and when /healthz calls the last poll too old. ``secret``
    (for the preference forms' CSRF tokens) comes from the environment variable
    ``secret_env``; without it each start makes a new one."""

    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str | None = None
    max_poll_age_hours: float = 48.0
    secret_env: str = "MILDWATCH_WEB_SECRET"
    secret: str | None = field(default=None, repr=False)

    def link(self, path: str) -> str | None:
        """``{base_url}/{path}``, or None when no public address is configured."""
        return f"{self.base_url.rstrip('/')}/{path}" if self.base_url else None


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    database: Path = Path("mildwatch.db")
    entrez: EntrezSettings = field(default_factory=EntrezSettings)
    poll: PollSettings = field(default_factory=PollSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    web: WebSettings = field(default_factory=WebSettings)

    def require_email(self) -> str:
        """NCBI requires a contact email on every request: fail before the first one."""
        if not self.entrez.email:
            where = self.path or DEFAULT_CONFIG_NAME
            raise ConfigError(
                f"{where}: entrez.email is not set; NCBI requires a contact address on every "
                'request. Add email = "you@example.org" under [entrez].'
            )
        return self.entrez.email


# The file's top-level tables (``[mail.smtp]`` is nested in ``[mail]``).
_TABLES = ("database", "entrez", "poll", "schedule", "mail", "registry", "web")
# Fields filled from the environment, never from the file.
_SECRET_FIELDS = {"api_key", "password", "secret"}


def config_path(explicit: str | Path | None, env: Mapping[str, str] | None = None) -> Path:
    """``--config`` wins, then ``$MILDWATCH_CONFIG``, then ``./mildwatch.toml``."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration file; secrets from ``env`` (default os.environ)."""
    env = os.environ if env is None else env
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found; run `mildwatch init` to create one, "
            f"or point --config / ${CONFIG_ENV} at it"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    return parse_config(text, path=path, env=env)


def parse_config(text: str, *, path: Path, env: Mapping[str, str]) -> Config:
    try:
        where = TomlFile.parse(text, path)
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(path, exc) from None
    data = where.data
    base = path.parent

    unknown = sorted(set(data) - set(_TABLES))
    if unknown:
        raise where.error(
            unknown[0], f"unknown section or key '{unknown[0]}'", [*_TABLES, "mail.smtp"]
        )

    database = Path("mildwatch.db")
    if "database" in data:
        db_table = _expect_table(data["database"], "database", where)
        _check_keys(db_table, {"path"}, "database", where)
        if "path" in db_table:
            database = Path(_coerce(db_table["path"], str, "database.path", where))

    mail_data = dict(_expect_table(data.get("mail", {}), "mail", where))
    smtp = _build(SmtpSettings, mail_data.pop("smtp", {}), "mail.smtp", where, base)
    entrez = _build(EntrezSettings, data.get("entrez", {}), "entrez", where, base)
    web = _build(WebSettings, data.get("web", {}), "web", where, base)
    web = dataclasses.replace(web, secret=env.get(web.secret_env) or None)
    mail = _build(
        MailSettings,
        mail_data,
        "mail",
        where,
        base,
        smtp=dataclasses.replace(smtp, password=env.get(smtp.password_env) or None),
    )
    config = Config(
        path=path,
        database=_resolve(base, database),
        entrez=dataclasses.replace(entrez, api_key=env.get(entrez.api_key_env) or None),
        poll=_build(PollSettings, data.get("poll", {}), "poll", where, base),
        schedule=_build(ScheduleSettings, data.get("schedule", {}), "schedule", where, base),
        mail=mail,
        registry=_build(RegistrySettings, data.get("registry", {}), "registry", where, base),
        web=web,
    )
    validate(config, where)
    return _web_links(config, where)


def _web_links(config: Config, where: TomlFile) -> Config:
    """With ``[web] base_url``, digests link to the web app's unsubscribe and preferences
    pages and its evidence map (unless the admin points ``[mail]`` at their own endpoints)."""
    if not config.web.base_url:
        return config
    if config.mail.unsubscribe_url:
        raise where.error(
            "mail.unsubscribe_url",
            "set either mail.unsubscribe_url or web.base_url, not both: with web.base_url, "
            "digests link to {base_url}/unsubscribe/{token}",
        )
    mail = dataclasses.replace(
        config.mail,
        unsubscribe_url=config.web.link("unsubscribe/{token}"),
        preferences_url=config.mail.preferences_url or config.web.link("subscriber/{token}"),
        evidence_url=config.mail.evidence_url or config.web.link(""),
    )
    return dataclasses.replace(config, mail=mail)


def _expect_table(value: object, dotted: str, where: TomlFile) -> dict:
    if not isinstance(value, dict):
        raise where.error(dotted, f"'{dotted}' must be a table ([{dotted}])")
    return value


def _check_keys(table: dict, allowed: set[str], section: str, where: TomlFile) -> None:
    for key in table:
        if key not in allowed:
            raise where.error(
                f"{section}.{key}", f"unknown key '{key}' in [{section}]", sorted(allowed)
            )


def _build(cls: type, table: object, section: str, where: TomlFile, base: Path, **extra):
    table = _expect_table(table, section, where)
    hints = typing.get_type_hints(cls)
    allowed = {f.name for f in dataclasses.fields(cls)} - _SECRET_FIELDS - set(extra)
    secrets = sorted(_SECRET_FIELDS & set(table))
    if secrets:
        raise where.error(
            f"{section}.{secrets[0]}",
            f"secrets do not belong in the config file: remove '{secrets[0]}' from "
            f"[{section}] and set the environment variable named by '{secrets[0]}_env'",
        )
    _check_keys(table, allowed, section, where)
    values = {}
    for key, raw in table.items():
        value = _coerce(raw, hints[key], f"{section}.{key}", where)
        if isinstance(value, Path):
            value = _resolve(base, value)
        values[key] = value
    return cls(**values, **extra)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _coerce(raw: object, hint: object, dotted: str, where: TomlFile) -> object:
    """Check one value against its field type; TOML already gives us native types."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None):
            continue
        if option is Path and isinstance(raw, str):
            return Path(raw).expanduser()
        if option is float and isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        if option is int and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if option in (str, bool) and type(raw) is option:
            return raw
    wanted = " or ".join(_TYPE_NAMES.get(o, "a path") for o in options if o is not type(None))
    raise where.error(dotted, f"{dotted} must be {wanted}, not {type(raw).__name__} {raw!r}")


def _resolve(base: Path, value: Path) -> Path:
    """Relative paths in the file are relative to the file, not to the working directory."""
    return value if value.is_absolute() else base / value


def starter_config(
    *,
    email: str | None = None,
    base_url: str = NCBI_EUTILS,
    registry_url: str = CLINICALTRIALS_API,
) -> str:
    """The commented starter file ``mildwatch init`` writes (email left for the user to set)."""
    template = (Path(__file__).parent / "starter.toml").read_text(encoding="utf-8")
    line = f"email = {json.dumps(email)}" if email else '# email = "you@example.org"'
    return (
        template.replace("{email_line}", line)
        .replace(f'base_url = "{NCBI_EUTILS}"', f"base_url = {json.dumps(base_url)}")
        .replace(f'base_url = "{CLINICALTRIALS_API}"', f"base_url = {json.dumps(registry_url)}")
    )
