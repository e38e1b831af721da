"""Who is in a live room, who is on its stage, and who may do what: the rules, without I/O.

Each action checks the actor's power, changes the state and returns the timeline events it
caused (kind, identity, data), which the live room stores and broadcasts. A refused action
raises ``Refused`` with a code and a message for the client; nothing changes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from live.protocol import ParticipantView, RoomFields
from roomcast.events import Clip, Event, EventKind, Marker
from roomcast.models import Role

RANK = {Role.listener: 0, Role.speaker: 1, Role.moderator: 2, Role.host: 3}
LISTENER_CLIP_EVERY_S = 30.0  # a clip covers the last 30 s by default: a sooner one is the same moment


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Member:
    identity: str
    name: str
    role: Role
    token_role: Role  # the highest role the join token allows
    on_stage: bool = False
    muted: bool = False
    muted_by_moderator: bool = False
    hand_raised_at: float | None = None
    invited: bool = False
    consented: bool = False
    slot: int | None = None
    clipped_at: float | None = None  # a listener's last clip (monotonic)

    @property
    def moderates(self) -> bool:
        return self.role in (Role.host, Role.moderator)

    @property
    def publishes(self) -> bool:
        """Only the unmuted stage is forwarded and archived; the server enforces it."""
        return self.on_stage and not self.muted

    def view(self) -> ParticipantView:
        return ParticipantView(
            identity=self.identity, name=self.name, role=self.role.value, on_stage=self.on_stage, muted=self.muted,
            muted_by_moderator=self.muted_by_moderator, hand_raised=self.hand_raised_at is not None,
            invited=self.invited, slot=self.slot,
        )


@dataclass
class Stage:
    room_id: int
    title: str
    access: str
    max_stage: int
    members: dict[str, Member] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    ended: bool = False
    off_record: bool = False

    # --- presence ------------------------------------------------------------------------
    def join(self, identity: str, name: str, token_role: Role) -> tuple[Member, list[Event]]:
        if self.ended:
            raise Refused("ended", "this room has ended")
        if identity in self.blocked:
            raise Refused("blocked", "you were removed from this room")
        role = token_role if token_role in (Role.host, Role.moderator) else Role.listener
        member = Member(identity, name, role, token_role)
        self.members[identity] = member
        return member, [(EventKind.join, identity, {"name": name, "role": role.value})]

    def leave(self, identity: str) -> list[Event]:
        member = self.members.pop(identity, None)
        if member is None:
            return []
        events = self._step_down(member) if member.on_stage else []
        return events + [(EventKind.leave, identity, {})]

    # --- hands and invitations -----------------------------------------------------------
    def raise_hand(self, identity: str) -> list[Event]:
        member = self.member(identity)
        if member.on_stage:
            raise Refused("on_stage", "you are already on the stage")
        if member.hand_raised_at is not None:
            return []  # already in the queue: nothing changes, nothing is told or stored
        member.hand_raised_at = time.monotonic()
        return [(EventKind.hand_raise, identity, {})]

    def lower_hand(self, actor: str, target: str | None = None) -> list[Event]:
        member = self.member(target or actor)
        if member.identity != actor:
            self._require_moderator(actor)
        if member.hand_raised_at is None:
            return []
        member.hand_raised_at = None
        return [(EventKind.hand_lower, member.identity, {"by": actor})]

    def invite(self, actor: str, target: str) -> list[Event]:
        self._require_moderator(actor)
        member = self.member(target)
        if member.on_stage:
            raise Refused("on_stage", f"{member.name} is already on the stage")
        member.invited = True
        return [(EventKind.invite, target, {"by": actor})]

    def accept_invite(self, identity: str, consent: bool) -> list[Event]:
        member = self.member(identity)
        if not member.invited:
            raise Refused("not_invited", "nobody invited you to the stage")
        return self._step_up(member, consent)

    def decline_invite(self, identity: str) -> list[Event]:
        member = self.member(identity)
        member.invited = False
        return [(EventKind.invite_declined, identity, {})]

    def take_stage(self, identity: str, consent: bool) -> list[Event]:
        member = self.member(identity)
        if member.role not in (Role.host, Role.moderator) and member.token_role != Role.speaker:
            raise Refused("forbidden", "raise your hand: a moderator invites listeners to the stage")
        return self._step_up(member, consent)

    # --- the stage -----------------------------------------------------------------------
    def leave_stage(self, identity: str) -> list[Event]:
        member = self.member(identity)
        if not member.on_stage:
            raise Refused("not_on_stage", "you are not on the stage")
        return self._step_down(member)

    def move_to_audience(self, actor: str, target: str) -> list[Event]:
        member = self._target_of_moderation(actor, target)
        if not member.on_stage:
            raise Refused("not_on_stage", f"{member.name} is not on the stage")
        return [(kind, who, {**data, "by": actor}) for kind, who, data in self._step_down(member)]

    def mute(self, actor: str, target: str | None = None) -> list[Event]:
        member = self.member(actor) if target in (None, actor) else self._target_of_moderation(actor, target)
        if not member.on_stage:
            raise Refused("not_on_stage", f"{member.name} is not on the stage")
        member.muted = True
        if member.identity != actor:
            member.muted_by_moderator = True
        return [(EventKind.mute, member.identity, {"by": actor})]

    def unmute(self, actor: str, target: str | None = None) -> list[Event]:
        if target not in (None, actor):
            # A moderator lifts their mute; the speaker decides when to talk again.
            member = self._target_of_moderation(actor, target)
            member.muted_by_moderator = False
            return [(EventKind.mute_lifted, member.identity, {"by": actor})]
        member = self.member(actor)
        if not member.on_stage:
            raise Refused("not_on_stage", "you are not on the stage")
        if member.muted_by_moderator:
            raise Refused("muted_by_moderator", "a moderator muted you; ask them to lift it")
        member.muted = False
        return [(EventKind.unmute, actor, {})]

    # --- moderation ----------------------------------------------------------------------
    def remove(self, actor: str, target: str, block: bool) -> list[Event]:
        member = self._target_of_moderation(actor, target)
        if block:
            self.blocked.add(target)
        return self.leave(member.identity)[:-1] + [(EventKind.remove, target, {"by": actor, "block": block})]

    def set_role(self, actor: str, target: str, role: str) -> list[Event]:
        self._require_moderator(actor)
        member = self.member(target)
        if member.role == Role.host:
            raise Refused("forbidden", "the host's role cannot change")
        if role == "moderator":
            member.role, member.invited, member.hand_raised_at = Role.moderator, False, None
        else:
            if self.members[actor].role != Role.host:
                raise Refused("forbidden", "only the host takes a moderator's role back")
            member.role = Role.speaker if member.on_stage else Role.listener
        return [(EventKind.role, target, {"role": member.role.value, "by": actor})]

    # --- the record ----------------------------------------------------------------------
    def marker(self, actor: str, title: str) -> list[Event]:
        self._require_moderator(actor)
        return [(EventKind.marker, actor, Marker(title).to_data())]

    def clip(self, actor: str, title: str, duration: float) -> list[Event]:
        """Said after the good bit: the soundbite is the ``duration`` seconds before now.

        The clipper's role goes with it (``by_role``): a listener's title is never published
        as it is (feeds title it by the words said), and a listener clips at most once every
        ``LISTENER_CLIP_EVERY_S``, so a burst of clips is one moment, not a hundred.
        """
        member = self.member(actor)
        if member.role == Role.listener:
            now = time.monotonic()
            if member.clipped_at is not None and now - member.clipped_at < LISTENER_CLIP_EVERY_S:
                wait_s = math.ceil(LISTENER_CLIP_EVERY_S - (now - member.clipped_at))
                raise Refused("rate_limited", f"you clipped this moment already: one clip every "
                              f"{LISTENER_CLIP_EVERY_S:.0f} s from the audience (next in {wait_s} s)")
            member.clipped_at = now
        # ``starts_before``: the room's records place the clip that long before now (live.records)
        return [(EventKind.clip, actor, {**Clip(title, duration, member.role.value).to_data(), "starts_before": duration})]

    def set_off_record(self, actor: str, on: bool) -> list[Event]:
        self._require_moderator(actor)
        if on == self.off_record:
            raise Refused("unchanged", "the room is already " + ("off" if on else "on") + " the record")
        self.off_record = on
        return [(EventKind.off_record_start if on else EventKind.off_record_end, actor, {})]

    def end(self, actor: str) -> list[Event]:
        self._require_moderator(actor)
        return self.end_now(actor)

    def end_now(self, by: str = "") -> list[Event]:
        """By a moderator, by an empty room's grace period running out, or by shutdown."""
        self.ended = True
        return [(EventKind.end, by, {})]

    # --- views ---------------------------------------------------------------------------
    def member(self, identity: str) -> Member:
        member = self.members.get(identity)
        if member is None:
            raise Refused("not_here", f"nobody called {identity[:128]!r} is in this room")
        return member

    def publishing(self) -> list[Member]:
        return [member for member in self.members.values() if member.publishes]

    def fields(self, status: str, recording: bool, hands: bool) -> RoomFields:
        """The room's own fields; the hand queue only for those who act on it (``hands``)."""
        queue = sorted((m for m in self.members.values() if m.hand_raised_at is not None), key=lambda m: m.hand_raised_at)
        return RoomFields(id=self.room_id, title=self.title, status=status, access=self.access, recording=recording,
                          off_record=self.off_record, hands=[member.identity for member in queue] if hands else [])

    @staticmethod
    def order(view: dict) -> tuple:
        """How a room lists its people: host first, then by rank, the stage before the audience."""
        return (-RANK[Role(view["role"])], not view["on_stage"], view["name"].lower())

    # --- helpers -------------------------------------------------------------------------
    def _require_moderator(self, actor: str) -> Member:
        member = self.member(actor)
        if not member.moderates:
            raise Refused("forbidden", "only moderators can do that")
        return member

    def _target_of_moderation(self, actor: str, target: str) -> Member:
        moderator = self._require_moderator(actor)
        member = self.member(target)
        if member.identity == actor:
            raise Refused("forbidden", "do that to yourself with the speaker controls")
        if RANK[member.role] >= RANK[moderator.role]:
            raise Refused("forbidden", f"a {moderator.role.value} cannot do that to a {member.role.value}")
        return member

    def _step_up(self, member: Member, consent: bool) -> list[Event]:
        if member.on_stage:
            raise Refused("on_stage", "you are already on the stage")
        if not consent:
            raise Refused("consent_required", "the stage is recorded: taking it needs your consent")
        slot = self._free_slot()
        member.on_stage, member.slot, member.invited, member.hand_raised_at = True, slot, False, None
        member.muted = member.muted_by_moderator = False
        if member.role == Role.listener:
            member.role = Role.speaker
        events: list[Event] = []
        if not member.consented:
            member.consented = True
            events.append((EventKind.consent, member.identity, {}))
        return events + [(EventKind.stage_join, member.identity, {"slot": slot})]

    def _step_down(self, member: Member) -> list[Event]:
        member.on_stage, member.slot, member.muted, member.muted_by_moderator = False, None, False, False
        if member.role == Role.speaker:
            member.role = Role.listener
        return [(EventKind.stage_leave, member.identity, {})]

    def _free_slot(self) -> int:
        taken = {member.slot for member in self.members.values() if member.slot is not None}
        for slot in range(self.max_stage):
            if slot not in taken:
                return slot
        raise Refused("stage_full", f"the stage holds at most {self.max_stage} people")
