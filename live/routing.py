"""Where a live room is served: requests that reached another node are sent to it.

A live room is served by one node (``Room.sfu_node``); each node may publish its own public
origin (``ROOMCAST_NODE_URL``) in its lease (``roomcast.nodes``). The room page and the room's MP3
stream asked of another node answer 307 to the same path at the serving node's origin (the
page's socket then opens there: it is built from the page's own address), and a join refused
with ``elsewhere`` names the node and its origin. Without a URL only the node's name is given,
and a proxy must route rooms itself (deploy/nginx.conf).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from live.stage import Refused
from roomcast.models import Room, RoomStatus
from roomcast.nodes import LiveNode, live_node
from roomcast.settings import get_settings

ROOM_NODE_HEADER = "X-Roomcast-Room-Node"


class Elsewhere(Refused):
    """A join that reached a node other than the room's: where the room is."""

    def __init__(self, room: Room, node: LiveNode | None) -> None:
        """``node``: the serving node's lease, if it is alive (if it is not, the room is about to be
        taken over and end, and there is nowhere to send anyone)."""
        where = f" at {node.url}" if node and node.url else ""
        super().__init__("elsewhere", f"this room is served by another server ({room.sfu_node}{where})")
        self.node, self.node_url = room.sfu_node, node.url if node else None

    @property
    def details(self) -> dict[str, str | None]:
        return {"node": self.node, "node_url": self.node_url}


def serving_elsewhere(session: Session, room: Room) -> LiveNode | None:
    """The live node serving this live room, if that is not this node."""
    if room.status != RoomStatus.live or room.sfu_node in (None, get_settings().node):
        return None
    return live_node(session, room.sfu_node)


def redirect_to_room_node(session: Session, room: Room, request: Request) -> RedirectResponse | None:
    """307 to the same URL at the node serving the room, when it is another live node with a URL."""
    node = serving_elsewhere(session, room)
    if node is None or node.url is None:
        return None
    target = node.url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(target, 307, headers={ROOM_NODE_HEADER: node.name, "Cache-Control": "no-store"})
