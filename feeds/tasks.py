"""Publishing: the pipeline's step that puts the episode in its show's feed (the run is closed
after it by the pipeline's own last step, roomcast.pipeline.finish)."""

from __future__ import annotations

from roomcast.db import session_scope
from roomcast.lookups import episode_of_room
from roomcast.models import EpisodeStatus, PublishMode, utcnow
from roomcast.runs import StepContext, room_task


@room_task("feeds.publish_episode")
def publish_episode(step: StepContext, room_id: int) -> None:
    with session_scope() as session:
        # The row is locked: of two workers that both hold the step, one moves the feed.
        episode = episode_of_room(session, room_id, for_update=True)
        if episode.audio_key is None:
            raise RuntimeError("the episode has no audio to publish")
        # Only a processing episode moves on: a duplicate delivery changes nothing.
        if episode.status == EpisodeStatus.processing:
            # Nothing heard (silent input, a microphone left muted): a few seconds of quiet
            # are never what a show means to publish, so its creator decides (issue 15, item 12).
            if episode.show.publish_mode == PublishMode.review or not episode.segments:
                episode.status = EpisodeStatus.review  # the creator publishes it
            else:
                episode.status, episode.published_at = EpisodeStatus.published, utcnow()
            episode.show.touch_feed()  # its live item ends, or its item appears
