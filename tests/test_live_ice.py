"""ICE on a host whose only network is loopback (a sandbox, a container without a network).

aioice never offers 127.0.0.1, so there neither the SFU nor a client would gather a single
candidate; roomcast adds the loopback address when it is all there is. The room runs inside
a fresh network namespace (``unshare -n``) that has only ``lo``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import live_server

pytestmark = pytest.mark.timeout(180)


def can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_unshare(), reason="needs `unshare -n` (root or user namespaces)")
def test_a_room_works_on_a_loopback_only_host(tmp_path: Path, opus_speech: Path) -> None:
    script = f"ip link set lo up && {sys.executable} -m tests.test_live_ice {tmp_path} {opus_speech}"
    result = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, timeout=150,
                            cwd=Path(__file__).parent.parent, env={**os.environ, "PYTHONPATH": "."})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "heard" in result.stdout


def inside_the_namespace(directory: Path, speech: Path) -> None:
    """Only ``lo`` exists here: a server, a speaker and a listener, and packets must flow."""
    from contrib.bot import Bot, OpusFile

    interfaces = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True).stdout
    assert "127.0.0.1" in interfaces and len(interfaces.strip().splitlines()) == 1, interfaces
    with live_server(directory, ROOMCAST_EMBEDDED_WORKER="false") as live:
        room_id, host_token = live.open_room()

        async def scenario() -> int:
            host = Bot(live.ws(room_id), host_token, voice=lambda: OpusFile(str(speech)))
            ear = Bot(live.ws(room_id), live.token(room_id, "ear"))
            for bot in (host, ear):
                await bot.join()
                await bot.negotiate()
                await bot.connected(timeout=20)
            await host.send("take_stage", consent=True)
            await asyncio.sleep(3)
            heard = ear.packets_heard
            for bot in (host, ear):
                await bot.close()
            return heard

        heard = asyncio.run(scenario())
        assert heard > 100, heard
        print(f"heard {heard} packets")


if __name__ == "__main__":
    inside_the_namespace(Path(sys.argv[1]), Path(sys.argv[2]))
