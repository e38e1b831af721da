"""A show's podcast feed: RSS 2.0 with Apple's tags and the Podcast Namespace."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from feedgen.feed import FeedGenerator

from feeds.feed_tags import EntryTags, FeedTags, LiveItem, Person, podcast_guid
from roomcast.links import link
from roomcast.models import Episode, Participant, Role, Room, RoomStatus, Show
from roomcast.soundbites import read as read_soundbites
from roomcast.text import clean_text as xml_text
from roomcast.transcript_formats import TRANSCRIPT_TYPES

MediaUrl = Callable[[str], str]
HOST_ROLES = {Role.host, Role.moderator}


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes, PostgreSQL the session's zone; every stored time is UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def feed_url(show: Show) -> str:
    return link("show_feed", slug=show.slug)


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def person(participant: Participant) -> Person:
    """Hosts and moderators appear as hosts, everyone else as a guest."""
    return Person(participant.display_name, "host" if participant.role in HOST_ROLES else "guest")


def speakers(episode: Episode) -> list[Person]:
    """Everyone who spoke."""
    spoke = {segment.participant_id for segment in episode.segments}
    return [
        person(p)
        for p in sorted(episode.room.participants, key=lambda p: p.id)
        if p.id in spoke
    ]


def on_stage(room: Room) -> list[Person]:
    """Who has been on the room's stage (or runs it), in the order they joined: a listener's name,
    an anonymous guest's as often as not, is the room's, never the feed's (issue 15, item 4)."""
    return [person(p) for p in sorted(room.participants, key=lambda p: p.id) if p.role != Role.listener]


def chapters_of(episode: Episode, read_text: Callable[[str], str]) -> list[dict]:
    if not episode.chapters_key:
        return []
    try:
        return json.loads(read_text(episode.chapters_key)).get("chapters", [])
    except (OSError, ValueError):
        return []


def show_notes(episode: Episode, persons: list[Person], chapters: list[dict]) -> str:
    parts = [episode.description or episode.room.description or episode.title]
    if persons:
        parts.append("Speakers: " + ", ".join(p.name for p in persons))
    if chapters:
        parts.append("Chapters:\n" + "\n".join(f"{clock(c['startTime'])} {c['title']}" for c in chapters))
    return "\n\n".join(parts)


def live_status(room: Room) -> str:
    """``live`` only once the room's stream plays: an app told ``live`` must find audio."""
    if room.status == RoomStatus.live:
        return "live" if room.stream_started_at is not None else "pending"
    return "pending" if room.status == RoomStatus.scheduled else "ended"


def live_item(room: Room, query: str = "") -> LiveItem | None:
    """Scheduled and running rooms are announced; an ended one until its episode is out.

    ``query`` is a private feed's subscriber token: the stream of a private show opens with it.
    """
    status = live_status(room)
    if status == "ended" and (room.episode is None or room.episode.published_at is not None):
        return None
    start = as_utc(room.started_at or room.scheduled_at or room.created_at)
    end = as_utc(room.ended_at) if room.ended_at else None
    if status == "pending" and end is None:
        # The namespace expects an end: an estimate until it is known.
        end = max(start, datetime.now(timezone.utc)) + timedelta(hours=1)
    persons = on_stage(room)
    return LiveItem(status, start, end, room.guid, room.title, room.description,
                    stream_url=link("live_mp3", room_id=room.id) + query,
                    hls_url=link("live_playlist", room_id=room.id) + query,
                    content_url=link("room_page", room_id=room.id), persons=persons)


def build_feed(
    show: Show, episodes: list[Episode], rooms: list[Room], *, media_url: MediaUrl,
    read_text: Callable[[str], str], query: str = "",
) -> bytes:
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("tags", FeedTags, EntryTags)

    # Every stored string goes through xml_text (roomcast.text's rule): new input is cleaned
    # when it arrives, but a row stored before that rule must not take the feed down (lxml
    # refuses a control character, and with it the whole feed).
    url, page = feed_url(show), link("show_page", slug=show.slug)
    title = xml_text(show.title) or show.slug  # nothing left of it: the feed still needs a title
    description = xml_text(show.description) or title
    fg.title(title)
    fg.description(description)
    fg.language(show.language)
    # A private feed's links keep the subscriber's token (``query``): without it an app that
    # refreshes from the self link, or a listener who opens an episode's page, gets a 401.
    fg.link(href=url + query, rel="self", type="application/rss+xml")
    fg.link(href=page + query, rel="alternate")  # the last link() is the channel's <link>
    fg.generator("roomcast")
    fg.podcast.itunes_author(xml_text(show.author or "") or title)
    fg.podcast.itunes_summary(description)
    fg.podcast.itunes_type("episodic")
    if show.owner_name or show.owner_email:
        fg.podcast.itunes_owner(name=xml_text(show.owner_name or show.author or "") or title,
                                email=xml_text(show.owner_email or ""))
    if show.image_path:
        # Artwork is public, even for private shows, and feedgen drops an itunes:image URL
        # with a query string (it must end in .png or .jpg).
        image_url = media_url(show.image_path).split("?", 1)[0]
        fg.image(image_url, title=title, link=page)
        fg.podcast.itunes_image(image_url)
    fg.tags.explicit = show.explicit
    fg.tags.category = (show.category, show.subcategory)
    fg.tags.guid = podcast_guid(url)
    fg.tags.locked = (True, show.owner_email)
    fg.tags.medium = show.medium
    fg.tags.persons = [Person(show.author, "host")] if show.author else []
    fg.tags.live_items = [item for room in rooms if (item := live_item(room, query))]

    for episode in sorted(episodes, key=lambda e: as_utc(e.published_at or e.created_at), reverse=True):
        _add_item(fg, episode, media_url, read_text, query)
    fg.lastBuildDate(as_utc(show.updated_at))
    return fg.rss_str(pretty=True)


def _add_item(fg: FeedGenerator, episode: Episode, media_url: MediaUrl, read_text: Callable[[str], str],
              query: str = "") -> None:
    persons, chapters = speakers(episode), chapters_of(episode, read_text)
    entry = fg.add_entry(order="append")
    entry.guid(episode.guid, permalink=False)
    entry.title(xml_text(episode.title) or f"Episode {episode.id}")
    entry.description(xml_text(show_notes(episode, persons, chapters)))
    entry.link(href=link("episode_page", episode_id=episode.id) + query)
    entry.published(as_utc(episode.published_at or episode.created_at))
    entry.enclosure(media_url(episode.audio_key), str(episode.audio_bytes), episode.audio_mime)
    entry.podcast.itunes_episode_type("full")
    if episode.duration_s:
        entry.podcast.itunes_duration(round(episode.duration_s))
    for extension, mime in TRANSCRIPT_TYPES.items():
        key = (episode.transcript_keys or {}).get(extension)
        if key:
            entry.tags.transcript(media_url(key), mime, language=episode.language, rel="captions" if extension == "vtt" else None)
    if episode.chapters_key:
        entry.tags.chapters_url = media_url(episode.chapters_key)
    entry.tags.persons = persons
    entry.tags.soundbites = [(bite.start, bite.duration, bite.title) for bite in read_soundbites(episode.soundbites)]
