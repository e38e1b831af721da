"""Search, one suite run against both backends: the embedded tantivy index (SQLite) and
PostgreSQL full text (scale-out, a fresh database on the local server).

Transcripts are written straight into the tables and indexed as the worker does (``search.tasks.sync``);
queries go through the HTTP API in-process.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Corpus:
    client: TestClient
    backend: str
    episodes: dict[str, int]
    creator_token: str


def _words(text: str, start: float) -> list[dict]:
    return [{"word": w, "start": round(start + 0.5 * n, 2), "end": round(start + 0.5 * n + 0.4, 2)}
            for n, w in enumerate(text.split())]


EPISODES = {
    # key: (show, title, published, language, [(speaker, start, text)])
    "nights": ("stargazers", "Long nights", datetime(2026, 1, 10, tzinfo=timezone.utc), "en", [
        ("Alice", 12.0, "We watched the telescopes on the mountain all night"),
        ("Bob", 20.0, "The night sky over Iceland was astonishing <b>really</b>"),
        ("Alice", 31.0, "Echo echo echo"),
    ]),
    "iceland": ("stargazers", "Running in Iceland", datetime(2026, 3, 1, tzinfo=timezone.utc), "en", [
        ("Alice", 5.0, "Running telescopes in Iceland is hard work"),
        ("Bob", 9.5, "Echo echo echo"),
    ]),
    "etoiles": ("les-etoiles", "Les chevaux", datetime(2026, 2, 1, tzinfo=timezone.utc), "fr", [
        ("Claire", 3.0, "Les chevaux mangeaient près de l'observatoire cet été"),
    ]),
    "privet": ("zvezdy", "Привет", datetime(2026, 2, 2, tzinfo=timezone.utc), "ru", [
        ("Dmitri", 1.0, "Привет звёздам и телескопам"),
    ]),
    "secret": ("inner-circle", "Secret plans", datetime(2026, 2, 3, tzinfo=timezone.utc), "en", [
        ("Eve", 2.0, "Our secret telescope plans"),
    ]),
    "draft": ("stargazers", "Draft", None, "en", [("Alice", 1.0, "A telescope draft nobody heard")]),
}


def _populate(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from roomcast.models import Episode, EpisodeStatus, Room, RoomStatus, Show, TranscriptSegment
    from search.tasks import sync

    shows: dict[str, Show] = {}
    for slug in ("stargazers", "les-etoiles", "zvezdy", "inner-circle"):
        shows[slug] = Show(slug=slug, title=slug.title(), author="Host", description="", feed_version=1,
                           private=slug == "inner-circle")
        session.add(shows[slug])
    ids = {}
    for key, (slug, title, published, language, lines) in EPISODES.items():
        room = Room(show=shows[slug], title=title, status=RoomStatus.ended)
        episode = Episode(show=shows[slug], room=room, title=title, language=language, published_at=published,
                          status=EpisodeStatus.published if published else EpisodeStatus.review)
        episode.segments = [TranscriptSegment(speaker=speaker, start_s=start, end_s=start + 5, text=text,
                                              language=language, words=_words(text, start))
                            for speaker, start, text in lines]
        session.add(episode)
        session.flush()
        ids[key] = episode.id
    for episode_id in ids.values():
        sync(session, episode_id)
    session.commit()
    return ids


@pytest.fixture(scope="module", params=["embedded", "scaleout"])
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    from roomcast.settings import get_settings

    data = tmp_path_factory.mktemp(f"search-{request.param}")
    patch = pytest.MonkeyPatch()
    patch.setenv("ROOMCAST_DATA_DIR", str(data))
    database = None
    if request.param == "scaleout":
        database = f"roomcast_search_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {database}")
        patch.setenv("ROOMCAST_DATABASE_URL", f"postgresql://postgres@127.0.0.1:5432/{database}")
    get_settings.cache_clear()
    from roomcast.app import create_app
    from roomcast.db import migrate, new_session
    from roomcast.tokens import mint_creator_token

    migrate()
    with new_session() as session:
        episodes = _populate(session)
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            yield Corpus(client, request.param, episodes, mint_creator_token("inner-circle", days=1))
    finally:
        patch.undo()
        get_settings.cache_clear()
        if database:
            from roomcast.db import engine_for

            engine_for.cache_clear()
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE {database} WITH (FORCE)")


def hits(corpus: Corpus, q: str, **params) -> list[dict]:  # type: ignore[no-untyped-def]
    response = corpus.client.get("/api/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def said(found: list[dict]) -> list[tuple[str, str]]:
    return [(hit["speaker"], hit["text"]) for hit in found]


def test_words_are_stemmed_by_their_language(corpus: Corpus) -> None:
    assert {h["episode_title"] for h in hits(corpus, "telescope")} == {"Long nights", "Running in Iceland"}
    assert said(hits(corpus, "run")) == [("Alice", "Running telescopes in Iceland is hard work")]
    assert said(hits(corpus, "cheval")) == [("Claire", EPISODES["etoiles"][4][0][2])]  # chevaux, French rules
    assert said(hits(corpus, "cheval", language="fr")) == [("Claire", EPISODES["etoiles"][4][0][2])]
    assert hits(corpus, "cheval", language="en") == []
    assert said(hits(corpus, "привет")) == [("Dmitri", "Привет звёздам и телескопам")]  # not Latin script


def test_all_words_must_match_phrases_are_exact_prefixes_complete(corpus: Corpus) -> None:
    assert said(hits(corpus, "telescopes iceland")) == [("Alice", "Running telescopes in Iceland is hard work")]
    assert said(hits(corpus, '"night sky"')) == [("Bob", EPISODES["nights"][4][1][2])]
    assert hits(corpus, '"sky night"') == []
    assert said(hits(corpus, "astoni*")) == [("Bob", EPISODES["nights"][4][1][2])]
    assert hits(corpus, "zzyzx*") == []


def test_every_hit_links_to_the_second_its_word_was_said(corpus: Corpus) -> None:
    [hit] = hits(corpus, "iceland", speaker="Bob")
    # "The night sky over Iceland": the fifth word, 2 s after the line starts at 20 s.
    assert hit["start"] == 22.0 and hit["segment_start"] == 20.0
    assert hit["url"] == f"/episodes/{corpus.episodes['nights']}#t=21"  # a second of run-up before the word
    [hit] = hits(corpus, "astoni*")
    assert hit["start"] == 23.0


def test_snippets_mark_the_words_and_escape_the_rest(corpus: Corpus) -> None:
    [hit] = hits(corpus, "astonishing")
    assert "<mark>astonishing</mark>" in hit["snippet"]
    # The text's own markup never comes through as markup (tantivy escapes it; ts_headline drops tags).
    assert "<b>" not in hit["snippet"] and "really" in hit["snippet"]


def test_filters_by_show_speaker_language_and_date(corpus: Corpus) -> None:
    assert {h["speaker"] for h in hits(corpus, "iceland")} == {"Alice", "Bob"}
    assert {h["speaker"] for h in hits(corpus, "iceland", speaker="bob")} == {"Bob"}
    assert hits(corpus, "iceland", show="les-etoiles") == []
    assert hits(corpus, "iceland", show="no-such-show") == []
    assert {h["episode_title"] for h in hits(corpus, "iceland", since="2026-02-01")} == {"Running in Iceland"}
    assert {h["episode_title"] for h in hits(corpus, "iceland", until="2026-01-10")} == {"Long nights"}
    assert said(hits(corpus, "chevaux", language="fr", since="2026-02-01", until="2026-02-01"))[0][0] == "Claire"


def test_ties_go_to_the_newer_episode_and_hits_group_by_episode(corpus: Corpus) -> None:
    response = corpus.client.get("/api/search", params={"q": "echo"}).json()
    # The same line in two episodes scores the same: the newer episode comes first.
    assert [h["episode_title"] for h in response["hits"]] == ["Running in Iceland", "Long nights"]
    groups = corpus.client.get("/api/search", params={"q": "telescopes"}).json()["episodes"]
    assert [g["title"] for g in groups][:2] and len(groups) == len({g["episode_id"] for g in groups})
    for group in groups:
        assert group["url"] == f"/episodes/{group['episode_id']}"
        assert 1 <= len(group["moments"]) <= 3
        assert all(m["episode_id"] == group["episode_id"] for m in group["moments"])


def test_private_shows_need_their_token_and_drafts_are_never_found(corpus: Corpus) -> None:
    assert hits(corpus, "secret") == []
    assert hits(corpus, "secret", show="inner-circle") == []
    found = hits(corpus, "secret", show="inner-circle", token=corpus.creator_token)
    assert said(found) == [("Eve", "Our secret telescope plans")]
    bad = corpus.client.get("/api/search", params={"q": "secret", "show": "inner-circle", "token": "made-up"})
    assert bad.status_code == 403
    assert corpus.client.get("/api/search", params={"q": "secret", "token": corpus.creator_token}).status_code == 400
    assert hits(corpus, "draft") == []


def test_unpublishing_hides_at_once_and_publishing_again_finds_it(corpus: Corpus) -> None:
    from roomcast.db import new_session
    from roomcast.models import Episode, EpisodeStatus
    from search.tasks import sync

    episode_id = corpus.episodes["etoiles"]
    with new_session() as session:
        session.get(Episode, episode_id).status = EpisodeStatus.unpublished
        session.commit()
        assert hits(corpus, "chevaux") == []  # the database says so before the index knows
        sync(session, episode_id)
        session.commit()
        assert hits(corpus, "chevaux") == []
        session.get(Episode, episode_id).status = EpisodeStatus.published
        session.commit()
        sync(session, episode_id)
        session.commit()
    assert said(hits(corpus, "chevaux"))[0][0] == "Claire"


def test_reindex_rebuilds_the_same_answers(corpus: Corpus) -> None:
    from roomcast.db import new_session
    from search.backends import backend_for

    def answers() -> list[tuple]:
        # Scores may move a little: statistics still count deleted documents until a merge.
        return [(h["url"], h["speaker"], h["snippet"]) for h in hits(corpus, "telescopes")]

    before = answers()
    with new_session() as session:
        backend_for(session).reindex(session)
        session.commit()
    assert answers() == before


@pytest.mark.parametrize("q", ['"unbalanced', "NEAR(a, b)", "a OR b AND NOT c", "x:y^2", "日本語", "-minus", "a & b | !c",
                               "telescope:*", "it's", "snake_case", "ΑΒΓ*", '"a" "b"'])
def test_full_text_syntax_is_only_text(corpus: Corpus, q: str) -> None:
    response = corpus.client.get("/api/search", params={"q": q})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("params", "status"), [
    ({"q": ""}, 400), ({"q": "   "}, 400), ({"q": "!!!"}, 400), ({"q": "'"}, 400), ({"q": "<->"}, 400),
    ({"q": "\\"}, 400), ({"q": "%_"}, 400), ({"q": '""'}, 400), ({"q": "x" * 600}, 422),
    ({"q": " ".join(["word"] * 40)}, 400), ({"q": "a", "since": "yesterday"}, 422),
    ({"q": "a", "since": "2026-02-01", "until": "2026-01-01"}, 400), ({"q": "a", "language": "en; DROP"}, 422),
])
def test_bad_queries_get_a_clear_4xx(corpus: Corpus, params: dict, status: int) -> None:
    response = corpus.client.get("/api/search", params=params)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_a_speaker_page_lists_everything_they_said_newest_first(corpus: Corpus) -> None:
    response = corpus.client.get("/api/speakers/alice").json()
    assert [e["title"] for e in response["episodes"]] == ["Running in Iceland", "Long nights"]
    lines = response["episodes"][1]["lines"]
    assert [line["text"] for line in lines] == [EPISODES["nights"][4][0][2], "Echo echo echo"]
    assert lines[0]["url"] == f"/episodes/{corpus.episodes['nights']}#t=12"
    assert corpus.client.get("/api/speakers/Eve").status_code == 404  # a private show only
    assert corpus.client.get("/api/speakers/Nobody").status_code == 404
    page = corpus.client.get("/speakers/Alice")
    assert page.status_code == 200 and "Running telescopes in Iceland" in page.text


def test_the_search_page_groups_results_and_keeps_filters(corpus: Corpus) -> None:
    page = corpus.client.get("/search", params={"q": "iceland", "speaker": "Bob"})
    assert page.status_code == 200
    assert "Long nights" in page.text and "Running in Iceland" not in page.text
    assert f'href="/episodes/{corpus.episodes["nights"]}#t=21"' in page.text
    assert 'name="speaker" value="Bob"' in page.text
    assert "dates are written YYYY-MM-DD" in corpus.client.get("/search", params={"q": "x", "since": "bad"}).text


def test_embedded_index_folds_accents(corpus: Corpus) -> None:
    if corpus.backend != "embedded":
        pytest.skip("PostgreSQL's configurations keep accents (no unaccent extension is assumed)")
    assert said(hits(corpus, "ete"))[0][0] == "Claire"
    assert said(hits(corpus, "pres", language="fr"))[0][0] == "Claire"


def test_a_lost_embedded_index_is_rebuilt_by_catch_up(corpus: Corpus, tmp_path: Path) -> None:
    if corpus.backend != "embedded":
        pytest.skip("the scale-out index is the database itself")
    from search.backends.tantivy_index import TantivyBackend
    from search.tasks import catch_up

    backend = TantivyBackend.default()
    backend.index.write([], [], remove_all=True)  # as if the directory had been lost
    assert hits(corpus, "telescopes") == []
    assert catch_up() > 0
    assert {h["episode_title"] for h in hits(corpus, "telescopes")} == {"Long nights", "Running in Iceland"}


def test_the_cli_rebuilds_the_index(corpus: Corpus) -> None:
    import os
    import subprocess
    import sys

    before = [h["url"] for h in hits(corpus, "iceland")]
    env = {k: v for k, v in os.environ.items() if k.startswith("ROOMCAST_") or k in ("PATH", "HOME")}
    done = subprocess.run([str(Path(sys.executable).parent / "roomcast"), "search", "reindex"], env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "indexed 8 segments" in done.stdout  # every published segment, private shows too; not the draft
    assert [h["url"] for h in hits(corpus, "iceland")] == before
