"""The room page in real headless Chromium (Debian's), as a speaker and as a listener.

One Chromium speaks through its fake microphone (espeak-ng speech after 1.5 s of silence, see
../shared/notes/browser-webrtc.md); it joins as a listener, raises its hand, is invited by an
aiortc host, consents, speaks, is muted and sent back to the audience. A second browser
context listens through the guest door and must hear audio playing.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from contrib.bot import Bot, OpusFile
from tests.conftest import ESPEAK_RATE, LiveServer, speak, write_wav

pytestmark = pytest.mark.timeout(300)
FLAGS = [
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
    "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    words = speak("Hello from the browser. We are talking about rivers and mountains today. " * 3, "en-us")
    silence = np.zeros(int(1.5 * ESPEAK_RATE), dtype=np.float32)
    path = tmp_path_factory.mktemp("mic") / "mic.wav"
    return write_wav(path, np.concatenate([silence, words, silence]))


def launch(playwright, microphone: Path | None = None):  # noqa: ANN001, ANN201
    """Debian's Chromium; the fake microphone, when given, plays the file once."""
    fake_mic = [f"--use-file-for-fake-audio-capture={microphone}%noloop"] if microphone else []
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[*FLAGS, *fake_mic])


def speaker_page(browser, link: str):  # noqa: ANN001, ANN201
    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the consent confirm() of "Take the stage"
    page.goto(link)
    return page


class BotLoop:
    """aiortc bots in a thread and event loop of their own, driven from the synchronous test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def call(self, coroutine, timeout: float = 30):  # noqa: ANN001, ANN201
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


class HostBot(BotLoop):
    """An aiortc host, joined and connected."""

    def __init__(self, live: LiveServer, room_id: int, token: str, voice: Path | None = None) -> None:
        super().__init__()
        # With a voice (an Ogg/Opus file, looped), the host speaks once it takes the stage.
        self.bot = Bot(live.ws(room_id), token, voice=(lambda: OpusFile(str(voice), loop=True)) if voice else None)
        self.call(self._start())

    async def _start(self) -> None:
        await self.bot.join()
        await self.bot.negotiate()
        await self.bot.connected()

    def send(self, kind: str, **fields) -> None:  # noqa: ANN003
        self.call(self.bot.send(kind, **fields))

    def person(self, identity_prefix: str) -> dict | None:
        return next((p for p in self.bot.state.get("participants", []) if p["identity"].startswith(identity_prefix)), None)

    def close(self) -> None:
        self.call(self.bot.close())
        self.stop()


def wait_for(predicate, timeout: float = 20, what: str = "condition"):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_browser_speaker_and_listener_through_the_moderation_flow(live: LiveServer, microphone: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    room_id, host_token = live.open_room(title="Rivers and mountains")
    speaker_link = f"{live.server.base_url}/rooms/{room_id}#join={live.token(room_id, 'sam')}"
    host = HostBot(live, room_id, host_token)
    try:
        with sync_playwright() as playwright:
            speaker_browser, listener_browser = launch(playwright, microphone), launch(playwright)
            speaker = speaker_page(speaker_browser, speaker_link)
            expect(speaker.locator("#recording")).to_be_visible()  # the indicator, from the moment one is in

            listener = listener_browser.new_page()
            listener.goto(f"{live.server.base_url}/rooms/{room_id}")
            listener.fill("#guest-name", "Lou")
            listener.click("#join")
            expect(listener.locator("#audience")).to_contain_text("Lou (you)")

            # raise hand -> the host sees it -> invite -> the dialog asks consent -> on stage
            speaker.click("#raise-hand")
            wait_for(lambda: host.bot.state["hands"] == ["sam"], what="sam's hand at the host")
            host.send("invite", identity="sam")
            expect(speaker.locator("#invite-dialog")).to_be_visible()
            speaker.check("#consent")
            speaker.click("#accept-invite")
            expect(speaker.locator("#stage")).to_contain_text("Sam (you)")
            expect(listener.locator("#stage")).to_contain_text("Sam")

            # speak: the host's aiortc peer receives sam's packets, the listener's page plays them
            wait_for(lambda: (person := host.person("sam")) and person["on_stage"] and person, what="sam on stage")
            wait_for(lambda: host.bot.packets_heard > 100, 30, "sam's audio at the host")
            wait_for(lambda: listener.evaluate("roomcastClient.audioLevel()") > 0.01, 30, "audio playing at the listener")
            wait_for(lambda: "sam" in host.bot.speaking, 20, "sam's speaking ring")
            expect(listener.locator('.person.speaking[data-identity="sam"]')).to_be_visible(timeout=20_000)

            # mute: enforced by the server, shown on both pages
            host.send("mute", identity="sam")
            expect(speaker.locator("#moderator-muted")).to_be_visible()  # the moderator's to lift, not sam's
            expect(speaker.locator("#unmute")).to_be_hidden()
            expect(listener.locator('[data-identity="sam"] .flags')).to_contain_text("muted")
            time.sleep(0.5)
            before = host.bot.packets_heard
            time.sleep(1.5)
            assert host.bot.packets_heard == before

            # back to the audience: the microphone closes
            host.send("move_to_audience", identity="sam")
            expect(speaker.locator("#audience")).to_contain_text("Sam (you)")
            expect(speaker.locator("#raise-hand")).to_be_visible()
            wait_for(lambda: speaker.evaluate(
                "roomcastClient.mic && roomcastClient.mic.direction === 'inactive' && !roomcastClient.micTrack"),
                what="the microphone to close")

            host.send("end_room")
            expect(listener.locator("#notice")).to_contain_text("ended")
            speaker_browser.close()
            listener_browser.close()
    finally:
        host.close()


def test_a_silent_speaker_is_not_heard_as_audio(live: LiveServer, tmp_path: Path) -> None:
    """The negative control: the listener's level check reads 0 when the stage is silent."""
    from playwright.sync_api import expect, sync_playwright

    silence = write_wav(tmp_path / "silence.wav", np.zeros(8 * ESPEAK_RATE, dtype=np.float32))
    room_id, _ = live.open_room(title="Quiet")
    speaker_link = f"{live.server.base_url}/rooms/{room_id}#join={live.token(room_id, 'quiet', 'speaker')}"
    with sync_playwright() as playwright:
        speaker_browser, listener_browser = launch(playwright, silence), launch(playwright)
        speaker = speaker_page(speaker_browser, speaker_link)
        listener = listener_browser.new_page()
        listener.goto(f"{live.server.base_url}/rooms/{room_id}#join={live.token(room_id, 'ear')}")
        expect(listener.locator("#audience")).to_contain_text("Ear (you)")
        speaker.click("#take-stage")  # a speaker token steps up without an invite
        expect(listener.locator("#stage")).to_contain_text("Quiet")
        time.sleep(4)
        assert listener.evaluate("roomcastClient.audioLevel()") < 0.001
        speaker_browser.close()
        listener_browser.close()


