"""The archive is the creator's: list a room's recorded segments, download them, delete them."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlalchemy import select

from roomcast.auth import CreatorClaims, room_of_creator
from roomcast.bookkeeping import PipelineRun, RunStatus
from roomcast.models import EpisodeStatus, RoomStatus, Track
from roomcast.storage import get_media_store
from roomcast.web import RowId, SessionDep

router = APIRouter(tags=["archive"])


class Segment(BaseModel):
    id: int
    identity: str
    name: str
    offset_s: float  # where it starts on the room's clock
    duration_s: float
    size_bytes: int
    download: str


class Archive(BaseModel):
    room_id: int
    status: str
    segments: list[Segment]
    seconds: float
    bytes: int
    disk_free_bytes: int  # on the media volume: recording stops cleanly before it runs out


@router.get("/api/rooms/{room_id}/archive", response_model=Archive)
def list_archive(room_id: RowId, session: SessionDep, claims: CreatorClaims) -> Archive:
    """Every archived segment of the room, per speaker, with its place on the room's clock."""
    room = room_of_creator(session, room_id, claims)
    store = get_media_store()
    segments = [
        Segment(id=t.id, identity=t.participant.identity, name=t.participant.display_name, offset_s=t.offset_s,
                duration_s=t.duration_s, size_bytes=t.size_bytes,
                download=f"/api/rooms/{room_id}/archive/{t.id}")
        for t in sorted(room.tracks, key=lambda t: (t.offset_s, t.id))
    ]
    store.root.mkdir(parents=True, exist_ok=True)
    return Archive(room_id=room_id, status=room.status.value, segments=segments,
                   seconds=round(sum(s.duration_s for s in segments), 3),
                   bytes=sum(s.size_bytes for s in segments), disk_free_bytes=shutil.disk_usage(store.root).free)


@router.get("/api/rooms/{room_id}/archive/{track_id}", response_class=FileResponse)
def download_segment(room_id: RowId, track_id: RowId, session: SessionDep, claims: CreatorClaims) -> FileResponse:
    """One segment as recorded: Ogg/Opus, the speaker's packets untouched."""
    room = room_of_creator(session, room_id, claims)
    track = session.get(Track, track_id)
    if track is None or track.room_id != room.id:
        raise HTTPException(404, f"room {room_id} has no segment {track_id}")
    path = get_media_store().path(track.media_key)
    if not path.is_file():
        raise HTTPException(410, "this segment's file is gone")
    filename = f"room{room_id}-{track.participant.identity}-{track.id}.{path.suffix.lstrip('.') or 'opus'}"
    return FileResponse(path, media_type="audio/ogg" if path.suffix == ".opus" else None, filename=filename)


@router.delete("/api/rooms/{room_id}/archive", status_code=204)
def delete_archive(room_id: RowId, session: SessionDep, claims: CreatorClaims) -> None:
    """Delete the recording (the published episode stays). Not while the room is live or being produced."""
    room = room_of_creator(session, room_id, claims)
    if room.status in (RoomStatus.live, RoomStatus.scheduled):
        raise HTTPException(409, "the room is not over: its archive is still being written")
    running = session.scalars(select(PipelineRun).where(
        PipelineRun.room_id == room_id, PipelineRun.status.in_([RunStatus.queued, RunStatus.running]))).first()
    if running is not None or (room.episode is not None and room.episode.status == EpisodeStatus.processing):
        raise HTTPException(409, "the episode is being produced from this archive; delete it afterwards")
    store = get_media_store()
    keys = [track.media_key for track in room.tracks]
    for track in list(room.tracks):
        session.delete(track)
    session.commit()
    for key in keys:
        store.path(key).unlink(missing_ok=True)
    store.delete_tree(f"rooms/{room_id}/archive")
