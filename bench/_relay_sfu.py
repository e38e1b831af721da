"""The anchor for bench.sfu: aiortc's default way to fan one speaker out, behind roomcast's protocol.

    python -m bench._relay_sfu PORT

The first peer that offers a microphone is the speaker; its track goes through aiortc's
``MediaRelay`` into one sender per listener, so each listener's copy is decoded once and
encoded again by that sender. Only the messages the bots use are spoken: join (the token is
not checked), offer and ping. Not a product: the benchmark's yardstick.
"""

from __future__ import annotations

import json
import sys

import uvicorn
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
relay = MediaRelay()
speaker_track = None
listeners: list = []


@app.websocket("/rooms/{room_id}/ws")
async def socket(websocket: WebSocket, room_id: int) -> None:
    global speaker_track
    await websocket.accept()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    identity = f"peer-{id(pc)}"

    @pc.on("track")
    def on_track(track) -> None:  # noqa: ANN001
        global speaker_track
        if speaker_track is None:
            speaker_track = track
            for transceiver in listeners:
                transceiver.sender.replaceTrack(relay.subscribe(track))

    try:
        while True:
            message = json.loads(await websocket.receive_text())
            if message["type"] == "join":
                await websocket.send_text(json.dumps({"type": "welcome", "v": 1, "you": identity, "room": {}}))
            elif message["type"] == "offer":
                await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "offer"))
                for transceiver in pc.getTransceivers():
                    if transceiver._offerDirection == "sendonly":  # the peer receives: a listener slot
                        transceiver.direction = "sendonly"
                        if speaker_track is not None:
                            transceiver.sender.replaceTrack(relay.subscribe(speaker_track))
                        listeners.append(transceiver)
                    elif transceiver._offerDirection == "recvonly":
                        transceiver.direction = "recvonly"
                await pc.setLocalDescription(await pc.createAnswer())
                await websocket.send_text(json.dumps({"type": "answer", "sdp": pc.localDescription.sdp}))
            elif message["type"] == "ping":
                await websocket.send_text(json.dumps({"type": "pong"}))
    except WebSocketDisconnect:
        pass
    finally:
        await pc.close()


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
