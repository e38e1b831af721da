// The room's live HTTP stream in an <audio> element: for a listener whose browser has no
// WebRTC, or who joined once the room's WebRTC audience was full. It runs a few seconds
// behind the room; the socket stays, so hands, clips, captions and the stage all still work.

export function playStream(stream, token, container, notice) {
  const audio = document.createElement("audio");
  audio.dataset.stream = "mp3";
  audio.autoplay = true;
  // The token opens a room that is not open; an open room's stream ignores it.
  audio.src = `${stream.mp3}?token=${encodeURIComponent(token || "")}`;
  container.append(audio);
  audio.play().catch(() => notice("Click anywhere to hear the room."));
  return {
    audio,
    stop() {
      audio.pause();
      audio.removeAttribute("src");
      audio.load(); // closes the connection
      audio.remove();
    },
  };
}
