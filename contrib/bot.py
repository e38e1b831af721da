"""A room participant made of aiortc: joins over the WebSocket, speaks a file, counts what it hears.

The tests drive the protocol and moderation with bots, and ``bench.sfu`` fills rooms with
them. A bot follows the server like the browser client does: it re-offers when asked to
(``renegotiate``) and opens its microphone only while it is on the stage. What it hears is
counted per slot without decoding, and the payloads can be kept to compare byte for byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import av
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from contrib.bot_voices import opus_packets, send_levels
from live.forwarding import tap_receiver
from live.ice import install_loopback_candidates
from live.protocol import VERSION
from live.stage import Stage


class OpusFile(MediaStreamTrack):
    """Speaks an Ogg/Opus file's packets as they are, in real time: nothing is encoded here.

    So a test knows the exact payloads a listener must receive, and a benchmark's speaker
    costs almost nothing. ``packets`` lists the payloads in the order they were sent.
    """

    kind = "audio"

    def __init__(self, path: str, loop: bool = False, pace: float = 1.0) -> None:
        super().__init__()
        self.path, self.loop = path, loop
        self.pace = pace  # real seconds per second of audio: above 1, a sound card whose clock runs slow
        self.packets: list[bytes] = []
        self._source = self._read()
        self._started: float | None = None
        self._offset = 0  # pts added per loop round
        self._levels = [level for _, level in opus_packets(path)]
        self.level: int | None = None  # the last packet's, for its RTP audio-level extension

    def _read(self):  # noqa: ANN202
        while True:
            with av.open(self.path) as container:
                last = 0
                for packet in container.demux(audio=0):
                    if packet.size:
                        last = packet.pts + packet.duration
                        yield packet
            if not self.loop:
                return
            self._offset += last

    async def recv(self) -> av.Packet:
        try:
            packet = next(self._source)
        except StopIteration:
            self.stop()
            raise MediaStreamError from None
        packet.pts += self._offset
        if self._started is None:
            self._started = time.monotonic() - float(packet.pts * packet.time_base) * self.pace
        delay = self._started + float(packet.pts * packet.time_base) * self.pace - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.level = self._levels[len(self.packets) % len(self._levels)]
        self.packets.append(bytes(packet))
        return packet


def apply(state: dict, message: dict) -> dict:
    """The room after one message: ``welcome`` has all of it, the others what changed (a new dict,
    so a test holding the old state keeps what it saw)."""
    kind = message["type"]
    if kind == "welcome":
        return message["room"]
    if kind == "state":
        return {**state, **message["room"]}
    gone = message["identity"] if kind == "participant_gone" else message["participant"]["identity"]
    people = [person for person in state.get("participants", []) if person["identity"] != gone]
    if kind == "participant":
        people = sorted([*people, message["participant"]], key=Stage.order)
    return {**state, "participants": people}


def person_in(state: dict, identity: str) -> dict:
    """One participant of a room snapshot; an empty dict when they are not there."""
    return next((p for p in state.get("participants", []) if p["identity"] == identity), {})


class Bot:
    def __init__(self, ws_url: str, token: str, *, voice: Callable[[], MediaStreamTrack] | None = None,
                 keep_payloads: bool = False, slots: int = 1, listen: bool = True, audio_level: bool = True,
                 local_address: str | None = None) -> None:
        self.ws_url, self.token = ws_url, token
        self.voice = voice  # makes the microphone track when the bot takes the stage
        self.keep_payloads = keep_payloads
        self.wanted_slots = slots if listen else 0
        self.listen = listen  # False: a speaker that hears nothing (benchmarks of receiving alone)
        self.audio_level = audio_level  # False: packets without RFC 6464 levels, as from some clients
        self.local_address = local_address  # another loopback address: a crowd, not one client
        self.identity: str | None = None
        self.state: dict[str, Any] = {}  # the room as welcome gave it, with every change since applied
        self.bytes_received = 0
        self.speaking: list[str] = []
        self.errors: list[dict] = []
        self.inbox: asyncio.Queue[dict] = asyncio.Queue()
        # Answers have their own queue: a test waiting on the inbox for something else must
        # not skip past the answer a renegotiation in the background is waiting for.
        self._answers: asyncio.Queue[dict] = asyncio.Queue()
        self.heard: dict[int, int] = defaultdict(int)  # slot -> packets
        self.arrivals: dict[int, list[float]] = defaultdict(list)  # slot -> arrival times, with keep_payloads
        self.payloads: dict[int, list[bytes]] = defaultdict(list)
        self.first_packet_at: float | None = None
        self.pc: RTCPeerConnection | None = None
        self._mic = None
        self._mic_track: MediaStreamTrack | None = None
        self._slots: list = []
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._negotiating = asyncio.Lock()

    # --- signaling ------------------------------------------------------------------------
    async def join(self) -> dict:
        local = {"local_addr": (self.local_address, 0)} if self.local_address else {}
        self._ws = await websockets.connect(self.ws_url, max_size=2**20, **local)
        await self._ws.send(json.dumps({"type": "join", "v": VERSION, "token": self.token}))
        self._reader = asyncio.create_task(self._read())
        welcome = await self.expect("welcome")
        self.identity = welcome["you"]
        return welcome

    async def send(self, kind: str, **fields: Any) -> None:
        await self._ws.send(json.dumps({"type": kind, **fields}))

    async def send_raw(self, data: str | bytes) -> None:
        await self._ws.send(data)

    async def expect(self, kind: str, check: Callable[[dict], bool] = lambda m: True, timeout: float = 10) -> dict:
        """The next message of this type that passes the check (earlier ones are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.identity}: no {kind} message within {timeout} s")
            message = await asyncio.wait_for(self.inbox.get(), remaining)
            if message["type"] == kind and check(message):
                return message

    async def wait_state(self, check: Callable[[dict], bool], timeout: float = 10) -> dict:
        """Until the latest room state passes the check (older queued states do not count)."""
        deadline = time.monotonic() + timeout
        while not (self.state and check(self.state)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.identity}: the room did not reach the expected state in {timeout} s")
            await asyncio.sleep(0.02)
        return self.state

    def person(self, identity: str) -> dict | None:
        """The person in the latest state (a wait_state check should look at its own argument)."""
        return person_in(self.state, identity)

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self._ws:
                self.bytes_received += len(raw)
                frame = json.loads(raw)
                for message in frame["messages"] if frame["type"] == "batch" else [frame]:
                    await self._receive(message)

    async def _receive(self, message: dict) -> None:
        kind = message["type"]
        if kind in ("welcome", "state", "participant", "participant_gone"):
            self.state = apply(self.state, message)
        elif kind == "speaking":
            self.speaking = message["identities"]
        elif kind == "error":
            self.errors.append(message)
        elif kind == "renegotiate":
            asyncio.create_task(self._renegotiate(message["publish"], message["slots"]))
        elif kind == "answer":
            await self._answers.put(message)
            return
        await self.inbox.put(message)

    # --- media ----------------------------------------------------------------------------
    async def negotiate(self, publish: bool = False, slots: int | None = None) -> None:
        async with self._negotiating:
            if self.pc is None:
                install_loopback_candidates()  # a loopback-only host: like the server, offer 127.0.0.1
                self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
                self._mic = self.pc.addTransceiver("audio", direction="inactive")
            if self.listen:
                self.wanted_slots = max(self.wanted_slots, slots or 0)
            while len(self._slots) < self.wanted_slots:
                self._slots.append(self.pc.addTransceiver("audio", direction="recvonly"))
            if publish and self._mic_track is None and self.voice is not None:
                self._mic_track = self.voice()
                self._mic.sender.replaceTrack(self._mic_track)
                if self.audio_level and hasattr(self._mic_track, "level"):
                    send_levels(self._mic.sender, self._mic_track)
            self._mic.direction = "sendonly" if publish and self._mic_track is not None else "inactive"
            await self.exchange()
            for index, transceiver in enumerate(self._slots):
                self._tap(index, transceiver.receiver)

    async def exchange(self) -> str:
        """Offer what ``self.pc`` holds now and take the server's answer (its SDP is returned)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        while not self._answers.empty():
            self._answers.get_nowait()  # a late answer to an offer that timed out
        await self.send("offer", sdp=self.pc.localDescription.sdp)
        answer = await asyncio.wait_for(self._answers.get(), 20)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        return answer["sdp"]

    async def _renegotiate(self, publish: bool, slots: int) -> None:
        try:
            await self._settled()
            await self.negotiate(publish=publish, slots=slots)
        except Exception as error:  # the room ended meanwhile, say; a test looks at .errors
            self.errors.append({"type": "error", "code": "bot_renegotiation", "message": repr(error)})

    async def _settled(self, timeout: float = 15) -> None:
        """Until the peer connection is no longer connecting.

        aiortc connects in a task of its own (``RTCPeerConnection.__connect``). An answer applied
        while that task still waits on ICE or DTLS hands it the new sections before their
        description is in place, and it fails with ``IndexError`` (logged as a task exception
        never retrieved; the next connect task recovers). The server asks for a new offer as soon
        as it answers one that lacks slots, so a bot waits for its connection before it offers again.
        """
        deadline = time.monotonic() + timeout
        while self.pc is not None and self.pc.connectionState in ("new", "connecting") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def _tap(self, index: int, receiver: Any) -> None:
        if getattr(receiver, "_roomcast_tapped", False):
            return
        receiver._roomcast_tapped = True

        def heard(packet: RtpPacket, arrival_time_ms: int) -> None:
            if self.first_packet_at is None:
                self.first_packet_at = time.monotonic()
            self.heard[index] += 1
            if self.keep_payloads:
                self.payloads[index].append(packet.payload)
                self.arrivals[index].append(time.monotonic())

        tap_receiver(receiver, heard)

    async def connected(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while self.pc is None or self.pc.connectionState != "connected":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.identity}: no media connection within {timeout} s")
            await asyncio.sleep(0.05)

    @property
    def packets_heard(self) -> int:
        return sum(self.heard.values())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
        if self.pc is not None:
            await self.pc.close()
