"""Start-up rows of ``benchmarks/perf.py``: commands that draw no chart, each a fresh process,
against ``python -c pass`` (the interpreter alone) in the same virtual environment.

hyperfine is used when it is installed (warm-up runs, then its median); otherwise each
command runs ``runs`` times after one warm-up and the median wall time counts.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.perf_common import VENV_BIN

GOAL_SECONDS = 0.5


@dataclasses.dataclass(frozen=True)
class Startup:
    label: str  # the command as a user types it
    seconds: float  # median wall time
    anchor: float  # median wall time of `python -c pass`
    tool: str  # "hyperfine" | "N runs"


def median_seconds(command: Sequence[str], runs: int) -> tuple[float, str]:
    """The median wall time of ``command`` (output discarded), and how it was measured."""
    if shutil.which("hyperfine"):
        with tempfile.TemporaryDirectory() as folder:
            exported = Path(folder) / "result.json"
            subprocess.run(
                [
                    "hyperfine",
                    "--warmup",
                    "1",
                    "--runs",
                    str(runs),
                    "--style",
                    "none",
                    "--export-json",
                    str(exported),
                    "--",
                    subprocess.list2cmdline(command),
                ],
                check=True,
                capture_output=True,
            )
            result = json.loads(exported.read_text())["results"][0]
            return result["median"], f"hyperfine, {runs} runs"
    times = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if attempt:  # the first run only warms the file cache
            times.append(time.perf_counter() - started)
    return statistics.median(times), f"median of {runs} runs"


def measure(config_file: Path, runs: int) -> list[Startup]:
    """``--version``, ``status`` (on a site with a backfill in it) and ``poll --help``."""
    python, mildwatch = str(VENV_BIN / "python"), str(VENV_BIN / "mildwatch")
    anchor, _ = median_seconds([python, "-c", "pass"], runs)
    commands = {
        "mildwatch --version": [mildwatch, "--version"],
        "mildwatch status": [mildwatch, "--config", str(config_file), "status"],
        "mildwatch poll --help": [mildwatch, "poll", "--help"],
    }
    found = []
    for label, command in commands.items():
        seconds, tool = median_seconds(command, runs)
        found.append(Startup(label, seconds, anchor, tool))
    return found
