// The live room client: signaling over one WebSocket (live/PROTOCOL.md), audio over WebRTC
// (room_media.js), the room drawn by room_view.js. No build step, no dependencies.

import { followCaptions } from "./live_captions.js";
import { followProduction } from "./production.js";
import { $, client, notice, roomId, section, send } from "./room_client.js";
import { leaveMedia, listenToStream, negotiate, slotsNeeded, startMedia, takeStageMedia } from "./room_media.js";
import { askConsent, render, showStatus } from "./room_view.js";

const PROTOCOL = 1;

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
