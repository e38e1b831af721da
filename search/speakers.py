"""A speaker's page: everything one person said, across shows, newest episode first.

A person is known by the display name they spoke under (case aside); only published episodes of
public shows are listed.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from search.service import episode_url

MAX_SPEAKER_CHARS = 255
EPISODES_PER_PAGE = 20


def speaker_lines(session: Session, name: str, page: int = 1) -> tuple[list[dict], bool]:
    """The page's episodes with the speaker's lines, and whether there are more pages."""
    episode_rows = session.execute(text("""
        SELECT e.id, e.title, sh.slug, sh.title, e.published_at
        FROM episodes e JOIN shows sh ON sh.id = e.show_id
        WHERE e.status = 'published' AND NOT sh.private
          AND EXISTS (SELECT 1 FROM transcript_segments ts WHERE ts.episode_id = e.id AND lower(ts.speaker) = lower(:name))
        ORDER BY e.published_at DESC, e.id DESC LIMIT :limit OFFSET :offset
    """), {"name": name, "limit": EPISODES_PER_PAGE + 1, "offset": (page - 1) * EPISODES_PER_PAGE}).all()
    more = len(episode_rows) > EPISODES_PER_PAGE
    episode_rows = episode_rows[:EPISODES_PER_PAGE]
    if not episode_rows:
        return [], False
    lines: dict[int, list[dict]] = {row[0]: [] for row in episode_rows}
    for episode_id, start, end, said in session.execute(
        text("SELECT episode_id, start_s, end_s, text FROM transcript_segments WHERE lower(speaker) = lower(:name) "
             f"AND episode_id IN ({', '.join(str(int(e)) for e in lines)}) ORDER BY episode_id, start_s"),
        {"name": name},
    ):
        lines[episode_id].append({"start": round(start, 2), "end": round(end, 2), "text": said,
                                  "url": episode_url(episode_id, start)})
    episodes = [
        {"episode_id": row[0], "title": row[1], "show": row[2], "show_title": row[3], "published_at": row[4],
         "speaking_s": round(sum(line["end"] - line["start"] for line in lines[row[0]]), 1), "lines": lines[row[0]]}
        for row in episode_rows
    ]
    return episodes, more
