"""The Celery application shared by the API (which enqueues) and the workers (which run tasks).

Embedded mode: the broker is an SQLite file under the data directory (kombu's SQLAlchemy
transport), so queued work survives a restart and no outside service is needed. Scale-out:
``ROOMCAST_BROKER_URL=redis://…`` or ``amqp://…`` with any number of ``roomcast worker``s.
Each domain package owns its tasks; they are found by module name, not imported here.

The broker only carries messages: the database records what must run (roomcast.pipeline), so
there is no result backend by default, and a message that cannot be sent while the broker is
down is kept in the database and sent when it is back (roomcast.deferred), never an error for
the request that caused it.
"""

from __future__ import annotations

import logging

from celery import Celery
from kombu.exceptions import OperationalError

from roomcast.settings import Settings, get_settings

TASK_MODULES = ["transcripts.tasks", "transcripts.live_tasks", "postprod.tasks", "search.tasks", "feeds.tasks", "roomcast.pipeline"]
log = logging.getLogger(__name__)


class RoomcastCelery(Celery):
    def send_task(self, name, args=None, kwargs=None, **options):  # type: ignore[no-untyped-def]
        """Sent now, or (broker down) deferred to the database: a committed change is never
        answered with an error because its follow-up could not be queued yet."""
        try:
            return super().send_task(name, args, kwargs, **options)
        except (OperationalError, OSError, *self._broker_errors()) as error:
            from roomcast.deferred import defer

            log.warning("broker unavailable (%s): %s deferred until it is back", error, name)
            defer(name, list(args or []))
            return None

    def _broker_errors(self) -> tuple[type[BaseException], ...]:
        with self.connection_for_write() as connection:
            return tuple(connection.connection_errors)


def housekeeping_queue(settings: Settings) -> str:
    """Housekeeping's queue (roomcast.canvas.HOUSEKEEPING: index syncs, catch-ups), beside the
    deployment's queue, which carries pipeline work: 4,500 queued index syncs held a new room's
    pipeline at "queued 0 %" for five minutes when both shared one queue (issue 15, item 11)."""
    return f"{settings.queue_prefix}.housekeeping"


def worker_queues(settings: Settings) -> list[str]:
    """What a worker consumes unless told otherwise: pipeline work first, then housekeeping.
    Redis serves them in this order (strict priority); the embedded broker and AMQP take turns,
    so a pipeline step waits behind at most one housekeeping task, never behind all of them."""
    return [settings.queue_prefix, housekeeping_queue(settings)]


def _route(name, args, kwargs, options, task=None, **_kw):  # type: ignore[no-untyped-def]
    from roomcast.canvas import HOUSEKEEPING

    return {"queue": housekeeping_queue(get_settings())} if name in HOUSEKEEPING else None


def _transport_options(settings: Settings) -> dict:
    broker = settings.resolved_broker_url
    if settings.broker_is_embedded:
        # Waits for SQLite's write lock instead of failing when the API and worker write at once.
        return {"connect_args": {"timeout": 30}}
    if broker.startswith(("redis", "rediss")):
        # A killed worker's message comes back after this; recovery does not wait for it (the
        # sweep re-sends from the database), and a redelivered running step does nothing.
        return {"visibility_timeout": settings.broker_visibility_timeout_s, "socket_connect_timeout": 2,
                "queue_order_strategy": "priority"}  # the worker's queues in order: pipeline work first
    return {}


def create_celery() -> Celery:
    settings = get_settings()
    prefix = settings.queue_prefix
    app = RoomcastCelery("roomcast", include=TASK_MODULES)
    app.conf.update(
        broker_url=settings.resolved_broker_url,
        broker_transport_options=_transport_options(settings),
        result_backend=settings.result_backend,
        task_ignore_result=True,  # nothing waits on results: the database is the record
        # One deployment's queue, control (ping, purge) and event exchanges: deployments
        # sharing a broker never take each other's work.
        task_default_queue=prefix,
        task_default_exchange=prefix,
        task_default_routing_key=prefix,
        task_routes=(_route,),
        control_exchange=f"{prefix}.control",
        event_exchange=f"{prefix}.events",
        # A worker reconnects to a restarted broker for as long as it takes, instead of exiting.
        broker_connection_retry_on_startup=True,
        broker_connection_retry=True,
        broker_connection_max_retries=None,
        # A task whose connection was lost keeps running: its lease (roomcast.runs) makes the
        # broker's redelivery of it a no-op elsewhere, and its work is not thrown away.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        # A publish to a broker that is down fails in seconds, not tens of seconds.
        broker_connection_timeout=2,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5},
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # A task is acknowledged after it ran, so a worker killed mid-task gives it back.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        result_expires=7 * 24 * 3600,
        worker_hijack_root_logger=False,
    )
    if settings.broker_is_embedded:
        settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    return app


celery_app = create_celery()
