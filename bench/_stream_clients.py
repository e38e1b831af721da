"""Many raw HTTP readers of one MP3 stream, in one process: each only counts the bytes it gets.

asyncio Protocols, no HTTP library: a reader costs a few microseconds per chunk, so two
processes can hold thousands of listeners while the server is measured. They connect 50 at
a time, each waiting for its response to start (as people arriving do, and so the server's
admission limit is not hit by the bench itself).
"""

from __future__ import annotations

import asyncio
import re

BATCH = 50


class Reader(asyncio.Protocol):
    def __init__(self, started: asyncio.Future) -> None:
        self.started, self.received, self.head = started, 0, b""

    def data_received(self, data: bytes) -> None:
        if not self.started.done():
            self.head += data
            if b"\r\n\r\n" in self.head:
                self.started.set_result(self.head.split(b"\r\n", 1)[0])
            return
        self.received += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.started.done():
            self.started.set_result(b"lost")


def listener_process(url: str, count: int, pipe) -> None:  # noqa: ANN001
    asyncio.run(_listen(url, count, pipe))


async def _listen(url: str, count: int, pipe) -> None:  # noqa: ANN001
    host, port, path = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    loop = asyncio.get_running_loop()
    readers: list[Reader] = []

    async def one() -> Reader | None:
        started = loop.create_future()
        transport, reader = await loop.create_connection(lambda: Reader(started), host, int(port))
        transport.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        status = await asyncio.wait_for(started, 30)
        return reader if b" 200 " in status else None

    for first in range(0, count, BATCH):
        results = await asyncio.gather(*(one() for _ in range(first, min(first + BATCH, count))),
                                       return_exceptions=True)
        readers += [r for r in results if isinstance(r, Reader)]
    pipe.send(len(readers))
    marks: list[int] = []
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "mark":
            marks = [r.received for r in readers]
        elif command == "count":
            pipe.send([r.received - m for r, m in zip(readers, marks)])
