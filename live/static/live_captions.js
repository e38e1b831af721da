// Live captions: the room's transcript as it is being written, polled about once a second
// while this page is in the room (room.js hands over its client state). The last lines of
// each speaker may be provisional (shown muted): their words are revised from one poll to the
// next until live transcription writes the whole turn, which then takes their place.
const CAPTION_LINES = 3;  // in the dock above the controls: what is being said, not a transcript
const POLL_MS = 1000;
const KEPT_LINES = 50;
const $ = (id) => document.getElementById(id);

export async function followCaptions(client, roomId) {
  if (client.captions) return;
  client.captions = { written: new Map(), shown: "" };
  while (client.room && client.room.status !== "ended" && !client.out) {
    try {
      const query = new URLSearchParams({ since: since(client.captions), token: client.token });
      const response = await fetch(`/api/rooms/${roomId}/transcript?${query}`);
      if (response.ok) showCaptions(client.captions, (await response.json()).lines);
    } catch (error) { /* the next round tries again */ }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// Ask again for the last written lines' stretch: a caption being revised may end before them.
function since(captions) {
  const starts = [...captions.written.values()].map((line) => line.start);
  return starts.length ? Math.max(0, Math.max(...starts) - 30) : 0;
}

function showCaptions(captions, lines) {
  for (const line of lines.filter((l) => !l.provisional)) captions.written.set(`${line.speaker}@${line.start}`, line);
  const written = [...captions.written.values()].sort((a, b) => a.start - b.start).slice(-KEPT_LINES);
  captions.written = new Map(written.map((line) => [`${line.speaker}@${line.start}`, line]));
  const latest = written.concat(lines.filter((l) => l.provisional))
    .sort((a, b) => a.start - b.start).slice(-CAPTION_LINES);
  const shown = JSON.stringify(latest.map((line) => [line.speaker, line.text, line.provisional]));
  if (!latest.length || shown === captions.shown) return;
  captions.shown = shown;
  $("captions").replaceChildren(...latest.map((line) => {
    const item = document.createElement("li");
    if (line.provisional) item.className = "provisional";
    const who = document.createElement("strong");
    who.textContent = `${line.speaker}: `;
    item.append(who, line.text);
    return item;
  }));
  $("captions-panel").hidden = false;
}
