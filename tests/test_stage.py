"""live.stage: who may do what in a room, and what each action tells the room (no I/O)."""

from __future__ import annotations

import pytest

from live.stage import Refused, Stage
from roomcast.models import Role


def room(max_stage: int = 12) -> Stage:
    """A room with its host, a moderator, a speaker-token holder and two listeners."""
    stage = Stage(room_id=7, title="Rivers", access="open", max_stage=max_stage)
    for identity, role in [("hana", Role.host), ("mo", Role.moderator), ("sam", Role.speaker),
                           ("lia", Role.listener), ("leo", Role.listener)]:
        stage.join(identity, identity.title(), role)
    return stage


def refused(code: str, action, *args) -> Refused:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as caught:
        action(*args)
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_a_join_keeps_a_moderating_role_and_seats_everyone_else_in_the_audience() -> None:
    stage = room()
    assert [stage.members[i].role for i in ("hana", "mo", "sam", "lia")] == [
        Role.host, Role.moderator, Role.listener, Role.listener]  # a speaker token still starts listening
    member, events = stage.join("ivy", "Ivy", Role.speaker)
    assert events == [("join", "ivy", {"name": "Ivy", "role": "listener"})]
    assert not member.on_stage and member.token_role == Role.speaker


def test_hands_queue_in_the_order_they_went_up_and_only_moderators_see_the_queue() -> None:
    stage = room()
    assert stage.raise_hand("leo") == [("hand_raise", "leo", {})]
    assert stage.raise_hand("lia") == [("hand_raise", "lia", {})]
    assert stage.raise_hand("leo") == []  # already queued: nothing to tell
    assert stage.fields("live", recording=True, hands=True).hands == ["leo", "lia"]
    assert stage.fields("live", recording=True, hands=False).hands == []
    assert stage.lower_hand("leo") == [("hand_lower", "leo", {"by": "leo"})]
    refused("forbidden", stage.lower_hand, "leo", "lia")  # a listener cannot lower another's hand
    assert stage.lower_hand("mo", "lia") == [("hand_lower", "lia", {"by": "mo"})]
    assert stage.fields("live", recording=True, hands=True).hands == []


def test_an_invited_listener_needs_to_consent_to_the_recording_to_take_the_stage() -> None:
    stage = room()
    stage.raise_hand("lia")
    refused("forbidden", stage.invite, "sam", "lia")  # only moderators invite
    refused("not_invited", stage.accept_invite, "lia", True)
    assert stage.invite("mo", "lia") == [("invite", "lia", {"by": "mo"})]
    refused("consent_required", stage.accept_invite, "lia", False)
    lia = stage.members["lia"]
    assert lia.invited and not lia.on_stage  # the refusal changed nothing
    assert stage.accept_invite("lia", True) == [("consent", "lia", {}), ("stage_join", "lia", {"slot": 0})]
    assert lia.on_stage and lia.role == Role.speaker and lia.publishes
    assert not lia.invited and lia.hand_raised_at is None  # off the queue
    refused("on_stage", stage.raise_hand, "lia")
    refused("on_stage", stage.invite, "mo", "lia")


def test_consent_is_recorded_once_per_person() -> None:
    stage = room()
    stage.take_stage("sam", consent=True)
    assert stage.leave_stage("sam") == [("stage_leave", "sam", {})]
    assert stage.members["sam"].role == Role.listener
    assert stage.take_stage("sam", consent=True) == [("stage_join", "sam", {"slot": 0})]


def test_a_declined_invitation_is_gone() -> None:
    stage = room()
    stage.invite("hana", "leo")
    assert stage.decline_invite("leo") == [("invite_declined", "leo", {})]
    refused("not_invited", stage.accept_invite, "leo", True)


def test_only_moderators_and_speaker_tokens_step_up_uninvited() -> None:
    stage = room()
    refused("forbidden", stage.take_stage, "lia", True)
    for identity in ("hana", "mo", "sam"):
        assert stage.take_stage(identity, consent=True)[-1][0] == "stage_join"
    assert [stage.members[i].role for i in ("hana", "mo", "sam")] == [Role.host, Role.moderator, Role.speaker]


def test_a_full_stage_refuses_and_a_freed_seat_is_the_first_one_taken() -> None:
    stage = room(max_stage=2)
    stage.take_stage("hana", consent=True)
    stage.take_stage("mo", consent=True)
    error = refused("stage_full", stage.take_stage, "sam", True)
    assert "at most 2" in error.message
    assert not stage.members["sam"].on_stage
    stage.leave_stage("hana")
    assert stage.take_stage("sam", consent=True)[-1] == ("stage_join", "sam", {"slot": 0})
    assert [(m.on_stage, m.slot) for m in (stage.members["hana"], stage.members["sam"])] == [(False, None), (True, 0)]


