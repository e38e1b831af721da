"""Everyone in an ended room sees its episode being made, in Chromium, without a creator token:
the steps in words and a bar, then the link to listen, or the news that the host reviews it.

The worker's rows (episode, run, steps) are written here as a worker writes them, so each
state is shown on purpose, not caught in passing.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def database(live: LiveServer, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Sessions on the live server's own database."""
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(live.roomcast.data_dir))
    get_settings.cache_clear()
    from roomcast.db import new_session

    yield new_session
    get_settings.cache_clear()


def ended_room_with_a_run(live: LiveServer, new_session, title: str):  # type: ignore[no-untyped-def]
    """A room Alice and Bob spoke in, ended, its episode mid-way: crosstalk done, Alice transcribed."""
    from roomcast.bookkeeping import PipelineRun, PipelineStep, RunStatus
    from roomcast.models import Episode, Participant, Role, Room, RoomStatus, Track

    room_id, _ = live.open_room(title=title)
    with new_session() as session:
        room = session.get(Room, room_id)
        room.status = RoomStatus.ended
        episode = Episode(show=room.show, room=room, title=title)
        session.add(episode)
        tracks = []
        for name in ("Alice", "Bob"):
            person = Participant(room=room, identity=name.lower(), display_name=name, role=Role.speaker)
            tracks.append(Track(room=room, participant=person, media_key=f"{name}.opus", codec="opus",
                                sample_rate=48_000, duration_s=10.0))
        session.add_all(tracks)
        session.flush()
        run = PipelineRun(room_id=room_id, status=RunStatus.running, steps_total=8)
        run.steps = [PipelineStep(name="transcripts.decide_crosstalk", status=RunStatus.succeeded, progress=1.0),
                     PipelineStep(name=f"transcripts.transcribe_track:{tracks[0].id}", status=RunStatus.running, progress=0.5)]
        session.add(run)
        session.commit()
        return room_id, episode.id


def set_status(new_session, episode_id: int, status: str) -> None:  # type: ignore[no-untyped-def]
    from roomcast.bookkeeping import PipelineRun, RunStatus
    from roomcast.models import Episode, EpisodeStatus

    with new_session() as session:
        episode = session.get(Episode, episode_id)
        episode.status = EpisodeStatus(status)
        for run in session.query(PipelineRun).filter_by(room_id=episode.room_id):
            run.status = RunStatus.succeeded
        session.commit()


def test_the_ended_room_shows_its_episode_being_made_then_held_for_review(live: LiveServer, database) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    from roomcast.canvas import step_count
    from tests.test_live_browser import launch

    room_id, episode_id = ended_room_with_a_run(live, database, "Made in public")
    # the public API, no token: steps in words, and no file or error text
    api = httpx.get(f"{live.server.base_url}/api/episodes/{episode_id}").json()
    assert api["status"] == "processing" and api["audio_url"] is None
    progress = httpx.get(f"{live.server.base_url}/api/rooms/{room_id}/production").json()
    assert [s["name"] for s in progress["steps"]][:3] == ["telling the speakers apart", "transcribing Alice", "transcribing Bob"]
    assert 0.1 < progress["progress"] < 0.3

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(f"{live.server.base_url}/rooms/{room_id}")
        panel = page.locator("#production")
        expect(page.locator("#notice")).to_have_text("This room has ended.")
        expect(panel).to_be_visible()
        expect(panel.get_by_role("link", name="Made in public")).to_have_attribute("href", f"/episodes/{episode_id}")
        done = round(100 * 1.5 / step_count(2))  # one step done, one half done, of the canvas's steps for two tracks
        expect(panel.locator("[data-part=summary]")).to_have_text(f"Being produced: {done} %")
        expect(panel.locator("progress")).to_be_visible()
        expect(panel.locator(".step.done")).to_have_text(["Telling the speakers apart: done"])
        expect(panel.locator(".step.running")).to_have_text(["Transcribing Alice: 50 %"])
        expect(panel.locator(".step.waiting").first).to_have_text("Transcribing Bob: waiting")

        # the link leads to the episode's page, which follows the same progress
        panel.get_by_role("link", name="Made in public").click()
        expect(page.locator("h1")).to_have_text("Made in public")
        expect(page.locator("#production .step.running")).to_have_text(["Transcribing Alice: 50 %"])
        expect(page.locator("audio")).to_have_count(0)

        # the show holds it for review: both pages say so, the bar and the steps go
        set_status(database, episode_id, "review")
        expect(page.locator("#production [data-part=summary]")).to_have_text(
            "Held for review: the host publishes it after listening")
        expect(page.locator("#production progress")).to_be_hidden()
        page.goto(f"{live.server.base_url}/rooms/{room_id}")
        expect(panel.locator("[data-part=summary]")).to_contain_text("Held for review")
        expect(panel.locator(".steps")).to_be_hidden()
        assert httpx.get(f"{live.server.base_url}/api/episodes/{episode_id}/transcript").status_code == 404
        browser.close()
