"""Active-speaker forwarding: each listener receives at most N stage members, those speaking.

With every stage member forwarded to everyone, a listener costs the node as many packets as
there are people on the stage, though one or two of them speak at a time (browsers send a
packet every 20 ms through silence too). Here each subscriber has ``size`` slots (receiving
transceivers; ``ROOMCAST_FORWARD_LOUDEST``, default 3), and a ``Choice`` says who fills each:

- a free slot takes a stage member at once, so a stage no larger than the slots is heard whole;
- someone who starts speaking (``ONSET_PACKETS`` loud packets in a row, 40 ms) takes the slot
  of whoever has been quiet the longest, if that is at least ``EVICT_QUIET_S``: a cough cannot
  take the slot of someone in mid-sentence, and a newcomer is heard within a packet or two
  of speaking whenever someone on the slots has paused;
- a slot's stream stays continuous across a change of speaker (``OutgoingSlot``), and a
  speaker who is quiet (``Voice.audible``) is not sent at all, like Opus DTX: a silent slot
  costs nothing, so a listener costs what the people actually speaking cost.

The audience shares one ``Choice``; each stage member has their own, without themselves in
it. The archive and the live mix get every packet of every stage member, before this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aiortc.rtp import RtpPacket

from live.forwarding import OutgoingSlot
from live.voice_activity import Voice, VoiceActivity

EVICT_QUIET_S = 1.0  # a pause inside someone's turn is rarely longer; a turn's end is

Subscriber = tuple[str, bool, list[OutgoingSlot]]  # identity, on the stage, their slots


class Choice:
    """Who fills each of one subscriber group's slots (``None``: nobody)."""

    def __init__(self, size: int, excluded: str | None = None) -> None:
        self.held: list[str | None] = [None] * size
        self.excluded = excluded

    def consider(self, identity: str, voices: dict[str, Voice], now: float) -> bool:
        """``identity`` has started speaking: a free slot, or the longest-quiet one's, is theirs."""
        if identity == self.excluded or identity in self.held:
            return False
        if None in self.held:
            self.held[self.held.index(None)] = identity
            return True
        quietest = min(range(len(self.held)), key=lambda index: voices[self.held[index]].last_loud
                       if self.held[index] in voices else float("-inf"))
        victim = self.held[quietest]
        if victim in voices and now - voices[victim].last_loud < EVICT_QUIET_S:
            return False  # everyone on the slots spoke within the second: the newcomer waits
        self.held[quietest] = identity
        return True

    def fill(self, candidates: Iterable[str]) -> bool:
        """Free slots take stage members not heard yet, in the order given."""
        changed = False
        for identity in candidates:
            if None not in self.held:
                break
            if identity != self.excluded and identity not in self.held:
                self.held[self.held.index(None)] = identity
                changed = True
        return changed

    def drop(self, identity: str) -> bool:
        if identity not in self.held:
            return False
        self.held[self.held.index(identity)] = None
        return True


class Forwarding:
    """Forwards each stage member's packets to the subscriber slots that hold them."""

    def __init__(self, size: int, subscribers: Callable[[], Iterable[Subscriber]]) -> None:
        self.size = size
        self.activity = VoiceActivity()
        self.audience = Choice(size)
        self.own: dict[str, Choice] = {}  # each stage member's view of the stage, without themselves
        self.routes: dict[str, list[OutgoingSlot]] = {}
        self._subscribers = subscribers
        self._silent: set[str] = set()  # stage members whose packets are held back for now

    # --- packets --------------------------------------------------------------------------
    def forward(self, identity: str, packet: RtpPacket, now: float, ntp: int) -> None:
        """One stage member's packet: claim slots when they start speaking, send it where held."""
        if identity not in self.own:
            return  # not on the stage (any more)
        voice = self.activity.heard(identity, packet, now)
        if voice.claims() and self._claim(identity, now):
            self.reroute()
        if not voice.audible(now):
            if identity not in self._silent:
                self._silent.add(identity)
                for slot in self.routes.get(identity, ()):
                    slot.pause()  # it resumes as a new talkspurt, its pause kept as wall time
            return
        self._silent.discard(identity)
        for slot in self.routes.get(identity, ()):
            slot.forward(packet, now, ntp)

    def _claim(self, identity: str, now: float) -> bool:
        voices = self.activity.voices
        changed = self.audience.consider(identity, voices, now)
        for choice in self.own.values():
            changed = choice.consider(identity, voices, now) or changed
        return changed

    # --- the stage ------------------------------------------------------------------------
    def set_stage(self, publishing: list[str]) -> None:
        """The stage members whose packets are forwarded now (on the stage and not muted)."""
        on_stage = set(publishing)
        for identity in [identity for identity in self.own if identity not in on_stage]:
            del self.own[identity]
            self.activity.forget(identity)
            self._silent.discard(identity)
            for choice in self._choices():
                choice.drop(identity)
        for identity in publishing:
            if identity not in self.own:
                choice = self.own[identity] = Choice(self.size, excluded=identity)
                choice.fill(held for held in self.audience.held if held is not None)
        order = self._by_recent_sound(publishing)
        for choice in self._choices():
            choice.fill(order)
        self.reroute()

    def _by_recent_sound(self, identities: list[str]) -> list[str]:
        voices = self.activity.voices
        return sorted(identities, key=lambda identity: -voices[identity].last_loud if identity in voices else 0.0)

    def _choices(self) -> list[Choice]:
        return [self.audience, *self.own.values()]

    # --- routes ---------------------------------------------------------------------------
    def reroute(self) -> None:
        """Recompute which subscriber slots each stage member's packets go to."""
        routes: dict[str, list[OutgoingSlot]] = {}
        for identity, on_stage, slots in self._subscribers():
            choice = self.own.get(identity) if on_stage else self.audience
            if choice is None:
                choice = self.audience
            for index, held in enumerate(choice.held[:len(slots)]):
                if held is not None and held != identity:
                    routes.setdefault(held, []).append(slots[index])
        self.routes = routes

    def slots_needed(self, identity: str) -> int:
        """Receiving transceivers this subscriber needs: the slots, or the others on the stage if fewer."""
        others = len(self.own) - (identity in self.own)
        return min(self.size, max(others, 0))

    def held_by(self, identity: str) -> list[str | None]:
        """Who fills a subscriber's slots, by index (tests and diagnostics)."""
        choice = self.own.get(identity, self.audience)
        return list(choice.held)