def test_a_moderators_mute_is_lifted_by_a_moderator_and_the_speaker_unmutes_themselves() -> None:
    stage = room()
    refused("not_on_stage", stage.mute, "sam")
    stage.take_stage("sam", consent=True)
    assert stage.mute("sam") == [("mute", "sam", {"by": "sam"})]
    assert not stage.members["sam"].publishes  # a muted track is neither forwarded nor archived
    assert stage.unmute("sam") == [("unmute", "sam", {})]

    assert stage.mute("mo", "sam") == [("mute", "sam", {"by": "mo"})]
    refused("muted_by_moderator", stage.unmute, "sam")
    assert stage.unmute("mo", "sam") == [("mute_lifted", "sam", {"by": "mo"})]
    assert stage.members["sam"].muted  # still muted: the speaker decides when to talk again
    stage.unmute("sam")
    assert stage.members["sam"].publishes


def test_moderation_reaches_only_lower_ranks_and_never_oneself() -> None:
    stage = room()
    for identity in ("hana", "mo", "sam"):
        stage.take_stage(identity, consent=True)
    refused("forbidden", stage.mute, "sam", "mo")  # a speaker moderates nobody
    refused("forbidden", stage.move_to_audience, "mo", "hana")  # nor a moderator the host
    refused("forbidden", stage.remove, "mo", "mo", False)
    error = refused("forbidden", stage.mute, "mo", "hana")
    assert error.message == "a moderator cannot do that to a host"
    assert stage.move_to_audience("mo", "sam") == [("stage_leave", "sam", {"by": "mo"})]
    refused("not_on_stage", stage.move_to_audience, "mo", "sam")
    assert stage.members["sam"].role == Role.listener and stage.members["sam"].slot is None


def test_a_removed_speaker_leaves_the_stage_and_a_blocked_one_cannot_come_back() -> None:
    stage = room()
    stage.take_stage("sam", consent=True)
    assert stage.remove("hana", "sam", block=True) == [
        ("stage_leave", "sam", {}), ("remove", "sam", {"by": "hana", "block": True})]
    assert "sam" not in stage.members
    refused("blocked", stage.join, "sam", "Sam", Role.speaker)
    stage.remove("hana", "leo", block=False)
    assert stage.join("leo", "Leo", Role.listener)[0].identity == "leo"  # removed, not blocked


def test_the_host_promotes_and_alone_takes_a_moderators_role_back() -> None:
    stage = room()
    stage.raise_hand("lia")
    assert stage.set_role("mo", "lia", "moderator") == [("role", "lia", {"role": "moderator", "by": "mo"})]
    lia = stage.members["lia"]
    assert lia.moderates and lia.hand_raised_at is None
    refused("forbidden", stage.set_role, "mo", "lia", "listener")
    refused("forbidden", stage.set_role, "mo", "hana", "moderator")
    stage.take_stage("lia", consent=True)
    assert stage.set_role("hana", "lia", "listener") == [("role", "lia", {"role": "speaker", "by": "hana"})]
    assert lia.on_stage and not lia.moderates  # still on the stage, as a speaker
    refused("forbidden", stage.set_role, "hana", "hana", "listener")


def test_markers_and_the_record_are_the_moderators_clips_are_anyones() -> None:
    stage = room()
    refused("forbidden", stage.marker, "lia", "Volcanoes")
    assert stage.marker("mo", "Volcanoes") == [("marker", "mo", {"title": "Volcanoes"})]
    assert stage.clip("lia", "Good bit", 45.0) == [  # the clipper's role goes with it: feeds title listeners' clips
        ("clip", "lia", {"title": "Good bit", "duration": 45.0, "by_role": "listener", "starts_before": 45.0})]
    refused("rate_limited", stage.clip, "lia", "Good bit again", 30.0)  # a listener: once every 30 s
    assert stage.clip("mo", "Better bit", 30.0)[0][2]["by_role"] == "moderator"
    assert stage.clip("mo", "Best bit", 30.0)  # the stage and moderators are not limited
    refused("forbidden", stage.set_off_record, "sam", True)
    assert stage.set_off_record("mo", True) == [("off_record_start", "mo", {})]
    assert stage.fields("live", recording=True, hands=False).off_record
    refused("unchanged", stage.set_off_record, "hana", True)
    assert stage.set_off_record("hana", False) == [("off_record_end", "hana", {})]
    refused("unchanged", stage.set_off_record, "hana", False)


def test_an_ended_room_admits_nobody() -> None:
    stage = room()
    refused("forbidden", stage.end, "sam")
    assert not stage.ended
    assert stage.end("mo") == [("end", "mo", {})]
    refused("ended", stage.join, "ivy", "Ivy", Role.listener)


def test_leaving_frees_the_seat_and_strangers_are_named_in_the_refusal() -> None:
    stage = room()
    stage.take_stage("mo", consent=True)
    assert stage.leave("mo") == [("stage_leave", "mo", {}), ("leave", "mo", {})]
    assert stage.leave("mo") == []  # already gone: nothing happened
    error = refused("not_here", stage.raise_hand, "x" * 500)
    assert len(error.message) < 200  # a huge identity is not echoed whole


def test_people_are_listed_host_first_then_by_rank_the_stage_before_the_audience() -> None:
    stage = room()
    stage.take_stage("sam", consent=True)
    stage.join("abe", "abe", Role.listener)
    views = sorted((m.view().model_dump() for m in stage.members.values()), key=Stage.order)
    assert [v["identity"] for v in views] == ["hana", "mo", "sam", "abe", "leo", "lia"]
    assert views[2]["slot"] == 0 and views[2]["on_stage"] and views[3]["slot"] is None
