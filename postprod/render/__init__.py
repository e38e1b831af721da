"""Tracks in, a mastered episode out, in memory that does not grow with the room.

1. Decode each track once into a raw float file, metering its loudness (libebur128) and
   its activity (RMS per 50 ms) on the way.
2. Plan the episode: a gain per speaker (every voice to the same loudness), and the room
   time to keep: off-the-record spans cut, silences longer than a limit shortened.
3. Mix the kept spans block by block, joined by short crossfades, into one raw file, and
   meter it.
4. Master, each output format for itself: measure how much the codec shifts loudness on
   a few excerpts, find the gain that lands on the target after the true-peak limiter by
   metering the limited stream (no encoding), encode, and meter the decoded file; a miss
   (loudness, or a codec's peak overshoot) is corrected and encoded again.

Every pass reads and writes fixed-size blocks, so a two-hour room needs no more memory
than a two-minute one. One module per stage: ``decode``, ``plan``, ``mix``, ``master``,
``encode``; this one holds the options and the whole render.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyebur128

from postprod.render.decode import ACTIVITY_FRAME, RATE, DecodedAudio, RawFile, decode
from postprod.render.encode import M4A, MP3, OutputFormat
from postprod.render.master import EncodedFile, Targets, master_and_encode
from postprod.render.mix import BLEED_GATE_DB, Reader, band_limited, crossfaded, mix_reader
from postprod.render.plan import CROSSFADE_S, SpeakerLevel, kept_spans, room_activity, speaker_gain
from roomcast.timemap import TimeMap

__all__ = [
    "ACTIVITY_FRAME", "BLEED_GATE_DB", "M4A", "MP3", "RATE", "DecodedAudio", "EncodedFile", "OutputFormat",
    "RenderOptions", "RenderResult", "SpeakerLevel", "TrackInput", "decode", "mix_reader", "render",
]


@dataclass(frozen=True)
class TrackInput:
    name: str
    path: Path
    offset_s: float = 0.0
    own_speech: list[tuple[float, float]] | None = None  # track seconds; None: the whole track is its own


@dataclass
class RenderOptions:
    target_lufs: float = -16.0
    ceiling_dbtp: float = -1.0
    formats: tuple[OutputFormat, ...] = (MP3,)
    cuts: list[tuple[float, float]] = field(default_factory=list)  # room seconds, e.g. off the record
    max_silence_s: float | None = None  # silences longer than this are shortened to it
    intro: Path | None = None
    outro: Path | None = None


@dataclass
class RenderResult:
    files: list[EncodedFile]
    duration_s: float
    time_map: TimeMap
    speakers: list[SpeakerLevel]
    peaks: list[float]
    warnings: list[str]


def render(tracks: list[TrackInput], destination_stem: Path, options: RenderOptions) -> RenderResult:
    """Write ``destination_stem.<ext>`` for each format and report what was made."""
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="roomcast-render-", dir=destination_stem.parent) as scratch:
        work = Path(scratch)
        decoded = []
        for number, track in enumerate(tracks):
            audio = decode(track.path, work / f"track-{number}.raw")
            if audio.error:
                warnings.append(f"{track.name}: the track breaks off after {audio.samples / RATE:.1f} s ({audio.error})")
            if audio.not_finite:
                warnings.append(f"{track.name}: {audio.not_finite} samples were not numbers; they are silence")
            decoded.append(audio)
        speakers = [speaker_gain(t.name, a.loudness_lufs) for t, a in zip(tracks, decoded)]
        warnings += [f"{s.name}: track is silent" for s in speakers if not math.isfinite(s.loudness_lufs)]
        placed = [(a, t.offset_s, 10 ** (s.gain_db / 20)) for t, a, s in zip(tracks, decoded, speakers)]

        room_samples = max((round(t.offset_s * RATE) + a.samples for t, a in zip(tracks, decoded)), default=0)
        duration = room_samples / RATE
        activity = room_activity(placed, math.ceil(room_samples / ACTIVITY_FRAME))
        kept = kept_spans(duration, options.cuts, activity, options.max_silence_s)

        pieces: list[tuple[Reader, int, int]] = []
        intro = decode(options.intro, work / "intro.raw") if options.intro else None
        outro = decode(options.outro, work / "outro.raw") if options.outro else None
        if intro is not None:
            pieces.append((intro.read, 0, intro.samples))
        read_room = mix_reader(placed, [t.own_speech for t in tracks])
        pieces += [(read_room, round(a * RATE), round(b * RATE)) for a, b in kept]
        if outro is not None:
            pieces.append((outro.read, 0, outro.samples))
        lead = intro.samples / RATE - CROSSFADE_S if intro is not None else 0.0
        # Only what was cut on purpose is "not kept": the quiet trimmed or shortened is not a cut.
        cuts = [(max(0.0, a), min(duration, b)) for a, b in options.cuts if min(duration, b) > max(0.0, a)]
        time_map = TimeMap.from_kept(kept, CROSSFADE_S, lead, cuts)

        mix = RawFile(work / "mix.raw")
        mix_meter = pyebur128.R128State(1, RATE, pyebur128.MeasurementMode.MODE_I)
        mix.write_all(band_limited(crossfaded(pieces)), mix_meter)
        mix_loudness = pyebur128.get_loudness_global(mix_meter)

        files, peaks = master_and_encode(mix, mix_loudness, destination_stem, options.formats,
                                         Targets(options.target_lufs, options.ceiling_dbtp), warnings)
    return RenderResult(files, mix.samples / RATE, time_map, speakers, peaks, warnings)
