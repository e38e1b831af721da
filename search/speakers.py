"""A speaker's page: everything one person said, across shows, newest episode first.

A person is whoever joined under one identity (roomcast.people), named in the page's address by
their opaque key: two guests who both called themselves "Carl" have a page each, and the show's
host is one person across all of its episodes. Asked by a name, the page is that person's where
one person spoke under it, and otherwise lists the people who did. Only published episodes of
public shows are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from search.service import episode_url, speaker_url

MAX_SPEAKER_CHARS = 255
EPISODES_PER_PAGE = 20
VISIBLE = "e.status = 'published' AND NOT sh.private"
SPOKEN = ("transcript_segments ts JOIN episodes e ON e.id = ts.episode_id JOIN shows sh ON sh.id = e.show_id "
          "LEFT JOIN participants p ON p.id = ts.participant_id LEFT JOIN people pe ON pe.identity = p.identity")


@dataclass(frozen=True)
class Who:
    """Whose lines: people (their identities: one, or all who spoke under one name), or, for
    lines older than people, a name."""

    name: str
    speaker_id: str | None = None
    identities: tuple[str, ...] = ()

    @property
    def condition(self) -> str:
        if not self.identities:
            return "lower(ts.speaker) = lower(:name)"
        return f"p.identity IN ({', '.join(f':who{n}' for n in range(len(self.identities)))})"

    @property
    def params(self) -> dict[str, str]:
        return {"name": self.name, **{f"who{n}": identity for n, identity in enumerate(self.identities)}}


def everyone(name: str, people: list[Who]) -> Who:
    """Several people who spoke under one name, together."""
    return Who(name, None, tuple(identity for who in people for identity in who.identities))


def person(session: Session, key: str) -> Who | None:
    """The person with this key, by the name they spoke under last."""
    row = session.execute(text(f"""
        SELECT pe.identity, p.display_name FROM {SPOKEN}
        WHERE pe.key = :key AND {VISIBLE} ORDER BY e.published_at DESC, ts.id DESC LIMIT 1
    """), {"key": key}).first()
    return Who(row[1], key, (row[0],)) if row else None


def people_called(session: Session, name: str) -> list[Who]:
    """Everyone who spoke under this name (as they joined, or as the transcript numbers them:
    "Carl (2)"), each by the name they spoke under last: one query, one row per person."""
    rows = session.execute(text(f"""
        SELECT person_key, identity, display_name FROM (
            SELECT pe.key AS person_key, pe.identity AS identity, p.display_name AS display_name,
                   ROW_NUMBER() OVER (PARTITION BY pe.key ORDER BY e.published_at DESC, ts.id DESC) AS newest
            FROM {SPOKEN}
            WHERE pe.key IN (SELECT pe.key FROM {SPOKEN}
                             WHERE (lower(p.display_name) = lower(:name) OR lower(ts.speaker) = lower(:name))
                               AND {VISIBLE})
              AND {VISIBLE}
        ) latest WHERE newest = 1 ORDER BY person_key
    """), {"name": name}).all()
    return [Who(display_name, key, (identity,)) for key, identity, display_name in rows]


def speaker_lines(session: Session, who: Who, page: int = 1) -> tuple[list[dict], bool]:
    """The page's episodes with the speaker's lines, and whether there are more pages."""
    episode_rows = session.execute(text(f"""
        SELECT e.id, e.title, sh.slug, sh.title, e.published_at
        FROM episodes e JOIN shows sh ON sh.id = e.show_id
        WHERE {VISIBLE} AND EXISTS (SELECT 1 FROM transcript_segments ts LEFT JOIN participants p
                                    ON p.id = ts.participant_id WHERE ts.episode_id = e.id AND {who.condition})
        ORDER BY e.published_at DESC, e.id DESC LIMIT :limit OFFSET :offset
    """), {**who.params, "limit": EPISODES_PER_PAGE + 1, "offset": (page - 1) * EPISODES_PER_PAGE}).all()
    more = len(episode_rows) > EPISODES_PER_PAGE
    episode_rows = episode_rows[:EPISODES_PER_PAGE]
    if not episode_rows:
        return [], False
    lines: dict[int, list[dict]] = {row[0]: [] for row in episode_rows}
    for episode_id, start, end, said, speaker, key in session.execute(
        text("SELECT ts.episode_id, ts.start_s, ts.end_s, ts.text, ts.speaker, pe.key FROM transcript_segments ts "
             "LEFT JOIN participants p ON p.id = ts.participant_id LEFT JOIN people pe ON pe.identity = p.identity "
             f"WHERE {who.condition} AND ts.episode_id IN ({', '.join(str(int(e)) for e in lines)}) "
             "ORDER BY ts.episode_id, ts.start_s"),
        who.params,
    ):
        lines[episode_id].append({"start": round(start, 2), "end": round(end, 2), "text": said,
                                  "url": episode_url(episode_id, start), "speaker": speaker, "speaker_id": key,
                                  "speaker_url": speaker_url(key, speaker)})
    episodes = [
        {"episode_id": row[0], "title": row[1], "show": row[2], "show_title": row[3], "published_at": row[4],
         "speaking_s": round(sum(line["end"] - line["start"] for line in lines[row[0]]), 1), "lines": lines[row[0]]}
        for row in episode_rows
    ]
    return episodes, more
