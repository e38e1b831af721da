"""Rooms over HTTP: open or schedule one, mint join links, the guest door, the room page."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from live.join_tokens import clean_name, mint_guest_token
from live.routing import redirect_to_room_node
from live.rooms import cancel_room, host_link, join_link, open_room, schedule_room, uninvite_identity, update_room
from roomcast.auth import CreatorClaims, require_creator_of, room_of_creator
from roomcast.models import EpisodeStatus, Role, Room, RoomAccess, RoomStatus, Show
from roomcast.settings import get_settings
from roomcast.text import Line, Prose
from roomcast.web import RowId, SessionDep, templates

router = APIRouter()


class RoomSchedule(BaseModel):
    title: Line(255, 1)
    start: datetime | None = Field(default=None, description="Leave out to open the room now.")
    description: Prose() = ""
    access: RoomAccess = Field(default=RoomAccess.open, description="open: anyone with the link listens; "
                               "closed: invited identities only; private: join links only, never announced.")
    host_name: Line(80, 1) = Field(default="Host", description="The host's display name in the room.")
    max_stage: int | None = Field(default=None, description="Most people on the stage at once; leave out for "
                                  "the server's default (12), or ask for up to max_stage_limit (50).")


class RoomView(BaseModel):
    id: int
    guid: str
    title: str
    status: str
    access: str
    scheduled_at: datetime | None
    max_stage: int
    page_url: str
    host_link: str | None = Field(default=None, description="The host's personal join link.")
    node: str | None = Field(default=None, description="The node (ROOMCAST_NODE) serving the room, once someone "
                             "joined it; its page and live stream asked of another node redirect there.")


class JoinRequest(BaseModel):
    identity: str = Field(min_length=1, max_length=128)
    name: Line(80, 1)
    role: Role = Role.listener
    hours: float | None = Field(default=None, gt=0, le=24 * 30)


class JoinGrant(BaseModel):
    token: str
    link: str


class GuestRequest(BaseModel):
    name: Line(80, 1) = "Listener"


def room_view(room: Room, host_link: str | None = None) -> RoomView:
    return RoomView(id=room.id, guid=room.guid, title=room.title, status=room.status.value, access=room.access.value,
                    scheduled_at=room.scheduled_at, max_stage=room.max_stage or get_settings().max_stage,
                    page_url=f"{get_settings().public_base_url}/rooms/{room.id}",
                    host_link=host_link, node=room.sfu_node)


@router.post("/api/shows/{slug}/rooms", response_model=RoomView, status_code=201, tags=["rooms"])
def create_room(slug: str, body: RoomSchedule, session: SessionDep, claims: CreatorClaims) -> RoomView:
    """Open a room now, or schedule it (the show's feed announces it at once as a pending live item)."""
    show = session.scalars(select(Show).where(Show.slug == slug)).first()
    if show is None:
        raise HTTPException(404, f"no show {slug!r}")
    require_creator_of(slug, claims)
    if body.start is None:
        room = open_room(session, show, body.title, body.description, body.access, body.max_stage)
    else:
        room = schedule_room(session, show, body.title, body.start, body.description, body.access, body.max_stage)
    link = host_link(room, body.host_name)
    session.commit()
    return room_view(room, link)


class RoomEdit(BaseModel):
    """What a creator may change before the room is over; a field left out stays as it is."""

    title: Line(255, 1) | None = None
    description: Prose() | None = None
    start: datetime | None = Field(default=None, description="A scheduled room only.")
    access: RoomAccess | None = Field(default=None, description="A scheduled room only.")


@router.get("/api/rooms/{room_id}", response_model=RoomView, tags=["rooms"])
def get_room(room_id: RowId, session: SessionDep, claims: CreatorClaims) -> RoomView:
    """The room as it stands: its status, and the node serving it while it is live."""
    return room_view(room_of_creator(session, room_id, claims))


@router.patch("/api/rooms/{room_id}", response_model=RoomView, tags=["rooms"])
def edit_room(room_id: RowId, body: RoomEdit, session: SessionDep, claims: CreatorClaims) -> RoomView:
    """Correct a scheduled or live room (its feed item follows at once); 409 once it is over."""
    room = room_of_creator(session, room_id, claims)
    _creator_change(session, lambda: update_room(room, body.title, body.description, body.start, body.access))
    return room_view(room)


@router.delete("/api/rooms/{room_id}", status_code=204, tags=["rooms"])
def cancel(room_id: RowId, session: SessionDep, claims: CreatorClaims) -> None:
    """Cancel a scheduled room: it leaves the feed and its links stop opening it; 409 once it has opened."""
    room = room_of_creator(session, room_id, claims)
    _creator_change(session, lambda: cancel_room(session, room))


def _creator_change(session, change) -> None:  # type: ignore[no-untyped-def]
    change()  # a UserError is answered by roomcast.http_errors; the session closes uncommitted
    session.commit()


@router.post("/api/rooms/{room_id}/tokens", response_model=JoinGrant, status_code=201, tags=["rooms"])
def mint_token(room_id: RowId, body: JoinRequest, session: SessionDep, claims: CreatorClaims) -> JoinGrant:
    """A join token for one person, with the highest role they may hold (closed rooms: invites them)."""
    room = room_of_creator(session, room_id, claims)
    link = join_link(room, body.identity, body.name, body.role, body.hours)
    session.commit()
    return JoinGrant(token=link.split("#join=", 1)[1], link=link)


@router.delete("/api/rooms/{room_id}/invited/{identity}", status_code=204, tags=["rooms"])
def uninvite(room_id: RowId, identity: str, session: SessionDep, claims: CreatorClaims) -> None:
    """Take someone off a closed room's invite list; their token stops opening it."""
    uninvite_identity(room_of_creator(session, room_id, claims), identity)
    session.commit()


@router.post("/api/rooms/{room_id}/guest", response_model=JoinGrant, status_code=201, tags=["rooms"])
def guest(room_id: RowId, body: GuestRequest, session: SessionDep) -> JoinGrant:
    """Anyone with the link listens to an open room: a listener token under a fresh identity."""
    room = session.get(Room, room_id)
    if room is None or room.show.private or room.access == RoomAccess.private:
        raise HTTPException(404, f"no room {room_id}")
    if room.access != RoomAccess.open:
        raise HTTPException(403, "this room is for invited people only: ask the host for a link")
    if room.status in (RoomStatus.ended, RoomStatus.interrupted):
        raise HTTPException(409, "this room has ended")
    try:
        token = mint_guest_token(room.id, clean_name(body.name))
    except ValueError as error:
        raise HTTPException(422, str(error)) from error
    return JoinGrant(token=token, link=f"{get_settings().public_base_url}/rooms/{room.id}#join={token}")


@router.get("/rooms/{room_id}", response_class=HTMLResponse, include_in_schema=False)
def room_page(room_id: RowId, request: Request, session: SessionDep):
    room = session.get(Room, room_id)
    if room is None:
        raise HTTPException(404, f"no room {room_id}")
    if (redirect := redirect_to_room_node(session, room, request)) is not None:
        return redirect  # live on another node: the page, and so its socket, opens there
    # Private rooms and private shows: the page is a door that only a join link opens.
    hidden = room.show.private or room.access == RoomAccess.private
    episode = room.episode if room.episode and room.episode.status == EpisodeStatus.published else None
    return templates.TemplateResponse(request, "room.html", {"room": room, "episode": episode, "hidden": hidden})
