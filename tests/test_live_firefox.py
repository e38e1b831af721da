"""The room page in Debian's Firefox ESR, driven over WebDriver BiDi (built into Firefox).

Playwright drives only its own patched Firefox and geckodriver is not packaged here, but
Firefox speaks WebDriver BiDi itself on ``--remote-debugging-port``: a few JSON commands over
a WebSocket navigate, evaluate and click. Firefox's fake microphone plays a tone.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import websockets

from contrib.bot import Bot, OpusFile
from tests.conftest import LiveServer, free_port, host_on_stage

pytestmark = [pytest.mark.timeout(180),
              pytest.mark.skipif(shutil.which("firefox-esr") is None, reason="needs Debian's firefox-esr")]
PREFS = {
    "media.navigator.streams.fake": True, "media.navigator.permission.disabled": True,
    "media.autoplay.default": 0, "media.autoplay.blocking_policy": 0,
    "media.peerconnection.ice.obfuscate_host_addresses": False, "media.peerconnection.ice.loopback": True,
    "remote.active-protocols": 1,  # WebDriver BiDi only
}


class Firefox:
    """One headless Firefox with a fresh profile, and a BiDi session on its only tab."""

    def __init__(self, profile: Path) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "user.js").write_text("".join(f'user_pref("{k}", {json.dumps(v)});\n' for k, v in PREFS.items()))
        self.port = free_port()
        self.process = subprocess.Popen(
            ["firefox-esr", "--headless", "--profile", str(profile), "--remote-debugging-port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ws = None
        self.context = None
        self._id = 0

    async def start(self) -> None:
        deadline = time.monotonic() + 60
        while self.ws is None:
            try:
                self.ws = await websockets.connect(f"ws://127.0.0.1:{self.port}/session", max_size=2**24)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        # confirm() ("This room is recorded… go on stage?") is accepted, as a person would
        await self.call("session.new", capabilities={"alwaysMatch": {"unhandledPromptBehavior": "accept"}})
        self.context = (await self.call("browsingContext.getTree"))["contexts"][0]["context"]

    async def call(self, method: str, **params) -> dict:  # noqa: ANN003
        self._id += 1
        await self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == self._id:
                assert message["type"] == "success", message
                return message["result"]

    async def goto(self, url: str) -> None:
        await self.call("browsingContext.navigate", context=self.context, url=url, wait="complete")

    async def js(self, expression: str):  # noqa: ANN201
        result = await self.call("script.evaluate", expression=expression, target={"context": self.context},
                                 awaitPromise=True)
        assert result["type"] == "success", result
        return result["result"].get("value")

    async def until(self, expression: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not await self.js(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"Firefox: timed out waiting for {expression}")
            await asyncio.sleep(0.2)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def test_firefox_hears_the_room_and_speaks_on_stage(live: LiveServer, opus_speech: Path, tmp_path: Path) -> None:
    room_id, host_token = live.open_room(title="Firefox")
    link = f"{live.server.base_url}/rooms/{room_id}#join={live.token(room_id, 'fox', 'speaker')}"

    async def scenario() -> None:
        host = await host_on_stage(live, room_id, host_token, opus_speech)
        firefox = Firefox(tmp_path / "profile")
        try:
            await firefox.start()
            await firefox.goto(link)
            await firefox.until("document.querySelector('#audience')?.textContent.includes('Fox (you)')")
            assert await firefox.js("!document.getElementById('recording').hidden")
            # it hears the host: the remote track plays
            await firefox.until("roomcastClient.audioLevel().then(level => level > 0.01)", timeout=30)
            # and it speaks: its fake microphone reaches the host through the SFU
            await firefox.js("document.getElementById('take-stage').click()")
            await firefox.until("document.querySelector('#stage').textContent.includes('Fox (you)')")
            await host.wait_state(lambda s: any(p["identity"] == "fox" and p["on_stage"] for p in s["participants"]))
            deadline = time.monotonic() + 30
            while host.packets_heard < 50:
                assert time.monotonic() < deadline, "no audio from Firefox at the host"
                await asyncio.sleep(0.2)
        finally:
            firefox.close()
            await host.close()

    asyncio.run(scenario())


def shown(selector: str) -> str:
    """Whether a person sees the element: rendered with a box, as Playwright's to_be_visible means."""
    return (f"(e => !!e && e.checkVisibility({{visibilityProperty: true}}) && e.getClientRects().length > 0)"
            f"(document.querySelector({json.dumps(selector)}))")


def test_firefox_shows_the_record_state_from_the_door_to_after_the_end(live: LiveServer, opus_speech: Path,
                                                                        tmp_path: Path) -> None:
    room_id, host_token = live.open_room(title="Firefox states")
    page = f"{live.server.base_url}/rooms/{room_id}"

    async def expect_shown(firefox: Firefox, visible: tuple[str, ...], hidden: tuple[str, ...]) -> None:
        await firefox.until(" && ".join([shown(s) for s in visible] + [f"!{shown(s)}" for s in hidden]))

    async def scenario() -> None:
        host = Bot(live.ws(room_id), host_token, voice=lambda: OpusFile(str(opus_speech), loop=True))
        await host.join()
        firefox = Firefox(tmp_path / "profile")
        try:
            await firefox.start()
            await firefox.goto(page)
            await expect_shown(firefox, ("#door",), ("#recording", "#off-record", "#live", "#notice"))
            await firefox.js("document.getElementById('guest-name').value = 'Fern';"
                             "document.getElementById('join').click()")
            await firefox.until("document.querySelector('#audience')?.textContent.includes('Fern (you)')")
            await expect_shown(firefox, ("#recording", "#controls"), ("#off-record", "#door"))

            await host.send("off_record", on=True)
            await expect_shown(firefox, ("#off-record",), ("#recording",))
            await host.send("off_record", on=False)
            await expect_shown(firefox, ("#recording",), ("#off-record",))

            await host.send("end_room")
            await firefox.until("document.getElementById('notice').textContent === 'This room has ended: Host ended it.'")
            await expect_shown(firefox, ("#notice",), ("#recording", "#off-record", "#controls", "#stage"))
            assert await firefox.js("document.getElementById('room-status').textContent") == "ended"

            await firefox.goto(page)  # a fresh load of the ended room
            await expect_shown(firefox, ("#notice",), ("#recording", "#off-record", "#door", "#live"))
            assert await firefox.js("document.getElementById('notice').textContent") == "This room has ended."
        finally:
            firefox.close()
            await host.close()

    asyncio.run(scenario())
