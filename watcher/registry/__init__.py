"""Watching the trial registry (ClinicalTrials.gov): what long-term evidence is on its way.

client.py   API v2 over httpx: paging, fields, rate limit, retries with backoff
parse.py    the API's study JSON → watcher.trials.Trial (pure)
changes.py  two snapshots of a trial → events: completed, date moved, results, stopped
poll.py     one registry poll: fetch, diff, store trials + events + links in one
            transaction (the intake step; it alone uses the store)
"""

from watcher.registry.changes import trial_events
from watcher.registry.client import RegistryClient
from watcher.registry.parse import StudyPage, parse_page, parse_study

__all__ = ["RegistryClient", "StudyPage", "parse_page", "parse_study", "trial_events"]
