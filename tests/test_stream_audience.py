"""Beyond the room's WebRTC audience, the room page plays the live HTTP stream, and the stage
still takes such a listener over WebRTC. Real Chromium, an aiortc host speaking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LiveServer, live_server, spoken_opus
from tests.test_live_browser import HostBot, launch, microphone, speaker_page, wait_for  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose rooms have no WebRTC audience at all: every listener gets the stream."""
    with live_server(tmp_path_factory.mktemp("full"), ROOMCAST_EMBEDDED_WORKER="false", ROOMCAST_ROOM_GRACE_S="2",
                     ROOMCAST_LIVE_TRANSCRIPTION="false", ROOMCAST_MAX_WEBRTC_LISTENERS="0") as server:
        yield server


@pytest.fixture(scope="module")
def host_voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_opus(tmp_path_factory.mktemp("host-voice"), "host", "Welcome to the room, everyone.")


def test_a_listener_beyond_webrtc_hears_the_stream_and_is_still_invited_up(full: LiveServer, host_voice: Path,
                                                                          microphone: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    room_id, host_token = full.open_room(title="Full room")
    host = HostBot(full, room_id, host_token, voice=host_voice)
    try:
        host.send("take_stage", consent=True)
        link = f"{full.server.base_url}/rooms/{room_id}#join={full.token(room_id, 'lou')}"
        with sync_playwright() as playwright:
            browser = launch(playwright, microphone)
            page = speaker_page(browser, link)
            expect(page.locator("#notice")).to_contain_text("live stream")
            stream = page.locator("audio[data-stream=mp3]")
            expect(stream).to_have_count(1)
            page.wait_for_function("document.querySelector('audio[data-stream=mp3]').currentTime > 2", timeout=20_000)
            assert page.evaluate("roomcastClient.pc") is None  # no WebRTC for the audience here

            # The socket is still theirs: a raised hand reaches the host, who invites them up.
            page.click("#raise-hand")
            wait_for(lambda: host.bot.state["hands"] == ["lou"], what="lou's hand at the host")
            host.send("invite", identity="lou")
            expect(page.locator("#invite-dialog")).to_be_visible()
            page.check("#consent")
            page.click("#accept-invite")
            expect(page.locator("#stage")).to_contain_text("Lou (you)")
            expect(stream).to_have_count(0)  # the stream stops, WebRTC takes over
            lou = wait_for(lambda: (p := host.person("lou")) and p["on_stage"] and p, what="lou on stage")
            wait_for(lambda: host.bot.packets_heard > 50, 30, "lou's microphone at the host")
            browser.close()
    finally:
        host.send("end_room")
        host.close()
