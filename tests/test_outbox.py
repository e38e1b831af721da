"""A socket's queue holds the newest state once, however much changed (issue 15, item 2)."""

from __future__ import annotations

import asyncio
import json

from live.connection import batch
from live.outbox import LAZY_S, MAX_POINT_MESSAGES, Outbox
from live.protocol import server_message
from live.rate import MAX_REFUSED, Bucket


def _drain(outbox: Outbox) -> list:
    async def run() -> list:
        sent = []
        while len(outbox):
            sent += await outbox.take()
        return sent

    return asyncio.run(run())


def test_a_newer_keyed_message_replaces_the_unsent_one_in_its_place() -> None:
    outbox = Outbox()
    outbox.put("welcome")
    for n in range(10_000):  # a client that read nothing while the room changed ten thousand times
        outbox.put(f"ann v{n}", key="p:ann")
        outbox.put(f"state v{n}", key="state")
    outbox.put("answer")
    outbox.put("ben", key="p:ben")
    assert len(outbox) == 5
    assert _drain(outbox) == ["welcome", "ann v9999", "state v9999", "answer", "ben"]


def test_unkeyed_messages_past_the_limit_are_refused_and_close_drops_the_queue() -> None:
    outbox = Outbox()
    assert all(outbox.put(f"error {n}") for n in range(MAX_POINT_MESSAGES))
    assert not outbox.put("one too many")
    outbox.close(4008, "too slow", now=True)
    assert asyncio.run(outbox.take()) == (4008, "too slow")


def test_a_close_waits_for_what_was_queued_before_it() -> None:
    outbox = Outbox()
    outbox.put("removed")
    outbox.close(4403, "removed")
    outbox.put("late")  # nothing goes out after the close
    assert _drain(outbox) == ["removed"]
    assert asyncio.run(outbox.take()) == (4403, "removed")


def test_lazy_news_waits_for_company_or_a_second_and_leaves_in_one_frame() -> None:
    async def run() -> list:
        loop = asyncio.get_running_loop()
        outbox, frames = Outbox(), []
        for n in range(5):  # listeners arriving: nothing goes out for them alone
            outbox.put(f"card {n}", key=f"p:{n}", lazy=True)
        began = loop.time()
        frames.append((await outbox.take(), round(loop.time() - began, 1)))
        outbox.put("card 5", key="p:5", lazy=True)
        outbox.put("answer")  # something that goes at once takes the waiting news along
        frames.append((await outbox.take(), round(loop.time() - began, 1)))
        return frames

    first, second = asyncio.run(run())
    assert first == ([f"card {n}" for n in range(5)], LAZY_S)
    assert second == (["card 5", "answer"], LAZY_S)


def test_a_batch_frame_holds_its_messages_in_order() -> None:
    messages = [server_message("participant", participant={"identity": "ann"}), server_message("pong")]
    assert json.loads(batch(messages)) == {"type": "batch", "messages": [json.loads(m) for m in messages]}


def test_the_bucket_allows_a_burst_refills_and_names_a_flood() -> None:
    now = [0.0]
    bucket = Bucket(burst=40, per_second=10, clock=lambda: now[0])
    assert sum(bucket.take() for _ in range(300)) == 40
    assert bucket.retry_after_s() == 0.1
    now[0] += 1.0
    assert sum(bucket.take() for _ in range(15)) == 10
    assert not bucket.abusive
    for _ in range(MAX_REFUSED):
        bucket.take()
    assert bucket.abusive
