// Episode page: the transcript, the speaker timeline and the waveform follow playback;
// a click on any of them seeks there; #t=SECONDS in the address starts playback there.
import { copyText } from "./copy.js";

const player = document.getElementById("player");
const lines = [...document.querySelectorAll("#transcript li")];
const box = document.querySelector(".player");

let stopAt = null; // a soundbite plays to its end, then stops

function seek(seconds, until = null) {
  stopAt = until;
  player.currentTime = seconds;
  player.play().catch(() => {}); // autoplay may be refused until the listener interacts
}

for (const element of [...lines, ...document.querySelectorAll(".timeline .span")]) {
  const go = () => seek(Number(element.dataset.start));
  element.addEventListener("click", go);
  element.addEventListener("keydown", (event) => { if (event.key === "Enter") go(); });
}

let current = null;
function follow() {
  const t = player.currentTime;
  const line = lines.findLast((l) => Number(l.dataset.start) <= t && t < Number(l.dataset.end) + 0.5) ?? null;
  if (line === current) return;
  current?.classList.remove("current");
  line?.classList.add("current");
  line?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  current = line;
}
player.addEventListener("timeupdate", follow);
player.addEventListener("seeked", follow);

// --- waveform -------------------------------------------------------------------------
const canvas = document.getElementById("waveform");
let peaks = [];
function draw() {
  const width = (canvas.width = canvas.clientWidth * devicePixelRatio);
  const height = (canvas.height = 72 * devicePixelRatio);
  const context = canvas.getContext("2d");
  const played = player.duration ? player.currentTime / player.duration : 0;
  const bar = width / Math.max(1, peaks.length);
  peaks.forEach((peak, i) => {
    context.fillStyle = i / peaks.length < played ? "#5b3cc4" : "#c9c0ea";
    const h = Math.max(1, peak * height);
    context.fillRect(i * bar, (height - h) / 2, Math.max(1, bar - 0.5), h);
  });
}
canvas.addEventListener("click", (event) => {
  if (player.duration) seek((event.offsetX / canvas.clientWidth) * player.duration);
});
if (box.dataset.waveform) {
  fetch(box.dataset.waveform).then((r) => r.json()).then((data) => { peaks = data.peaks; draw(); });
  player.addEventListener("timeupdate", draw);
  addEventListener("resize", draw);
}

// --- chapters -------------------------------------------------------------------------
if (box.dataset.chapters) {
  fetch(box.dataset.chapters).then((r) => r.json()).then(({ chapters }) => {
    const list = document.getElementById("chapters");
    for (const chapter of chapters) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      const minutes = Math.floor(chapter.startTime / 60), seconds = Math.floor(chapter.startTime % 60);
      button.textContent = `${minutes}:${String(seconds).padStart(2, "0")} ${chapter.title}`;
      button.addEventListener("click", () => seek(chapter.startTime));
      item.append(button);
      list.append(item);
    }
    document.getElementById("chapters-section").hidden = chapters.length === 0;
  });
}

// --- deep links -----------------------------------------------------------------------
function startFromHash() {
  const match = location.hash.match(/^#t=(\d+(?:\.\d+)?)/);
  if (!match) return;
  const seconds = Number(match[1]);
  if (player.readyState >= 1) seek(seconds);
  else player.addEventListener("loadedmetadata", () => seek(seconds), { once: true });
}
addEventListener("hashchange", startFromHash);
startFromHash();

// --- soundbites: each plays its own seconds ---------------------------------------------
for (const bite of document.querySelectorAll(".soundbite")) {
  bite.addEventListener("click", () => seek(Number(bite.dataset.start), Number(bite.dataset.end)));
}
player.addEventListener("timeupdate", () => {
  if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; }
});

// --- share from this second ---------------------------------------------------------------
const share = document.getElementById("share");
const clock = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}`;
player.addEventListener("timeupdate", () => { share.textContent = `Share from ${clock(player.currentTime)}`; });
share.addEventListener("click", () => {
  const field = document.getElementById("share-url");
  const second = Math.floor(player.currentTime);
  field.value = second ? `${field.dataset.base}#t=${second}` : field.dataset.base;
  document.getElementById("share-box").hidden = false;
  copyText(field, document.getElementById("share-status"));
});
