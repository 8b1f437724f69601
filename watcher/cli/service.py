"""Running unattended: `mildwatch run` (one cycle, for cron) and `mildwatch daemon`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from watcher.cli import jobs, show, trials
from watcher.cli.app import App, pass_app, wait_option
from watcher.clock import utc_now
from watcher.runlock import daemon_lock
from watcher.scheduler import Job, build_scheduler, run_until_signalled, standard_triggers


@click.command()
@click.option("--skip-poll", is_flag=True, help="Only compose and send digests.")
@click.option("--skip-mail", is_flag=True, help="Only poll PubMed and the trial registry.")
@wait_option
@pass_app
def run(app: App, skip_poll: bool, skip_mail: bool, lock_wait: float) -> None:
    """One unattended cycle, for cron: poll PubMed and the trial registry, then compose and
    send due digests.

    Checks the database first (PRAGMA quick_check) and refuses a damaged one. A failing
    search or registry does not stop the digests (they say what they can). With --quiet
    nothing is printed unless something failed; then it exits 1 (3: another run kept the
    lock), so cron mails the admin; `mildwatch status` tells the rest.
    """
    config = app.config
    if skip_poll and skip_mail:
        raise click.UsageError("--skip-poll and --skip-mail together leave nothing to do")
    failed = False
    lines: list[str] = []
    if not skip_poll:
        with app.progress("poll") as progress:
            report = jobs.poll_job(config, progress=progress, lock_wait=lock_wait)
        lines += show.poll_report(report)
        failed |= not report.ok
        registry = trials.echo_registry_poll(
            lambda: jobs.registry_job(config, lock_wait=lock_wait), out=lines.append
        )
        failed |= not registry
    if not skip_mail:
        mail = jobs.digest_job(config, lock_wait=lock_wait)
        lines += show.mail_report(mail)
        failed |= not mail.ok
    if failed:
        for line in lines:  # even with --quiet: cron mails it to the admin
            click.echo(line)
        raise click.exceptions.Exit(1)
    app.say(lines)


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

    with daemon_lock(config.database):
        jobs.check_database(config)
        run_until_signalled(scheduler, on_ready=ready)
    click.echo("mildwatch daemon stopped.")


COMMANDS = (run, daemon)
