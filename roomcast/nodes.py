"""Node leases: which API/SFU node holds which name, and which nodes are alive.

Every node (``roomcast serve``) registers its name (``ROOMCAST_NODE``) in the ``nodes`` table at
start and renews its heartbeat every ``node_heartbeat_s``, by the database's clock so nodes whose
clocks disagree still agree on who is alive. A node silent for ``node_lease_s`` is dead: another
node takes over its live rooms (``capture.takeover``), and the name may be registered again.

A name is held by one process at a time, so two nodes left at the default name ("local") on one
database are refused at start-up instead of splitting a room between them:

- a process on the same data directory (a restart after a crash, the embedded mode) proves the
  previous holder dead by taking the directory's lock file for the name: it takes the name at once;
- a process elsewhere waits up to one lease for the holder's heartbeat to stop, then is refused.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO
from urllib.parse import quote

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from roomcast.bookkeeping import Node
from roomcast.db import clock, database_now, session_scope
from roomcast.settings import get_settings

log = logging.getLogger(__name__)


class NodeNameInUse(RuntimeError):
    """Another running process holds this node name."""


@dataclass(frozen=True)
class Lease:
    name: str
    instance: str


@dataclass(frozen=True)
class LiveNode:
    name: str
    url: str | None


_held: Lease | None = None
_lock_file: IO[str] | None = None  # held for the process's life: a local restart knows its predecessor is gone


def held() -> Lease | None:
    return _held


def alive_since(session: Session) -> datetime:
    """Heartbeats at or after this instant are alive ones."""
    return database_now(session) - timedelta(seconds=get_settings().node_lease_s)


def is_alive(node: Node, since: datetime) -> bool:
    return node.heartbeat_at is not None and node.heartbeat_at >= since


# --- registration -----------------------------------------------------------------------------
def register(name: str, url: str | None) -> Lease:
    """Take the name for this process, or raise NodeNameInUse (at once if its holder runs on this
    data directory, after up to one lease if it runs elsewhere)."""
    global _held
    if _held is not None and _held.name == name:
        return _held  # an app created twice in one process (tests): still this process's name
    if not _lock_name(name):
        raise NodeNameInUse(_in_use(name, "another server on this data directory"))
    settings = get_settings()
    deadline = time.monotonic() + settings.node_lease_s + settings.node_heartbeat_s
    instance, waited = str(uuid.uuid4()), False
    while (holder := _try_take(name, url, instance)) is not None:
        if time.monotonic() >= deadline:
            raise NodeNameInUse(_in_use(name, f"another server ({holder})"))
        if not waited:
            log.warning("node name %r is held by %s; waiting up to %.0f s for its heartbeat to stop", name, holder,
                        settings.node_lease_s)
            waited = True
        time.sleep(min(1.0, settings.node_heartbeat_s))
    _held = Lease(name, instance)
    return _held


def _in_use(name: str, holder: str) -> str:
    default = " (ROOMCAST_NODE is unset: the default)" if name == "local" else ""
    return (f"node name {name!r}{default} is held by {holder}, which is still running: every server sharing "
            f"this database needs its own ROOMCAST_NODE, or they would split a room between them")


def _home() -> str:
    """This data directory's id, made once: a process with the same id shares the name's lock file."""
    path = get_settings().resolved_data_dir / "node-home"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".node-home.{uuid.uuid4().hex}")
        aside.write_text(str(uuid.uuid4()))
        try:
            os.link(aside, path)  # appears whole; of two processes starting together, the first wins
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_text().strip()


def _lock_name(name: str) -> bool:
    """Lock this data directory's file for the name; False if a live process here holds it."""
    global _lock_file
    directory = get_settings().resolved_data_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"node-{quote(name, safe='')}.lock"
    if _lock_file is not None and _lock_file.name == str(path):
        return True  # this process holds it already (an app created again in one process)
    handle = open(path, "a+")  # noqa: SIM115 - held for life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    if _lock_file is not None:
        _lock_file.close()
    _lock_file = handle
    return True


