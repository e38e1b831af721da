// The room page's shared state, for its scripts (room.js, room_media.js, room_view.js): the
// client (its socket, its media, the room as last drawn), the socket's send (live/PROTOCOL.md)
// and the page's notice line.

export const $ = (id) => document.getElementById(id);
export const section = $("room");
export const roomId = Number(section.dataset.room);

export const client = {
  ws: null, pc: null, mic: null, micTrack: null, slots: [], me: null, room: null,
  speaking: new Set(), negotiation: Promise.resolve(), pendingAnswer: null,
};
window.roomcastClient = client; // for tests and the curious: state, audioLevel()

export function send(type, fields = {}) {
  if (client.ws && client.ws.readyState === WebSocket.OPEN) client.ws.send(JSON.stringify({ type, ...fields }));
}

export function notice(text) { $("notice").textContent = text; }

export function me() { return client.room.participants.find((p) => p.identity === client.me); }
