"""A one-hour room replayed as capture would write it, faster than real time, while live
transcription follows it; then the room ends and the rest is finished as the pipeline would.

Each speaker's audio is cut into five-minute Ogg/Opus segments beforehand (capture's rotation).
During the replay a segment grows on disk byte by byte with the room's clock (speed-up
``speed``), torn pages included, and the follower runs round after round over every segment not
yet finished, exactly as ``transcripts.follow_room`` does (closed segments with ``final``). At the
end every track is finished on ``workers`` threads, as the embedded worker's ``transcribe_track``
tasks would be. The follower has ``speed`` times less time than in a real room, so what is left
at the end is if anything more than a real room leaves. (Captions, which do not wait for a turn
to end, are measured in a real live room: bench._live_captions.)

The crosstalk decision is made as the pipeline makes it: levels extended every round
(transcripts.envelopes) and the live decision gating each round (transcripts.live_decision), the
last seconds read and the room decided at the end, and what the live gates heard differently
decoded again (transcripts.revisit).
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench._speech import LEVELS_DB, RATE, VOICES, sentence, speak, write_opus

SEGMENT_S = 300


@dataclass
class Segment:
    speaker: int
    source: Path  # the whole segment, written beforehand
    path: Path  # where it grows during the replay
    start_s: float
    size: int = 0
    closed: bool = False
    progress: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def write_segments(directory: Path, minutes: float, speakers: int, seed: int = 11) -> tuple[list[Segment], float]:
    """Speakers taking turns for ``minutes``, as five-minute segments; returns them and the speech seconds."""
    rng = random.Random(seed)
    total = int(minutes * 60 * RATE)
    per_segment = SEGMENT_S * RATE
    cache: dict[tuple[int, int], np.ndarray] = {}
    buffers = [np.zeros(per_segment, np.float32) for _ in range(speakers)]
    segments: list[Segment] = []
    cursor, turn, speech = int(0.5 * RATE), 0, 0
    flushed = 0  # segments [0, flushed) are written

    def flush(upto: int) -> None:
        nonlocal flushed
        while flushed < upto:
            for speaker in range(speakers):
                source = directory / f"s{speaker}-{flushed:03d}.source.opus"
                write_opus(source, buffers[speaker], complexity=0)
                segments.append(Segment(speaker, source, directory / f"s{speaker}-{flushed:03d}.opus", flushed * SEGMENT_S))
                buffers[speaker][:] = 0
            flushed += 1

    while cursor < total:
        speaker = turn % speakers if rng.random() < 0.7 else rng.randrange(speakers)
        key = (speaker, rng.randrange(12))
        if key not in cache:
            cache[key] = speak(" ".join(sentence(rng) for _ in range(rng.randint(1, 3))), VOICES[speaker % len(VOICES)])
        clip = cache[key] * np.float32(10 ** (LEVELS_DB[speaker % len(LEVELS_DB)] / 20))
        clip = clip[: total - cursor]
        first, piece = cursor, clip  # split across a segment boundary where it falls on one
        while piece.size:
            index, offset = divmod(first, per_segment)
            flush(index)
            n = min(piece.size, per_segment - offset)
            buffers[speaker][offset : offset + n] += piece[:n]
            first, piece = first + n, piece[n:]
        speech += clip.size
        cursor += clip.size + int(rng.uniform(0.2, 1.2) * RATE)
        turn += 1
    flush(-(-total // per_segment))
    return segments, speech / RATE


def cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def replay(segments: list[Segment], minutes: float, speed: float, language: str, workers: int,
           every_s: float) -> dict[str, float]:
    """Grow the segments with the room's clock while following them; end the room; finish.

    Returns the seconds from the room's end to the last track finished, and the follower's
    largest lag behind the room (audio not yet transcribed, on the speaker furthest behind).
    """
    from transcripts import envelopes
    from transcripts.crosstalk import TrackLevels, decide
    from transcripts.live_decision import LiveTrack, live_own_speech
    from transcripts.revisit import revisit
    from transcripts.track_progress import TrackProgress, Tails, advance

    tails = Tails()
    sources = {segment.path: segment.source.read_bytes() for segment in segments}  # the replay's own work, kept small

    for segment in segments:
        segment.progress, segment.size, segment.closed = TrackProgress(), 0, False
        segment.path.write_bytes(b"")
    end_s, began = minutes * 60.0, time.monotonic()
    ended = threading.Event()
    lag = [0.0]

    def room_time() -> float:
        return min(end_s, (time.monotonic() - began) * speed)

    def grow() -> None:
        while not ended.is_set():
            now = room_time()
            for segment in segments:
                if segment.closed or now < segment.start_s:
                    continue
                data = sources[segment.path]
                fraction = min(1.0, (now - segment.start_s) / SEGMENT_S)
                upto = len(data) if fraction >= 1.0 else int(fraction * len(data))
                with open(segment.path, "ab") as out:
                    out.write(data[segment.size : upto])
                segment.size, segment.closed = upto, fraction >= 1.0
            if now >= end_s:
                ended.set()
            time.sleep(0.05)

    def follow() -> None:
        while not ended.is_set():
            own = live_gates()
            for segment in segments:
                if ended.is_set():
                    break
                if segment.size and not segment.progress.final:
                    with segment.lock:
                        segment.progress = advance(segment.path, segment.progress, language, final=segment.closed,
                                                   tails=tails, own=own.get(segment.path))
                    if not segment.closed:
                        lag[0] = max(lag[0], room_time() - segment.start_s - segment.progress.done_s)
            time.sleep(every_s / speed)

    def live_gates() -> dict[Path, list]:
        """As transcripts.follow_room: every track's levels extended, then the live crosstalk decision."""
        tracks = []
        for number, segment in enumerate(segments):
            if segment.size and not segment.progress.final:
                try:
                    levels = envelopes.extend(segment.path, key(segment), final=segment.closed)
                except Exception:  # noqa: BLE001 - a segment just opened: no whole page yet
                    continue
                tracks.append(LiveTrack(number, segment.speaker, segment.start_s, levels))
        decided = live_own_speech(tracks)
        return {segments[number].path: spans for number, spans in decided.items()}

    def key(segment: Segment) -> str:
        return f"bench/live/{segment.path.stem}.npy"

    def finish(segment: Segment) -> None:
        with segment.lock:
            if segment.progress.utterances or segment.progress.live_closed:  # as transcripts.transcribe_track
                segment.progress = revisit(segment.path, segment.progress, language, own[segment.path])
            segment.progress = advance(segment.path, segment.progress, language, final=True, tails=tails,
                                       own=own.get(segment.path))

    threads = [threading.Thread(target=grow), threading.Thread(target=follow)]
    for thread in threads:
        thread.start()
    ended.wait()
    room_end = time.monotonic()
    # As the pipeline does at the end (transcripts.decide_crosstalk): the last levels, then the decision.
    with ThreadPoolExecutor(workers) as pool:
        levels = list(pool.map(lambda s: envelopes.extend(s.path, key(s), final=True), segments))
    decided = decide([TrackLevels(n, s.speaker, s.start_s, lv) for n, (s, lv) in enumerate(zip(segments, levels))])
    own = {s.path: decided[n] for n, s in enumerate(segments)}
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(finish, segments))  # each track, as the pipeline's transcribe_track: closed ones revisited too
    ready = time.monotonic() - room_end
    for thread in threads:
        thread.join()
    words = sum(len(u.words) for s in segments for u in s.progress.utterances)
    return {"ready_after_end_s": round(ready, 2), "follower_max_lag_s": round(lag[0], 1), "live_words": words}


def simulate(work: Path, minutes: float = 60, speakers: int = 4, speed: float = 4, language: str = "en",
             workers: int = 2, every_s: float = 5.0) -> dict[str, float]:
    directory = work / "live-room"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    segments, speech_s = write_segments(directory, minutes, speakers)
    cpu = cpu_seconds()
    figures = replay(segments, minutes, speed, language, workers, every_s)
    figures.update(live_minutes=minutes, live_speakers=speakers, live_speed=speed, live_speech_s=round(speech_s, 1),
                   live_cpu_s_per_speech_s=round((cpu_seconds() - cpu) / speech_s, 4))
    return figures
