from pathlib import Path

import pytest

from watcher.config import config_path, load_config, parse_config, starter_config
from watcher.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mildwatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_starter_config_loads_with_defaults_and_secrets_from_env(tmp_path: Path) -> None:
    path = write(tmp_path, starter_config(email="librarian@example.org"))
    env = {"NCBI_API_KEY": "k3y", "MILDWATCH_SMTP_PASSWORD": "pw"}
    config = load_config(path, env=env)
    assert config.entrez.email == "librarian@example.org"
    assert config.database == tmp_path / "mildwatch.db"
    assert config.mail.outbox_dir == tmp_path / "outbox"
    assert config.entrez.api_key == "k3y"
    assert config.mail.smtp.password == "pw"
    assert config.entrez.rate_limit == 10.0
    # Secrets never show up when the config is printed or logged.
    assert "k3y" not in repr(config) and "pw'" not in repr(config)


def test_rate_limit_is_three_without_a_key_and_can_only_go_down(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[entrez]\nrequests_per_second = 50\n"), env={})
    assert config.entrez.rate_limit == 3.0
    config = load_config(write(tmp_path, "[entrez]\nrequests_per_second = 1.5\n"), env={})
    assert config.entrez.rate_limit == 1.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[entrez]\nemial = 'x@example.org'\n",
            ":2: unknown key 'emial' in [entrez] (did you mean 'email'?)",
        ),
        (
            "[entrez]\nemail = 'a@b.org'\nbatch_size = '200'\n",
            ":3: entrez.batch_size must be an integer",
        ),
        ("[database]\npath = 'x.db'\n[entrez\n", ":3: invalid TOML"),
        (
            "[mail.smtp]\nhost = 'h'\npassword = 'secret'\n",
            ":3: secrets do not belong in the config file",
        ),
        ("[entrez]\napi_key = 'abc'\n", ":2: secrets do not belong"),
        ("[poller]\nx = 1\n", ":1: unknown section or key 'poller' (did you mean 'poll'?)"),
        ("[entrez]\nemail = 'not-an-address'\n", ":2: entrez.email is not a valid email address"),
        ("[schedule]\ntimezone = 'Mars/Olympus'\n", ":2: unknown time zone"),
        ("[schedule]\nweekly_day = 'monday'\n", ":2: schedule.weekly_day must be one of mon"),
        (
            "[schedule]\ntimezone = 'Europe/Berlin'\npoll_time = '02:30'\n",
            ":3: schedule.poll_time 02:30 is in the hour the clocks skip in Europe/Berlin on ",
        ),
        (
            "[schedule]\ntimezone = 'America/New_York'\ndigest_time = '01:15'\n",
            ":3: schedule.digest_time 01:15 is in the hour the clocks repeat in America/New_York",
        ),
        ("[entrez]\nbatch_size = 0\n", ":2: entrez.batch_size must be between 1 and 10000"),
        ("[mail]\ntransport = 'pigeon'\n", ":2: mail.transport must be 'files' or 'smtp'"),
        (
            "[mail]\nunsubscribe_url = 'https://x.org/u'\n",
            ":2: mail.unsubscribe_url must contain {token}",
        ),
        ("[entrez]\ntimeout = true\n", ":2: entrez.timeout must be a number"),
    ],
)
def test_bad_values_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path, env={})
    message = str(error.value)
    assert message.startswith(str(path)), message
    assert expected in message, message
    assert "\n" not in message


def test_secret_values_never_appear_in_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "[mail.smtp]\npassword = 'hunter2'\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, env={})
    assert "hunter2" not in str(error.value)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mildwatch init"):
        load_config(tmp_path / "nope.toml", env={})


def test_missing_email_is_an_error_only_when_needed(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[poll]\noverlap_days = 2\n"), env={})
    with pytest.raises(ConfigError, match=r"entrez.email is not set.*NCBI requires"):
        config.require_email()


def test_config_path_precedence(tmp_path: Path) -> None:
    assert config_path("a.toml", env={"MILDWATCH_CONFIG": "b.toml"}) == Path("a.toml")
    assert config_path(None, env={"MILDWATCH_CONFIG": "b.toml"}) == Path("b.toml")
    assert config_path(None, env={}) == Path("mildwatch.toml")


def test_parse_config_relative_paths_follow_the_file(tmp_path: Path) -> None:
    text = "[database]\npath = 'data/m.db'\n[mail]\ntemplates_dir = 'tpl'\n"
    config = parse_config(text, path=tmp_path / "etc" / "m.toml", env={})
    assert config.database == tmp_path / "etc" / "data" / "m.db"
    assert config.mail.templates_dir == tmp_path / "etc" / "tpl"


def test_starter_config_without_email_refuses_to_poll(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, starter_config()), env={})
    assert config.entrez.email is None
    with pytest.raises(ConfigError, match=r"entrez\.email is not set"):
        config.require_email()


@pytest.mark.parametrize(
    ("zone", "hhmm"), [("UTC", "02:30"), ("Asia/Tokyo", "02:30"), ("Europe/Berlin", "03:30")]
)
def test_a_time_no_clock_change_skips_or_repeats_is_kept(
    tmp_path: Path, zone: str, hhmm: str
) -> None:
    text = f"[schedule]\ntimezone = '{zone}'\npoll_time = '{hhmm}'\ndigest_time = '{hhmm}'\n"
    config = load_config(write(tmp_path, text), env={})
    assert (config.schedule.poll_time, config.schedule.digest_time) == (hhmm, hhmm)
