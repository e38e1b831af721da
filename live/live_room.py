"""A room while it is live: its stage, the people connected to it, and what they are told.

One ``LiveRoom`` per room lives in the process that serves it (rooms are pinned to one SFU
node; ``live.registry`` keeps them). Signaling messages become stage actions; the stage's
events are recorded, what changed is pushed to everyone (``live.news``: the cards of the
people it concerns, never the whole list), and when the stage changed the media follows
(``live.room_media``: who is forwarded to which subscriber slots, who must renegotiate).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from live import protocol as p
from live import records
from live.connection import Connection
from live.news import RoomNews
from live.room_media import RoomMedia
from live.stage import Member, Refused, Stage
from roomcast import clock
from roomcast.events import Event, EventKind
from roomcast.packets import NoCapture, PacketSink
from roomcast.settings import get_settings

log = logging.getLogger(__name__)
# Events that change who is forwarded, or who must offer again: the others leave the routes be.
MEDIA_KINDS = frozenset({EventKind.stage_join, EventKind.stage_leave, EventKind.mute, EventKind.unmute, EventKind.end})
# Events after which a speaker's archived stint is over.
STINT_ENDS = frozenset({EventKind.stage_leave, EventKind.mute, EventKind.leave, EventKind.remove})


class LiveRoom:
    def __init__(self, facts: records.RoomFacts, started_at: float, sink: PacketSink | None = None) -> None:
        settings = get_settings()
        self.id = facts.id
        self.stage = Stage(facts.id, facts.title, facts.access.value, facts.max_stage or settings.max_stage,
                           blocked=set(facts.blocked))
        self.zero = clock.from_wall(started_at)  # the room's start on the room clock
        self.sink = sink or NoCapture()
        self.connections: dict[str, Connection] = {}
        self.media = RoomMedia(self.id, self.stage, self.connections, self.sink, self.elapsed_s)
        self.speaking: frozenset[str] = frozenset()
        self.grace: asyncio.TimerHandle | None = None
        self.on_empty: Callable[[LiveRoom], None] | None = None  # the registry forgets an ended room
        self.recording_problem: str | None = None
        self.news = RoomNews(self.stage, self.connections,
                             recording=lambda: not self.stage.ended and self.sink.problem(self.id) is None)
        self._watch_task = asyncio.create_task(self._watch())

    # --- people ---------------------------------------------------------------------------
    def admit(self, connection: Connection, name: str, token_role) -> Member:
        previous = self.connections.get(connection.identity)
        if previous is not None:  # the same person in a second tab: the newest wins
            self.connections.pop(connection.identity)
            self.stage.leave(connection.identity)
            self._dismiss(previous, "removed", 4409, "replaced", reason="you joined from another window")
        member, events = self.stage.join(connection.identity, name, token_role)
        if self.grace is not None:
            self.grace.cancel()
            self.grace = None
        self._after(events)  # the others hear of the newcomer; the newcomer's welcome has everyone
        self.connections[connection.identity] = connection
        return member

    def depart(self, connection: Connection) -> None:
        if self.connections.get(connection.identity) is not connection:
            return  # already replaced or removed
        del self.connections[connection.identity]
        self._after(self.stage.leave(connection.identity))
        self.media.close_peer(connection)
        if not self.connections and not self.stage.ended:
            self.grace = asyncio.get_running_loop().call_later(get_settings().room_grace_s, self._end_if_empty)

    # --- messages -------------------------------------------------------------------------
    async def handle(self, connection: Connection, message: p.BaseModel) -> None:
        actor = connection.identity
        if isinstance(message, p.Offer):
            await self.media.negotiate(connection, message.sdp)
            return
        if isinstance(message, p.Ping):
            connection.send(p.server_message("pong"))
            return
        if getattr(message, "identity", None) is not None:  # actions may name people by their alias
            message = message.model_copy(update={"identity": self.news.aliases.resolve(message.identity)})
        events = self._act(actor, message)
        if isinstance(message, p.Invite):
            target = self.connections.get(message.identity)
            if target is not None:
                target.send(p.server_message("invited", by=self.news.aliases.of(actor),
                                             by_name=self.stage.members[actor].name))
        if isinstance(message, p.Remove):
            self._eject(message.identity, "a moderator removed you from the room")
        self._after(events)
        if isinstance(message, p.EndRoom):
            # The page reads "This room has ended: <reason>.", so the reason says who, not what.
            ender = self.stage.members.get(actor)
            await self.end(f"{ender.name if ender else 'a moderator'} ended it")

    def _act(self, actor: str, message: p.BaseModel) -> list[Event]:
        stage = self.stage
        match message:
            case p.RaiseHand():
                return stage.raise_hand(actor)
            case p.LowerHand(identity=target):
                return stage.lower_hand(actor, target)
            case p.Invite(identity=target):
                return stage.invite(actor, target)
            case p.AcceptInvite(consent=consent):
                return stage.accept_invite(actor, consent)
            case p.DeclineInvite():
                return stage.decline_invite(actor)
            case p.TakeStage(consent=consent):
                return stage.take_stage(actor, consent)
            case p.LeaveStage():
                return stage.leave_stage(actor)
            case p.MoveToAudience(identity=target):
                return stage.move_to_audience(actor, target)
            case p.Mute(identity=target):
                return stage.mute(actor, target)
            case p.Unmute(identity=target):
                return stage.unmute(actor, target)
            case p.Remove(identity=target, block=block):
                return stage.remove(actor, target, block)
            case p.SetRole(identity=target, role=role):
                return stage.set_role(actor, target, role)
            case p.Marker(title=title):
                return stage.marker(actor, title)
            case p.Clip(title=title, duration=duration):
                return stage.clip(actor, title, duration)
            case p.OffRecord(on=on):
                return stage.set_off_record(actor, on)
            case p.EndRoom():
                return stage.end(actor)
            case p.Join():
                raise Refused("already_joined", "this connection has already joined")
        raise Refused("unknown_type", f"{type(message).__name__} is not handled")

    async def _watch(self) -> None:
        """Five times a second: who is speaking, and whether recording still runs."""
        while True:
            await asyncio.sleep(0.2)
            try:
                self._watch_recording()
                self._watch_speaking()
            except Exception:  # a bug here must not silence the room's indicators for good
                log.exception("room %s: watching the room failed", self.id)

    def _watch_speaking(self) -> None:
        speaking = self.media.speaking()
        if speaking != self.speaking:
            self.speaking = speaking
            self.news.speaking(speaking)

    def _watch_recording(self) -> None:
        problem = self.sink.problem(self.id)
        if problem == self.recording_problem:
            return
        self.recording_problem = problem
        self.news.publish(set())
        if problem is not None and not isinstance(self.sink, NoCapture):
            for connection in self.connections.values():
                member = self.stage.members.get(connection.identity)
                if member is not None and member.moderates:
                    connection.send(p.server_message("warning", code="recording_stopped", message=problem))

    # --- state changes --------------------------------------------------------------------
    def _after(self, events: list[Event]) -> None:
        if not events:
            return
        for kind, identity, _ in events:
            if kind in STINT_ENDS:
                self.sink.stop(self.id, identity)
        if any(kind in MEDIA_KINDS for kind, _, _ in events):  # not for each listener's arrival
            self.media.reroute()
            self.media.ask_renegotiation()
        touched = {identity for _, identity, _ in events}
        self.news.publish(touched)
        members = [self.stage.members[identity] for identity in touched if identity in self.stage.members]
        at_s = self.elapsed_s()
        self.sink.room_events(self.id, at_s, events)  # the live mix follows markers and the record
        asyncio.get_running_loop().run_in_executor(
            records.records_executor, records.record, self.id, at_s, events, members, set(self.stage.blocked))

    def elapsed_s(self) -> float:
        """Where the room is on its timeline, which clock steps do not move."""
        return clock.now() - self.zero

    def welcome_room(self, identity: str) -> dict:
        return self.news.welcome_room(identity)

    def broadcast(self, text: str, key: str | None = None) -> None:
        self.news.broadcast(text, key)

    def _eject(self, identity: str, reason: str) -> None:
        connection = self.connections.pop(identity, None)
        if connection is not None:
            self._dismiss(connection, "removed", 4403, "removed", reason=reason)

    def _dismiss(self, connection: Connection, kind: str, code: int, close_reason: str, **fields: str) -> None:
        """A last message, the socket closed after it, the peer connection gone."""
        connection.send(p.server_message(kind, **fields))
        connection.close(code, close_reason)
        self.media.close_peer(connection)

    def _end_if_empty(self) -> None:
        if not self.connections:
            asyncio.ensure_future(self.end("the room was empty"))

    async def end(self, reason: str) -> None:
        if not self.stage.ended:
            self._after(self.stage.end_now())
        self._watch_task.cancel()
        for identity in list(self.connections):
            self.sink.stop(self.id, identity)
        await asyncio.get_running_loop().run_in_executor(records.records_executor, records.end, self.id)
        self.sink.room_ended(self.id)
        for connection in list(self.connections.values()):
            self._dismiss(connection, "ended", 1000, "ended", reason=reason)
        self.connections.clear()
        if self.on_empty is not None:
            self.on_empty(self)
