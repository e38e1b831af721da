"""capture.ogg_opus: an Opus packet's duration from its TOC byte, and the archive's Ogg/Opus file
written packet by packet, gaps filled, read back by FFmpeg sample for sample."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
import pytest

from capture.ogg_opus import LOST_FRAME, RATE, SAMPLES_BY_TOC, OggOpusWriter, opus_head, packet_samples


def toc(config: int, code: int) -> int:
    return config << 3 | code


@pytest.mark.parametrize(("config", "samples"), [
    (0, 480), (1, 960), (2, 1920), (3, 2880),  # SILK narrowband: 10, 20, 40, 60 ms
    (11, 2880),  # SILK wideband, 60 ms
    (12, 480), (13, 960), (15, 960),  # hybrid: 10 and 20 ms
    (16, 120), (17, 240), (18, 480), (19, 960), (31, 960),  # CELT: 2.5 to 20 ms
])
def test_one_frame_lasts_what_its_configuration_says(config: int, samples: int) -> None:
    assert packet_samples(bytes([toc(config, 0), 0x55])) == samples


def test_two_frame_codes_double_it_and_code_three_counts_its_frames() -> None:
    assert packet_samples(bytes([toc(1, 1), 0x55])) == 2 * 960  # two equal frames
    assert packet_samples(bytes([toc(16, 2), 0x01, 0x55])) == 2 * 120  # two frames of different sizes
    assert packet_samples(bytes([toc(19, 3), 0x83, 0x55])) == 3 * 960  # frame count byte (VBR flag set)
    assert packet_samples(bytes([toc(16, 3), 48])) == 48 * 120  # 120 ms, the most a packet holds
    assert packet_samples(bytes([toc(19, 3)])) == 960  # a count byte missing: one frame
    assert packet_samples(bytes([toc(19, 3), 0])) == 960  # zero frames counts as one
    assert packet_samples(b"") == 960  # an empty payload conceals 20 ms


def test_the_lookup_table_agrees_and_leaves_code_three_to_the_count_byte() -> None:
    assert len(SAMPLES_BY_TOC) == 192
    assert all(SAMPLES_BY_TOC[t] == packet_samples(bytes([t])) for t in SAMPLES_BY_TOC)
    assert not any(t & 0x3 == 3 for t in SAMPLES_BY_TOC)
    assert packet_samples(LOST_FRAME) == 960


def test_the_identification_header_is_mono_without_pre_skip() -> None:
    head = opus_head()
    assert len(head) == 19 and head[:8] == b"OpusHead"
    assert struct.unpack("<BBHIhB", head[8:]) == (1, 1, 0, RATE, 0, 0)
    assert struct.unpack("<BBHIhB", opus_head(channels=2, pre_skip=312)[8:])[1:3] == (2, 312)


def opus_packets(seconds: float) -> list[bytes]:
    """A 440 Hz tone encoded by libopus in 20 ms packets."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format, encoder.bit_rate = RATE, "mono", "s16", 32_000
    encoder.open()
    t = np.arange(int(seconds * RATE)) / RATE
    pcm = (np.sin(2 * np.pi * 440 * t) * 10_000).astype(np.int16)
    packets = []
    for start in range(0, pcm.size, 960):
        frame = av.AudioFrame.from_ndarray(pcm[None, start : start + 960], format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, start
        packets += [bytes(packet) for packet in encoder.encode(frame)]
    return packets


def test_packets_are_kept_unchanged_and_a_gap_is_filled_with_concealed_frames(tmp_path: Path) -> None:
    packets = opus_packets(1.0)
    path = tmp_path / "speaker.opus"
    writer = OggOpusWriter(path)
    for index in list(range(10)) + list(range(20, 30)):  # packets 10-19 lost on the way
        writer.write(packets[index], index * 960)
    writer.close()
    assert writer.samples == 30 * 960 and writer.duration_s == pytest.approx(0.6)

    assert path.read_bytes().find(opus_head()) > 0  # our header, not the encoder's 312-sample pre-skip
    with av.open(str(path)) as container:
        read = [(packet.pts, bytes(packet)) for packet in container.demux() if packet.size]
    assert [payload for _, payload in read] == packets[:10] + [LOST_FRAME] * 10 + packets[20:30]
    first = read[0][0]
    assert [pts - first for pts, _ in read] == [k * 960 for k in range(30)]
    with av.open(str(path)) as container:
        decoded = sum(frame.samples for frame in container.decode(audio=0))
    assert decoded == 30 * 960  # the whole segment, gaps included, none of it skipped
