"""Which track carries its own speaker, moment by moment, from all of a room's tracks together.

Every track also carries the others: a headset leaks, two guests share a studio, a laptop
without echo cancellation plays the room back into its own microphone. On a four-speaker room
of real speech with bleed at -30 dB, Whisper wrote 1,492 words of the others on the wrong
tracks. A level threshold cannot tell bleed from a quiet speaker; what roomcast has that a
single-track tool does not is every other speaker's own track. So, for each pair (victim,
source), the room's audio itself tells how the source reaches the victim:

- the **delay**: over the moments where the source clearly speaks (its track is the loudest by
  ``DOMINANT_DB``), the lag, from 0 to 450 ms, at which the victim's level follows the source's
  best: bleed arrives 1-40 ms late, a device's echo 80-400 ms;
- the **coupling per band**: the median, over those moments, of the victim's power over the
  source's at that lag. Where the victim is only listening this is the bleed path; with no
  bleed it is the victim's noise floor, and so harmless.

A frame of the victim is its own speaker's when, after taking away what the others predict
(with a 6 dB margin, and the source's loudest moment within ±10 ms), most of its power is
left, and it is well above its noise floor; it is bleed when it is audible (6 dB over the
floor) and mostly explained. Next to a speaker's own frames, a frame where one band stands far
above what the others explain is the speaker's too: a quiet speaker starting under a loud
one's bleed (see _own_band). Only bleed (and 100 ms around it) is closed: runs of own frames
are joined across short gaps and held a little before and after (word onsets, trailing
sounds), never over a frame that is bleed but for a dip of 50 ms inside speech, and quiet is
never closed for being quiet. Two people talking at once both stay: each track's own voice is
far above what the other's bleed predicts. Only levels are compared (see
transcripts.envelopes), so the decision costs little next to decoding, and the archive is
never changed: the decision is a product
(roomcast.own_speech), read by the transcript and the mix alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from transcripts.envelopes import FRAME_S

MAX_LAG = 45  # frames: 450 ms, past a live room's echo path (80-400 ms)
MIN_LAG = -3  # track offsets may be a few ms apart
DOMINANT_DB = 6.0  # a source's moments: its track is the loudest by this much
MIN_MOMENTS = 50  # half a second of a source speaking before its coupling is estimated
MIN_CORRELATION = 0.3  # a weaker link is no bleed path
MARGIN_DB = 6.0  # what bleed explains, counted this much louder
OWN_SHARE = 0.5  # an own frame: at least this share of its power is unexplained
SPEECH_OVER_FLOOR_DB = 15.0
AUDIBLE_OVER_FLOOR_DB = 6.0  # bleed this far over a track's floor is closed (see _decide)
OWN_BAND_DB = 12.0  # a band this far over what bleed explains (with its margin) is the speaker's own sound
FILL_S, BEFORE_S, HOLD_S, MIN_RUN_S = 0.3, 0.1, 0.25, 0.04
ONSET_S = 0.3  # a speaker's own bands (see _own_band) count this close to their speech
DIP_S = 0.05  # a gap this short inside someone's speech is joined even over bleed: no word fits in it
NEAR_BLEED_S = 0.1  # the soft edges of bleed are closed with it
BLOCK_S = 600.0  # couplings are estimated per ten minutes of room: people move, devices change


@dataclass(frozen=True)
class Voice:
    """One participant's levels on the room's clock: ``levels[i]`` is room frame ``first + i``."""

    key: int
    first: int
    levels: np.ndarray  # (frames, bands) dB; NaN where the participant had no track


@dataclass(frozen=True)
class Coupling:
    lag: int
    gains: np.ndarray  # power ratio per band
    correlation: float


@dataclass(frozen=True)
class TrackLevels:
    """A track's envelope (transcripts.envelopes), whose it is and where it starts on the room clock."""

    track_id: int
    person: int | None
    offset_s: float
    levels: np.ndarray


def decide(tracks: list[TrackLevels]) -> dict[int, list[tuple[float, float]]]:
    """Each track's own-speech spans in track seconds. A person's tracks (capture's segments) are
    one voice: they are never each other's bleed."""
    by_person: dict[object, list[TrackLevels]] = {}
    for track in tracks:
        by_person.setdefault(track.person if track.person is not None else f"track {track.track_id}", []).append(track)
    voices, placed = [], {}
    for number, own in enumerate(by_person.values()):
        first = min(round(t.offset_s / FRAME_S) for t in own)
        end = max(round(t.offset_s / FRAME_S) + t.levels.shape[0] for t in own)
        combined = np.full((end - first, own[0].levels.shape[1]), np.nan, np.float16)
        for track in own:
            at = round(track.offset_s / FRAME_S) - first
            combined[at : at + track.levels.shape[0]] = track.levels
            placed[track.track_id] = (number, at)
        voices.append(Voice(number, first, combined))
    masks = own_speech(voices)
    return {track.track_id: spans(masks[placed[track.track_id][0]][placed[track.track_id][1]:][: track.levels.shape[0]])
            for track in tracks}


