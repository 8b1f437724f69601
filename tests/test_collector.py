"""The cyclic collector is held off while a batch is read and handled, and runs between
batches (watcher.collector): no cycle a batch makes outlives the batch after it."""

from __future__ import annotations

import gc
import weakref

from watcher.collector import collector_held, frozen_with, held_batches


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_the_collector_is_held_inside_and_left_as_it_was_found() -> None:
    assert gc.isenabled()
    with collector_held():
        assert not gc.isenabled()
        with collector_held():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it off for the outer one
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_held():
            pass
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_cycles_a_batch_makes_are_collected_before_the_next_batch_is_read() -> None:
    seen: list[weakref.ref] = []

    def batches():
        for number in range(3):
            assert not gc.isenabled()  # reading a batch: held
            seen.append(weakref.ref(Node()))  # garbage at once, kept alive by its cycle
            yield number

    for number in held_batches(batches()):
        assert not gc.isenabled()  # handling it: held
        assert seen[number]() is not None
        for _ in range(2000):  # what a batch makes: over the collector's threshold
            Node()
        if number:
            assert seen[number - 1]() is None  # the earlier batch's cycle is gone
    assert gc.isenabled()


def test_what_was_held_before_the_batches_is_left_out_of_their_collections() -> None:
    """Frozen while the batches run (no collection walks it again), put back after."""
    before = gc.get_freeze_count()
    counts = [gc.get_freeze_count() for _ in held_batches(range(2))]
    assert all(count > before for count in counts)
    assert gc.get_freeze_count() == before


def test_what_a_run_builds_is_made_held_and_frozen_for_the_block() -> None:
    before = gc.get_freeze_count()

    def build() -> list[list[int]]:
        assert not gc.isenabled()  # made with the collector held
        return [[n] for n in range(1000)]

    with frozen_with(build) as made:
        assert gc.isenabled()  # the block itself runs as usual ...
        assert gc.get_freeze_count() >= before + len(made)  # ... with what was made frozen
    assert gc.get_freeze_count() == before
