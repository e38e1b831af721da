"""The live HTTP streams: what the mix costs, how late they are, how many MP3 listeners one node holds.

    python -m bench.stream [--listeners 2000] [--seconds 20] [--sfu-listeners 1,20]

1. Mix CPU: a room's live mix and both encodings (MP3 and AAC/HLS, segments written to a
   temporary media store), fed with 4 and with 12 speakers' real speech (the eval clips as
   Opus packets, every speaker talking at once, the worst case), as a fraction of one core:
   the median of three runs.
2. Latency: a bot speaker on a fresh ``roomcast serve`` publishes a click every 3.7 s; the time
   from the click's packet leaving the bot to its MP3 frame arriving at a raw HTTP reader, and
   to the first sight of the HLS segment that holds it in the playlist (server side: no player
   buffer).
3. Listeners: N raw HTTP clients (in two processes) read the MP3 stream; the server's CPU
   over a window, less the same window without them, per listener-second; a listener counts
   as held if it received at least 97 % of real time's bytes in the window.
4. Anchor, in the same run: bench.sfu's WebRTC cost per listener-second (roomcast's own SFU,
   a straight line through its points).

Last line: JSON with mix_cpu_core_4, mix_cpu_core_12, mp3_latency_p50_s, hls_latency_p50_s,
mp3_listeners_held, mp3_listeners_realtime, mp3_cpu_ms_per_listener_s,
webrtc_cpu_ms_per_listener_s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing as mp
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import wave
from datetime import datetime, timezone
from pathlib import Path

import av
import httpx
import numpy as np

from bench.sfu import RoomcastServer, cpu_seconds, free_port, measure, slope_ms, speech_file
from bench._stream_clients import listener_process
from bench._eval_set import DEFAULT_EVAL_DIR

CLICK_EVERY_S = 3.7  # not a multiple of the segment length: clicks land all over their segments
MP3_BYTES_PER_S = 64_000 / 8
REALTIME_SHARE = 0.97


# --- 1. the mix, in process ---------------------------------------------------------------
def opus_packets(path: Path, seconds: float) -> list[bytes]:
    """A clip as 20 ms Opus packets (looped to ``seconds``), as a browser would send them."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.rate, encoder.layout, encoder.format, encoder.bit_rate = 48_000, "mono", "s16", 32_000
    resampler, fifo, packets = av.AudioResampler(format="s16", layout="mono", rate=48_000), av.AudioFifo(), []
    while len(packets) < seconds * 50:
        with av.open(str(path)) as container:
            for frame in container.decode(audio=0):
                for piece in resampler.resample(frame):
                    piece.pts = None  # the clip loops: its timestamps start again
                    fifo.write(piece)
                while fifo.samples >= 960:
                    packets.extend(bytes(p) for p in encoder.encode(fifo.read(960)))
    return packets[:int(seconds * 50)]


def mix_cpu(speakers: int, seconds: float, clips: list[Path], runs: int = 3) -> float:
    """The median of ``runs`` runs, each on a fresh room's pipeline (the shared machine is noisy)."""
    return statistics.median(_mix_cpu_once(speakers, seconds, clips) for _ in range(runs))


def _mix_cpu_once(speakers: int, seconds: float, clips: list[Path]) -> float:
    from live.stream.jitter import DELAY_S, RATE
    from live.stream.pipeline import Arrival, MixPipeline
    from live.stream.room_stream import TICK_S
    from roomcast.storage import MediaStore

    streams = [opus_packets(clips[i % len(clips)], seconds) for i in range(speakers)]
    directory = Path(tempfile.mkdtemp(prefix="bench-mix-"))
    try:
        pipeline = MixPipeline(MediaStore(directory, "http://x"), 1, datetime.now(timezone.utc))
        per_tick = round(TICK_S / 0.02)  # packets per speaker in one step of the live stream
        start = time.process_time()
        for tick in range(int(seconds / TICK_S)):
            first = tick * per_tick
            inbox = [Arrival(f"s{s}", 1000 + s, (first + k) * 960, streams[s][first + k], (first + k) * 960)
                     for s in range(speakers) for k in range(per_tick) if first + k < len(streams[s])]
            pipeline.step(inbox, (first + per_tick) * 960 - int(DELAY_S * RATE), [])
        return (time.process_time() - start) / seconds
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- 2. latency, against a server -----------------------------------------------------------
def click_file(directory: Path, seconds: float) -> Path:
    rate = 48_000
    samples = np.zeros(int(seconds * rate), np.float32)
    noise = np.random.default_rng(0).uniform(-0.8, 0.8, int(0.01 * rate)).astype(np.float32)
    for at in np.arange(1.0, seconds, CLICK_EVERY_S):
        samples[int(at * rate):int(at * rate) + noise.size] = noise
    wav, opus = directory / "clicks.wav", directory / "clicks.opus"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((samples * 32767).astype(np.int16).tobytes())
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "libopus", "-b:a", "64k",
                    "-frame_duration", "20", str(opus)], check=True)
    return opus


