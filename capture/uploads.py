"""Tracks uploaded for an import, staged in the shared media store until the import takes them.

A creator's machine (``roomcast import`` with ``ROOMCAST_SERVER``) sends each track as the raw
body of one request; the body is written to ``uploads/SHOW/NAME`` through a temporary name and
a rename, so a cut connection leaves nothing that looks whole. The store is the shared media
directory, so the node that takes the import request need not be the one that took the upload.
Staged files are never served (``/media/`` serves episodes' and shows' media only); the import
deletes them, and ``sweep_stale`` those an import never came for.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from roomcast.errors import UserError
from roomcast.storage import get_media_store

# A name the client made: 32 hex digits (a uuid4) and the file's own extension, kept because
# the archived track keeps it.
UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,8}$")
MAX_UPLOAD_BYTES = 4 * 1024**3  # four hours of 48 kHz 24-bit mono WAV is 2 GiB
STALE_S = 24 * 3600


class UploadTooLarge(UserError):
    pass


def upload_key(slug: str, name: str) -> str:
    if not UPLOAD_NAME.match(name):
        raise UserError(f"upload name {name!r}: expected 32 hex digits and an extension, e.g. {'0' * 32}.wav")
    return f"uploads/{slug}/{name}"


async def receive(slug: str, name: str, body: AsyncIterator[bytes]) -> int:
    """Write the body to the upload's key, whole or not at all; returns its size."""
    store, size = get_media_store(), 0
    with store.atomic_path(upload_key(slug, name)) as temporary:
        async with await anyio.open_file(temporary, "wb") as handle:  # the SFU shares this event loop
            async for chunk in body:
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise UploadTooLarge(f"an uploaded track is {MAX_UPLOAD_BYTES // 1024**3} GiB at most")
                await handle.write(chunk)
    return size


def staged_path(slug: str, name: str) -> Path:
    path = get_media_store().path(upload_key(slug, name))
    if not path.is_file():
        raise UserError(f"no upload {name!r} for show {slug!r}: send it first (PUT /api/shows/{slug}/uploads/{name})")
    return path


def discard(slug: str, names: list[str]) -> None:
    for name in names:
        get_media_store().delete(upload_key(slug, name))


def sweep_stale(slug: str) -> None:
    """Uploads older than a day that no import took (a client that gave up)."""
    folder = get_media_store().path(f"uploads/{slug}")
    cutoff = time.time() - STALE_S
    for path in folder.glob("*") if folder.is_dir() else []:
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
