"""The Celery application shared by the API (which enqueues) and the workers (which run tasks).

Embedded mode: the broker is an SQLite file under the data directory (kombu's SQLAlchemy
transport), so queued work survives a restart and no outside service is needed. Scale-out:
``ROOMCAST_BROKER_URL=redis://…`` or ``amqp://…`` with any number of ``roomcast worker``s.
Each domain package owns its tasks; they are found by module name, not imported here.
"""

from __future__ import annotations

from celery import Celery

from roomcast.settings import get_settings

TASK_MODULES = ["postprod.tasks", "search.tasks", "feeds.tasks"]


def create_celery() -> Celery:
    settings = get_settings()
    app = Celery("roomcast", include=TASK_MODULES)
    app.conf.update(
        broker_url=settings.resolved_broker_url,
        result_backend=settings.resolved_result_backend,
        broker_connection_retry_on_startup=True,
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
        # Waits for SQLite's write lock instead of failing when the API and worker write at once.
        app.conf.broker_transport_options = {"connect_args": {"timeout": 30}}
        app.conf.result_backend_transport_options = {}
        app.conf.database_engine_options = {"connect_args": {"timeout": 30}}
    elif settings.resolved_broker_url.startswith(("redis", "rediss")):
        # Longer than any single task may run, so redelivery only follows a real worker loss.
        app.conf.broker_transport_options = {"visibility_timeout": 4 * 3600}
    return app


celery_app = create_celery()
