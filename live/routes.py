"""The room page (the live client grows here) and scheduling through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from live.rooms import schedule_room
from roomcast.auth import CreatorClaims, require_creator_of
from roomcast.errors import UserError
from roomcast.models import EpisodeStatus, Room, RoomStatus, Show
from roomcast.settings import get_settings
from roomcast.web import get_session, templates

router = APIRouter()
SessionDep = Annotated[Session, Depends(get_session)]


class RoomSchedule(BaseModel):
    title: str = Field(min_length=1, max_length=255)
    start: datetime
    description: str = Field(default="", max_length=20_000)


class RoomView(BaseModel):
    id: int
    guid: str
    title: str
    status: str
    scheduled_at: datetime | None
    page_url: str


def room_view(room: Room) -> RoomView:
    return RoomView(id=room.id, guid=room.guid, title=room.title, status=room.status.value,
                    scheduled_at=room.scheduled_at, page_url=f"{get_settings().public_base_url}/rooms/{room.id}")


@router.post("/api/shows/{slug}/rooms", response_model=RoomView, status_code=201, tags=["rooms"])
def schedule(slug: str, body: RoomSchedule, session: SessionDep, claims: CreatorClaims) -> RoomView:
    """Schedule a room: the show's feed announces it at once as a pending live item."""
    show = session.scalars(select(Show).where(Show.slug == slug)).first()
    if show is None:
        raise HTTPException(404, f"no show {slug!r}")
    require_creator_of(slug, claims)
    try:
        room = schedule_room(session, show, body.title, body.start, body.description)
    except UserError as error:
        raise HTTPException(422, str(error)) from error
    session.commit()
    return room_view(room)


@router.get("/rooms/{room_id}", response_class=HTMLResponse, include_in_schema=False)
def room_page(room_id: int, request: Request, session: SessionDep):
    room = session.get(Room, room_id)
    if room is None or room.show.private:
        raise HTTPException(404, f"no room {room_id}")
    episode = room.episode if room.episode and room.episode.status == EpisodeStatus.published else None
    return templates.TemplateResponse(request, "room.html", {"room": room, "episode": episode})


@router.get("/rooms/{room_id}/listen", include_in_schema=False)
def listen(room_id: int, session: SessionDep):
    """The live HTTP audio stream for podcast apps (liveItem enclosure)."""
    room = session.get(Room, room_id)
    if room is None or room.show.private:
        raise HTTPException(404, f"no room {room_id}")
    if room.status != RoomStatus.live:
        raise HTTPException(404, f"room {room_id} is not live")
    raise HTTPException(503, "the live HTTP audio stream is not available yet; listen on the room page")
