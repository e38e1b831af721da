"""The room's live streams over plain HTTP: Icecast MP3 for podcast apps, HLS for players and CDNs."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import quote

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import FileResponse, Response

from live.routing import ROOM_NODE_HEADER, redirect_to_room_node
from live.stream.access import is_public, require_stream_access, still_allowed
from live.stream.encoders import MP3_BITRATE
from live.stream.hls import PLAYLIST, live_prefix
from live.stream.icecast import Mp3Listener
from live.stream.jitter import RATE
from live.stream.sink import live_streams
from roomcast.models import Room, RoomStatus
from roomcast.settings import get_settings
from roomcast.storage import get_media_store
from roomcast.web import RowId, SessionDep

router = APIRouter(tags=["live"])
SEGMENT = re.compile(r"^\d{6}\.ts$")
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"  # what Apple's players ask servers for; feeds say application/x-mpegURL


def _room(session: SessionDep, room_id: int, token: str | None) -> Room:
    room = session.get(Room, room_id)
    if room is None:
        raise HTTPException(404, f"no room {room_id}")
    require_stream_access(session, room, token)
    return room


def _cache(room: Room, public: str) -> dict[str, str]:
    if is_public(room):
        return {"Cache-Control": public, "Access-Control-Allow-Origin": "*"}
    return {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


# GET and HEAD as two routes of one name: one route of both methods gives both one OpenAPI operation id.
@router.get("/rooms/{room_id}/listen", name="live_mp3", response_class=Response,
            responses={200: {"content": {"audio/mpeg": {}}}})
@router.head("/rooms/{room_id}/listen", name="live_mp3", response_class=Response,
             responses={200: {"content": {"audio/mpeg": {}}}})
def listen(room_id: RowId, session: SessionDep, request: Request, token: str | None = None,
           icy_metadata: str | None = Header(default=None)) -> Response:
    """The room live as an endless MP3 (Icecast-style; ``Icy-MetaData: 1`` for the topic as StreamTitle)."""
    room = _room(session, room_id, token)
    if room.status == RoomStatus.scheduled:
        raise HTTPException(404, f"room {room_id} has not started yet")
    if room.status != RoomStatus.live:
        raise HTTPException(404, f"room {room_id} has ended")
    stream = live_streams.get(room_id)
    if stream is None:
        if (redirect := redirect_to_room_node(session, room, request)) is not None:
            return redirect  # its mix runs on the node that serves the room
        if room.sfu_node not in (None, get_settings().node):
            raise HTTPException(421, f"room {room_id} is served by node {room.sfu_node!r}",
                                headers={ROOM_NODE_HEADER: room.sfu_node})
        raise HTTPException(404, f"room {room_id}'s stream starts when its host joins")
    stream.name(room.title)
    address = request.client.host if request.client else ""
    if stream.broadcast.listeners_from(address) >= get_settings().max_streams_per_address:
        raise HTTPException(429, "too many streams of this room from your address", headers={"Retry-After": "60"})
    headers = {
        "Content-Type": "audio/mpeg", "X-Content-Type-Options": "nosniff",
        "icy-name": room.title, "icy-description": room.description or room.show.title,
        "icy-url": str(request.url_for("room_page", room_id=room.id)), "icy-br": str(MP3_BITRATE // 1000),
        "icy-sr": str(RATE), "icy-pub": "1" if is_public(room) else "0",
        **_cache(room, "no-cache, no-store"),
    }
    recheck = None
    if not is_public(room):
        async def recheck() -> bool:
            return await asyncio.get_running_loop().run_in_executor(None, still_allowed, room_id, token)
    return Mp3Listener(stream.broadcast, headers, metadata=icy_metadata == "1", recheck=recheck, address=address,
                        recheck_s=get_settings().stream_recheck_s)


@router.get("/rooms/{room_id}/live.m3u8", name="live_playlist", response_class=Response,
            responses={200: {"content": {PLAYLIST_TYPE: {}}}})
@router.head("/rooms/{room_id}/live.m3u8", name="live_playlist", response_class=Response,
             responses={200: {"content": {PLAYLIST_TYPE: {}}}})
def playlist(room_id: RowId, session: SessionDep, token: str | None = None) -> Response:
    """HLS (AAC-LC, 2 s segments) with a rewind window back to the room's start."""
    room = _room(session, room_id, token)
    store = get_media_store()
    key = f"{live_prefix(room.id)}/{PLAYLIST}"
    if room.status == RoomStatus.scheduled or not store.exists(key):
        raise HTTPException(404, f"room {room_id} has no live stream now")
    text = store.read_text(key)
    if room.status != RoomStatus.live and not text.rstrip().endswith("#EXT-X-ENDLIST"):
        raise HTTPException(404, f"room {room_id} has ended")  # its node died: the stream never finished
    if token:  # segment URIs are relative: without the token, a private room's player gets 401s
        text = re.sub(r"^(live/\d{6}\.ts)$", lambda m: f"{m.group(1)}?token={quote(token)}", text, flags=re.M)
    return Response(text, media_type=PLAYLIST_TYPE, headers=_cache(room, "public, max-age=1"))


@router.api_route("/rooms/{room_id}/live/{segment}", methods=["GET", "HEAD"], name="live_segment",
                  response_class=FileResponse, include_in_schema=False)
def segment(room_id: RowId, segment: str, session: SessionDep, token: str | None = None) -> FileResponse:
    room = _room(session, room_id, token)
    if not SEGMENT.match(segment):
        raise HTTPException(404, "no such segment")
    path = get_media_store().path(f"{live_prefix(room.id)}/{segment}")
    if not path.is_file():
        raise HTTPException(404, "no such segment (off the record, or the room's stream is over)")
    return FileResponse(path, media_type="video/mp2t", headers=_cache(room, "public, max-age=31536000, immutable"))
