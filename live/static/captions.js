// Live captions: the room's transcript as live transcription writes it, a few seconds behind
// the speakers, polled while this page is in the room (room.js hands over its client state).
const CAPTION_LINES = 6;
const $ = (id) => document.getElementById(id);

export async function followCaptions(client, roomId) {
  if (client.captions) return;
  client.captions = { since: 0, lines: [] };
  while (client.room && client.room.status !== "ended" && !client.out) {
    try {
      const query = new URLSearchParams({ since: client.captions.since, token: client.token });
      const response = await fetch(`/api/rooms/${roomId}/transcript?${query}`);
      if (response.ok) showCaptions(client.captions, (await response.json()).lines);
    } catch (error) { /* the next round tries again */ }
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

function showCaptions(captions, lines) {
  const known = new Set(captions.lines.map((l) => `${l.speaker}@${l.start}`));
  const fresh = lines.filter((l) => !known.has(`${l.speaker}@${l.start}`));
  if (!fresh.length) return;
  captions.lines = captions.lines.concat(fresh).sort((a, b) => a.start - b.start).slice(-CAPTION_LINES);
  captions.since = Math.max(captions.since, ...fresh.map((l) => l.start));
  $("captions").replaceChildren(...captions.lines.map((line) => {
    const item = document.createElement("li");
    const who = document.createElement("strong");
    who.textContent = `${line.speaker}: `;
    item.append(who, line.text);
    return item;
  }));
  $("captions-panel").hidden = false;
}
