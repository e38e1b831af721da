"""The creator's API for shows and episodes: settings, review, publish, unpublish, feed URLs.

Every write needs the show's creator token (``roomcast token creator SLUG``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from feeds import episodes as episode_actions
from roomcast.access import require_listener
from feeds.episodes import EpisodeView, episode_view
from feeds.feed_tokens import create_feed_token, revoke_feed_token
from feeds.rss import feed_url
from feeds.shows import ShowSettings, apply_settings
from roomcast.auth import CreatorClaims, bearer, require_creator_of
from roomcast.lookups import require_show
from roomcast.models import Episode, EpisodeStatus, PublishMode, Show
from roomcast.runs import current_run
from roomcast.text import Line, Prose
from roomcast.web import RowId, SessionDep

router = APIRouter(prefix="/api", tags=["creators"])




def _episode(session: Session, episode_id: int) -> Episode:
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise HTTPException(404, f"no episode {episode_id}")
    return episode


def _apply(session: Session, action) -> None:  # type: ignore[no-untyped-def]
    action()  # a UserError is answered by roomcast.http_errors; the session closes uncommitted
    session.commit()


# --- episodes ------------------------------------------------------------------------------


@router.get("/episodes/{episode_id}", response_model=EpisodeView, tags=["episodes"])
def get_episode(
    episode_id: RowId, session: SessionDep, token: str | None = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> EpisodeView:
    """Status, links and pipeline progress. Media links once published (before: the creator's);
    an episode its creator unpublished: the creator only."""
    episode = _episode(session, episode_id)
    token = credentials.credentials if credentials else token
    access = require_listener(session, episode.show, token)
    if not access.creator and episode.status == EpisodeStatus.unpublished:
        raise HTTPException(404, f"no episode {episode_id}")
    view = episode_view(episode, current_run(session, episode.room_id), token if access.any else None)
    if not access.creator and view.pipeline is not None:  # what went wrong inside is the creator's
        view.pipeline.warnings, view.pipeline.error = [], None
    return view


class EpisodeEdit(BaseModel):
    title: Line(255, 1) | None = None
    description: Prose() | None = None


def _creator_action(session: Session, episode_id: int, claims: dict, action) -> EpisodeView:  # type: ignore[no-untyped-def]
    """Fetch the episode, check the token manages its show, apply the action, show the result."""
    episode = _episode(session, episode_id)
    require_creator_of(episode.show.slug, claims)
    _apply(session, lambda: action(episode))
    return episode_view(episode, current_run(session, episode.room_id))


@router.patch("/episodes/{episode_id}", response_model=EpisodeView, tags=["episodes"])
def edit_episode(episode_id: RowId, body: EpisodeEdit, session: SessionDep, claims: CreatorClaims) -> EpisodeView:
    return _creator_action(session, episode_id, claims, lambda e: episode_actions.edit(e, body.title, body.description))


@router.post("/episodes/{episode_id}/publish", response_model=EpisodeView, tags=["episodes"])
def publish_episode(episode_id: RowId, session: SessionDep, claims: CreatorClaims) -> EpisodeView:
    return _creator_action(session, episode_id, claims, lambda e: episode_actions.set_published(e, True))


@router.post("/episodes/{episode_id}/unpublish", response_model=EpisodeView, tags=["episodes"])
def unpublish_episode(episode_id: RowId, session: SessionDep, claims: CreatorClaims) -> EpisodeView:
    """The item leaves the feed and the pages; the archive and produced files stay."""
    return _creator_action(session, episode_id, claims, lambda e: episode_actions.set_published(e, False))


# --- shows ---------------------------------------------------------------------------------


class ShowView(BaseModel):
    slug: str
    title: str
    author: str | None
    language: str
    description: str
    category: str
    subcategory: str | None
    explicit: bool
    owner_name: str | None
    owner_email: str | None
    medium: str
    publish_mode: PublishMode
    private: bool
    noise_suppression: bool = Field(description="Room pages ask browsers to suppress microphone noise.")
    feed_url: str | None = Field(description="Public shows only; subscribers of private shows get their own.")
    episodes: list[dict]


class ShowEdit(BaseModel):
    title: Line(255, 1) | None = None
    author: Line(255) | None = None
    language: Line(16) | None = None
    description: Prose() | None = None
    category: Line(64) | None = None
    subcategory: Line(64) | None = None
    explicit: bool | None = None
    owner_name: Line(255) | None = None
    owner_email: Line(255) | None = None
    medium: Line(16) | None = None
    publish_mode: PublishMode | None = None
    private: bool | None = None
    noise_suppression: bool | None = None


def show_view(show: Show) -> ShowView:
    episodes = [{"id": e.id, "title": e.title, "status": e.status.value} for e in sorted(show.episodes, key=lambda e: e.id)]
    return ShowView(
        slug=show.slug, title=show.title, author=show.author, language=show.language, description=show.description,
        category=show.category, subcategory=show.subcategory, explicit=show.explicit, owner_name=show.owner_name,
        owner_email=show.owner_email, medium=show.medium, publish_mode=show.publish_mode, private=show.private,
        noise_suppression=show.noise_suppression,
        feed_url=None if show.private else feed_url(show), episodes=episodes,
    )


@router.get("/shows/{slug}", response_model=ShowView, tags=["shows"])
def get_show(slug: str, session: SessionDep, claims: CreatorClaims) -> ShowView:
    show = require_show(session, slug)
    require_creator_of(slug, claims)
    return show_view(show)


@router.patch("/shows/{slug}", response_model=ShowView, tags=["shows"])
def edit_show(slug: str, body: ShowEdit, session: SessionDep, claims: CreatorClaims) -> ShowView:
    show = require_show(session, slug)
    require_creator_of(slug, claims)
    _apply(session, lambda: apply_settings(show, ShowSettings(**body.model_dump())))
    return show_view(show)


class FeedTokenCreate(BaseModel):
    label: Line(255, 1) = Field(description="Who this feed URL is for.")


class FeedTokenView(BaseModel):
    id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None
    feed_url: str | None = Field(default=None, description="Shown once, when the token is made.")


@router.post("/shows/{slug}/feed-tokens", response_model=FeedTokenView, status_code=201, tags=["shows"])
def create_token(slug: str, body: FeedTokenCreate, session: SessionDep, claims: CreatorClaims) -> FeedTokenView:
    """A personal feed URL for one subscriber of a private show."""
    show = require_show(session, slug)
    require_creator_of(slug, claims)
    token, secret = create_feed_token(session, show, body.label)
    session.commit()
    url = f"{feed_url(show)}?token={secret}"
    return FeedTokenView(id=token.id, label=token.label, created_at=token.created_at, revoked_at=None, feed_url=url)


@router.get("/shows/{slug}/feed-tokens", response_model=list[FeedTokenView], tags=["shows"])
def list_tokens(slug: str, session: SessionDep, claims: CreatorClaims) -> list[FeedTokenView]:
    show = require_show(session, slug)
    require_creator_of(slug, claims)
    return [FeedTokenView(id=t.id, label=t.label, created_at=t.created_at, revoked_at=t.revoked_at) for t in show.feed_tokens]


@router.delete("/shows/{slug}/feed-tokens/{token_id}", response_model=FeedTokenView, tags=["shows"])
def revoke_token(slug: str, token_id: RowId, session: SessionDep, claims: CreatorClaims) -> FeedTokenView:
    """The subscriber's feed URL stops working (403) within a second."""
    show = require_show(session, slug)
    require_creator_of(slug, claims)
    token = revoke_feed_token(session, show, token_id)
    session.commit()
    return FeedTokenView(id=token.id, label=token.label, created_at=token.created_at, revoked_at=token.revoked_at)
