// The live room client: signaling over one WebSocket (live/PROTOCOL.md), audio over WebRTC.
// The page always offers: its microphone section first (sendonly on stage, inactive off it),
// then one recvonly "slot" per speaker the server forwards. No build step, no dependencies.

import { followCaptions } from "./live_captions.js";
import { followProduction } from "./production.js";
import { playStream } from "./stream_player.js";

const PROTOCOL = 1;
const $ = (id) => document.getElementById(id);
const section = $("room");
const roomId = Number(section.dataset.room);

const client = {
  ws: null, pc: null, mic: null, micTrack: null, slots: [], me: null, room: null,
  speaking: new Set(), negotiation: Promise.resolve(), pendingAnswer: null,
};
window.roomcastClient = client; // for tests and the curious: state, audioLevel()

// --- joining --------------------------------------------------------------------------
function tokenFromLink() {
  const match = location.hash.match(/join=([^&]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

async function guestToken(name) {
  const response = await fetch(`/api/rooms/${roomId}/guest`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }),
  });
  const body = await response.json();
  if (response.status === 409) { roomEnded(); throw new Error("This room has ended."); }
  if (!response.ok) throw new Error(body.detail || "cannot join this room");
  return body.token;
}

function connect(token) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/rooms/${roomId}/ws`);
  client.ws = ws;
  client.token = token;
  ws.onopen = () => send("join", { v: PROTOCOL, token });
  ws.onmessage = (event) => receive(JSON.parse(event.data));
  ws.onclose = () => { if (!client.out) outOfRoom("Disconnected from the room: reload the page to come back."); };
}

function send(type, fields = {}) {
  if (client.ws && client.ws.readyState === WebSocket.OPEN) client.ws.send(JSON.stringify({ type, ...fields }));
}

// --- messages from the server ---------------------------------------------------------
const handlers = {
  welcome(message) {
    client.me = message.you;
    client.mayTakeStage = message.may_take_stage;
    show(message.room);
    $("door").hidden = true;
    $("live").hidden = false;
    client.stream = message.stream;
    client.iceServers = message.ice_servers;
    client.forward = message.forward;
    if (!window.RTCPeerConnection || message.webrtc === false) listenToStream();
    else startMedia(message.ice_servers, slotsNeeded(message.room));
    followCaptions(client, roomId);
  },
  // After welcome, only changes arrive: the room's own fields, or one person's card.
  state(message) { show({ ...client.room, ...message.room }); },
  participant(message) { show(withPeople(client.room, message.participant.identity, message.participant)); },
  participant_gone(message) { show(withPeople(client.room, message.identity, null)); },
  // Several messages in one frame (the audience's comings and goings, a second's worth):
  // the cards are applied together and the room drawn once.
  batch(message) {
    let room = client.room;
    for (const inner of message.messages) {
      if (inner.type === "participant") room = withPeople(room, inner.participant.identity, inner.participant);
      else if (inner.type === "participant_gone") room = withPeople(room, inner.identity, null);
      else { if (room !== client.room) show(room); receive(inner); room = client.room; }
    }
    if (room !== client.room) show(room);
  },
  speaking(message) { client.speaking = new Set(message.identities); render(); },
  answer(message) { if (client.pendingAnswer) client.pendingAnswer(message.sdp); },
  renegotiate(message) { negotiate(message.slots, message.publish); },
  invited(message) { askConsent(message.by_name); },
  error(message) {
    if (message.code === "webrtc_full") { leaveMedia(); listenToStream(); return; }
    if (message.code === "elsewhere" && goToNode(message.node_url)) return;
    if (message.ref === "join") { notice(message.message); $("door").hidden = !canBeGuest(); }
    else notice(message.message);
  },
  removed(message) { outOfRoom(message.reason); },
  ended(message) {
    if (client.room) client.room.status = "ended";
    showStatus("ended");
    outOfRoom(`This room has ended: ${message.reason}.`);
    followEpisode();
  },
  warning(message) { notice(`${message.message} The room stays live.`); },
  pong() {},
};

const RANK = { host: 3, moderator: 2, speaker: 1, listener: 0 };
function withPeople(room, identity, card) {
  // Listed as the server lists them: by rank, the stage first, then by name.
  const people = room.participants.filter((p) => p.identity !== identity).concat(card ? [card] : []);
  people.sort((a, b) => (RANK[b.role] - RANK[a.role]) || (b.on_stage - a.on_stage) || a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  return { ...room, participants: people };
}

function goToNode(nodeUrl) {
  // Another server serves this room: open the page there, join token (in the fragment) and all.
  if (!nodeUrl) return false;
  const target = new URL(location.pathname + location.hash, nodeUrl);
  if (target.origin === location.origin) return false; // no loop between two pages of one server
  notice("This room is served by another server: taking you there…");
  location.replace(target.href);
  return true;
}

function receive(message) {
  const handle = handlers[message.type];
  if (handle) handle(message);
}

// --- media ----------------------------------------------------------------------------
function slotsNeeded(room) {
  // The server forwards the few loudest of the stage (welcome's "forward"): one slot each.
  const others = room.participants.filter((p) => p.on_stage && p.identity !== client.me).length;
  return Math.max(1, Math.min(client.forward || 3, others));
}

function startMedia(iceServers, slots) {
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

function negotiate(slots, publish) {
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

function listenToStream() {
  // Beyond the room's WebRTC audience, or without WebRTC: the HTTP stream, until the stage.
  if (client.player || !client.stream) return;
  client.player = playStream(client.stream, client.token, $("audio"), notice);
  notice("You hear the room over its live stream, a few seconds behind. Raise your hand as usual.");
}

function takeStageMedia() {
  // A stream listener invited up speaks over WebRTC: the stream stops, the microphone opens.
  if (!client.player || !me() || !me().on_stage || !window.RTCPeerConnection) return;
  client.player.stop();
  client.player = null;
  notice("");
  startMedia(client.iceServers, slotsNeeded(client.room));
}

function leaveMedia() {
  if (client.player) { client.player.stop(); client.player = null; }
  if (client.micTrack) client.micTrack.stop();
  if (client.pc) client.pc.close();
  client.pc = null; client.micTrack = null;
}

function outOfRoom(text) {
  // Whoever is no longer in the room (ended, removed, left, cut off) is no longer recorded:
  // the banners, the stage with its speaking rings and the controls go; the notice says why.
  client.out = true;
  leaveMedia();
  if (client.ws && client.ws.readyState <= WebSocket.OPEN) client.ws.close();
  client.speaking = new Set();
  render(); // no ring stays lit, even on a stage nobody sees
  $("recording").hidden = true;
  $("off-record").hidden = true;
  $("live").hidden = true;
  notice(text);
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

// --- rendering ------------------------------------------------------------------------
function show(room) {
  client.room = room;
  $("room-title").textContent = room.title;
  const live = room.status === "live";
  // Off the record is not "Recording: … becomes a podcast episode": one banner at a time.
  $("recording").hidden = !(live && room.recording && !room.off_record);
  $("off-record").hidden = !(live && room.off_record);
  showStatus(room.status);
  render();
  takeStageMedia();
}

function roomEnded() {
  // A page opened at the door before the end learns of it only when it tries to join.
  section.dataset.status = "ended";
  showStatus("ended");
  $("door").hidden = true;
  followEpisode();
}

function followEpisode() {
  // Everyone who was in the room sees its episode being made (private rooms' pages have no panel).
  const box = $("production");
  if (box && !client.followingEpisode) client.followingEpisode = followProduction(box.dataset.url, box);
}

function showStatus(status) {
  const badge = $("room-status"); // private rooms' pages have none
  if (!badge) return;
  badge.textContent = status;
  badge.className = `badge ${status}`;
}

const COMPACT_STAGE = 12; // more on the stage (or in the audience) than this: the small cards
const AUDIENCE_SHOWN = 48; // a crowd is a count: you, raised hands first, then the first few

function audienceShown(audience) {
  if (audience.length <= AUDIENCE_SHOWN) return audience;
  const first = (p) => (p.identity === client.me ? 0 : p.hand_raised ? 1 : 2);
  return [...audience].sort((a, b) => first(a) - first(b)).slice(0, AUDIENCE_SHOWN);
}

function moreListening(audience) {
  const hidden = audience.length - AUDIENCE_SHOWN;
  if (hidden <= 0) return [];
  const item = document.createElement("li");
  item.className = "more";
  item.textContent = `and ${hidden.toLocaleString()} more listening`;
  return [item];
}

function me() { return client.room.participants.find((p) => p.identity === client.me); }
function moderates(person) { return person && (person.role === "host" || person.role === "moderator"); }

function render() {
  const room = client.room;
  if (!room) return;
  const self = me();
  const stage = room.participants.filter((p) => p.on_stage);
  const audience = room.participants.filter((p) => !p.on_stage);
  $("stage").classList.toggle("compact", stage.length > COMPACT_STAGE);
  $("audience").classList.toggle("compact", audience.length > COMPACT_STAGE);
  $("stage").replaceChildren(...stage.map((p) => card(p, self)));
  $("stage-count").textContent = stage.length > 1 ? `(${stage.length})` : "";
  $("audience-count").textContent = audience.length > 1 ? `(${audience.length.toLocaleString()})` : "";
  $("audience").replaceChildren(...audienceShown(audience).map((p) => card(p, self)), ...moreListening(audience));
  const byId = Object.fromEntries(room.participants.map((p) => [p.identity, p]));
  $("hands-panel").hidden = !moderates(self) || room.hands.length === 0;
  $("hands").replaceChildren(...room.hands.map((id) => {
    const item = document.createElement("li");
    item.append(`${byId[id] ? byId[id].name : id} `, button("Invite to speak", () => send("invite", { identity: id })));
    return item;
  }));
  if (self) renderControls(self);
}

function renderControls(self) {
  const toggle = (id, visible) => { $(id).hidden = !visible; };
  toggle("raise-hand", !self.on_stage && !self.hand_raised);
  toggle("lower-hand", !self.on_stage && self.hand_raised);
  toggle("take-stage", !self.on_stage && (moderates(self) || client.mayTakeStage));
  toggle("mute", self.on_stage && !self.muted);
  // A moderator's mute is theirs to lift: the speaker is told so, not offered a button that fails.
  toggle("unmute", self.on_stage && self.muted && !self.muted_by_moderator);
  toggle("moderator-muted", self.on_stage && self.muted_by_moderator);
  toggle("leave-stage", self.on_stage);
  toggle("end-room", moderates(self));
  toggle("marker", moderates(self));
  toggle("off-record-on", moderates(self) && !client.room.off_record);
  toggle("off-record-off", moderates(self) && client.room.off_record);
  if (client.micTrack) client.micTrack.enabled = !self.muted;
}

function card(person, self) {
  const item = document.createElement("li");
  item.className = "person" + (client.speaking.has(person.identity) ? " speaking" : "");
  item.dataset.identity = person.identity;
  const initials = person.name.split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
  const muted = person.muted_by_moderator ? "🔇 muted by a moderator" : person.muted ? "🔇 muted" : "";
  const flags = [muted, person.hand_raised ? "✋ hand raised" : "", person.invited ? "invited" : ""].filter(Boolean).join(" · ");
  const speaking = client.speaking.has(person.identity) ? ", speaking" : "";
  item.setAttribute("aria-label", `${person.name}, ${person.role}${speaking}${flags ? ", " + flags : ""}`);
  item.innerHTML = `<div class="avatar" aria-hidden="true"></div><div class="name"></div><div class="role"></div><div class="flags"></div>`;
  item.querySelector(".avatar").textContent = initials;
  item.querySelector(".name").textContent = person.identity === client.me ? `${person.name} (you)` : person.name;
  item.querySelector(".role").textContent = person.role;
  item.querySelector(".flags").textContent = flags;
  if (moderates(self) && person.identity !== client.me && person.role !== "host") item.append(moderatorActions(person, self));
  return item;
}

function moderatorActions(person, self) {
  const actions = document.createElement("div");
  actions.className = "actions";
  const id = person.identity;
  if (!person.on_stage) actions.append(button("Invite", () => send("invite", { identity: id })));
  if (person.on_stage && !person.muted) actions.append(button("Mute", () => send("mute", { identity: id })));
  if (person.muted_by_moderator) actions.append(button("Allow unmute", () => send("unmute", { identity: id })));
  if (person.on_stage && person.role !== "moderator") actions.append(button("To audience", () => send("move_to_audience", { identity: id })));
  if (person.role !== "moderator") actions.append(button("Make moderator", () => send("set_role", { identity: id, role: "moderator" })));
  else if (self.role === "host") actions.append(button("Remove moderator", () => send("set_role", { identity: id, role: "listener" })));
  if (person.role !== "moderator" || self.role === "host") {
    actions.append(button("Remove", () => send("remove", { identity: id })));
    actions.append(button("Block", () => confirm(`Remove ${person.name} and keep them out?`) && send("remove", { identity: id, block: true })));
  }
  return actions;
}

function button(label, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.addEventListener("click", action);
  return element;
}

function notice(text) { $("notice").textContent = text; }

function askConsent(byName) {
  $("invite-by").textContent = byName;
  $("consent").checked = false;
  $("invite-dialog").showModal();
}

// --- wiring ---------------------------------------------------------------------------
function canBeGuest() { return section.dataset.access === "open" && section.dataset.status !== "ended"; }

function wire() {
  $("raise-hand").onclick = () => send("raise_hand");
  $("lower-hand").onclick = () => send("lower_hand");
  $("take-stage").onclick = () => confirm("This room is recorded: what you say on stage is published. Go on stage?") && send("take_stage", { consent: true });
  $("mute").onclick = () => send("mute");
  $("unmute").onclick = () => send("unmute");
  $("leave-stage").onclick = () => send("leave_stage");
  $("leave").onclick = () => { outOfRoom("You left the room."); if (!tokenFromLink() && canBeGuest()) $("door").hidden = false; };
  $("clip").onclick = () => { send("clip", { title: "" }); notice("Clipped: the last 30 seconds become a soundbite."); };
  $("marker").onclick = () => { const title = prompt("The new topic:"); if (title && title.trim()) send("marker", { title: title.trim() }); };
  $("off-record-on").onclick = () => send("off_record", { on: true });
  $("off-record-off").onclick = () => send("off_record", { on: false });
  $("end-room").onclick = () => confirm("End the room for everyone?") && send("end_room");
  $("invite-dialog").addEventListener("close", () => {
    const accepted = $("invite-dialog").returnValue === "accept";
    if (accepted && !$("consent").checked) { notice("Taking the stage needs your consent to the recording."); send("decline_invite"); return; }
    send(accepted ? "accept_invite" : "decline_invite", accepted ? { consent: true } : {});
  });
  $("door").addEventListener("submit", async (event) => {
    event.preventDefault();
    try { client.out = false; connect(await guestToken($("guest-name").value)); } catch (error) { notice(error.message); }
  });
  document.addEventListener("click", () => document.querySelectorAll("#audio audio").forEach((a) => a.play().catch(() => {})));
}

wire();
const token = tokenFromLink();
if (["ended", "interrupted"].includes(section.dataset.status)) followEpisode(); // the page already says it has ended
else if (token) connect(token);
else if (section.dataset.status === "live" && canBeGuest()) $("door").hidden = false;
else if (section.dataset.status === "scheduled") notice("This room has not started yet.");
