"""``GET /api/search`` and the search page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from roomcast.web import get_session, templates
from search.backends import Filters
from search.query import MAX_QUERY_CHARS, QueryError
from search.service import search

router = APIRouter()


class SearchHit(BaseModel):
    episode_id: int
    episode_title: str
    show: str
    speaker: str
    start: float
    end: float
    segment_start: float
    text: str
    snippet: str
    url: str


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]


@router.get("/api/search", response_model=SearchResponse, tags=["search"])
def search_api(
    session: Annotated[Session, Depends(get_session)],
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description='Words, "exact phrases", prefix*')],
    show: str | None = None,
    speaker: str | None = None,
    language: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResponse:
    try:
        results = search(session, q, Filters(show, speaker, language), limit)
    except QueryError as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    return SearchResponse(query=q, hits=[SearchHit(**r.to_dict()) for r in results])


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, session: Annotated[Session, Depends(get_session)], q: str = "", show: str | None = None):
    results, error = [], None
    if q.strip():
        try:
            results = [r.to_dict() for r in search(session, q[:MAX_QUERY_CHARS], Filters(show=show), 50)]
        except QueryError as exc:
            error = str(exc)
    return templates.TemplateResponse(request, "search.html", {"q": q, "results": results, "error": error})
