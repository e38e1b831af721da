"""Creating a show: the podcast that a creator's rooms become episodes of."""

from __future__ import annotations

from pathlib import Path

import av
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast.errors import Conflict, UserError
from roomcast.models import Show
from roomcast.storage import get_media_store
from roomcast.text import SLUG, clean_line

ARTWORK_FORMATS = {"png": "png", "jpeg": "jpg", "mjpeg": "jpg"}


def artwork_extension(path: Path) -> str:
    """Check that the file is a PNG or JPEG image (decoded, not guessed from its name)."""
    if not path.is_file():
        raise UserError(f"artwork {path}: no such file")
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            next(container.decode(stream))
    except (av.FFmpegError, IndexError, StopIteration) as error:
        raise UserError(f"artwork {path}: not a readable image") from error
    if codec not in ARTWORK_FORMATS:
        raise UserError(f"artwork {path}: {codec} image; podcast apps need PNG or JPEG")
    return ARTWORK_FORMATS[codec]


def create_show(
    session: Session,
    slug: str,
    title: str,
    *,
    author: str | None = None,
    language: str = "en",
    description: str = "",
    image: Path | None = None,
) -> Show:
    if not SLUG.match(slug):
        raise UserError(f"show slug {slug!r}: use 1-64 lower-case letters, digits and inner hyphens")
    title = clean_line(title)
    if not title:
        raise UserError("a show needs a title")
    if session.scalars(select(Show).where(Show.slug == slug)).first() is not None:
        raise Conflict(f"a show with slug {slug!r} already exists")
    show = Show(
        slug=slug,
        title=title,
        author=clean_line(author) if author else None,
        language=language.strip() or "en",
        description=description.strip(),
    )
    if image is not None:
        key = f"shows/{slug}/artwork.{artwork_extension(image)}"
        get_media_store().copy_in(image, key)
        show.image_path = key
    session.add(show)
    session.flush()
    return show