def own_speech(voices: list[Voice]) -> dict[int, np.ndarray]:
    """For each voice, a bool per room frame (from its ``first``): its own speaker speaks."""
    if not voices:
        return {}
    end = max(v.first + v.levels.shape[0] for v in voices)
    block = int(BLOCK_S / FRAME_S)
    masks = {v.key: np.zeros(v.levels.shape[0], bool) for v in voices}
    for start in range(0, end, block):
        stop = min(end, start + block)
        power = np.stack([_room_power(v, start - MAX_LAG, stop) for v in voices])  # (voices, frames, bands)
        decided = _decide(power, MAX_LAG)
        for number, voice in enumerate(voices):
            a, b = max(start, voice.first), min(stop, voice.first + voice.levels.shape[0])
            if a < b:
                masks[voice.key][a - voice.first : b - voice.first] = decided[number, a - start : b - start]
    return masks


def _room_power(voice: Voice, start: int, stop: int) -> np.ndarray:
    """Linear power per band for room frames [start, stop); NaN outside the voice's tracks."""
    out = np.full((stop - start, voice.levels.shape[1]), np.nan, np.float32)  # fifty tracks: 290 MB a block
    a, b = max(start, voice.first), min(stop, voice.first + voice.levels.shape[0])
    if a < b:
        out[a - start : b - start] = 10 ** (voice.levels[a - voice.first : b - voice.first].astype(np.float32) / 10)
    return out


def _decide(power: np.ndarray, lead: int) -> np.ndarray:
    """Own-speech frames of each voice, for the frames after the first ``lead`` (history for lags)."""
    present = ~np.isnan(power[:, :, 0])
    power = np.nan_to_num(power, nan=0.0)
    total = power.sum(axis=2)
    level = 10 * np.log10(total.astype(np.float64) + 1e-15)
    floors = [np.percentile(level[v][present[v]], 10) if present[v].any() else 0.0 for v in range(len(power))]
    peaked = np.maximum(np.maximum(power, np.roll(power, 1, axis=1)), np.roll(power, -1, axis=1))
    couplings = {}
    for source in range(len(power)):
        moments = _dominant(level, present, source)
        for victim in range(len(power)):
            if victim != source:
                couplings[victim, source] = _coupling(power[victim], peaked[source], level[victim], level[source], moments)
    loud = present & (level > np.array(floors)[:, None] + SPEECH_OVER_FLOOR_DB)
    speaking = loud  # first pass: a source may leak anything it carries
    for _round in range(2):  # second pass: only its own speech (an echo's echo is not speech of its own)
        bleed = np.zeros_like(power)
        for (victim, source), coupling in couplings.items():
            if coupling is not None:
                bleed[victim] += _shifted(peaked[source] * speaking[source][:, None], coupling.lag) * coupling.gains
        margin = 10 ** (MARGIN_DB / 10)
        unexplained = np.clip(power - margin * bleed, 0.0, None).sum(axis=2)
        own = loud & (unexplained >= OWN_SHARE * total)
        speaking = np.stack([_smooth(own[v], np.zeros_like(own[v])) for v in range(len(power))])
    # Bleed is closed wherever it is heard, not only where it is loud: at -50 dB a source's
    # bleed sits 10-15 dB over a quiet track's floor, and there Whisper made a line of its own
    # out of it ("very much for your presentation. Please, thank you"), under the wrong name.
    audible = present & (level > np.array(floors)[:, None] + AUDIBLE_OVER_FLOOR_DB)
    own |= loud & _own_band(power, bleed, margin, present) & np.stack([_near(row, ONSET_S) for row in own])
    heard_bleed = audible & (unexplained < OWN_SHARE * total) & ~own
    return np.stack([_open(own[v], heard_bleed[v]) for v in range(len(power))])[:, lead:]


