// Results as you type: the search page asks /api/search on each pause in typing (the word
// being typed counts as a prefix) and redraws the episodes and their moments. Without
// JavaScript the form still submits and the server renders the same list.
"use strict";

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const results = document.getElementById("results");
const status = document.getElementById("search-status");
let pending = null;
let timer = null;

function asTyped(text) {
  // "telesc" while typing means telesc*; not after a space, a closing quote or inside a phrase.
  const quotes = (text.match(/"/g) || []).length;
  if (quotes % 2 === 1 || !/[\p{L}\p{N}]{2,}$/u.test(text)) return text;
  return text + "*";
}

function clock(seconds) {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function moment(hit) {
  const item = element("li");
  item.append(element("a", { class: "moment", href: hit.url }, clock(hit.start)), " ");
  item.append(element("a", { class: "speaker", href: hit.speaker_url }, hit.speaker), " ");
  const snippet = element("span", { class: "snippet" });
  snippet.innerHTML = hit.snippet; // escaped by the server, only <mark> added
  item.append(snippet);
  return item;
}

function render(data) {
  results.replaceChildren(...data.episodes.map((group) => {
    const item = element("li", { class: "episode-result" });
    const title = element("a", { href: group.url });
    title.append(element("strong", {}, group.title));
    const date = group.published_at ? ` · ${group.published_at.slice(0, 10)}` : "";
    item.append(title, " ", element("span", { class: "muted" }, `· ${group.show}${date}`));
    const moments = element("ul", { class: "moments" });
    moments.append(...group.moments.map(moment));
    item.append(moments);
    return item;
  }));
  status.textContent = data.episodes.length ? "" : `Nothing said matches “${input.value.trim()}”.`;
}

async function update() {
  const params = new URLSearchParams(new FormData(form));
  for (const [key, value] of [...params]) if (!value) params.delete(key);
  history.replaceState(null, "", `/search?${params}`);
  if (!input.value.trim()) {
    results.replaceChildren();
    status.textContent = "";
    return;
  }
  params.set("q", asTyped(input.value));
  if (pending) pending.abort();
  pending = new AbortController();
  try {
    const response = await fetch(`/api/search?${params}`, { signal: pending.signal });
    const data = await response.json();
    if (!response.ok) {
      results.replaceChildren();
      const detail = Array.isArray(data.detail) ? data.detail.map((d) => d.msg).join("; ") : data.detail;
      status.replaceChildren(element("span", { class: "badge failed" }, detail || "search failed"));
      return;
    }
    render(data);
  } catch (error) {
    if (error.name !== "AbortError") status.textContent = "Search is unavailable; try again.";
  }
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(update, 150);
}

input.addEventListener("input", soon);
form.addEventListener("change", soon);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  update();
});
