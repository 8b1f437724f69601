"""The local registry server: a test double for ClinicalTrials.gov's API v2 and a demo aid,
apart from the production path (only the CLI's ``demo`` and ``localregistry`` commands import
it; tests use it freely). It shares its HTTP scaffold with ``watcher.localpubmed`` (faults, the
request log) and nothing with ``watcher.registry``, the client it is used to test.

    server.py   GET /api/v2/studies: query.*, fields, pageSize/pageToken, countTotal, 400s
    query.py    the registry's search expressions (words, "phrases", AND/OR/NOT, parentheses)
    sample/     synthetic studies ("[SYNTHETIC]", NCT99000101+): studies/ and a later/ snapshot
"""

from pathlib import Path

from watcher.localpubmed.serving import Fault, LoggedRequest
from watcher.localregistry.server import LocalRegistry, serve_forever

#: The bundled synthetic studies, as first seen, and the later snapshot the demo polls second.
SAMPLE_DIR = Path(__file__).parent / "sample" / "studies"
LATER_DIR = Path(__file__).parent / "sample" / "later"

__all__ = ["LATER_DIR", "SAMPLE_DIR", "Fault", "LocalRegistry", "LoggedRequest", "serve_forever"]
