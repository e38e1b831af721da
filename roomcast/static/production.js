// An episode being produced, followed until it is out: its steps in words, a bar, and at the
// end a link to listen (or the news that the host reviews it first). The room page and the
// episode page share it; the server's answer is /api/.../production or /api/episodes/{id}/progress.
const POLL_MS = 2000;
const MISSING_TRIES = 90; // a room nobody spoke in makes no episode: stop asking after 3 minutes

export async function followProduction(url, box, { onPublished } = {}) {
  for (let missing = 0; missing < MISSING_TRIES;) {
    let view = null;
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (response.ok) view = await response.json();
      else if (response.status === 404) missing += 1;
    } catch (error) { /* the next round tries again */ }
    if (view) {
      render(view, box);
      if (view.status !== "processing") {
        if (view.status === "published" && onPublished) onPublished(view);
        return view;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return null;
}

function render(view, box) {
  const part = (name) => box.querySelector(`[data-part="${name}"]`);
  box.hidden = false;
  box.dataset.status = view.status;
  const link = part("link");
  link.textContent = view.title;
  // A failed episode has no page for the room: its title stays, without a link.
  if (view.status !== "failed") link.href = `/episodes/${view.episode_id}`;
  else link.removeAttribute("href");
  const said = { processing: `${view.summary}: ${Math.round(view.progress * 100)} %`, published: "is out: listen to it" };
  part("summary").textContent = said[view.status] ?? view.summary;
  const bar = part("bar");
  bar.value = view.progress;
  bar.textContent = `${Math.round(view.progress * 100)} %`;
  bar.hidden = view.status !== "processing";
  const steps = part("steps");
  steps.hidden = view.status !== "processing";
  steps.replaceChildren(...view.steps.map((step) => {
    const item = document.createElement("li");
    item.className = `step ${step.status}`;
    const state = { done: "done", running: `${Math.round(step.progress * 100)} %`, waiting: "waiting", failed: "failed" }[step.status];
    item.textContent = `${step.name[0].toUpperCase()}${step.name.slice(1)}: ${state}`;
    return item;
  }));
}
