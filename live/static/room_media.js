// The room's audio: WebRTC, or the live HTTP stream beyond the room's WebRTC audience.
// The page always offers: its microphone section first (sendonly on stage, inactive off it),
// then one recvonly "slot" per speaker the server forwards.

import { $, client, me, notice, section, send } from "./room_client.js";
import { playStream } from "./stream_player.js";

export function slotsNeeded(room) {
  // The server forwards the few loudest of the stage (welcome's "forward"): one slot each.
  const others = room.participants.filter((p) => p.on_stage && p.identity !== client.me).length;
  return Math.max(1, Math.min(client.forward || 3, others));
}

export function startMedia(iceServers, slots) {
  const pc = new RTCPeerConnection({ iceServers });
  client.pc = pc;
  client.mic = pc.addTransceiver("audio", { direction: "inactive" });
  pc.ontrack = (event) => attach(event.track);
  negotiate(slots, false);
}

function attach(track) {
  const audio = document.createElement("audio");
  audio.autoplay = true;
  audio.srcObject = new MediaStream([track]);
  $("audio").append(audio);
  audio.play().catch(() => notice("Click anywhere to hear the room."));
}

export function negotiate(slots, publish) {
  // One negotiation at a time: the server answers in order.
  client.negotiation = client.negotiation.then(() => offer(slots, publish)).catch((error) => notice(error.message));
  return client.negotiation;
}

async function offer(slots, publish) {
  const pc = client.pc;
  if (!pc) return;
  while (client.slots.length < slots) client.slots.push(pc.addTransceiver("audio", { direction: "recvonly" }));
  if (publish && !client.micTrack) client.micTrack = await openMicrophone();
  if (!publish && client.micTrack) { client.micTrack.stop(); client.micTrack = null; }
  await client.mic.sender.replaceTrack(client.micTrack);
  client.mic.direction = publish ? "sendonly" : "inactive";
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc);
  const answered = new Promise((resolve) => { client.pendingAnswer = resolve; });
  send("offer", { sdp: pc.localDescription.sdp });
  await pc.setRemoteDescription({ type: "answer", sdp: await answered });
}

async function openMicrophone() {
  // Echo cancellation stays on (the browsers' default): without it, anyone on laptop speakers
  // sends the whole room back into their own track, for the audience and the transcript.
  // Noise suppression is the show's choice; gain stays raw, roomcast levels after the room.
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: section.dataset.noiseSuppression === "on", autoGainControl: false },
  });
  return stream.getAudioTracks()[0];
}

function iceGathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", done); resolve(); } };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000); // a slow STUN server must not keep the room silent
  });
}

export function listenToStream() {
  // Beyond the room's WebRTC audience, or without WebRTC: the HTTP stream, until the stage.
  if (client.player || !client.stream) return;
  client.player = playStream(client.stream, client.token, $("audio"), notice);
  notice("You hear the room over its live stream, a few seconds behind. Raise your hand as usual.");
}

export function takeStageMedia() {
  // A stream listener invited up speaks over WebRTC: the stream stops, the microphone opens.
  if (!client.player || !me() || !me().on_stage || !window.RTCPeerConnection) return;
  client.player.stop();
  client.player = null;
  notice("");
  startMedia(client.iceServers, slotsNeeded(client.room));
}

export function leaveMedia() {
  if (client.player) { client.player.stop(); client.player = null; }
  if (client.micTrack) client.micTrack.stop();
  if (client.pc) client.pc.close();
  client.pc = null; client.micTrack = null;
}

client.audioLevel = async () => {
  // What the listener hears: the loudest of the remote tracks' levels (0 when silent).
  if (!client.pc) return 0;
  let level = 0;
  (await client.pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "audio") level = Math.max(level, report.audioLevel || 0);
  });
  return level;
};
