"""A feedgen extension for the Podcast Namespace (https://podcastindex.org/namespace/1.0).

feedgen's own podcast extension writes only ``itunes:*`` tags; this one adds the channel's
``podcast:guid`` and ``podcast:locked`` and the items' ``podcast:transcript`` tags. It also
writes ``itunes:explicit`` as Apple now documents it (``true``/``false``), which feedgen's
``itunes_explicit()`` refuses.
"""

from __future__ import annotations

import uuid

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def podcast_guid(feed_url: str) -> str:
    """The namespace's rule: UUIDv5 of the feed URL without scheme and trailing slash."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def _element(parent, name: str, text: str | None = None, namespace: str = PODCAST_NS, **attributes: str):  # type: ignore[no-untyped-def]
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    for key, value in attributes.items():
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


class PodcastExtension(BaseExtension):
    def __init__(self) -> None:
        self.__guid: str | None = None
        self.__locked: tuple[bool, str | None] | None = None
        self.__explicit: bool | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed):  # type: ignore[no-untyped-def]
        channel = rss_feed[0]
        if self.__explicit is not None:
            _element(channel, "explicit", "true" if self.__explicit else "false", namespace=ITUNES_NS)
        if self.__guid:
            _element(channel, "guid", self.__guid)
        if self.__locked is not None:
            locked, owner = self.__locked
            attributes = {"owner": owner} if owner else {}
            _element(channel, "locked", "yes" if locked else "no", **attributes)
        return rss_feed

    def podcast_guid(self, guid: str) -> None:
        self.__guid = guid

    def explicit(self, explicit: bool) -> None:
        self.__explicit = explicit

    def podcast_locked(self, locked: bool, owner: str | None = None) -> None:
        self.__locked = (locked, owner)


class PodcastEntryExtension(BaseEntryExtension):
    def __init__(self) -> None:
        self.__transcripts: list[dict[str, str]] = []

    def extend_rss(self, entry):  # type: ignore[no-untyped-def]
        for transcript in self.__transcripts:
            _element(entry, "transcript", **transcript)
        return entry

    def podcast_transcript(self, url: str, mime_type: str, language: str | None = None, rel: str | None = None) -> None:
        transcript = {"url": url, "type": mime_type}
        if language:
            transcript["language"] = language
        if rel:
            transcript["rel"] = rel
        self.__transcripts.append(transcript)
