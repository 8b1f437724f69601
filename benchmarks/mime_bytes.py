"""A run of digest messages built as bytes: ``build_message_bytes`` (what composing calls)
against its anchor, the email package's own ``build_message(...).as_bytes(policy=SMTP)``,
side by side in one run over the same rendered digest, with the bytes checked equal.

    uv run python benchmarks/mime_bytes.py [--messages 1000] [--rounds 3]

One realistic digest (``screenshot_digest.sample_view``: chart, several questions, synthetic)
rendered once; then ``--messages`` messages as a run of subscribers makes them: a recipient,
Message-ID and unsubscribe link each, every 4th text only. Prints the best of ``--rounds``
for each path (ms a message) and their ratio. Nothing is written to ``docs/``.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.perf_common import git_commit  # noqa: E402
from benchmarks.screenshot_digest import sample_view  # noqa: E402
from digests.render import RenderedDigest, Renderer, build_message, build_message_bytes  # noqa: E402

SENT = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def run_headers(count: int) -> list[dict[str, Any]]:
    """The headers of ``count`` subscribers' messages, as composing passes them."""
    return [
        {
            "sender": Address("mildwatch", addr_spec="digest@example.org"),
            "to": Address(f"Dr Reader {i:04d}", addr_spec=f"reader{i:04d}@example.org"),
            "message_id": f"<digest.{i:020x}@example.org>",
            "date": SENT,
            "list_unsubscribe": f"https://digest.example.org/unsubscribe/token{i:028d}",
            "list_unsubscribe_post": True,
            "text_only": i % 4 == 3,
        }
        for i in range(count)
    ]


def timed(
    build: Callable[[dict[str, Any]], bytes], runs: list[dict[str, Any]]
) -> tuple[float, list[bytes]]:
    started = time.perf_counter()
    built = [build(headers) for headers in runs]
    return time.perf_counter() - started, built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rendered: RenderedDigest = Renderer().render(sample_view())
    runs = run_headers(args.messages)

    def anchor(headers: dict[str, Any]) -> bytes:
        return build_message(rendered, **headers).as_bytes(policy=policy.SMTP)

    def composing(headers: dict[str, Any], encoder: Any) -> bytes:
        return build_message_bytes(rendered, encoder=encoder, **headers)

    best = {"anchor": float("inf"), "build_message_bytes": float("inf")}
    for _ in range(args.rounds):
        anchor_seconds, expected = timed(anchor, runs)
        encoder = Renderer().bodies  # a fresh run each round: nothing carried over
        seconds, built = timed(functools.partial(composing, encoder=encoder), runs)
        if built != expected:
            raise SystemExit("build_message_bytes wrote other bytes than the anchor")
        best["anchor"] = min(best["anchor"], anchor_seconds)
        best["build_message_bytes"] = min(best["build_message_bytes"], seconds)
    size = sum(map(len, expected)) / len(expected) / 1000
    print(f"commit {git_commit()}, {args.messages} messages of {size:.1f} kB on average")
    for name, seconds in best.items():
        print(
            f"{name:<20} {1000 * seconds / args.messages:7.3f} ms a message (best of {args.rounds})"
        )
    ratio = best["anchor"] / best["build_message_bytes"]
    print(f"anchor / build_message_bytes: {ratio:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
