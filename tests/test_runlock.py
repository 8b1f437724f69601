import subprocess
import sys
from pathlib import Path

import pytest

from watcher.errors import LockedError
from watcher.runlock import run_lock


def test_second_holder_is_refused_and_lock_is_released(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with run_lock(db), pytest.raises(LockedError, match="another mildwatch run"):  # noqa: SIM117
        with run_lock(db):
            pass
    with run_lock(db):  # free again
        pass


def test_lock_held_by_another_process_is_seen(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    code = (
        "import sys, time; from pathlib import Path; from watcher.runlock import run_lock\n"
        "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(30)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"pid {child.pid}"), run_lock(db):
            pass
    finally:
        child.kill()
        child.wait()
    with run_lock(db):  # the kernel released it when the process died
        pass
