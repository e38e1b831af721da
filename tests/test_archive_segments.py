"""Where a speaker's archive is cut into segments (capture.archive): a clock that drifts starts
a new one, so tracks stay aligned, but a sender report that went out late does not; and a
segment due to end ends in a pause of the speaker's, not mid-phrase.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import ended_and_segmented, rtp_packet

WALL_CLOCK_S = 1_796_000_000.0  # the sender's real time at the start (Unix s, as live.forwarding hands reports on)
SSRC, RATE = 7, 48_000


def speak(archive, seconds: float, pace: float = 1.0, late_s: Callable[[int], float] = lambda n: 0.0,  # type: ignore[no-untyped-def]
          level: Callable[[float], int | None] = lambda t: None) -> list[tuple[float, float]]:
    """A speaker sends 20 ms packets for ``seconds`` (their clock ``pace`` times slower than real
    time), packet by packet at ``level(t)`` (RFC 6464 -dBov; None: no level), and a sender report
    each second, report ``n`` going out ``late_s(n)`` late, as aiortc's does: the last packet's
    RTP time beside the moment it was sent. The segments, as (start, length)."""
    sink, room_id = archive
    for n in range(int(seconds / 0.02)):
        sent_s = n * 0.02 * pace
        packet = rtp_packet(SSRC, n, n * 960)
        if (loudness := level(n * 0.02)) is not None:
            packet.extensions.audio_level = (loudness < 50, loudness)
        sink.write(room_id, "ann", packet, sent_s)
        if n % 50 == 49:
            report = n // 50
            sink.sender_report(room_id, "ann", SSRC, WALL_CLOCK_S + sent_s + late_s(report), n * 960)
    return ended_and_segmented(archive)


def test_a_busy_senders_late_reports_do_not_cut_its_track(archive) -> None:  # type: ignore[no-untyped-def]
    """One report in three went out 15-45 ms late, as a bot's did on a machine with the suite's two
    workers busy: each once cut the track twice (its speech then transcribed in pieces)."""
    segments = speak(archive, 60, pace=1.0, late_s=lambda n: 0.015 * (1 + n // 3 % 3) if n % 3 == 1 else 0.0)
    assert len(segments) == 1, segments
    assert abs(segments[0][1] - 60) < 0.05


def test_a_clock_that_runs_slow_starts_new_segments(archive) -> None:  # type: ignore[no-untyped-def]
    """0.4 % slow, 4 ms a second: a new segment every few seconds, each starting when it was sent."""
    pace = 1.004
    segments = speak(archive, 20, pace=pace, late_s=lambda n: 0.0)
    assert len(segments) >= 4, segments
    for start_s, _ in segments:  # where its first sample was sent, on the room's clock
        nearest_packet_s = round(start_s / (0.02 * pace)) * 0.02 * pace
        assert abs(start_s - nearest_packet_s) < 0.003, segments
    assert abs(sum(length for _, length in segments) - 20) < 0.05


def speech(pause_at_s: float | None) -> Callable[[float], int]:
    """Speech at -30 dBov with a breath (0.2 s at -70) every two seconds, and one real pause
    of 0.6 s at ``pause_at_s``."""
    def level(t: float) -> int:
        if pause_at_s is not None and pause_at_s <= t < pause_at_s + 0.6:
            return 70
        return 70 if t % 2.0 >= 1.8 else 30
    return level


def test_a_five_minute_segment_ends_in_the_speakers_next_pause(archive) -> None:  # type: ignore[no-untyped-def]
    segments = speak(archive, 310, level=speech(pause_at_s=303.0))
    assert len(segments) == 2, segments
    assert 303.4 <= segments[0][1] <= 303.6, segments  # half a second into the pause, not at 300 s
    assert abs(segments[1][0] - segments[0][1]) < 0.001, segments


def test_a_speaker_who_never_pauses_is_cut_ten_seconds_late(archive) -> None:  # type: ignore[no-untyped-def]
    segments = speak(archive, 320, level=speech(pause_at_s=None))
    assert [round(length, 1) for _, length in segments[:1]] == [310.0], segments


def test_a_cut_that_stops_being_due_waits_afresh(archive) -> None:  # type: ignore[no-untyped-def]
    """Three reports in a row 15 ms late (a sender busy for three seconds) make a cut due; the
    next ones, on time, take it back; at five minutes the cut still waits for a pause."""
    segments = speak(archive, 310, late_s=lambda n: 0.015 if 10 <= n <= 12 else 0.0, level=speech(pause_at_s=303.0))
    assert len(segments) == 2 and 303.4 <= segments[0][1] <= 303.6, segments
