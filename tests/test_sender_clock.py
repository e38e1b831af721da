"""A speaker's sample clock against real time, as their RTCP sender reports tell (capture.archive):
a clock that drifts starts new segments, so tracks stay aligned; a report that went out late does not."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import rtp_packet

NTP_EPOCH_OFFSET_S = 3_970_000_000.0  # sender reports carry NTP time: seconds since 1900
SSRC, RATE = 7, 48_000


def speak(archive, seconds: float, pace: float, late_s: Callable[[int], float]) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """A speaker sends 20 ms packets for ``seconds`` (their clock ``pace`` times slower than real
    time) and a sender report each second, report ``n`` going out ``late_s(n)`` late, as aiortc's
    does: the last packet's RTP time beside the moment it was sent. The segments, as (start, length)."""
    from capture.archive import records
    from roomcast.db import session_scope
    from roomcast.models import Track

    sink, room_id = archive
    for n in range(int(seconds / 0.02)):
        sent_s = n * 0.02 * pace
        sink.write(room_id, "ann", rtp_packet(SSRC, n, n * 960), sent_s)
        if n % 50 == 49:
            report = n // 50
            sink.sender_report(room_id, "ann", SSRC, NTP_EPOCH_OFFSET_S + sent_s + late_s(report), n * 960)
    sink.room_ended(room_id)
    records.submit(lambda: None).result(30)  # the segments' rows are written
    with session_scope() as session:
        return [(t.offset_s, t.duration_s) for t in session.query(Track).filter_by(room_id=room_id).order_by(Track.offset_s)]


def test_a_busy_senders_late_reports_do_not_cut_its_track(archive) -> None:  # type: ignore[no-untyped-def]
    """One report in three went out 15-45 ms late, as a bot's did on a machine with the suite's two
    workers busy: each once cut the track twice (its speech then transcribed in pieces)."""
    segments = speak(archive, 60, pace=1.0, late_s=lambda n: 0.015 * (1 + n % 3) if n % 3 == 1 else 0.0)
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
