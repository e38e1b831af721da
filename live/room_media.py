"""A live room's WebRTC side: each participant's peer connection, their offers, who hears whom.

The room (``live.live_room``) decides who is on the stage; this follows it. A participant's
offer gets an answer (``live.peers``: one microphone, Opus only, a slot per ``recvonly``
section), the stage's packets go to the subscriber slots that hold them (``live.loudest``),
and to the archive and the live mix through the room's packet sink, every one of them. When
the stage changes, whoever lacks slots or must open or close their microphone is asked to
offer again (``renegotiate``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from aiortc.rtp import RtpPacket

from live import protocol as p
from live.connection import Connection
from live.forwarding import ntp_now
from live.loudest import Forwarding, Subscriber
from live.peers import NegotiationError, Peer
from live.stage import Member, Stage
from roomcast.packets import PacketSink
from roomcast.settings import get_settings


def stream_urls(room_id: int) -> dict[str, str]:
    """The room's HTTP streams (live.stream), for a page that cannot, or need not, use WebRTC."""
    return {"mp3": f"/rooms/{room_id}/listen", "hls": f"/rooms/{room_id}/live.m3u8"}


class RoomMedia:
    def __init__(self, room_id: int, stage: Stage, connections: dict[str, Connection], sink: PacketSink,
                 elapsed_s: Callable[[], float]) -> None:
        self.room_id, self.stage, self.connections, self.sink = room_id, stage, connections, sink
        self.elapsed_s = elapsed_s  # where the room is on its timeline, for the archive
        self.forwarding = Forwarding(get_settings().forward_loudest, self._subscribers)

    # --- offers -----------------------------------------------------------------------------
    async def negotiate(self, connection: Connection, sdp: str) -> None:
        member = self.stage.member(connection.identity)
        if connection.peer is None and not self.may_use_webrtc(member):
            connection.send(p.server_message(
                "error", code="webrtc_full", ref="offer", stream=stream_urls(self.room_id),
                message="this room's WebRTC audience is full: you hear it over its live stream, a few seconds behind",
            ))
            return
        if connection.peer is None:
            identity = connection.identity
            connection.peer = Peer(lambda packet, arrival: self._on_packet(identity, packet),
                                   lambda *report: self._on_sender_report(identity, *report),
                                   lambda state: self._on_peer_state(state))
        try:
            answer = await connection.peer.answer(sdp, may_publish=member.on_stage)
        except NegotiationError as error:
            connection.send(p.server_message("error", code="bad_offer", message=str(error), ref="offer"))
            return
        connection.send(p.server_message("answer", sdp=answer.sdp))
        if answer.not_on_stage:
            connection.send(p.server_message(
                "error", code="not_on_stage", ref="offer",
                message="only the stage is heard: your microphone is not forwarded until a moderator invites you",
            ))
        if answer.extra_audio:
            connection.send(p.server_message(
                "error", code="extra_audio", ref="offer",
                message=f"one microphone per person: the first audio section you send is heard, the other "
                        f"{answer.extra_audio} {'is' if answer.extra_audio == 1 else 'are'} answered inactive",
            ))
        self.reroute()
        # The stage may have changed while this offer was on its way (a speaker who takes the
        # stage before their first offer arrives): ask again, or their microphone never opens.
        self.ask_renegotiation([connection])

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

    def close_peer(self, connection: Connection) -> None:
        if connection.peer is not None:
            peer, connection.peer = connection.peer, None
            asyncio.ensure_future(peer.close())
        self.reroute()

    # --- packets ----------------------------------------------------------------------------
    def _on_packet(self, identity: str, packet: RtpPacket) -> None:
        member = self.stage.members.get(identity)
        if member is None or not member.publishes or self.stage.ended:
            return  # after the end nothing is forwarded or archived: a late packet would open an empty segment
        self.forwarding.forward(identity, packet, time.monotonic(), ntp_now())
        self.sink.write(self.room_id, identity, packet, self.elapsed_s())  # every packet: the archive is whole

    def _on_sender_report(self, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        member = self.stage.members.get(identity)
        if member is not None and member.publishes:
            self.sink.sender_report(self.room_id, identity, ssrc, ntp_s, rtp_timestamp)

    def _on_peer_state(self, state: str) -> None:
        if state in ("failed", "closed"):
            self.reroute()

    def speaking(self) -> frozenset[str]:
        return frozenset(self.forwarding.activity.speaking(time.monotonic()))

    # --- routes -----------------------------------------------------------------------------
    def reroute(self) -> None:
        """Who on the stage is forwarded, and to which subscriber slots (``live.loudest``)."""
        self.forwarding.set_stage([member.identity for member in self.stage.publishing()])

    def _subscribers(self) -> Iterable[Subscriber]:
        for connection in self.connections.values():
            member = self.stage.members.get(connection.identity)
            if connection.peer is not None and member is not None:
                yield connection.identity, member.on_stage, connection.peer.slots

    def ask_renegotiation(self, connections: Iterable[Connection] | None = None) -> None:
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