class StageBots(BotLoop):
    """aiortc stage members that stay quiet until told to speak."""

    def __init__(self, live: LiveServer, room_id: int, tokens: list[str], talkers: list) -> None:  # noqa: ANN001
        super().__init__()
        self.bots = [Bot(live.ws(room_id), token, voice=lambda t=talker: t) for token, talker in zip(tokens, talkers)]
        self.call(self._start(), timeout=60)

    async def _start(self) -> None:
        for bot in self.bots:
            await bot.join()
            await bot.send("take_stage", consent=True)
            await bot.negotiate(publish=True)
            await bot.connected()

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(bot.close() for bot in self.bots))

        self.call(close_all())
        self.stop()


def test_a_browser_listener_hears_whoever_starts_talking_on_a_stage_larger_than_its_slots(
        live: LiveServer, tmp_path: Path) -> None:
    """Four on the stage, three forwarded: the one left out at first is heard once they speak."""
    from playwright.sync_api import expect, sync_playwright

    from contrib.bot_voices import Talker

    words = write_wav(tmp_path / "words.wav", speak("Now I am speaking, can you hear me over the others? " * 2, "en-us"))
    speech, quiet = tmp_path / "words.opus", tmp_path / "quiet.opus"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(words), "-ar", "48000", "-ac", "1", "-c:a", "libopus",
                    "-b:a", "32k", str(speech)], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anoisesrc=a=0.0003:c=pink:r=48000:s=3", "-t", "3",
                    "-ac", "1", "-c:a", "libopus", "-b:a", "32k", str(quiet)], check=True)
    room_id, host_token = live.open_room(title="Four on the stage")
    talkers = [Talker(str(speech), str(quiet)) for _ in range(4)]
    tokens = [host_token] + [live.token(room_id, f"guest{i}", "speaker") for i in range(1, 4)]
    stage = StageBots(live, room_id, tokens, talkers)
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            listener = browser.new_page()
            listener.goto(f"{live.server.base_url}/rooms/{room_id}#join={live.token(room_id, 'ear')}")
            expect(listener.locator("#audience")).to_contain_text("Ear (you)")
            wait_for(lambda: listener.evaluate("roomcastClient.slots.length") == 3, 20, "three slots")
            time.sleep(3)
            assert listener.evaluate("roomcastClient.audioLevel()") < 0.001  # a quiet stage sends nothing
            stage.loop.call_soon_threadsafe(talkers[3].speak)  # the last to arrive, left out at first
            wait_for(lambda: listener.evaluate("roomcastClient.audioLevel()") > 0.01, 15, "the fourth speaker heard")
            expect(listener.locator('.person.speaking[data-identity="guest3"]')).to_be_visible(timeout=10_000)
            browser.close()
    finally:
        stage.close()
