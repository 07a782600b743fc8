"""Decoding cost per event: the reference path (``orjson.loads`` then ``decode_obj``) against ``decode``.

    .venv/bin/python bench/decode.py --events 20000

Generates N synthetic events of all types (``timeline.synthetic``), encodes them as the
producers do, then decodes them all a number of rounds each way, in turns. It prints the
fastest round of each in microseconds per event of this thread's CPU time, which other load on
the machine disturbs less than the wall clock, and the wall clock of that round beside it.
The collector is tuned as in the projector (``tune_gc``).
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402

from common import console, show  # noqa: E402
from timeline.events import BY_CE_TYPE, decode, decode_obj  # noqa: E402
from timeline.events.codec import encode  # noqa: E402
from timeline.projector import tune_gc  # noqa: E402
from timeline.synthetic import generate  # noqa: E402


def reference(raw: bytes):
    """The path ``decode`` took before its fast path: parse with orjson, validate the object."""
    return decode_obj(orjson.loads(raw))


def json_mode(raw: bytes):
    """pydantic's JSON parser on the type's envelope: not ``decode``, which cannot use it (see
    ``timeline.events.codec._decode_fast``), but shown for its cost."""
    return BY_CE_TYPE[orjson.loads(raw)["type"]].envelope.model_validate_json(raw)


def one_round(decoder: Callable, raw: list[bytes]) -> tuple[float, float]:
    """CPU and wall seconds to decode every value once (the events are kept, as the projector does)."""
    cpu, wall = time.thread_time(), time.perf_counter()
    events = [decoder(value) for value in raw]
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    del events
    return cpu, wall


def main(n: int, rounds: int) -> None:
    raw = [encode(e)[0] for e in generate(n, seed=1)]
    assert all(decode(value) == reference(value) for value in raw[:1000])
    tune_gc()
    ways = {"reference: decode_obj(orjson.loads(raw))": reference, "decode(raw)": decode,
            "(for comparison) orjson.loads for the type, then model_validate_json": json_mode}
    best = {name: (float("inf"), float("inf")) for name in ways}
    for _ in range(rounds):
        for name, decoder in ways.items():
            best[name] = min(best[name], one_round(decoder, raw))
    us = 1e6 / n
    console.rule(f"{n:,} events of {sum(map(len, raw)) / n:,.0f} bytes on average, best of {rounds} rounds")
    for name, (cpu, wall) in best.items():
        show(name, f"{cpu * us:,.1f} µs/event", f"{wall * us:,.1f} µs/event wall")
    (old_cpu, _), (new_cpu, _), _ = best.values()
    show("decode against the reference", f"{old_cpu / new_cpu:,.2f}×")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    main(args.events, args.rounds)
