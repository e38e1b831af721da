"""Readiness: whether this node can do its work, for a load balancer or an orchestrator.

``/healthz`` (roomcast.app) says the process answers; ``/readyz`` says the database, the broker
and the media store answer too: a node whose shared media is missing (an unmounted share, a
wrong path) fails here instead of serving 404 enclosures. ``roomcast worker --check`` asks the
workers themselves (Celery's ping over this deployment's control exchange).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select, text

from roomcast.db import session_scope
from roomcast.models import Episode, EpisodeStatus
from roomcast.settings import get_settings
from roomcast.storage import get_media_store

TIMEOUT_S = 2.0
router = APIRouter(tags=["health"])


def check_database() -> str | None:
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return str(error).splitlines()[0]
    return None


def check_broker() -> str | None:
    from roomcast.celery_app import celery_app

    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=TIMEOUT_S)
    except Exception as error:  # noqa: BLE001
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def check_media() -> str | None:
    """The store takes an atomic write, and holds the newest published episode's audio."""
    store = get_media_store()
    if not store.root.is_dir():
        return f"{store.root} is not a directory"
    try:
        store.write_text(".ready-probe", "ok")
        store.delete(".ready-probe")
        with session_scope() as session:
            newest = session.scalars(select(Episode.audio_key).where(Episode.status == EpisodeStatus.published,
                                                                     Episode.audio_key.is_not(None))
                                     .order_by(Episode.published_at.desc()).limit(1)).first()
    except Exception as error:  # noqa: BLE001
        return str(error).splitlines()[0]
    if newest and not store.exists(newest):
        return f"{store.root} lacks {newest}: is the shared media mounted here?"
    return None


def ping_workers(name: str | None = None) -> list[str]:
    from celery.utils.nodenames import host_format

    from roomcast.celery_app import celery_app

    destination = [host_format(name)] if name else None
    # Named: done at its answer; otherwise every worker has the whole timeout to answer.
    replies = celery_app.control.ping(destination=destination, timeout=TIMEOUT_S, limit=1 if name else None)
    return sorted(worker for reply in replies for worker in reply)


@router.get("/readyz")
@router.head("/readyz")  # a route of its own: one route of both methods gives both one OpenAPI operation id
def readyz() -> JSONResponse:
    """200 when the database, the broker and the media store all answer; 503 naming what does not."""
    checks = {"database": check_database(), "broker": check_broker(), "media": check_media()}
    failed = {name: problem for name, problem in checks.items() if problem}
    body = {"status": "unready" if failed else "ready", "node": get_settings().node,
            "checks": {name: checks[name] or "ok" for name in checks}}
    return JSONResponse(body, 503 if failed else 200, {"Cache-Control": "no-store"})
