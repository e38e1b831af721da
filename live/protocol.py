"""The room's signaling protocol, version 1: JSON messages over one WebSocket per participant.

Every message is an object with a ``type``. The client's first message is ``join`` with its
token and the protocol version; the server answers ``welcome`` with the whole room, and from
then on pushes what changes: ``participant`` (one person's card, new or changed),
``participant_gone``, and ``state`` (the room's own fields). Media is negotiated with
``offer``/``answer`` (the client always offers; the server asks for a new offer with
``renegotiate``). A message the
server cannot accept gets an ``error`` that names the offending type; the connection stays
open. ``live/PROTOCOL.md`` documents each message with examples.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from roomcast.text import Line

VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024  # an SDP offer with a dozen audio sections is about 10 kB
Identity = Annotated[str, Field(min_length=1, max_length=128)]


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.ref = code, message, ref


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- client to server ---------------------------------------------------------------------
class Join(_Message):
    type: Literal["join"]
    v: int
    token: str = Field(max_length=4096)


class Offer(_Message):
    type: Literal["offer"]
    sdp: str = Field(max_length=MAX_MESSAGE_BYTES)


class RaiseHand(_Message):
    type: Literal["raise_hand"]


class LowerHand(_Message):
    type: Literal["lower_hand"]
    identity: Identity | None = None  # a moderator may lower someone else's hand


class Invite(_Message):
    type: Literal["invite"]
    identity: Identity


class AcceptInvite(_Message):
    type: Literal["accept_invite"]
    consent: bool = False  # taking the stage means accepting that the room is recorded


class DeclineInvite(_Message):
    type: Literal["decline_invite"]


class TakeStage(_Message):
    """Hosts, moderators and holders of a speaker token step up without an invite."""

    type: Literal["take_stage"]
    consent: bool = False


class LeaveStage(_Message):
    type: Literal["leave_stage"]


class MoveToAudience(_Message):
    type: Literal["move_to_audience"]
    identity: Identity


class Mute(_Message):
    type: Literal["mute"]
    identity: Identity | None = None  # none: oneself


class Unmute(_Message):
    type: Literal["unmute"]
    identity: Identity | None = None  # a moderator lifts their mute; only the speaker unmutes


class Remove(_Message):
    type: Literal["remove"]
    identity: Identity
    block: bool = False


class SetRole(_Message):
    type: Literal["set_role"]
    identity: Identity
    role: Literal["moderator", "listener"]  # promote to moderator, or take it back


class Marker(_Message):
    """A moderator's "new topic": a chapter of the episode."""

    type: Literal["marker"]
    title: Line(200, 1)


class Clip(_Message):
    """Anyone's "that was good": a soundbite of the last ``duration`` seconds."""

    type: Literal["clip"]
    title: Line(200) = ""
    duration: float = Field(default=30.0, ge=5.0, le=120.0)


class OffRecord(_Message):
    """Moderators: the room stays live, and the span is cut from the episode, transcript and index."""

    type: Literal["off_record"]
    on: bool


class EndRoom(_Message):
    type: Literal["end_room"]


class Ping(_Message):
    type: Literal["ping"]


ClientMessage = Annotated[
    Union[Join, Offer, RaiseHand, LowerHand, Invite, AcceptInvite, DeclineInvite, TakeStage, LeaveStage,
          MoveToAudience, Mute, Unmute, Remove, SetRole, Marker, Clip, OffRecord, EndRoom, Ping],
    Field(discriminator="type"),
]
CLIENT_TYPES = {model.model_fields["type"].annotation.__args__[0] for model in ClientMessage.__origin__.__args__}
_client_adapter: TypeAdapter = TypeAdapter(ClientMessage)


def parse_client_message(raw: str | bytes) -> BaseModel:
    """One client message, or a ProtocolError that says what is wrong with it."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"messages are at most {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("malformed", "a message is one JSON object") from None
    except RecursionError:  # "[" * 20000 fits in 64 kB and nests deeper than the parser goes
        raise ProtocolError("malformed", "a message is one JSON object, not nested that deep") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("malformed", "a message is a JSON object with a string 'type'")
    kind = data["type"]
    if kind not in CLIENT_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type {kind[:40]!r}", ref=kind[:40])
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "message"
        raise ProtocolError("invalid", f"{where}: {first['msg']}", ref=kind) from None


# --- server to client ---------------------------------------------------------------------
class ParticipantView(BaseModel):
    identity: str
    name: str
    role: Literal["host", "moderator", "speaker", "listener"]
    on_stage: bool
    muted: bool
    muted_by_moderator: bool
    hand_raised: bool
    invited: bool
    slot: int | None  # which of a subscriber's receiving transceivers carries this speaker


class RoomFields(BaseModel):
    """The room itself, without its people: what a ``state`` message carries."""

    id: int
    title: str
    status: str
    access: str
    recording: bool
    off_record: bool  # moderators paused the record: this span will not be published
    hands: list[str]  # identities, in the order the hands went up; moderators' copies only


class RoomSnapshot(RoomFields):
    """The whole room, once, in ``welcome``; from then on ``state`` and ``participant`` deltas."""

    participants: list[ParticipantView]


def server_message(kind: str, **fields: object) -> str:
    return json.dumps({"type": kind, **fields}, separators=(",", ":"), default=_jsonable)


def _jsonable(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot send {type(value).__name__}")
