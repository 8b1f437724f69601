"""The cyclic garbage collector held off while one batch of records is read, tagged and stored.

A batch makes hundreds of thousands of short-lived objects (the parsed elements, the record
values, the classifier's matches) and keeps a few thousand (the records, their tags, the text
caches). Python's cyclic collector runs every 700 new objects and, every so often, walks every
object the process keeps: in a backfill that was about a tenth of the CPU time (measured with
``gc.callbacks`` over ``mildwatch poll`` of 2,000 synthetic records: 0.46 s of 2.7 s), and it
frees almost nothing, since these objects hold no cycles and reference counting frees them.
So the collector waits until the batch is done, then runs as before and collects whatever
cycles the batch did make: memory stays bounded by one batch. Polls, imports and re-tagging
hold it per batch (:func:`held_batches`); reading a PubMed XML document holds it too
(``parse_pubmed_xml``), wherever it is called from.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def collector_held() -> Iterator[None]:
    """Hold the cyclic collector off inside the block; leave it as it was found (so nested
    blocks, or a caller that turned it off, are respected)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def held_batches(batches: Iterable[T]) -> Iterator[T]:
    """Each of ``batches``, the collector held off from reading it until the caller asks for
    the next one (while the caller tags and stores it). Between two batches it runs as usual:
    the first new object after it is turned on again finds the batch's count of new objects
    over its threshold, and it collects then, before the next batch is read. What the process
    held before the first batch (modules, the profile, compiled patterns) is frozen meanwhile
    (:func:`collector_frozen`): those collections walk what the batches made, not it too
    (half of a 1,000-record poll's collecting)."""
    items = iter(batches)
    with collector_frozen():
        while True:
            with collector_held():
                try:
                    batch = next(items)
                except StopIteration:
                    return
                yield batch


@contextmanager
def collector_frozen() -> Iterator[None]:
    """Every object made before the block left out of the collections inside it
    (``gc.freeze``), then put back. A digest run keeps its papers, studies and landscapes
    (hundreds of thousands of objects at 10,000 papers) while it makes and drops a thousand
    messages: each full collection walked all of them again, for nothing."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def frozen_with(build: Callable[[], T]) -> Iterator[T]:
    """``build()`` made with the collector held, then frozen with everything made before it
    (as :func:`collector_frozen`) for the block. A digest run's shared papers and studies
    (hundreds of thousands of objects, kept for the run, no cycles) are then walked neither
    while they are read nor by the first collections after: frozen only once they were made,
    they were walked twice on their way to the oldest generation (0.09 s at 10,000 papers)."""
    with collector_held():
        made = build()
        gc.freeze()
    try:
        yield made
    finally:
        gc.unfreeze()
