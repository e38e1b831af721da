"""Creating a show: the podcast that a creator's rooms become episodes of."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import av
from sqlalchemy.orm import Session

from feeds.categories import check_category
from roomcast.audio import UnreadableAudio, probe
from roomcast.errors import Conflict, UserError
from roomcast.lookups import show_by_slug
from roomcast.models import PublishMode, Show
from roomcast.storage import get_media_store
from roomcast.text import SLUG, clean_line, clean_text

ARTWORK_FORMATS = {"png": "png", "jpeg": "jpg", "mjpeg": "jpg"}
ARTWORK_MIN_PX, ARTWORK_MAX_PX = 1400, 3000  # Apple Podcasts' rule: square, 1400-3000 px
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_JINGLE_S = 120
MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog")


def artwork_extension(path: Path) -> str:
    """Check that the file is a PNG or JPEG image (decoded, not guessed from its name)."""
    if not path.is_file():
        raise UserError(f"artwork {path}: no such file")
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            frame = next(container.decode(stream))
    except (av.FFmpegError, IndexError, StopIteration) as error:
        raise UserError(f"artwork {path}: not a readable image") from error
    if codec not in ARTWORK_FORMATS:
        raise UserError(f"artwork {path}: {codec} image; podcast apps need PNG or JPEG")
    if frame.width != frame.height or not ARTWORK_MIN_PX <= frame.width <= ARTWORK_MAX_PX:
        raise UserError(
            f"artwork {path}: {frame.width}x{frame.height} px; podcast apps need a square of {ARTWORK_MIN_PX}-{ARTWORK_MAX_PX} px"
        )
    return ARTWORK_FORMATS[codec]


@dataclass
class ShowSettings:
    """What a creator sets on a show; ``None`` leaves a value as it is."""

    title: str | None = None
    author: str | None = None
    language: str | None = None
    description: str | None = None
    category: str | None = None
    subcategory: str | None = None
    explicit: bool | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    medium: str | None = None
    publish_mode: PublishMode | None = None
    private: bool | None = None
    noise_suppression: bool | None = None  # asked of the browsers of the show's rooms


def create_show(session: Session, slug: str, settings: ShowSettings, image: Path | None = None) -> Show:
    if not SLUG.match(slug):
        raise UserError(f"show slug {slug!r}: use 1-64 lower-case letters, digits and inner hyphens")
    if show_by_slug(session, slug) is not None:
        raise Conflict(f"a show with slug {slug!r} already exists")
    if not settings.title or not clean_line(settings.title):
        raise UserError("a show needs a title")
    show = Show(slug=slug, title="", feed_version=1)
    apply_settings(show, settings)
    if image is not None:
        set_artwork(show, image)
    session.add(show)
    session.flush()
    return show


def apply_settings(show: Show, settings: ShowSettings) -> None:
    if settings.title is not None:
        show.title = clean_line(settings.title)
        if not show.title:
            raise UserError("a show needs a title")
    if settings.author is not None:
        show.author = clean_line(settings.author) or None
    if settings.language is not None:
        if not LANGUAGE.match(settings.language):
            raise UserError(f"language {settings.language!r}: use a code such as en, fr, es, nl or pt-BR")
        show.language = settings.language
    if settings.description is not None:
        show.description = clean_text(settings.description)
    if settings.category is not None or settings.subcategory is not None:
        category = settings.category or show.category or "Society & Culture"
        subcategory = settings.subcategory or None
        if problem := check_category(category, subcategory):
            raise UserError(problem)
        show.category, show.subcategory = category, subcategory
    if settings.owner_email is not None:
        if settings.owner_email and not EMAIL.match(settings.owner_email):
            raise UserError(f"owner e-mail {settings.owner_email!r} is not an e-mail address")
        show.owner_email = settings.owner_email or None
    if settings.owner_name is not None:
        show.owner_name = clean_line(settings.owner_name) or None
    if settings.medium is not None:
        if settings.medium not in MEDIUMS:
            raise UserError(f"medium {settings.medium!r}: one of {', '.join(MEDIUMS)}")
        show.medium = settings.medium
    for name in ("explicit", "publish_mode", "private", "noise_suppression"):
        if (value := getattr(settings, name)) is not None:
            setattr(show, name, value)
    show.touch_feed()


def set_jingle(show: Show, which: str, path: Path) -> None:
    """A per-show intro or outro, crossfaded onto every new episode."""
    if not path.is_file():
        raise UserError(f"{which} {path}: no such file")
    try:
        info = probe(path)
    except UnreadableAudio as error:
        raise UserError(f"{which} {path}: not readable audio") from error
    if info.duration_s > MAX_JINGLE_S:
        raise UserError(f"{which} {path}: {info.duration_s:.0f} s; an {which} can last at most {MAX_JINGLE_S} s")
    key = f"shows/{show.slug}/{which}{path.suffix.lower()}"
    get_media_store().copy_in(path, key)
    setattr(show, f"{which}_key", key)


def set_artwork(show: Show, image: Path) -> None:
    key = f"shows/{show.slug}/artwork.{artwork_extension(image)}"
    get_media_store().copy_in(image, key)
    show.image_path = key
    show.touch_feed()