def _try_take(name: str, url: str | None, instance: str) -> str | None:
    """None when this process now holds the name; else who holds it, in words."""
    home = _home()
    mine = dict(url=url, instance=instance, home=home, host=socket.gethostname(), pid=os.getpid())
    try:
        with session_scope() as session:
            now, since = database_now(session), alive_since(session)
            row = session.get(Node, name)
            if row is None:
                session.add(Node(name=name, started_at=now, heartbeat_at=now, **mine))
                return None
            if is_alive(row, since) and row.home != home:
                return f"{row.host}, pid {row.pid}, last heartbeat {(now - row.heartbeat_at).total_seconds():.1f} s ago"
            # Dead, or its predecessor here (whose lock we hold): take it, unless someone else just did.
            taken = session.execute(update(Node).where(Node.name == name, Node.instance == row.instance)
                                    .values(started_at=now, heartbeat_at=clock(session), **mine)).rowcount
            return None if taken else "a server that took it a moment ago"
    except IntegrityError:
        return "a server registering at the same moment"


# --- the lease ---------------------------------------------------------------------------------
def beat(lease: Lease) -> bool:
    """Renew the lease; False if another process took the name (this one was silent past its lease)."""
    with session_scope() as session:
        return session.execute(update(Node).where(Node.name == lease.name, Node.instance == lease.instance)
                               .values(heartbeat_at=clock(session))).rowcount == 1


def release(lease: Lease) -> None:
    """A clean stop: the name is free at once, and no room waits out a lease to be taken over."""
    global _held, _lock_file
    with session_scope() as session:
        session.execute(update(Node).where(Node.name == lease.name, Node.instance == lease.instance)
                        .values(heartbeat_at=None))
    if _held == lease:
        _held = None
    if _lock_file is not None:
        _lock_file.close()
        _lock_file = None


def dead_nodes(session: Session) -> list[str]:
    """Nodes whose lease ran out or that stopped. A node with no row (an older version) is not among them."""
    since = alive_since(session)
    return list(session.scalars(select(Node.name).where(or_(Node.heartbeat_at.is_(None), Node.heartbeat_at < since))))


def live_node(session: Session, name: str | None) -> LiveNode | None:
    """The node of that name if its lease is alive."""
    row = session.get(Node, name) if name else None
    if row is None or not is_alive(row, alive_since(session)):
        return None
    return LiveNode(row.name, row.url)


async def keep_alive(lease: Lease, after_beat: Callable[[], Awaitable[object]]) -> None:
    """Renew the lease every node_heartbeat_s, in a thread of its own so a slow request never delays
    it; then ``after_beat`` (end the rooms other nodes took over while this one was silent)."""
    every_s, lost = get_settings().node_heartbeat_s, False
    while True:
        await asyncio.sleep(every_s)
        try:
            held_still = await asyncio.to_thread(beat, lease)
            await after_beat()
        except Exception:  # a database hiccup: the next beat may reach it, within the lease
            log.exception("node %r: the heartbeat failed", lease.name)
            continue
        if not held_still and not lost:
            log.error("node %r: another process took this node's name after its lease ran out", lease.name)
        lost = not held_still


async def every_beat(work: Callable[[], object], name: str) -> None:
    """Run ``work`` in a thread every node_heartbeat_s (taking over dead nodes' rooms), apart from the
    heartbeat itself: repairing a long room's archive must not let this node's own lease run out."""
    every_s = get_settings().node_heartbeat_s
    while True:
        await asyncio.sleep(every_s)
        try:
            await asyncio.to_thread(work)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("%s failed", name)


@asynccontextmanager
async def serving(take_over: Callable[[], object], after_beat: Callable[[], Awaitable[object]]) -> AsyncIterator[Lease]:
    """While a node serves: its name held (NodeNameInUse if it cannot be), its lease renewed
    (then ``after_beat``), dead nodes' rooms taken over (``take_over``), and the name released
    when it stops cleanly."""
    settings = get_settings()
    lease = register(settings.node, settings.node_url)
    tasks = [asyncio.create_task(keep_alive(lease, after_beat)),
             asyncio.create_task(every_beat(take_over, "taking over dead nodes' rooms"))]
    try:
        yield lease
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.to_thread(release, lease)
