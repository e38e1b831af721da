"""A room while it is live: its stage, its connections, and the packets between them.

One ``LiveRoom`` per room lives in the process that serves it (rooms are pinned to one SFU
node). Signaling messages become stage actions; the stage's events are recorded, what changed
is pushed to everyone (the cards of the people it concerns, never the whole list: a join
costs each socket one small message), and the media routes follow: who is forwarded to
which subscriber slots (the loudest few, ``live.loudest``), and who must renegotiate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from aiortc.rtp import RtpPacket

from live import protocol as p
from live import records
from live.connection import Connection
from live.news import RoomNews
from live.forwarding import ntp_now
from live.loudest import Forwarding, Subscriber
from live.peers import NegotiationError, Peer
from live.stage import Event, Member, Refused, Stage
from roomcast import clock
from roomcast.packets import NoCapture, PacketSink
from roomcast.settings import get_settings

log = logging.getLogger(__name__)


def stream_urls(room_id: int) -> dict[str, str]:
    """The room's HTTP streams (live.stream), for a page that cannot, or need not, use WebRTC."""
    return {"mp3": f"/rooms/{room_id}/listen", "hls": f"/rooms/{room_id}/live.m3u8"}


class LiveRoom:
    def __init__(self, facts: records.RoomFacts, started_at: float, sink: PacketSink | None = None) -> None:
        settings = get_settings()
        self.id = facts.id
        self.stage = Stage(facts.id, facts.title, facts.access.value, facts.max_stage or settings.max_stage,
                           blocked=set(facts.blocked))
        self.zero = clock.from_wall(started_at)  # the room's start on the room clock
        self.sink = sink or NoCapture()
        self.connections: dict[str, Connection] = {}
        self.forwarding = Forwarding(settings.forward_loudest, self._subscribers)
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
        self._close_peer(connection)
        if not self.connections and not self.stage.ended:
            self.grace = asyncio.get_running_loop().call_later(get_settings().room_grace_s, self._end_if_empty)

    # --- messages -------------------------------------------------------------------------
    async def handle(self, connection: Connection, message: p.BaseModel) -> None:
        actor = connection.identity
        if isinstance(message, p.Offer):
            await self._negotiate(connection, message.sdp)
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

    async def _negotiate(self, connection: Connection, sdp: str) -> None:
        member = self.stage.member(connection.identity)
        if connection.peer is None and not self.may_use_webrtc(member):
            connection.send(p.server_message(
                "error", code="webrtc_full", ref="offer", stream=stream_urls(self.id),
                message="this room's WebRTC audience is full: you hear it over its live stream, a few seconds behind",
            ))
            return
        if connection.peer is None:
            identity = connection.identity
            connection.peer = Peer(lambda packet, arrival: self._on_packet(identity, packet, arrival),
                                   lambda *report: self._on_sender_report(identity, *report),
                                   lambda state: self._on_peer_state(connection, state))
        try:
            answer, refused = await connection.peer.answer(sdp, may_publish=member.on_stage)
        except NegotiationError as error:
            connection.send(p.server_message("error", code="bad_offer", message=str(error), ref="offer"))
            return
        connection.send(p.server_message("answer", sdp=answer))
        if refused:
            connection.send(p.server_message(
                "error", code="not_on_stage", ref="offer",
                message="only the stage is heard: your microphone is not forwarded until a moderator invites you",
            ))
        self._reroute()
        # The stage may have changed while this offer was on its way (a speaker who takes the
        # stage before their first offer arrives): ask again, or their microphone never opens.
        self._ask_renegotiation([connection])

    def may_use_webrtc(self, member: Member) -> bool:
        """The stage and the moderators always; the audience up to ``max_webrtc_listeners``.

        A listener's WebRTC costs the node a few milliseconds of CPU per second (bench.sfu); the
        HTTP stream's costs a few hundredths (bench.stream), so beyond the limit people hear that.
        """
        if member.on_stage or member.moderates:
            return True
        audience = 0
        for connection in self.connections.values():
            other = self.stage.members.get(connection.identity)
            if connection.peer is not None and other is not None and not other.on_stage and not other.moderates:
                audience += 1
        return audience < get_settings().max_webrtc_listeners

    # --- media ----------------------------------------------------------------------------
    def _on_packet(self, identity: str, packet: RtpPacket, arrival_time_ms: int) -> None:
        member = self.stage.members.get(identity)
        if member is None or not member.publishes or self.stage.ended:
            return  # after the end nothing is forwarded or archived: a late packet would open an empty segment
        self.forwarding.forward(identity, packet, time.monotonic(), ntp_now())
        self.sink.write(self.id, identity, packet, self.elapsed_s())  # every packet: the archive is whole

    def _on_sender_report(self, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        member = self.stage.members.get(identity)
        if member is not None and member.publishes:
            self.sink.sender_report(self.id, identity, ssrc, ntp_s, rtp_timestamp)

    def _reroute(self) -> None:
        """Who on the stage is forwarded, and to which subscriber slots (``live.loudest``)."""
        self.forwarding.set_stage([member.identity for member in self.stage.publishing()])

    def _subscribers(self) -> Iterable[Subscriber]:
        for connection in self.connections.values():
            member = self.stage.members.get(connection.identity)
            if connection.peer is not None and member is not None:
                yield connection.identity, member.on_stage, connection.peer.slots

    def _ask_renegotiation(self, connections: list[Connection] | None = None) -> None:
        """Whoever lacks slots for the stage, or whose microphone should now open or close."""
        for connection in self.connections.values() if connections is None else connections:
            member = self.stage.members.get(connection.identity)
            peer = connection.peer
            if member is None or peer is None:
                continue
            needed = self.forwarding.slots_needed(connection.identity)
            if len(peer.slots) < needed or peer.publishing != member.on_stage:
                connection.send(p.server_message("renegotiate", slots=max(needed, len(peer.slots)),
                                                 publish=member.on_stage), key="renegotiate")

    def _on_peer_state(self, connection: Connection, state: str) -> None:
        if state in ("failed", "closed"):
            self._reroute()

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
        speaking = frozenset(self.forwarding.activity.speaking(time.monotonic()))
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
            if kind in ("stage_leave", "mute", "leave", "remove"):
                self.sink.stop(self.id, identity)
        self._reroute()
        self._ask_renegotiation()
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
        self._close_peer(connection)

    def _close_peer(self, connection: Connection) -> None:
        if connection.peer is not None:
            peer, connection.peer = connection.peer, None
            asyncio.ensure_future(peer.close())
        self._reroute()

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
