"""Publishing: the last step of the pipeline puts the episode in its show's feed."""

from __future__ import annotations

from sqlalchemy import select

from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.models import Episode, EpisodeStatus, PublishMode, RunStatus, utcnow
from roomcast.runs import RoomTask, finish_run, pipeline_step


@celery_app.task(name="feeds.publish_episode", base=RoomTask)
def publish_episode(room_id: int) -> None:
    with pipeline_step(room_id, "publish") as step:
        if step.skipped:
            return  # done, or publishing in another worker: that one finishes the run
        with session_scope() as session:
            # The row is locked: of two workers that both hold the step, one moves the feed.
            episode = session.scalars(select(Episode).where(Episode.room_id == room_id).with_for_update()).one()
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
    finish_run(room_id, RunStatus.succeeded)
