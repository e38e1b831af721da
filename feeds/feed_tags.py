"""A feedgen extension for the tags feedgen does not write.

feedgen's podcast extension writes only ``itunes:*`` tags, refuses Apple's documented
``itunes:explicit`` values (``true``/``false``) and knows an outdated category list. This
extension writes those, and the Podcast Namespace (https://podcastindex.org/namespace/1.0):
``guid``, ``locked``, ``medium``, ``person``, ``liveItem`` on the channel and ``transcript``,
``chapters``, ``person`` and ``soundbite`` on items.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from roomcast.text import clean_text as xml_text

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def podcast_guid(feed_url: str) -> str:
    """The namespace's rule: UUIDv5 of the feed URL without scheme and trailing slash."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


@dataclass
class Person:
    name: str
    role: str = "guest"  # host, guest, …; the namespace's taxonomy
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass
class LiveItem:
    status: str  # pending | live | ended
    start: datetime
    end: datetime | None
    guid: str
    title: str
    description: str
    stream_url: str  # Icecast MP3: the enclosure (what most apps that play live items play)
    hls_url: str
    content_url: str
    persons: list[Person] = field(default_factory=list)


def _add(parent, name: str, content: str | None = None, namespace: str = PODCAST_NS, **attributes: str | None):  # type: ignore[no-untyped-def]
    """Names, titles and descriptions come from stored rows: cleaned by the one rule, so that a
    control character stored before it existed cannot make lxml refuse the feed."""
    element = etree.SubElement(parent, f"{{{namespace}}}{name}" if namespace else name)
    for key, value in attributes.items():
        if value is not None:
            element.set(key, xml_text(value))
    if content is not None:
        element.text = xml_text(content)
    return element


def _add_persons(parent, persons: list[Person]) -> None:  # type: ignore[no-untyped-def]
    for person in persons:
        _add(parent, "person", person.name, role=person.role, group=person.group, href=person.href, img=person.img)


class FeedTags(BaseExtension):
    def __init__(self) -> None:
        self.explicit: bool | None = None
        self.category: tuple[str, str | None] | None = None
        self.guid: str | None = None
        self.locked: tuple[bool, str | None] | None = None
        self.medium: str | None = None
        self.persons: list[Person] = []
        self.live_items: list[LiveItem] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS, "itunes": ITUNES_NS}

    def extend_rss(self, rss_feed):  # type: ignore[no-untyped-def]
        channel = rss_feed[0]
        if self.explicit is not None:
            _add(channel, "explicit", "true" if self.explicit else "false", namespace=ITUNES_NS)
        if self.category:
            # Apple names the category in a `text` attribute, not in the element's text.
            category = _add(channel, "category", namespace=ITUNES_NS, text=self.category[0])
            if self.category[1]:
                _add(category, "category", namespace=ITUNES_NS, text=self.category[1])
        if self.guid:
            _add(channel, "guid", self.guid)
        if self.locked is not None:
            _add(channel, "locked", "yes" if self.locked[0] else "no", owner=self.locked[1])
        if self.medium:
            _add(channel, "medium", self.medium)
        _add_persons(channel, self.persons)
        for live in self.live_items:
            self._add_live_item(channel, live)
        return rss_feed

    @staticmethod
    def _add_live_item(channel, live: LiveItem) -> None:  # type: ignore[no-untyped-def]
        item = _add(channel, "liveItem", status=live.status, start=live.start.isoformat(timespec="seconds"),
                    end=live.end.isoformat(timespec="seconds") if live.end else None)
        _add(item, "title", live.title, namespace="")
        _add(item, "description", live.description or live.title, namespace="")
        _add(item, "guid", live.guid, namespace="", isPermaLink="false")
        _add(item, "pubDate", format_datetime(live.start), namespace="")
        _add(item, "enclosure", namespace="", url=live.stream_url, type="audio/mpeg", length="0")
        # Pocket Casts and CurioCaster know HLS by this MIME type (application/vnd.apple.mpegurl only lately).
        for mime, url, title, default in (("audio/mpeg", live.stream_url, "MP3", "true"),
                                          ("application/x-mpegURL", live.hls_url, "HLS", "false")):
            alternate = _add(item, "alternateEnclosure", type=mime, length="0", title=title, default=default)
            _add(alternate, "source", uri=url)
        _add(item, "contentLink", "Listen live in the browser", href=live.content_url)
        _add_persons(item, live.persons)


class EntryTags(BaseEntryExtension):
    def __init__(self) -> None:
        self.transcripts: list[dict[str, str | None]] = []
        self.chapters_url: str | None = None
        self.persons: list[Person] = []
        self.soundbites: list[tuple[float, float, str]] = []

    def extend_rss(self, entry):  # type: ignore[no-untyped-def]
        for transcript in self.transcripts:
            _add(entry, "transcript", **transcript)
        if self.chapters_url:
            _add(entry, "chapters", url=self.chapters_url, type="application/json+chapters")
        _add_persons(entry, self.persons)
        for start, duration, title in self.soundbites:
            _add(entry, "soundbite", title, startTime=f"{start:.1f}", duration=f"{duration:.1f}")
        return entry

    def transcript(self, url: str, mime_type: str, language: str | None = None, rel: str | None = None) -> None:
        self.transcripts.append({"url": url, "type": mime_type, "language": language, "rel": rel})
