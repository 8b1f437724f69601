"""One email to the admin when the watch itself is broken, and not again until it recovers.

Seven problems are watched: a saved search that keeps failing (``consecutive_failures`` ≥
``SEARCH_FAILURES``), the trial registry search failing as often, digests to an address
that keep failing or bouncing (a digest retried ``DIGEST_ATTEMPTS`` times, or given up on
and not followed by a successful send), a relevant paper only citation tracking found (a
recall gap of the saved searches), a subscriber whose stored name cannot go in a header,
a digest whose sending outcome stayed unknown (held back, not resent), and a run (poll,
digests, ...) whose latest attempt failed or was interrupted.
Each problem has a key in the ``alerts`` table while it lasts; a new problem queues one
alert mail (through the outbox, like a digest) listing every problem that is new; a problem
that recovers has its key cleared, so it alerts again if it comes back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from digests.outbox import make_message_id, sender_header
from watcher.clock import iso
from watcher.config import MailSettings
from watcher.errors import StoreError
from watcher.store import NewDigest, OutboxEntry, Store, check_name

log = logging.getLogger(__name__)

SEARCH_FAILURES = 3
DIGEST_ATTEMPTS = 3


def search_problems(store: Store) -> dict[str, str]:
    """key → description, one per enabled saved search that keeps failing."""
    failing = {}
    for search in store.searches(enabled_only=True):
        state = store.poll_state(search.id)
        if state.consecutive_failures >= SEARCH_FAILURES:
            failing[f"search:{search.name}"] = (
                f"The saved search {search.name!r} has failed {state.consecutive_failures} polls "
                f"in a row (last error: {state.last_error or 'unknown'}). New papers it would "
                f"find are not arriving. Check it with `mildwatch searches test {search.name}` "
                "and `mildwatch status`."
            )
    return failing


def registry_problems(store: Store) -> dict[str, str]:
    """The registry search, when its polls keep failing (the same rule as a saved search)."""
    state = store.registry_state()
    if state["consecutive_failures"] < SEARCH_FAILURES:
        return {}
    return {
        "registry": (
            f"The trial registry search has failed {state['consecutive_failures']} polls in a "
            f"row (last error: {state['last_error'] or 'unknown'}). Changes to registered "
            "trials are not arriving; PubMed polling is not affected. Check it with "
            "`mildwatch trials search show` and `mildwatch trials poll`."
        )
    }


def recall_problems(store: Store) -> dict[str, str]:
    """key → description, one per relevant paper found only by citation: the saved searches
    miss it, which the librarian should know (it clears once a search matches it)."""
    return {
        f"recall:{gap.article.pmid}": (
            f"PMID {gap.article.pmid} ({gap.article.plain_title}) was found by citation: it "
            f"cites the key paper(s) {', '.join(gap.cites)}, and the classifier judged it "
            "relevant, but no saved search matches it. Consider widening a query: "
            "`mildwatch searches audit` suggests words, `mildwatch searches diff` shows the effect."
        )
        for gap in store.recall_gaps()
    }


def digest_problems(store: Store) -> dict[str, str]:
    """key → description, one per address whose digests keep failing."""
    by_recipient: dict[str, list[OutboxEntry]] = defaultdict(list)
    for entry in store.troubled_digests(min_attempts=DIGEST_ATTEMPTS):
        by_recipient[entry.recipient].append(entry)
    problems = {}
    for recipient, entries in sorted(by_recipient.items()):
        lines = [
            f"  - digest {e.id} ({e.period_start} to {e.period_end}): {e.status} after "
            f"{e.attempts} attempt(s); {e.last_error or 'no error recorded'}"
            for e in entries
        ]
        problems[f"recipient:{recipient}"] = (
            f"Digests to {recipient} keep failing. Failed digests are not lost: their papers "
            "go out in the next digest. See `mildwatch outbox --status failed`.\n"
            + "\n".join(lines)
        )
    return problems


def subscriber_problems(store: Store) -> dict[str, str]:
    """key → description, one per active subscriber whose stored name cannot go in a header
    (stored before names were checked): their digests are skipped until it is fixed."""
    problems = {}
    for subscriber in store.subscribers(active_only=True):
        try:
            check_name(subscriber.name)
        except StoreError as error:
            problems[f"subscriber:{subscriber.email}"] = (
                f"Digests to {subscriber.email} are skipped: {error}. Everyone else's digests "
                f"go out. Fix it with `mildwatch subscribers edit {subscriber.email} --name "
                "'...'`."
            )
    return problems


def uncertain_problems(store: Store) -> dict[str, str]:
    """key → description, one per digest whose delivery outcome is unknown (held back)."""
    return {
        f"uncertain:{e.id}": (
            f"Digest {e.id} to {e.recipient} (Message-ID {e.message_id}) may or may not have "
            f"been delivered: {e.last_error}. It will be sent again, with the same "
            f"Message-ID, from {e.next_attempt_at}; the mail server's log tells whether the "
            f"first one arrived. Then settle it: `mildwatch outbox settle {e.id} --delivered`"
            " (or --not-delivered to send it now)."
        )
        for e in store.uncertain_digests()
        if e.kind != "alert"  # an alert held back is not itself alerted about
    }


def run_problems(store: Store) -> dict[str, str]:
    """key → description, one per kind of run (poll, digests, import, ...) whose latest run
    failed or was interrupted, for whatever reason (its own error, the database, a crash)."""
    problems = {}
    for kind, (run, streak) in sorted(store.failed_runs().items()):
        times = f" ({streak} runs in a row)" if streak > 1 else ""
        problems[f"run:{kind}"] = (
            f"The {kind} run #{run.id} started {run.started_at} {run.status}{times}: "
            f"{run.error or 'no error recorded'}. See `mildwatch status`."
        )
    return problems


def alert_message(
    problems: dict[str, str], *, to: str, now: datetime, mail: MailSettings, serial: int = 0
) -> EmailMessage:
    """A plain-text mail listing ``problems``; ``serial`` keeps Message-IDs apart when the
    same problems come back at the same second."""
    message = EmailMessage()
    count = len(problems)
    message["From"] = sender_header(mail)
    message["To"] = Address(addr_spec=to)
    message["Subject"] = f"[mildwatch] {count} problem{'s' if count > 1 else ''} need attention"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_message_id("alert", *sorted(problems), iso(now), serial, mail=mail)
    message["Auto-Submitted"] = "auto-generated"
    body = [
        "mildwatch found a problem with the watch itself:" if count == 1 else
        f"mildwatch found {count} problems with the watch itself:",
        "",
    ]  # fmt: skip
    for description in problems.values():
        body.extend([f"* {description}", ""])
    body.append(
        "You will not be told again about these until they have recovered. "
        "`mildwatch status` and `mildwatch outbox` show where things stand."
    )
    message.set_content("\n".join(body) + "\n", charset="utf-8", cte="quoted-printable")
    return message


def queue_alerts(store: Store, *, now: datetime, mail: MailSettings) -> list[int]:
    """Queue one alert mail to ``mail.admin_email`` listing problems not reported yet, and
    forget problems that recovered. Returns the queued alert ids (none or one)."""
    problems = {
        **search_problems(store),
        **registry_problems(store),
        **digest_problems(store),
        **recall_problems(store),
        **subscriber_problems(store),
        **uncertain_problems(store),
        **run_problems(store),
    }
    raised = store.alert_keys()
    with store.transaction():
        for key in raised - set(problems):
            store.clear_alert(key)  # recovered: a relapse alerts again
    new = {key: text for key, text in problems.items() if key not in raised}
    if not new:
        return []
    if not mail.admin_email:
        log.warning(
            "%d problem(s) need attention but no admin_email is set under [mail]: %s",
            len(new),
            "; ".join(new),
        )
        return []
    serial = sum(store.outbox_counts().values())
    message = alert_message(new, to=mail.admin_email, now=now, mail=mail, serial=serial)
    today = now.date().isoformat()
    with store.transaction():
        digest_id = store.queue_digest(
            NewDigest(
                subscriber_id=None,
                recipient=mail.admin_email,
                kind="alert",
                period_start=today,
                period_end=today,
                subject=str(message["Subject"]),
                message_id=str(message["Message-ID"]),
                message=message.as_bytes(policy=policy.SMTP),
                landscape={},
            ),
            now=iso(now),
        )
        if digest_id is None:
            return []  # another run queued this very alert
        for key, text in new.items():
            store.raise_alert(key, detail=text, digest_id=digest_id, now=iso(now))
    log.warning("queued an alert to %s: %s", mail.admin_email, ", ".join(new))
    return [digest_id]
