"""Peak memory of `mildwatch import`, `classify`, `reclassify --all` and `poll` against the
number of records, and the start-up time of commands that draw no chart.

    uv run python benchmarks/memory.py [--records 1000 10000 50000] [--startup-runs 20]
                                       [--skip-startup] [--skip-memory]

Run by hand (nothing here is asserted in tests). For each N it writes one PubMed XML file of N
synthetic records (``watcher.localpubmed.synthetic``: every title says "[SYNTHETIC]"), then
runs each command as its own process in a fresh folder and reads that process's peak resident
set size from ``os.wait4`` (the kernel's ``ru_maxrss``). ``poll`` runs last, on the database
the import filled, against ``mildwatch localpubmed`` serving the same file (its own process,
not measured): the poll finds N records already stored and regroups all of them. The anchor
is a process that only imports the command line (``import watcher.cli``): "flat" means the
peak stays within 2× from 1k to 50k records.

Start-up: wall time of ``mildwatch --version``, ``status`` and ``poll --help`` (a loop of fresh
processes; the median), side by side with ``python -c pass`` and ``python -c "import click"``;
each twice: as the environment runs Python (here ``PYTHONDONTWRITEBYTECODE=1``: every module is
compiled from source at every start) and with compiled bytecode kept (``PYTHONPYCACHEPREFIX`` in
the work folder, warmed once), which is what an installed copy sees.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.localpubmed.synthetic import generate_articles  # noqa: E402
from watcher.localpubmed.synthetic_xml import DOCTYPE, XML_DECLARATION  # noqa: E402

MILDWATCH = [sys.executable, "-m", "watcher"]


def write_file(path: Path, n: int) -> Path:
    """N synthetic records in one document, written piece by piece."""
    if path.exists():
        return path
    step = 5000
    with path.open("w", encoding="utf-8") as out:
        out.write(f"{XML_DECLARATION}\n{DOCTYPE}\n<PubmedArticleSet>\n")
        for first in range(0, n, step):
            count = min(step, n - first)
            for raw in generate_articles(count, first_pmid=99100001 + first, seed=first):
                out.write(raw + "\n")
        out.write("</PubmedArticleSet>\n")
    return path


def run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one process; fails loudly on a non-zero exit."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss // 1024  # Linux: kB


def new_site(folder: Path) -> list[str]:
    folder.mkdir()
    config = folder / "mildwatch.toml"
    run([*MILDWATCH, "--config", str(config), "init", "--email", "bench@example.org"], cwd=folder)
    return [*MILDWATCH, "--config", str(config), "--quiet"]


def memory(sizes: list[int], work: Path) -> list[str]:
    anchor = run([sys.executable, "-c", "import watcher.cli"], cwd=REPO)[1]
    lines = [
        f"anchor: `import watcher.cli` peaks at {anchor} MiB",
        "",
        "| records | file MiB | import s | import MiB | classify s | classify MiB "
        "| reclassify --all s | reclassify MiB | poll s | poll MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in sizes:
        path = write_file(work / f"synthetic-{n}.xml", n)
        site = new_site(work / f"site-{n}-{time.time_ns()}")
        imported = run([*site, "import", str(path)], cwd=work)
        classified = run([*MILDWATCH, "classify", str(path)], cwd=work)
        reclassified = run([*site, "reclassify", "--all"], cwd=work)
        polled = poll(site, path, work)
        size = path.stat().st_size / 2**20
        row = [f"{n:,}", f"{size:.0f}"]
        for seconds, peak in (imported, classified, reclassified, polled):
            row += [f"{seconds:.1f}", f"{peak}"]
        lines.append("| " + " | ".join(row) + " |")
        print(lines[-1], flush=True)
    return lines


def poll(site: list[str], corpus: Path, work: Path) -> tuple[float, int]:
    """`poll` on ``site`` against a local E-utilities server over ``corpus`` (stopped after)."""
    server = subprocess.Popen(
        [*MILDWATCH, "localpubmed", "--corpus", str(corpus), "--port", "0"],
        cwd=work,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # "Local E-utilities at http://127.0.0.1:PORT/…"
        base_url = first.split(" at ", 1)[1].split()[0]
        config = Path(site[site.index("--config") + 1])
        text = config.read_text(encoding="utf-8")
        start = text.index("base_url = ")
        end = text.index("\n", start)
        config.write_text(f'{text[:start]}base_url = "{base_url}"{text[end:]}', encoding="utf-8")
        return run([*site, "poll"], cwd=work)
    finally:
        server.terminate()
        server.wait()


def startup(runs: int, work: Path) -> list[str]:
    site = new_site(work / f"startup-{time.time_ns()}")
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import click"': [sys.executable, "-c", "import click"],
        "mildwatch --version": [*MILDWATCH, "--version"],
        "mildwatch status": [*site, "status"],
        "mildwatch poll --help": [*MILDWATCH, "poll", "--help"],
        "mildwatch digest --help": [*MILDWATCH, "digest", "--help"],
    }
    bytecode = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    bytecode["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    for args in cases.values():  # warm: compile and keep the bytecode once
        run(args, cwd=work, env=bytecode)
    modes = {"as run here": None, "with .pyc kept": bytecode}
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(runs):  # interleaved, so a busy moment of the machine hits every case
        for mode, env in modes.items():
            for name, args in cases.items():
                times.setdefault((mode, name), []).append(run(args, cwd=work, env=env)[0])
    median = {key: statistics.median(values) for key, values in times.items()}
    lines = [
        f"{runs} runs each, interleaved, median; PYTHONDONTWRITEBYTECODE set here: "
        f"{'PYTHONDONTWRITEBYTECODE' in os.environ}",
        "",
        "| command | mode | median ms | × python -c pass | × import click |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for mode in modes:
        bare, click_only = (
            median[(mode, "python -c pass")],
            median[(mode, 'python -c "import click"')],
        )
        for name in cases:
            seconds = median[(mode, name)]
            ratios = f"{seconds / bare:.1f} | {seconds / click_only:.1f}"
            lines.append(f"| `{name}` | {mode} | {seconds * 1000:.0f} | {ratios} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--work", type=Path, help="Keep generated files here (reused).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mildwatch-memory-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.skip_startup:
            print("\n".join(startup(args.startup_runs, work)), flush=True)
        if not args.skip_memory:
            print("\n".join(memory(args.records, work)), flush=True)


if __name__ == "__main__":
    main()
