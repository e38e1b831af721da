// Drawing the room: the stage and the audience as cards, raised hands, the controls that the
// viewer's place allows, the status badge and the invitation to the stage.

import { $, client, me, send } from "./room_client.js";

export function showStatus(status) {
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

function moderates(person) { return person && (person.role === "host" || person.role === "moderator"); }

export function render() {
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

export function askConsent(byName) {
  $("invite-by").textContent = byName;
  $("consent").checked = false;
  $("invite-dialog").showModal();
}
