"""Media storage: files addressed by a relative key under one directory.

Keys look like ``rooms/12/tracks/3-alice.flac`` or ``episodes/7/audio.mp3``. The same key maps
to a path on the disk (the data directory, or shared storage in the scale-out mode) and to a
public URL under ``/media/``. Writers go through :meth:`MediaStore.atomic_path`, so a reader
never sees a half-written file and a crashed task leaves nothing that looks finished.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from roomcast.settings import get_settings

MEDIA_URL_PREFIX = "/media"


class UnsafeKey(ValueError):
    pass


class MediaStore:
    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        pure = PurePosixPath(key)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise UnsafeKey(f"unsafe media key: {key!r}")
        return self.root.joinpath(*pure.parts)

    def url(self, key: str) -> str:
        return f"{self.base_url}{MEDIA_URL_PREFIX}/{key}"

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    @contextmanager
    def atomic_path(self, key: str) -> Iterator[Path]:
        """A temporary path to write; it becomes ``key`` only if the block succeeds."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part{final.suffix}")
        try:
            yield temporary
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)

    def write_text(self, key: str, text: str) -> None:
        with self.atomic_path(key) as tmp:
            tmp.write_text(text, encoding="utf-8")

    def read_text(self, key: str) -> str:
        return self.path(key).read_text(encoding="utf-8")

    def copy_in(self, source: Path, key: str) -> int:
        with self.atomic_path(key) as tmp:
            shutil.copyfile(source, tmp)
        return self.size(key)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_tree(self, prefix: str) -> None:
        shutil.rmtree(self.path(prefix), ignore_errors=True)


def get_media_store() -> MediaStore:
    settings = get_settings()
    return MediaStore(settings.resolved_media_dir, settings.public_base_url)


def media_headers(private: bool, published: bool = True) -> dict[str, str]:
    """Caching and sharing of one media file as it is served.

    Public, published media may sit in any cache and be read by any site's player. A private
    show's media, or an episode its creator is still reviewing, is one listener's copy: no
    shared cache keeps it (a CDN would serve it to the next comer without the token), no other
    site's script may read it, and the token in its URL goes nowhere in a Referer.
    """
    if not private and published:
        return {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=3600"}
    return {"Cache-Control": "private, max-age=3600" if published else "private, no-store",
            "Referrer-Policy": "no-referrer"}
