"""The import API: a creator's recording brought in over HTTP, as ``roomcast import`` does locally.

Two steps, so a track of a gigabyte is one plain streamed body and a retry sends one track again,
not all of them: ``PUT /api/shows/SLUG/uploads/NAME`` with each file as the raw body, then
``POST /api/shows/SLUG/imports`` naming the uploads, which archives them as a finished room and
starts its episode, exactly as the command line does on a server (``capture.imports``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from capture import uploads
from capture.imports import (
    TrackFile,
    discard_archive,
    import_recording,
    parse_clip_option,
    parse_marker_option,
    parse_off_record_option,
)
from roomcast.auth import CreatorClaims, require_creator_of
from roomcast.text import Line, Prose
from roomcast.web import SessionDep

router = APIRouter(prefix="/api", tags=["imports"])


class UploadView(BaseModel):
    upload: str
    bytes: int


class ImportedTrack(BaseModel):
    speaker: Line(80, 1)
    upload: str = Field(description="The NAME of a PUT /api/shows/SLUG/uploads/NAME.")


class ImportRequest(BaseModel):
    title: Line(255, 1)
    description: Prose() = ""
    tracks: list[ImportedTrack] = Field(min_length=1, max_length=64, description="One per speaker, all starting together.")
    markers: list[str] = Field(default_factory=list, max_length=500, description="TIME=TITLE, as `import --marker`.")
    clips: list[str] = Field(default_factory=list, max_length=500, description="TIME+SECONDS[=TITLE], as `--clip`.")
    off_record: list[str] = Field(default_factory=list, max_length=500, description="START-END, as `--off-record`.")


class ImportView(BaseModel):
    room_id: int
    episode_id: int
    status: str


@router.put("/shows/{slug}/uploads/{name}", response_model=UploadView, status_code=201)
async def upload_track(slug: str, name: str, request: Request, claims: CreatorClaims) -> UploadView:
    """One track's file as the raw body (up to 4 GiB); NAME is 32 hex digits and its extension."""
    require_creator_of(slug, claims)
    uploads.upload_key(slug, name)  # a bad name is refused before the body is read
    try:
        size = await uploads.receive(slug, name, request.stream())
    except uploads.UploadTooLarge as error:
        raise HTTPException(413, str(error)) from error
    return UploadView(upload=name, bytes=size)


@router.post("/shows/{slug}/imports", response_model=ImportView, status_code=202)
def import_uploads(slug: str, body: ImportRequest, session: SessionDep, claims: CreatorClaims) -> ImportView:
    """Archive the uploaded tracks as a finished room and produce its episode (follow it at
    /api/episodes/ID). The uploads are consumed."""
    from roomcast.pipeline import dispatch, prepare_run

    require_creator_of(slug, claims)
    uploads.sweep_stale(slug)
    tracks = [TrackFile(track.speaker, uploads.staged_path(slug, track.upload)) for track in body.tracks]
    marks = [parse_marker_option(v) for v in body.markers] + [parse_clip_option(v) for v in body.clips]
    marks += [mark for v in body.off_record for mark in parse_off_record_option(v)]
    room = import_recording(session, slug, body.title, tracks, body.description, marks)
    try:
        episode = prepare_run(session, room)
        session.commit()
    except BaseException:
        discard_archive(room.id)
        raise
    uploads.discard(slug, [track.upload for track in body.tracks])
    dispatch(room.id)  # a broker that is down delays it: the sweep queues it once the broker is back
    return ImportView(room_id=room.id, episode_id=episode.id, status=episode.status.value)
