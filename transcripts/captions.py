"""Live captions of one track: what its speaker is saying now, provisionally, within seconds.

Live transcription (transcripts.track_progress) writes a turn once it is over and packed with
others into a window: on the room page the first caption came about 29 s after speech began.
Captions fill the gap: every round (about a second) the track's speech after what live
transcription has written is cut at its pauses (voice activity, pauses of 0.5 s), and each
piece is read quickly (transcripts.provisional). A piece followed by quiet, or grown to
``MAX_PIECE_S``, is settled: read once more, then kept as it is; the piece still being spoken is
read again each round it has grown. The whole-turn transcription replaces them all as it
catches up, so captions never stand in the published transcript.

Times are track seconds. The state is a small JSON file per track, so any worker takes the
next round.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from roomcast.audio import ASR_RATE, UnreadableAudio
from roomcast.own_speech import Spans, gate
from roomcast.storage import get_media_store
from transcripts.provisional import glance
from transcripts.track_progress import GATE_FLOOR_DB, QUIET_PEAK, Tails

SETTLE_S = 0.6  # quiet after a piece: it is over
MAX_PIECE_S = 12.0  # a piece is settled at this length even mid-speech: re-reading it stays cheap
REREAD_S = 0.4  # the piece being spoken is read again once it has grown this much
NEAR_S = 0.3  # a piece's edges moved less than this: the same piece (VAD pads speech by 0.2 s)
BEHIND_S = 20.0  # captions never start further back than this from the live edge
MAX_KEPT = 24  # settled captions waiting for live transcription to replace them
VAD = VadOptions(min_silence_duration_ms=500, speech_pad_ms=200)  # 0.3 s pauses: 9.0 % WER, 0.5 s: 8.2 %


@dataclass
class Caption:
    start: float
    end: float
    text: str
    settled: bool = False


@dataclass
class TrackCaptions:
    settled_until: float = 0.0  # audio before this is captioned for good, or transcribed
    captions: list[Caption] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> TrackCaptions:
        data = json.loads(text)
        return cls(data["settled_until"], [Caption(**c) for c in data["captions"]])

    def finished(self, duration_s: float) -> bool:
        """Whether a closed segment of this length is captioned to its end."""
        return 0 < duration_s <= self.settled_until + SETTLE_S + 0.05

    def after(self, transcribed_until: float) -> list[Caption]:
        """The captions that live transcription has not replaced yet."""
        return [c for c in self.captions if (c.start + c.end) / 2 >= transcribed_until and c.text]


def captions_key(room_id: int, track_id: int) -> str:
    return f"rooms/{room_id}/transcripts/track-{track_id}.captions.json"


def load_captions(room_id: int, track_id: int) -> TrackCaptions:
    store, key = get_media_store(), captions_key(room_id, track_id)
    try:
        return TrackCaptions.from_json(store.read_text(key)) if store.exists(key) else TrackCaptions()
    except (OSError, ValueError, KeyError):  # removed by the track's end between the two calls
        return TrackCaptions()


def caption_round(path: Path, state: TrackCaptions, transcribed_until: float, live_edge: float,
                  language: str | None, tails: Tails, own: Spans | None = None) -> TrackCaptions:
    """The track's captions, brought up to what has been written of it.

    ``transcribed_until``: live transcription has written the turns before this (track seconds);
    ``live_edge``: about where the track's file ends now; ``own``: where the track carries its own
    speaker (the rest is silenced first, see transcripts.live_decision); None: everywhere.
    """
    start = max(state.settled_until, transcribed_until, live_edge - BEHIND_S)
    kept = [c for c in state.captions if c.settled and (c.start + c.end) / 2 >= transcribed_until][-MAX_KEPT:]
    open_piece = next((c for c in state.captions if not c.settled), None)
    try:
        excerpt = tails.read(path, start, 2 * BEHIND_S)
    except UnreadableAudio:
        return TrackCaptions(start, kept + ([open_piece] if open_piece else []))
    samples = excerpt.samples if own is None else gate(excerpt.samples, excerpt.start_s, ASR_RATE, own, GATE_FLOOR_DB)
    tails.keep(path, excerpt, start)
    pieces = _pieces(samples)
    settled_until, size = start, samples.size
    for number, (a, b) in enumerate(pieces):
        over = number + 1 < len(pieces) or size - b >= SETTLE_S * ASR_RATE
        if not over and b - a >= MAX_PIECE_S * ASR_RATE:
            b, over = a + int(MAX_PIECE_S * ASR_RATE), True
        begin, end = excerpt.start_s + a / ASR_RATE, excerpt.start_s + b / ASR_RATE
        read = open_piece is not None and abs(open_piece.start - begin) <= NEAR_S and abs(open_piece.end - end) <= NEAR_S
        if over:  # read once more where its last words came after the last reading
            text = open_piece.text if read else glance(samples[a:b], language)
            kept.append(Caption(round(begin, 3), round(end, 3), text, settled=True))
            settled_until = end
            continue
        grown = open_piece is None or abs(open_piece.start - begin) > NEAR_S or end - open_piece.end >= REREAD_S
        text = glance(samples[a:b], language) if grown else open_piece.text
        kept.append(Caption(round(begin, 3), round(end if grown else open_piece.end, 3), text))
        break
    if not pieces:  # only quiet: speech may begin in the last moments, read them again
        settled_until = max(start, excerpt.end_s - SETTLE_S)
    return TrackCaptions(round(settled_until, 3), kept)


def _pieces(samples: np.ndarray) -> list[tuple[int, int]]:
    if samples.size == 0 or float(np.max(np.abs(samples))) < QUIET_PEAK:
        return []
    return [(c["start"], c["end"]) for c in get_speech_timestamps(samples, VAD)]
