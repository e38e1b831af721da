// Every <time data-local datetime="…UTC…"> on a page, rewritten in the viewer's own time zone
// and language: the server cannot know either. The UTC text stays as the element's title.
const FORMAT = {
  weekday: "short", year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", timeZoneName: "short",
};

export function localise(root = document) {
  for (const element of root.querySelectorAll("time[data-local]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (!Number.isNaN(moment.getTime())) element.textContent = moment.toLocaleString(undefined, FORMAT);
  }
}

localise();
