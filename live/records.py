"""What a live room writes to the database: its status, its people and its timeline.

These run in one worker thread (``records_executor``) so the SFU's event loop never waits on
the database and events keep their order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from live.routing import Elsewhere
from live.stage import Member, Refused
from roomcast.events import Event
from roomcast.db import session_scope
from roomcast.models import Participant, Role, Room, RoomAccess, RoomEvent, RoomStatus, utcnow
from roomcast.nodes import live_node

records_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="room-records")


@dataclass(frozen=True)
class RoomFacts:
    """What joining needs to know about a room."""

    id: int
    title: str
    status: RoomStatus
    access: RoomAccess
    invited: frozenset[str]
    blocked: frozenset[str]
    private_show: bool
    started_at: datetime | None
    max_stage: int | None = None  # None: the server's max_stage


def room_facts(room_id: int) -> RoomFacts | None:
    with session_scope() as session:
        room = session.get(Room, room_id)
        if room is None:
            return None
        blocked = session.scalars(
            select(Participant.identity).where(Participant.room_id == room_id, Participant.blocked_at.is_not(None))
        )
        return RoomFacts(room.id, room.title, room.status, room.access, frozenset(room.invited or []),
                         frozenset(blocked), room.show.private, room.started_at, room.max_stage)


def take(room_id: int, node: str) -> datetime:
    """This node serves the room from now on: one SFU per room, so everyone in it hears everyone.

    A scheduled room goes live (its host or a moderator has arrived; its feed says so). A room
    that another node serves is refused here: its people are there.
    """
    with session_scope() as session:
        claimed = session.execute(
            update(Room).where(Room.id == room_id, or_(Room.sfu_node.is_(None), Room.sfu_node == node))
            .values(sfu_node=node)
        ).rowcount
        room = session.get(Room, room_id)
        if not claimed:  # its people are on the node that serves it: say which, and where
            raise Elsewhere(room, live_node(session, room.sfu_node))
        if room.status not in (RoomStatus.scheduled, RoomStatus.live):  # ended meanwhile (end_abandoned)
            raise Refused("ended", "this room has ended")
        if room.status == RoomStatus.scheduled:
            room.status, room.started_at = RoomStatus.live, utcnow()
            room.show.touch_feed()
        return room.started_at


def taken_from(room_ids: list[int], node: str) -> list[int]:
    """Of the rooms this node serves, those that another node took over (this one was silent past
    its lease: frozen, or cut off from the database) and that must end here."""
    with session_scope() as session:
        return list(session.scalars(select(Room.id).where(Room.id.in_(room_ids), Room.sfu_node != node)))


def end_abandoned(unjoined_s: float) -> list[int]:
    """End the rooms opened ``unjoined_s`` ago or more that nobody ever joined on any server.

    Without this, a room opened and forgotten stayed live, and in its show's feed, for ever.
    Only rooms no SFU node has taken: a room that was joined ends when it empties (its grace
    period), or by crash recovery.
    """
    cutoff = utcnow() - timedelta(seconds=unjoined_s)
    with session_scope() as session:
        rooms = session.scalars(select(Room).where(
            Room.status == RoomStatus.live, Room.sfu_node.is_(None), Room.started_at < cutoff)).all()
        ended = []
        for room in rooms:
            taken = session.execute(update(Room).where(Room.id == room.id, Room.sfu_node.is_(None),
                                                       Room.status == RoomStatus.live)
                                    .values(status=RoomStatus.ended, ended_at=utcnow())).rowcount
            if taken:  # not joined in the meantime
                room.show.touch_feed()
                ended.append(room.id)
        return ended


def end(room_id: int) -> None:
    with session_scope() as session:
        room = session.get(Room, room_id)
        if room.status == RoomStatus.live:
            room.status, room.ended_at = RoomStatus.ended, utcnow()
            room.show.touch_feed()


def record(room_id: int, at_s: float, events: list[Event], members: list[Member], blocked: set[str]) -> None:
    """Store the events on the timeline and the people they concern (roles, consent, blocks)."""
    concerned = {identity for _, identity, _ in events} | {member.identity for member in members} | blocked
    with session_scope() as session:
        # Only the rows of the people concerned: loading the whole room at each of 300 joins
        # was most of a join storm's CPU.
        people = {p.identity: p for p in session.scalars(
            select(Participant).where(Participant.room_id == room_id, Participant.identity.in_(concerned)))}
        for member in members:
            person = people.get(member.identity)
            if person is None:
                person = people[member.identity] = Participant(room_id=room_id, identity=member.identity,
                                                               display_name=member.name)
                session.add(person)
            person.display_name = member.name
            if member.role != Role.listener or person.role in (None, Role.listener):
                person.role = member.role  # the highest role someone held is what the episode credits
            if member.consented and person.consented_at is None:
                person.consented_at = utcnow()
        for identity in blocked:
            if identity in people and people[identity].blocked_at is None:
                people[identity].blocked_at = utcnow()
        session.flush()
        for kind, identity, data in events:
            person = people.get(identity)
            data = dict(data)
            at = max(0.0, at_s - data.pop("starts_before", 0.0))  # a clip reaches back from its mark
            session.add(RoomEvent(room_id=room_id, participant_id=person.id if person else None, kind=kind,
                                  at_s=round(at, 3), data=data))
