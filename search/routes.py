"""``GET /api/search``, ``GET /api/speakers/{who}`` and their pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from roomcast.access import access_for
from roomcast.models import Show
from roomcast.web import SessionDep, templates
from search.backends import Filters
from search.query import MAX_QUERY_CHARS, QueryError
from search.service import by_episode, search, speaker_url
from search.speakers import MAX_SPEAKER_CHARS, Who, everyone, people_called, person, speaker_lines

router = APIRouter()
GROUPED_HITS = 50  # hits read to group into episodes


class SearchHit(BaseModel):
    episode_id: int
    episode_title: str
    show: str
    speaker: str
    speaker_id: str | None = None
    speaker_url: str
    language: str
    start: float
    end: float
    segment_start: float
    text: str
    snippet: str
    url: str
    score: float


class EpisodeHits(BaseModel):
    episode_id: int
    title: str
    show: str
    published_at: datetime | None
    url: str
    moments: list[SearchHit]


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]
    episodes: list[EpisodeHits]


def search_filters(
    session: SessionDep,
    show: Annotated[str | None, Query(max_length=64, description="A show's slug.")] = None,
    speaker: Annotated[str | None, Query(max_length=MAX_SPEAKER_CHARS)] = None,
    language: Annotated[str | None, Query(max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$")] = None,
    since: Annotated[date | None, Query(description="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[date | None, Query(description="Published on or before (YYYY-MM-DD).")] = None,
    token: Annotated[str | None, Query(description="A creator or subscriber token: searches that private show.")] = None,
) -> Filters:
    if since and until and since > until:
        raise HTTPException(400, "since is after until")
    private: frozenset[int] = frozenset()
    if token:
        if not show:
            raise HTTPException(400, "a token opens one show: say which with show=")
        found = session.scalars(select(Show).where(Show.slug == show)).first()
        if found is None:
            raise HTTPException(404, f"no show {show!r}")
        if access_for(session, found, token).any:  # AccessDenied: roomcast.http_errors
            private = frozenset({found.id})
    return Filters(show or None, (speaker or "").strip() or None, language, since, until, private)


FiltersDep = Annotated[Filters, Depends(search_filters)]


@router.get("/api/search", response_model=SearchResponse, tags=["search"])
def search_api(
    session: SessionDep,
    filters: FiltersDep,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description='Words (all must match), "exact phrases", prefix*')],
    limit: Annotated[int, Query(ge=1, le=100, description="Hits; episodes are grouped from the best 50.")] = 20,
) -> SearchResponse:
    """Everything said that matches, best first: as hits and grouped by episode with its best moments.

    Each hit links to the second its first matching word was said. Private shows are searched
    only with ``show`` and a token for it."""
    try:
        results = search(session, q, filters, max(limit, GROUPED_HITS))
    except QueryError as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    return SearchResponse(query=q, hits=[SearchHit(**r.to_dict()) for r in results[:limit]],
                          episodes=[EpisodeHits(**group.to_dict()) for group in by_episode(results)])


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, session: SessionDep, q: str = "", show: str | None = None,
                speaker: str | None = None, language: str | None = None, since: str | None = None,
                until: str | None = None):
    groups, error = [], None
    values = {"q": q, "show": show or "", "speaker": speaker or "", "language": language or "",
              "since": since or "", "until": until or ""}
    try:
        filters = Filters(show or None, (speaker or "").strip() or None, language or None, _day(since), _day(until))
        if q.strip():
            groups = [g.to_dict() for g in by_episode(search(session, q[:MAX_QUERY_CHARS], filters, GROUPED_HITS))]
    except QueryError as exc:
        error = str(exc)
    shows = session.scalars(select(Show).where(Show.private.is_(False)).order_by(Show.title)).all()
    return templates.TemplateResponse(request, "search.html", {**values, "groups": groups, "error": error,
                                                               "shows": shows})


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise QueryError(f"{value!r} is not a date: dates are written YYYY-MM-DD") from None


class SpokenLine(BaseModel):
    start: float
    end: float
    text: str
    url: str
    speaker: str = Field(description="The name as the episode's transcript has it.")
    speaker_id: str | None = None
    speaker_url: str


class SpeakerEpisode(BaseModel):
    episode_id: int
    title: str
    show: str
    show_title: str
    published_at: datetime | None
    speaking_s: float
    lines: list[SpokenLine]


class PersonView(BaseModel):
    speaker_id: str
    name: str
    url: str


class SpeakerResponse(BaseModel):
    speaker: str = Field(description="The person's name (or the name asked for, where several people spoke under it).")
    speaker_id: str | None = Field(None, description="The person; none where several people share the name asked for.")
    people: list[PersonView] = Field(description="Asked by a name that several people spoke under: each of them.")
    episodes: list[SpeakerEpisode]
    more: bool


@router.get("/api/speakers/{who}", response_model=SpeakerResponse, tags=["search"])
def speaker_api(session: SessionDep, who: str, page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> SpeakerResponse:
    """Everything one person said in published episodes of public shows, newest episode first.

    ``who``: the person's ``speaker_id`` (from a transcript line or a search hit), or a name: the
    person who spoke under it, or, where several did, all of their lines and each of them in ``people``."""
    who = who.strip()
    if not who or len(who) > MAX_SPEAKER_CHARS:
        raise HTTPException(400, f"a speaker's name has 1 to {MAX_SPEAKER_CHARS} characters")
    found = person(session, who)
    people = [] if found else people_called(session, who)
    if found is None:
        found = people[0] if len(people) == 1 else everyone(who, people) if people else Who(who)
    episodes, more = speaker_lines(session, found, page)
    if not episodes and page == 1:
        raise HTTPException(404, f"nobody called {who!r} has spoken in a published episode")
    listed = [PersonView(speaker_id=p.speaker_id, name=p.name, url=speaker_url(p.speaker_id, p.name))
              for p in people if len(people) > 1 and p.speaker_id]
    return SpeakerResponse(speaker=found.name, speaker_id=found.speaker_id, people=listed,
                           episodes=[SpeakerEpisode(**e) for e in episodes], more=more)


@router.get("/speakers/{who}", response_class=HTMLResponse, include_in_schema=False)
def speaker_page(request: Request, session: SessionDep, who: str, page: int = 1):
    response = speaker_api(session, who, max(1, min(page, 10_000)))
    return templates.TemplateResponse(request, "speaker.html", {"speaker": response, "page": page})
