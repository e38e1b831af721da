"""A join storm: N listeners open one room's socket at once; what signaling that costs.

Each listener is a bare protocol client (no WebRTC: joining is signaling), sending ``join`` and
then keeping the room's state from the server's messages, as the page does. The storm is over
when every listener sees all N people. Measured: the bytes the server sent all of them, how long
until everyone saw everyone, and the CPU seconds the server process spent meanwhile.

Clients spread over source addresses 127.0.0.2, .3, ...: the server caps sockets per address,
and listeners come from many addresses.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass

import websockets

ADDRESSES = 20  # 300 listeners: 15 per address, under the server's cap per address
TIMEOUT_S = 120.0


@dataclass
class JoinStorm:
    listeners: int
    signaling_bytes: int
    all_seen_s: float | None  # None: some listener never saw everyone within TIMEOUT_S
    server_cpu_s: float
    dropped: int  # sockets the server closed, or that could not join

    def summary(self) -> dict:
        return {"listeners": self.listeners, "join_signaling_mb": round(self.signaling_bytes / 1e6, 2),
                "all_seen_s": None if self.all_seen_s is None else round(self.all_seen_s, 2),
                "server_cpu_s": round(self.server_cpu_s, 2), "dropped": self.dropped}


def _cpu_s(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class _Listener:
    def __init__(self, url: str, token: str, source: str) -> None:
        self.url, self.token, self.source = url, token, source
        self.people: set[str] = set()
        self.bytes = 0
        self.failed = False

    async def run(self, everyone: int, done: asyncio.Event) -> None:
        try:
            async with websockets.connect(self.url, max_size=2**24, local_addr=(self.source, 0),
                                          open_timeout=30) as socket:
                await socket.send(json.dumps({"type": "join", "v": 1, "token": self.token}))
                async for raw in socket:
                    self.bytes += len(raw)
                    frame = json.loads(raw)
                    for message in frame["messages"] if frame["type"] == "batch" else [frame]:
                        self._apply(message)
                    if done.is_set():
                        return
        except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
            self.failed = True

    def _apply(self, message: dict) -> None:
        kind = message["type"]
        if kind == "welcome" or (kind == "state" and "participants" in message["room"]):
            self.people = {person["identity"] for person in message["room"]["participants"]}
        elif kind == "participant":
            self.people.add(message["participant"]["identity"])
        elif kind == "participant_gone":
            self.people.discard(message["identity"])
        elif kind == "error":
            self.failed = True


async def _storm(url: str, tokens: list[str], server_pid: int) -> JoinStorm:
    listeners = [_Listener(url, token, f"127.0.0.{2 + n % ADDRESSES}") for n, token in enumerate(tokens)]
    done = asyncio.Event()
    cpu_before, started = _cpu_s(server_pid), time.monotonic()
    tasks = [asyncio.create_task(listener.run(len(tokens), done)) for listener in listeners]
    all_seen_s = None
    while time.monotonic() - started < TIMEOUT_S and not all(task.done() for task in tasks):
        if all(len(listener.people) >= len(tokens) for listener in listeners):
            all_seen_s = time.monotonic() - started
            break
        await asyncio.sleep(0.05)
    cpu = _cpu_s(server_pid) - cpu_before
    done.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    dropped = sum(listener.failed for listener in listeners)
    return JoinStorm(len(tokens), sum(listener.bytes for listener in listeners), all_seen_s, cpu, dropped)


def join_storm(base_url: str, room_id: int, tokens: list[str], server_pid: int) -> JoinStorm:
    url = base_url.replace("http://", "ws://") + f"/rooms/{room_id}/ws"
    return asyncio.run(_storm(url, tokens, server_pid))
