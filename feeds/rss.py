"""A show's podcast feed: RSS 2.0 with iTunes tags and Podcast Namespace transcripts."""

from __future__ import annotations

from datetime import datetime, timezone

from feedgen.feed import FeedGenerator

from feeds.media_types import TRANSCRIPT_TYPES
from feeds.podcast_namespace import PodcastEntryExtension, PodcastExtension, podcast_guid
from roomcast.models import Episode, Show
from roomcast.storage import MediaStore

def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes, PostgreSQL the session's zone; every stored time is UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def feed_url(base_url: str, show: Show) -> str:
    return f"{base_url}/shows/{show.slug}/feed.xml"


def show_notes(episode: Episode) -> str:
    notes = episode.description or episode.room.description or ""
    speakers = ", ".join(p.display_name for p in episode.room.participants if p.tracks)
    if speakers:
        notes = f"{notes}\n\nSpeakers: {speakers}".strip()
    return notes or episode.title


def build_feed(show: Show, episodes: list[Episode], store: MediaStore, base_url: str) -> bytes:
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastns", PodcastExtension, PodcastEntryExtension)

    url = feed_url(base_url, show)
    fg.title(show.title)
    fg.description(show.description or show.title)
    fg.language(show.language)
    fg.link(href=url, rel="self", type="application/rss+xml")
    fg.link(href=f"{base_url}/shows/{show.slug}", rel="alternate")  # the last link() is the channel's <link>
    fg.generator("roomcast")
    fg.podcast.itunes_author(show.author or show.title)
    fg.podcast.itunes_summary(show.description or show.title)
    fg.podcast.itunes_type("episodic")
    if show.image_path:
        image_url = store.url(show.image_path)
        fg.image(image_url, title=show.title, link=f"{base_url}/shows/{show.slug}")
        fg.podcast.itunes_image(image_url)
    fg.podcastns.explicit(False)
    fg.podcastns.podcast_guid(podcast_guid(url))
    fg.podcastns.podcast_locked(True)

    for episode in sorted(episodes, key=lambda e: as_utc(e.published_at or e.created_at), reverse=True):
        _add_item(fg, episode, store, base_url)
    fg.lastBuildDate(max((as_utc(e.updated_at) for e in episodes), default=as_utc(show.created_at)))
    return fg.rss_str(pretty=True)


def _add_item(fg: FeedGenerator, episode: Episode, store: MediaStore, base_url: str) -> None:
    entry = fg.add_entry(order="append")
    entry.guid(episode.guid, permalink=False)
    entry.title(episode.title)
    entry.description(show_notes(episode))
    entry.link(href=f"{base_url}/episodes/{episode.id}")
    entry.published(as_utc(episode.published_at or episode.created_at))
    entry.enclosure(store.url(episode.audio_key), str(episode.audio_bytes), episode.audio_mime)
    if episode.duration_s:
        entry.podcast.itunes_duration(round(episode.duration_s))
    for extension, mime in TRANSCRIPT_TYPES.items():
        key = (episode.transcript_keys or {}).get(extension)
        if key:
            rel = "captions" if extension == "vtt" else None
            entry.podcastns.podcast_transcript(store.url(key), mime, language=episode.language, rel=rel)
