"""live.protocol: what a client may send, and the error that names what is wrong with the rest."""

from __future__ import annotations

import json

import pytest

from live.protocol import (
    CLIENT_TYPES,
    MAX_MESSAGE_BYTES,
    ParticipantView,
    ProtocolError,
    RoomFields,
    RoomSnapshot,
    parse_client_message,
    server_message,
)


def error_of(raw: str | bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(raw)
    return caught.value


def test_each_client_message_is_read_with_its_defaults() -> None:
    join = parse_client_message(b'{"type": "join", "v": 1, "token": "abc"}')
    assert (join.type, join.v, join.token) == ("join", 1, "abc")
    assert parse_client_message('{"type": "accept_invite"}').consent is False  # consent is never assumed
    assert parse_client_message('{"type": "take_stage", "consent": true}').consent is True
    assert parse_client_message('{"type": "mute"}').identity is None  # oneself
    assert parse_client_message('{"type": "remove", "identity": "leo"}').block is False
    clip = parse_client_message('{"type": "clip"}')
    assert (clip.title, clip.duration) == ("", 30.0)
    assert parse_client_message('{"type": "set_role", "identity": "lia", "role": "moderator"}').role == "moderator"


def test_every_documented_type_is_accepted() -> None:
    assert CLIENT_TYPES == {
        "join", "offer", "raise_hand", "lower_hand", "invite", "accept_invite", "decline_invite", "take_stage",
        "leave_stage", "move_to_audience", "mute", "unmute", "remove", "set_role", "marker", "clip", "off_record",
        "end_room", "ping"}
    for kind in ("raise_hand", "decline_invite", "leave_stage", "end_room", "ping"):
        assert parse_client_message(json.dumps({"type": kind})).type == kind


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"join"', '{"v": 1}', '{"type": 5}', "[" * 20_000, b"\xff\xfe"])
def test_what_is_not_a_json_object_with_a_type_is_malformed(raw: str | bytes) -> None:
    assert error_of(raw).code == "malformed"


def test_an_unknown_type_is_named_and_cut_short() -> None:
    error = error_of(json.dumps({"type": "dance" * 20}))
    assert error.code == "unknown_type" and error.ref == ("dance" * 20)[:40]
    assert len(error.message) < 80


def test_a_message_over_the_limit_is_refused_before_it_is_parsed() -> None:
    raw = json.dumps({"type": "offer", "sdp": "v=0 " * (MAX_MESSAGE_BYTES // 4)})
    error = error_of(raw)
    assert error.code == "too_large" and str(MAX_MESSAGE_BYTES) in error.message


@pytest.mark.parametrize(("message", "where"), [
    ({"type": "clip", "duration": 200}, "duration"),
    ({"type": "clip", "duration": 1}, "duration"),
    ({"type": "invite"}, "identity"),
    ({"type": "invite", "identity": ""}, "identity"),
    ({"type": "invite", "identity": "x" * 129}, "identity"),
    ({"type": "set_role", "identity": "lia", "role": "host"}, "role"),
    ({"type": "marker", "title": ""}, "title"),
    ({"type": "off_record"}, "on"),
    ({"type": "join", "v": 1, "token": "t" * 4097}, "token"),
    ({"type": "ping", "extra": 1}, "extra"),
])
def test_an_invalid_field_is_named_with_the_type_it_came_in(message: dict, where: str) -> None:
    error = error_of(json.dumps(message))
    assert error.code == "invalid" and error.ref == message["type"]
    assert error.message.startswith(f"{where}: "), error.message


def test_server_messages_are_compact_json_with_models_as_objects() -> None:
    card = ParticipantView(identity="lia", name="Lia", role="speaker", on_stage=True, muted=False,
                           muted_by_moderator=False, hand_raised=False, invited=False, slot=2)
    sent = server_message("participant", participant=card)
    assert " " not in sent.replace("Lia", "")
    assert json.loads(sent) == {"type": "participant", "participant": card.model_dump()}
    fields = RoomFields(id=3, title="Rivers", status="live", access="open", recording=True, off_record=False, hands=[])
    snapshot = RoomSnapshot(**fields.model_dump(), participants=[card])
    assert json.loads(server_message("welcome", room=snapshot))["room"]["participants"][0]["slot"] == 2
    with pytest.raises(TypeError, match="cannot send object"):
        server_message("state", room=object())
