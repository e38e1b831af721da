"""The long-running commands: `serve`, `worker` (and its health check), and `migrate`."""

from __future__ import annotations

import os
import signal
import sys
from typing import Annotated

import typer

from roomcast.cli.root import app
from roomcast.commands import fail, stderr
from roomcast.db import migrate as migrate_database
from roomcast.settings import get_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web server (API, feeds, pages) and, in the embedded mode, its worker."""
    import uvicorn

    from roomcast import embedded, nodes
    from roomcast.app import create_app

    settings = get_settings()
    migrate_database()
    try:  # before anything starts: a second server under a name in use must not split its rooms
        nodes.register(settings.node, settings.node_url)
    except nodes.NodeNameInUse as error:
        fail(str(error), code=1)
    worker = None
    # uvicorn re-raises the SIGTERM it handled once it has shut down; turned into SystemExit,
    # it lets the `finally` below stop the worker instead of killing this process outright.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if settings.broker_is_embedded and settings.embedded_worker:
            embedded.wait_for_orphaned_worker()
        if settings.broker_is_embedded and settings.embedded_worker and not embedded.worker_running():
            worker = embedded.spawn_worker()
            embedded.wait_until_ready(worker)
        stderr.print(f"roomcast on http://{host}:{port}  data: {settings.resolved_data_dir}", highlight=False)
        # No permessage-deflate: a room's messages are small, and compressing each one for every
        # socket was most of what a join storm cost the event loop that forwards audio (live.outbox).
        uvicorn.run(create_app(), host=host, port=port, log_level="info", ws_per_message_deflate=False)
    except RuntimeError as error:
        fail(str(error), code=1)
    finally:
        if worker is not None:
            embedded.stop_worker(worker)


def default_worker_name() -> str:
    # Unique per process, so two workers on one host never share a name (RabbitMQ refuses the
    # second one's control queue; Redis lets them answer as one). Celery expands %h.
    return f"roomcast-{os.getpid()}@%h"


@app.command()
def worker(
    name: Annotated[str | None, typer.Option(help="Node name, unique in the deployment (default: "
                                              "roomcast-PID@HOST). With --check: the worker to ask.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Tasks run at once (threads); ROOMCAST_WORKER_CONCURRENCY.")] = None,
    queues: Annotated[str | None, typer.Option(help="Comma-separated queues to consume (default: the "
                                                "deployment's queue, ROOMCAST_QUEUE_PREFIX, then its "
                                                "housekeeping queue, PREFIX.housekeeping).")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
    check: Annotated[bool, typer.Option("--check", help="Do not run: exit 0 if the database answers and a "
                                        "worker (this --name, or any) answers a ping; 1 otherwise.")] = False,
) -> None:
    """Run a pipeline worker (the embedded one, or one of many in the scale-out mode)."""
    from roomcast import embedded
    from roomcast.celery_app import celery_app, worker_queues
    from roomcast.sweep import install, sweep_once

    if check:
        _check_worker(name)
        return
    settings = get_settings()
    migrate_database()
    install(celery_app)
    argv = ["worker", "--pool=threads", f"--concurrency={concurrency or settings.worker_concurrency}",
            f"--loglevel={loglevel}", f"--hostname={name or default_worker_name()}",
            f"--queues={queues or ','.join(worker_queues(settings))}",
            # Gossip and mingle only share state between workers, which the database holds; their
            # restart after a lost Redis connection is what crashed workers ('NoneType' ... 'hostname').
            "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if not settings.broker_is_embedded:
        celery_app.worker_main(argv)
        return
    try:
        with embedded.worker_lock():
            # The only worker of this data directory: the database says what must run, so
            # the queue is rebuilt from it (messages of a killed worker are not redelivered).
            celery_app.control.purge()
            sweep_once(force=True)
            celery_app.worker_main(argv)
    except embedded.WorkerAlreadyRunning as error:
        fail(str(error))


def _check_worker(name: str | None) -> None:
    from roomcast import embedded
    from roomcast.health import check_database, ping_workers

    problem = check_database()
    if problem:
        fail(f"database: {problem}", code=1)
    if get_settings().broker_is_embedded:
        if not embedded.worker_running():
            fail("no embedded worker runs on this data directory", code=1)
        typer.echo("embedded worker: running")
        return
    replies = ping_workers(name)
    if not replies:
        fail(f"no worker answered{f' as {name}' if name else ''} within the timeout", code=1)
    typer.echo("\n".join(f"{worker}: ok" for worker in replies))


@app.command()
def migrate() -> None:
    """Bring the database to this version's schema, then exit (the first step of an upgrade)."""
    from roomcast.db import schema_revision

    migrate_database()
    typer.echo(f"database at schema {schema_revision()}")
