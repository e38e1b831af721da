"""bench.sfu's crowded rooms: a stage that takes turns, listeners that time what they hear, a join storm.

Each group of aiortc bots runs in a process of its own and answers commands on a pipe:

- ``stage``: N stage members sending a quiet room's packets (pink noise at -70 dBFS, as a
  browser sends in silence) until their turn, then a two-to-four-second sentence. One speaks at a
  time, and every fifth turn a second one starts half a second into the first's. Even bots say
  sentence A, odd bots sentence B, so a listener can tell two at once apart. Each utterance is
  logged: (bot, sentence, when its first packet went out, packets).
- ``probe``: listeners that keep every payload with its arrival time.
- ``storm``: listeners that arrive evenly over a period: each joins, and offers WebRTC unless
  the room says its WebRTC audience is full (then it would hear the HTTP stream).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import zlib
from collections import Counter

UTTERANCE_PACKETS = (100, 200)  # two to four seconds
GAP_S = (0.3, 0.8)
OVERLAP_EVERY = 5
OVERLAP_AFTER_S = 0.5
JOIN_BATCH = 5
CROWD_NICENESS = 10


def group_process(role: str, ws_url: str, tokens: list[str], files: dict, spread_s: float, pipe) -> None:  # noqa: ANN001
    if role == "storm":
        # The crowd stands in for people on machines of their own: it yields the shared cores to
        # the server, the talker and the probes, whose timing is what is measured.
        os.nice(CROWD_NICENESS)
    asyncio.run(_group(role, ws_url, tokens, files, pipe, spread_s))


async def _group(role: str, ws_url: str, tokens: list[str], files: dict, pipe, spread_s: float) -> None:  # noqa: ANN001
    from contrib.bot import Bot
    from contrib.bot_voices import Talker

    loop = asyncio.get_running_loop()
    talkers = [Talker(files["speech"][i % 2], files["quiet"]) for i in range(len(tokens))] if role == "stage" else []
    bots = [Bot(ws_url, token, voice=(lambda t=talkers[i]: t) if talkers else None, keep_payloads=role == "probe",
                local_address=crowd_address(token) if role == "storm" else None)
            for i, token in enumerate(tokens)]
    admitted: dict = {"welcome": 0, "webrtc": 0, "outcomes": Counter(), "welcome_s": []}

    async def start(index: int, bot: Bot) -> None:
        began = time.monotonic()
        welcome = await bot.join()
        admitted["welcome"] += 1
        admitted["welcome_s"].append(time.monotonic() - began)
        if role == "stage":
            await bot.send("take_stage", consent=True)
            await bot.negotiate(publish=True)
        elif welcome.get("webrtc", True):
            admitted["webrtc"] += 1
            await bot.negotiate()
            if role == "storm":
                await bot.connected()
                ignore_media(bot)

    async def storm_start(index: int, bot: Bot) -> None:
        """``start``, and how it ended for this bot: each bot counts once (``outcomes``)."""
        try:
            await start(index, bot)
        except BaseException as error:  # noqa: BLE001 - every way of failing is counted, by phase
            phase = "connected" if bot.pc is not None else "welcome" if bot.identity is None else "negotiate"
            refused = next((e["code"] for e in bot.errors if e.get("ref") == "join"), None)
            admitted["outcomes"][f"refused:{refused}" if refused else f"failed:{phase}:{type(error).__name__}"] += 1
            return
        admitted["outcomes"]["webrtc" if bot.pc is not None else "stream"] += 1

    if role == "storm":
        pipe.send("ready")
        await loop.run_in_executor(None, pipe.recv)  # "go"
        began = time.monotonic()
        pending = []
        for index, bot in enumerate(bots):  # evenly over spread_s, as a crowd arrives
            await asyncio.sleep(max(0.0, began + index * spread_s / len(bots) - time.monotonic()))
            pending.append(asyncio.create_task(storm_start(index, bot)))
        await asyncio.gather(*pending)
    else:
        for first in range(0, len(bots), JOIN_BATCH):
            await asyncio.gather(*(start(i, bot) for i, bot in enumerate(bots) if first <= i < first + JOIN_BATCH))
    pipe.send("joined")
    turns: asyncio.Task | None = None
    log: list[tuple[int, int, float, int]] = []
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "turns":
            turns = asyncio.create_task(_take_turns(talkers, log))
            pipe.send("ok")
        elif command == "utterances":
            pipe.send(_logged(talkers, log))
        elif command == "arrivals":
            pipe.send([{slot: list(zip(bot.arrivals[slot], bot.payloads[slot], strict=True)) for slot in bot.payloads}
                       for bot in bots])
        elif command == "count":
            pipe.send([bot.packets_heard for bot in bots])
        elif command == "admitted":
            pipe.send(admitted)
        elif command == "stop":
            if turns is not None:
                turns.cancel()
            await asyncio.gather(*(bot.close() for bot in bots), return_exceptions=True)
            pipe.send("stopped")
            return


def ignore_media(bot) -> None:  # noqa: ANN001
    """The crowd's packets still come (the server sends every one) but are dropped on arrival.

    This machine's two cores are shared by the server and every bot: 200 bots taking each
    packet through aioice's STUN parser, its queue and aiortc's DTLS loop would starve the
    server being measured. RTP is dropped in the socket's callback (first byte 0x80-0xBF,
    second byte outside RTCP's 192-208, as aiortc tells them apart); STUN consent checks and
    RTCP still go through, so the server keeps each connection (aioice internals, bench only).
    """
    for protocol in bot.pc.getTransceivers()[0].receiver.transport.transport._connection._protocols:
        received = protocol.datagram_received

        def datagram_received(data: bytes, addr: tuple, received=received) -> None:  # noqa: ANN001
            if len(data) > 1 and 0x80 <= data[0] < 0xC0 and not 192 <= data[1] <= 208:
                return  # RTP
            received(data, addr)

        protocol.datagram_received = datagram_received


def crowd_address(token: str) -> str:
    """A loopback address of its own for each member of the crowd: people, not one client with 500 tabs."""
    number = zlib.crc32(token.encode()) % (250 * 250)
    return f"127.1.{1 + number // 250}.{1 + number % 250}"


async def _take_turns(talkers: list, log: list) -> None:  # noqa: ANN001
    """People taking turns: one at a time, now and then two at once. Seeded: every run the same."""
    chance = random.Random(7)
    turn = 0
    while True:
        turn += 1
        first = chance.randrange(len(talkers))
        packets = chance.randrange(*UTTERANCE_PACKETS)
        _say(talkers, first, packets, log)
        if turn % OVERLAP_EVERY == 0 and len(talkers) > 1:
            await asyncio.sleep(OVERLAP_AFTER_S)
            second = (first + 1 + 2 * chance.randrange(len(talkers) // 2)) % len(talkers)  # the other sentence
            if second != first:
                _say(talkers, second, packets, log)
        while any(talker.speaking for talker in talkers):
            await asyncio.sleep(0.05)
        await asyncio.sleep(chance.uniform(*GAP_S))


def _say(talkers: list, index: int, packets: int, log: list) -> None:  # noqa: ANN001
    talkers[index].speak(packets)
    log.append((index, len(talkers[index].spoke_at), packets))


def _logged(talkers: list, log: list) -> list[tuple[int, int, float, int]]:  # noqa: ANN001
    """(bot, sentence, first packet sent at, packets) for each utterance that has begun."""
    return [(index, index % 2, talkers[index].spoke_at[nth], packets)
            for index, nth, packets in log if nth < len(talkers[index].spoke_at)]