def _own_band(power: np.ndarray, bleed: np.ndarray, margin: float, present: np.ndarray) -> np.ndarray:
    """Frames where some band is far louder than the others' bleed explains, and loud for that band.

    A quiet speaker who starts under a louder one's bleed is outweighed in the frame's total
    (bench room bleed-20: the first word, "to", 8-10 dB under the bleed), but the consonants
    stand out where the bleed has little: 14-22 dB over what it explained at 5.6-8 kHz. Such a
    frame next to the speaker's own speech is theirs too. Only next to it: counted everywhere
    (and fed back into what each track leaks), the echo room lost three words to it.
    One voice at a time: a block of fifty voices' bands in float64 would take 580 MB.
    """
    out = np.zeros(power.shape[:2], bool)
    for voice in range(len(power)):
        if not present[voice].any():
            continue
        band_level = 10 * np.log10(power[voice].astype(np.float64) + 1e-15)
        loud_band = band_level > np.percentile(band_level[present[voice]], 10, axis=0) + SPEECH_OVER_FLOOR_DB
        out[voice] = (loud_band & (power[voice] > 10 ** (OWN_BAND_DB / 10) * (margin * bleed[voice]))).any(axis=1)
    return out


def _near(mask: np.ndarray, seconds: float) -> np.ndarray:
    """Frames within ``seconds`` of a True frame of ``mask``."""
    width = 2 * int(seconds / FRAME_S) + 1
    return np.convolve(mask.astype(np.int32), np.ones(width, np.int32), mode="same") > 0


def _open(own: np.ndarray, bleed: np.ndarray) -> np.ndarray:
    """Where a track stays open: its own speech (held, see _smooth), and whatever is not near bleed.
    Quiet is never closed for being quiet: a soft word, or a track with nobody else in the room."""
    return _smooth(own, bleed) | ~_near(bleed, NEAR_BLEED_S)


def _dominant(level: np.ndarray, present: np.ndarray, source: int) -> np.ndarray:
    """Frames where the source's track is the loudest of all by DOMINANT_DB."""
    others = np.delete(np.where(present, level, -300.0), source, axis=0)
    loudest_other = others.max(axis=0) if others.size else np.full(level.shape[1], -300.0)
    return np.flatnonzero(present[source] & (level[source] >= loudest_other + DOMINANT_DB))


def _coupling(victim: np.ndarray, source: np.ndarray, victim_level: np.ndarray, source_level: np.ndarray,
              moments: np.ndarray) -> Coupling | None:
    moments = moments[(moments + MAX_LAG < victim.shape[0]) & (moments + MIN_LAG >= 0)]
    if moments.size < MIN_MOMENTS:
        return None
    reference = source_level[moments]
    best_lag, best = 0, -1.0
    for lag in range(MIN_LAG, MAX_LAG + 1):
        heard = victim_level[moments + lag]
        if np.std(heard) < 1e-6 or np.std(reference) < 1e-6:
            continue
        correlation = float(np.corrcoef(reference, heard)[0, 1])
        if correlation > best:
            best_lag, best = lag, correlation
    if best < MIN_CORRELATION:
        return None
    ratios = victim[moments + best_lag] / np.maximum(source[moments], 1e-15)
    return Coupling(best_lag, np.median(ratios, axis=0), best)


def _shifted(power: np.ndarray, lag: int) -> np.ndarray:
    """``power`` delayed by ``lag`` frames (what reaches the victim ``lag`` frames later)."""
    out = np.zeros_like(power)
    if lag >= 0:
        out[lag:] = power[: power.shape[0] - lag]
    else:
        out[:lag] = power[-lag:]
    return out


def _smooth(own: np.ndarray, bleed: np.ndarray) -> np.ndarray:
    """Short runs dropped, short gaps filled, onsets and tails held, but never over bleed."""
    runs = frame_runs(own)
    kept = [(a, b) for a, b in runs if b - a >= MIN_RUN_S / FRAME_S]
    result = np.zeros_like(own)
    fill, before, hold = int(FILL_S / FRAME_S), int(BEFORE_S / FRAME_S), int(HOLD_S / FRAME_S)
    dip = int(DIP_S / FRAME_S)
    merged: list[list[int]] = []
    for a, b in kept:
        if merged and a - merged[-1][1] <= fill and (a - merged[-1][1] <= dip or not bleed[merged[-1][1] : a].any()):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    for a, b in merged:
        start = a
        while start > 0 and a - start < before and not bleed[start - 1]:
            start -= 1
        end = b
        while end < own.size and end - b < hold and not bleed[end]:
            end += 1
        result[start:end] = True
    return result


def frame_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in ``mask``, as (first, past-the-end) indices."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def spans(mask: np.ndarray, first_s: float = 0.0) -> list[tuple[float, float]]:
    """A frame mask as (start, end) seconds from ``first_s``."""
    return [(round(first_s + a * FRAME_S, 3), round(first_s + b * FRAME_S, 3)) for a, b in frame_runs(mask)]
