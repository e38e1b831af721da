"""Transcripts over HTTP: a room's so far (the room page's captions read it while the room runs)
and a published episode's, both as speaker-attributed lines with word timings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from roomcast.access import require_listener
from roomcast.auth import bearer, is_creator_of, require_room_token
from roomcast.models import Episode, EpisodeStatus, Room, RoomAccess
from roomcast.people import keys_of_participants
from roomcast.web import RowId, SessionDep
from transcripts.lines import Line
from transcripts.room_transcript import room_transcript

router = APIRouter()

# Held for review, unpublished or failed: the episode, its files and so its transcript are the
# creator's alone, and others get the 404 the episode gives them.
WITHHELD = (EpisodeStatus.review, EpisodeStatus.unpublished, EpisodeStatus.failed)


class WordView(BaseModel):
    word: str
    start: float
    end: float
    probability: float | None = None


class LineView(BaseModel):
    """One speaker's line; times in seconds on the episode (or, for a live room, the room's clock)."""

    speaker: str = Field(description="The name the speaker goes by (two people of one name: 'Carl', 'Carl (2)').")
    speaker_id: str | None = Field(None, description="The person: their page is /speakers/{speaker_id}.")
    start: float
    end: float
    text: str
    words: list[WordView]
    provisional: bool = Field(False, description="A live caption, without word timings: its text may still "
                              "change, and live transcription replaces it within seconds of the turn's end.")

    @classmethod
    def of(cls, line: Line, people: dict[int, str]) -> LineView:
        words = [WordView(word=w["word"], start=w["start"], end=w["end"], probability=w.get("probability"))
                 for w in line.words]
        return cls(speaker=line.speaker, speaker_id=people.get(line.participant_id), start=line.start, end=line.end,
                   text=line.text, words=words, provisional=line.provisional)


class RoomTranscriptView(BaseModel):
    room_id: int
    status: str
    complete: bool = Field(description="The room has ended and every speaker is transcribed to the end.")
    lines: list[LineView] = Field(description="Times on the room's clock, in seconds from its start.")


class EpisodeTranscript(BaseModel):
    episode_id: int
    language: str
    lines: list[LineView]


@router.get("/api/rooms/{room_id}/transcript", response_model=RoomTranscriptView, tags=["rooms"])
def live_transcript(
    room_id: RowId, session: SessionDep, since: float = Query(0.0, ge=0, description="Only lines ending after this."),
    token: str | None = Query(None, description="A join token for this room, or the show's creator token."),
) -> RoomTranscriptView:
    """What has been said so far, transcribed while the room runs (a few seconds behind the speakers).

    Open rooms of public shows: anyone. Others: a join token for the room or the creator's token.
    Once its episode is held for review, unpublished or failed: the creator's token only.
    """
    room = session.get(Room, room_id)
    if room is None:
        raise HTTPException(404, f"no room {room_id}")
    if room.episode is not None and room.episode.status in WITHHELD:
        if not token or not is_creator_of(room.show.slug, token):
            raise HTTPException(404, f"room {room_id} has no public transcript")
    elif room.show.private or room.access != RoomAccess.open:
        require_room_token(room, token)
    transcript = room_transcript(room, since)
    people = keys_of_participants(session, {line.participant_id for line in transcript.lines if line.participant_id})
    return RoomTranscriptView(room_id=room.id, status=room.status.value, complete=transcript.complete,
                              lines=[LineView.of(line, people) for line in transcript.lines])


@router.get("/api/episodes/{episode_id}/transcript", response_model=EpisodeTranscript, tags=["episodes"])
def get_transcript(
    episode_id: RowId, session: SessionDep, token: str | None = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> EpisodeTranscript:
    """Every line, speaker-attributed, with word timings on the published audio (as the VTT and JSON files)."""
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise HTTPException(404, f"no episode {episode_id}")
    token = credentials.credentials if credentials else token
    access = require_listener(session, episode.show, token)
    if not access.creator and episode.status != EpisodeStatus.published:  # the words are out when the audio is
        raise HTTPException(404, f"no episode {episode_id}")
    segments = sorted(episode.segments, key=lambda s: (s.start_s, s.end_s, s.speaker))
    people = keys_of_participants(session, {s.participant_id for s in segments if s.participant_id})
    lines = [LineView.of(Line(s.speaker, s.participant_id, s.start_s, s.end_s, s.text, s.words or []), people)
             for s in segments]
    return EpisodeTranscript(episode_id=episode_id, language=episode.language, lines=lines)
