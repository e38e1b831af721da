"""Everything roomcast writes is its own: files 0600, directories 0700.

The database, private shows' media, join and feed secrets, the token key, the archive of every
room: none of it is for other users of the machine. The process's umask says so once, before
anything is written, for every writer (SQLite and its WAL, capture, the search index, the
broker's queue) rather than for each of them. Deployments that serve media straight from the
disk with another user's web server set ``ROOMCAST_UMASK`` (octal, e.g. ``027``).
"""

from __future__ import annotations

import os

DEFAULT_UMASK = 0o077


def keep_files_private() -> None:
    value = os.environ.get("ROOMCAST_UMASK", "")
    try:
        mask = int(value, 8) if value else DEFAULT_UMASK
    except ValueError:
        mask = DEFAULT_UMASK
    os.umask(mask & 0o777)
