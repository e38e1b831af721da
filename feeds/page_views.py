"""What the episode and show pages show beyond the rows: subscribe links, numbers that tell
episodes with one title apart, show notes as paragraphs, durations and sizes in words."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from roomcast.instants import as_utc
from roomcast.models import Episode, EpisodeStatus, Show
from roomcast.soundbites import Soundbite

EPISODES_PER_PAGE = 10


@dataclass(frozen=True)
class AppLink:
    name: str
    url: str


def subscribe_links(feed: str) -> list[AppLink]:
    """The podcast apps most people use, each opened on this feed by its own link scheme."""
    bare = feed.split("://", 1)[-1]
    encoded = quote(feed, safe="")
    return [
        AppLink("Apple Podcasts", f"podcast://{bare}"),
        AppLink("Pocket Casts", f"pktc://subscribe/{bare}"),
        AppLink("Overcast", f"overcast://x-callback-url/add?url={encoded}"),
        AppLink("AntennaPod", f"https://antennapod.org/deeplink/subscribe?url={encoded}"),
        AppLink("Podcast Addict", f"podcastaddict://{bare}"),
    ]


def published_order(show: Show) -> list[Episode]:
    """The show's published episodes, oldest first (their numbers), by when they came out."""
    out = [e for e in show.episodes if e.status == EpisodeStatus.published]
    return sorted(out, key=lambda e: (as_utc(e.published_at or e.created_at), e.id))


def episode_number(episode: Episode) -> int | None:
    """Its place among the show's published episodes: two rooms with one title stay two episodes."""
    order = published_order(episode.show)
    return next((number for number, e in enumerate(order, 1) if e.id == episode.id), None)


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("\r\n", "\n").split("\n\n") if part.strip()]


def summary(text: str, limit: int = 220) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: flat.rfind(" ", 0, limit)].rstrip(",;:") + "…"


def duration_words(seconds: float | None) -> str:
    if not seconds:
        return ""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def size_words(size: int | None) -> str:
    if not size:
        return ""
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{round(size / 1000)} kB"


def soundbite_rows(bites: list[Soundbite]) -> list[dict]:
    return [{"start": round(b.start, 2), "end": round(b.start + b.duration, 2), "at": clock(b.start),
             "length": duration_words(b.duration), "title": b.title} for b in bites]