def clicks_in(samples: np.ndarray, rate: int) -> list[float]:
    """Seconds into ``samples`` where a click starts (well above the quiet around it)."""
    loud = np.flatnonzero(np.abs(samples) > 0.1)
    starts = [int(loud[0])] if loud.size else []
    for previous, index in zip(loud, loud[1:]):
        if index - previous > rate // 2:
            starts.append(int(index))
    return [s / rate for s in starts]


def decode(data: bytes) -> tuple[np.ndarray, int]:
    with av.open(io.BytesIO(data)) as container:
        rate = container.streams.audio[0].rate
        samples = [f.to_ndarray().reshape(-1).astype(np.float32) for f in container.decode(audio=0)]
    return (np.concatenate(samples) if samples else np.zeros(0, np.float32)), rate


def latency_for(sent: list[float], arrivals: list[float]) -> list[float]:
    """Each arrival against the latest click sent before it (the period is longer than any latency)."""
    out = []
    for arrival in arrivals:
        before = [s for s in sent if s <= arrival]
        if before and arrival - before[-1] < CLICK_EVERY_S:
            out.append(arrival - before[-1])
    return out


async def mp3_latencies(url: str, seconds: float, sent_times) -> list[float]:  # noqa: ANN001
    """Read the MP3 stream raw; a click's latency: its frame's arrival less the click's send time."""
    host, port, path = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0], head
    body, marks, connected = bytearray(), [], time.monotonic()
    deadline = connected + seconds
    while time.monotonic() < deadline:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), 1.0)
        except asyncio.TimeoutError:
            continue
        marks.append((len(body), time.monotonic()))
        body += chunk
    writer.close()
    audio = _unchunk(bytes(body))
    samples, rate = decode(audio)
    arrivals = []
    for at in clicks_in(samples, rate):
        offset = _chunked_offset(bytes(body), int(at * rate) // 1152 * 192)
        arrival = next(t for start, t in reversed(marks) if start <= offset)
        if arrival - connected > 2.5:  # past the burst of the last 1.5 s
            arrivals.append(arrival)
    return latency_for(sent_times(), arrivals)


def _unchunk(body: bytes) -> bytes:
    out, view = bytearray(), memoryview(body)
    while True:
        line_end = bytes(view[:16]).find(b"\r\n")
        if line_end <= 0:
            return bytes(out)
        size = int(bytes(view[:line_end]), 16)
        if size == 0 or len(view) < line_end + 2 + size:
            return bytes(out + view[line_end + 2:line_end + 2 + size])
        out += view[line_end + 2:line_end + 2 + size]
        view = view[line_end + 4 + size:]


def _chunked_offset(body: bytes, audio_offset: int) -> int:
    """Where in the chunked body the ``audio_offset``-th audio byte lies."""
    position, remaining = 0, audio_offset
    while True:
        line_end = body.find(b"\r\n", position)
        size = int(body[position:line_end], 16)
        if size == 0 or remaining < size:
            return line_end + 2 + remaining
        remaining -= size
        position = line_end + 4 + size


async def hls_latencies(base: str, room_id: int, seconds: float, sent_times) -> list[float]:  # noqa: ANN001
    seen: dict[str, float] = {}
    arrivals = []
    async with httpx.AsyncClient(base_url=base) as client:
        deadline = time.monotonic() + seconds
        first = None
        while time.monotonic() < deadline:
            response = await client.get(f"/rooms/{room_id}/live.m3u8")
            now = time.monotonic()
            for uri in re.findall(r"^(live/\d+\.ts)$", response.text, flags=re.M):
                if uri not in seen:
                    seen[uri] = now
                    if first is None:
                        first = uri  # written before we looked: its sight says nothing
                        continue
                    samples, rate = decode((await client.get(f"/rooms/{room_id}/{uri}")).content)
                    arrivals += [now for _ in clicks_in(samples, rate)]
            await asyncio.sleep(0.05)
    return latency_for(sent_times(), arrivals)


async def latencies(server: RoomcastServer, directory: Path, seconds: float):  # noqa: ANN201
    from contrib.bot import Bot, OpusFile

    base = f"http://127.0.0.1:{server.port}"
    ws_url, [speaker_token], _, _ = server.room(0)
    room_id = int(ws_url.split("/")[-2])
    voice = OpusFile(str(click_file(directory, seconds + 30)))
    speaker = Bot(ws_url, speaker_token, voice=lambda: voice)
    await speaker.join()
    await speaker.negotiate(publish=True)
    await speaker.send("take_stage", consent=True)
    await speaker.connected()
    while voice._started is None:
        await asyncio.sleep(0.1)

    def sent_times() -> list[float]:  # when each click's first packet left the bot
        return [voice._started + at for at in np.arange(1.0, seconds + 30, CLICK_EVERY_S)]

    await asyncio.sleep(3)  # the stream has segments
    mp3, hls = await asyncio.gather(mp3_latencies(f"{base}/rooms/{room_id}/listen", seconds, sent_times),
                                    hls_latencies(base, room_id, seconds, sent_times))
    return mp3, hls, room_id, speaker


# --- 3. listeners ---------------------------------------------------------------------------
def held_listeners(server: RoomcastServer, room_id: int, listeners: int, seconds: float) -> dict:
    url = f"http://127.0.0.1:{server.port}/rooms/{room_id}/listen"
    cpu0, t0 = cpu_seconds(server.process.pid), time.monotonic()
    time.sleep(seconds)
    baseline = (cpu_seconds(server.process.pid) - cpu0) / (time.monotonic() - t0)
    context = mp.get_context("spawn")
    pipes, processes = [], []
    for share in (listeners // 2, listeners - listeners // 2):
        ours, theirs = context.Pipe()
        process = context.Process(target=listener_process, args=(url, share, theirs), daemon=True)
        process.start()
        pipes.append(ours)
        processes.append(process)
    connected = sum(pipe.recv() for pipe in pipes)  # each says how many it holds once all connected
    time.sleep(3)
    for pipe in pipes:
        pipe.send("mark")
    cpu0, t0 = cpu_seconds(server.process.pid), time.monotonic()
    time.sleep(seconds)
    for pipe in pipes:
        pipe.send("count")
    cpu1, t1 = cpu_seconds(server.process.pid), time.monotonic()
    received = [n for pipe in pipes for n in pipe.recv()]
    for process in processes:
        process.kill()
    window = t1 - t0
    realtime = sum(1 for n in received if n >= REALTIME_SHARE * MP3_BYTES_PER_S * window)
    loaded = (cpu1 - cpu0) / window
    return {"connected": connected, "realtime": realtime, "baseline_cpu": baseline, "loaded_cpu": loaded,
            "ms_per_listener_s": (loaded - baseline) * 1000 / max(connected, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sfu-listeners", default="1,20")
    args = parser.parse_args()
    clips = sorted((DEFAULT_EVAL_DIR / "audio").glob("en-*"))
    mix = {n: mix_cpu(n, args.seconds, clips) for n in (4, 12)}
    print(json.dumps({"mix_cpu_core": mix}), flush=True)
    directory = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    try:
        server = RoomcastServer(directory / "stream", free_port())
        try:
            async def run() -> tuple[list[float], list[float], dict]:
                mp3, hls, room_id, speaker = await latencies(server, directory, args.seconds)
                held = await asyncio.to_thread(held_listeners, server, room_id, args.listeners, args.seconds)
                await speaker.close()
                return mp3, hls, held
            mp3, hls, held = asyncio.run(run())
        finally:
            server.stop()
        print(json.dumps({"mp3_latency_s": mp3, "hls_latency_s": hls, "listeners": held}), flush=True)
        opus = speech_file(directory)
        points = [measure(RoomcastServer, n, args.seconds / 2, opus, directory)
                  for n in map(int, args.sfu_listeners.split(","))]
        print(json.dumps({"webrtc_points": points}), flush=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    webrtc = slope_ms(points)
    print(json.dumps({
        "mix_cpu_core_4": round(mix[4], 4), "mix_cpu_core_12": round(mix[12], 4),
        "mp3_latency_p50_s": round(statistics.median(mp3), 3) if mp3 else None,
        "hls_latency_p50_s": round(statistics.median(hls), 3) if hls else None,
        "mp3_listeners_held": held["connected"], "mp3_listeners_realtime": held["realtime"],
        "mp3_cpu_ms_per_listener_s": round(held["ms_per_listener_s"], 4),
        "webrtc_cpu_ms_per_listener_s": round(webrtc, 4) if webrtc is not None else None,
        "mp3_to_webrtc_cpu_ratio": round(held["ms_per_listener_s"] / webrtc, 3) if webrtc else None,
    }))


if __name__ == "__main__":
    main()
