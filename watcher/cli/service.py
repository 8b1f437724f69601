"""Running unattended: `mildwatch run` (one cycle, for cron) and `mildwatch daemon`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from watcher.cli import jobs, show, trials
from watcher.cli.app import App, pass_app
from watcher.clock import utc_now
from watcher.scheduler import Job, build_scheduler, run_until_signalled, standard_triggers


@click.command()
@click.option("--skip-poll", is_flag=True, help="Only compose and send digests.")
@click.option("--skip-mail", is_flag=True, help="Only poll PubMed and the trial registry.")
@pass_app
def run(app: App, skip_poll: bool, skip_mail: bool) -> None:
    """One unattended cycle, for cron: poll PubMed and the trial registry, then compose and
    send due digests.

    A failing search or registry does not stop the digests (they say what they can). Exits 1
    when a search, the registry or a send failed, so cron mails the admin; `mildwatch status`
    tells the rest.
    """
    config = app.config
    failed = False
    if not skip_poll:
        with app.progress("poll") as progress:
            report = jobs.poll_job(config, progress=progress)
        for line in show.poll_report(report):
            click.echo(line)
        failed |= not report.ok
        failed |= not trials.echo_registry_poll(lambda: jobs.registry_job(config))
    if not skip_mail:
        mail = jobs.digest_job(config)
        for line in show.mail_report(mail):
            click.echo(line)
        failed |= not mail.ok
    if failed:
        raise click.exceptions.Exit(1)


@click.command()
@pass_app
def daemon(app: App) -> None:
    """Run on the configured schedule until SIGTERM or Ctrl-C.

    Polls PubMed (and the trial registry) daily at [schedule] poll_time, composes and sends
    due digests at digest_time, retries queued mail every 15 minutes, and catches up once on
    runs missed while it was down. A job that fails is logged and tried again at its next time.
    """
    config = app.config
    config.require_email()
    tz = ZoneInfo(config.schedule.timezone)
    triggers = standard_triggers(config.schedule)

    scheduler = build_scheduler(
        config.database,
        [
            Job("poll", lambda: jobs.intake_job(config), triggers["poll"]),
            Job("digests", lambda: jobs.digest_job(config), triggers["digests"]),
            Job("retry-mail", lambda: jobs.mail_job(config), triggers["retry-mail"]),
        ],
        tz,
        now=utc_now().astimezone(tz),
    )

    def ready() -> None:
        click.echo(
            f"mildwatch daemon: polling at {config.schedule.poll_time}, digests at "
            f"{config.schedule.digest_time} ({config.schedule.timezone}); "
            "Ctrl-C or SIGTERM stops it."
        )

    run_until_signalled(scheduler, on_ready=ready)
    click.echo("mildwatch daemon stopped.")


COMMANDS = (run, daemon)
