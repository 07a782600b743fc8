"""Generated hostile input at length: how many events it tried and what became of each.

    .venv/bin/python bench/hostile.py                      # 2,000 events, a random seed
    .venv/bin/python bench/hostile.py --events 10000 --seed 7

The same generator as ``tests/faults/test_generated.py`` (events valid per ``schemas/`` and the
same with one edge value anywhere), sent raw to fresh topics and projected by the real
projector. It prints the tally by outcome, and every record whose outcome differs from the
contract's (``decode``) or that was handled other than exactly once. Nothing is asserted; a
non-zero exit means a record was lost, doubled or misclassified.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import console, drop, fresh_settings, new_tag, prepare, show  # noqa: E402
from tests.faults.generated import draw_events  # noqa: E402
from tests.faults.test_generated import expected_outcome, outcomes, send_raw  # noqa: E402
from timeline import bootstrap  # noqa: E402


async def run(count: int, seed: int) -> int:
    settings = fresh_settings(new_tag(), batch_max_records=500)
    await prepare(settings)
    try:
        started = time.monotonic()
        events = await asyncio.to_thread(draw_events, count, seed, f"bench{seed}")
        show("events generated", f"{len(events):,}", f"seed {seed}, {time.monotonic() - started:.0f} s")
        sent = await send_raw(settings, events)
        started = time.monotonic()
        async with bootstrap.projector(settings) as projector:
            await projector.check_version()
            progress = await projector.run(until_caught_up=True)
        show("projected until caught up", f"{time.monotonic() - started:.1f} s",
             f"{progress.batches} batches, {progress.dead_letters} dead letters")
        became, tally = await outcomes(settings, sent)
        for outcome, n in sorted(tally.items(), key=lambda kv: -kv[1]):
            show(f"  {outcome}", f"{n:,}")
        wrong = 0
        for coordinates, raw in sent.items():
            expected = expected_outcome(raw, settings.max_message_bytes)
            actual = "+".join(became[coordinates]) or "nothing"
            if actual != expected and not (expected == "projected" and actual == "rejected_by_store"):
                wrong += 1
                console.print(f"  [red]{coordinates}: expected {expected}, got {actual}[/red]: {raw[:200]!r}")
        show("records handled other than the contract says", f"{wrong}")
        return 1 if wrong else 0
    finally:
        await drop(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    sys.exit(asyncio.run(run(args.events, seed)))


if __name__ == "__main__":
    main()
