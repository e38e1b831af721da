"""The system's own bookkeeping: pipeline runs and their steps, tasks deferred while the broker
was down, search syncs asked for, live rooms' loops and the nodes' leases.

What the show is made of (shows, rooms, their people and tracks, episodes, transcripts) is in
``roomcast.models``; these tables say how the work on it is going. They share its ``Base``, so
the migrations under ``roomcast/migrations`` see both.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roomcast.instants import UTCDateTime
from roomcast.models import Base, stored_enum, utcnow


class RunStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class PipelineRun(Base):
    """Progress of the post-production pipeline for one room, shown by the CLI, the API and pages."""

    __tablename__ = "pipeline_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    status: Mapped[RunStatus] = mapped_column(stored_enum(RunStatus), default=RunStatus.queued)
    steps_total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    steps: Mapped[list[PipelineStep]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="PipelineStep.id"
    )

    @property
    def progress(self) -> float:
        if not self.steps_total:
            return 0.0
        done = sum(1.0 if s.status == RunStatus.succeeded else s.progress for s in self.steps)
        return min(1.0, done / self.steps_total)

    @property
    def stage(self) -> str:
        running = [s.name for s in self.steps if s.status == RunStatus.running]
        return ", ".join(running) or self.status.value

    @property
    def warnings(self) -> list[str]:
        return [w for s in self.steps for w in s.warnings]


class PipelineStep(Base):
    """One task of a run. A row per step, so that tasks running in parallel never overwrite each other."""

    __tablename__ = "pipeline_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[RunStatus] = mapped_column(stored_enum(RunStatus), default=RunStatus.running)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The lease (roomcast.runs): who runs it, when it last showed life, how often it was sent again.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner: Mapped[str | None] = mapped_column(String(128))
    resends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    run: Mapped[PipelineRun] = relationship(back_populates="steps")

    __table_args__ = (UniqueConstraint("run_id", "name"),)


class LiveLoop(Base):
    """A live room's repeating work, a chain of rounds (roomcast.live_loops): the generation and
    round that may run next, and when a round last ran."""

    __tablename__ = "live_loops"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation: Mapped[str] = mapped_column(String(32))
    round: Mapped[int] = mapped_column(Integer)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeferredTask(Base):
    """A task that could not be queued while the broker was down; sent when it is back (roomcast.deferred)."""

    __tablename__ = "deferred_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SearchSyncRequest(Base):
    """An episode whose index entry must be brought in step; one row however often it was asked (search.tasks)."""

    __tablename__ = "search_sync_requests"

    episode_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Node(Base):
    """An API/SFU node's lease (roomcast.nodes): renewed every node_heartbeat_s while it runs.

    A node whose heartbeat is older than node_lease_s (or NULL: it stopped cleanly) is dead: its
    live rooms are taken over by another node, and its name may be registered again.
    """

    __tablename__ = "nodes"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str | None] = mapped_column(String(512))  # its public origin (ROOMCAST_NODE_URL)
    instance: Mapped[str] = mapped_column(String(36))  # the process holding the name, new at each start
    home: Mapped[str] = mapped_column(String(36))  # its data directory's id: a restart there may take the name at once
    host: Mapped[str] = mapped_column(String(255))  # for the operator: where it runs
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
