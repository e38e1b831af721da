// Episode page: the transcript follows playback, a click on a line seeks there,
// and #t=SECONDS in the address starts playback at that second.
const player = document.getElementById("player");
const lines = [...document.querySelectorAll("#transcript li")];

function seek(seconds) {
  player.currentTime = seconds;
  player.play().catch(() => {}); // autoplay may be refused until the listener interacts
}

for (const line of lines) {
  const go = () => seek(Number(line.dataset.start));
  line.addEventListener("click", go);
  line.addEventListener("keydown", (event) => { if (event.key === "Enter") go(); });
}

let current = null;
player.addEventListener("timeupdate", () => {
  const t = player.currentTime;
  const line = lines.findLast((l) => Number(l.dataset.start) <= t && t < Number(l.dataset.end) + 0.5) ?? null;
  if (line === current) return;
  current?.classList.remove("current");
  line?.classList.add("current");
  line?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  current = line;
});

function startFromHash() {
  const match = location.hash.match(/^#t=(\d+(?:\.\d+)?)/);
  if (!match) return;
  const seconds = Number(match[1]);
  if (player.readyState >= 1) seek(seconds);
  else player.addEventListener("loadedmetadata", () => seek(seconds), { once: true });
}
window.addEventListener("hashchange", startFromHash);
startFromHash();
