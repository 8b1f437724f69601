"""`mildwatch trials …` and the registry in `mildwatch run`, as a user meets them: against the
local PubMed and registry servers (the ``configured`` fixture of test_service), with the
registry down or its saved search malformed — one line, and the PubMed side unaffected."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from digests.alerts import queue_alerts
from tests.digest_factories import mail_settings
from tests.mailservers import free_port
from tests.test_service import invoke
from watcher.store import Store


def set_registry(config: Path, **values: str) -> None:
    text = config.read_text()
    head, tail = text.split("[registry]\n", 1)
    lines = [f"{key} = {value}" for key, value in values.items()]
    kept = [line for line in tail.splitlines() if line.split(" = ")[0] not in values]
    config.write_text(head + "[registry]\n" + "\n".join(lines + kept) + "\n")


def subscribe(config: str) -> None:
    added = invoke(
        "--config", config, "subscribers", "add", "s@example.org", "--frequency", "daily"
    )
    assert added.exit_code == 0, added.output


def test_trials_list_and_show_after_a_run(configured: Path) -> None:
    config = str(configured)
    assert invoke("--config", config, "run").exit_code == 0
    listed = invoke("--config", config, "trials", "list")
    assert listed.exit_code == 0
    assert "NCT99000102 (LIFT-LSS)  [Active, not recruiting]  [SYNTHETIC]" in listed.output
    assert "NCT99000199" not in listed.output  # the registry search does not find it
    assert "made-up sample data" in listed.output
    shown = invoke("--config", config, "trials", "show", "nct99000102")
    assert shown.exit_code == 0
    assert "Paper PMID 99000021 (linked by databank; stored)" in shown.output
    assert "follow-up planned to 5 years" in shown.output
    search = invoke("--config", config, "trials", "search", "show")
    assert "seeded" not in search.output and '"mild procedure"' in search.output
    assert "revision 1" in search.output and "by mildwatch" in search.output
    status = invoke("--config", config, "status")
    assert "Trial registry (ClinicalTrials.gov): " in status.output
    assert "last success 20" in status.output.split("Trial registry")[1]


def test_an_unreachable_registry_is_one_line_and_the_pubmed_side_goes_on(
    configured: Path,
) -> None:
    set_registry(configured, base_url=f'"http://127.0.0.1:{free_port()}/api/v2/"', max_tries="1")
    config = str(configured)
    subscribe(config)
    result = invoke("--config", config, "--quiet", "run")
    assert result.exit_code == 1  # so cron tells the admin
    failed = [line for line in result.output.splitlines() if "registry" in line.lower()]
    assert len(failed) == 1 and failed[0].startswith("Registry poll run 2: FAILED  ")
    assert "cannot connect" in failed[0] and "PubMed side is not affected" in failed[0]
    assert "41 new" in result.output and "1 sent" in result.output  # PubMed and digests went on
    with Store.open(configured.parent / "mildwatch.db") as store:
        assert store.trials() == [] and store.registry_state()["consecutive_failures"] == 1
    status = invoke("--config", config, "status")
    assert "    FAILING (1 run(s) in a row): " in status.output.split("Trial registry")[1]
    report = json.loads(invoke("--config", config, "status", "--json").output)
    assert report["registry"]["consecutive_failures"] == 1 and report["ok"] is False


def test_a_malformed_registry_search_is_refused_and_if_saved_fails_in_one_line(
    configured: Path,
) -> None:
    config = str(configured)
    refused = invoke("--config", config, "trials", "search", "set", "--term", '"mild procedure')
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        "Error: not saved: ClinicalTrials.gov rejected the registry search (invalid "
        "query.term: unbalanced quotation marks in '\"mild procedure'); fix it with "
        "`mildwatch trials search set`"
    ]
    saved = invoke(
        "--config", config, "trials", "search", "set", "--offline", "--term", '"mild procedure',
        "--reason", "typo on purpose",
    )  # fmt: skip
    assert saved.exit_code == 0, saved.output
    subscribe(config)
    for _ in range(3):
        result = invoke("--config", config, "--quiet", "run")
        assert result.exit_code == 1
        [line] = [line for line in result.output.splitlines() if "registry" in line.lower()]
        assert "FAILED  ClinicalTrials.gov rejected the registry search" in line
        assert "sent" in result.output  # digests went out regardless
    with Store.open(configured.parent / "mildwatch.db") as store:
        assert store.trials() == []
        mail = mail_settings(configured.parent)
        [alert] = queue_alerts(store, now=datetime.now(UTC), mail=mail)
        body = store.message(alert).decode()
        assert "The trial registry search has failed 3 polls in a row" in body


def test_trials_commands_refuse_bad_input_in_one_line(configured: Path) -> None:
    config = str(configured)
    unknown = invoke("--config", config, "trials", "show", "NCT00000000")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == (
        "Error: no trial NCT00000000 is stored; see `mildwatch trials list --all`"
    )
    empty = invoke("--config", config, "trials", "search", "set", "--offline", "--term", "")
    assert empty.exit_code == 1 and "cannot be empty" in empty.output
    set_registry(configured, enabled="false")
    off = invoke("--config", config, "trials", "poll")
    assert off.exit_code == 2
    assert off.output.strip().endswith("set enabled = true under [registry] to poll the registry")
    bad = invoke("--config", config, "trials", "list", "--status", "finished")
    assert bad.exit_code == 2 and "Invalid value for '--status'" in bad.output
