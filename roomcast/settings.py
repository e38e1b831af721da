"""Settings, read from ``ROOMCAST_*`` environment variables.

The defaults describe the embedded mode: everything lives under one data directory
(SQLite database, media, the broker's queue), so one command starts a working server.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROOMCAST_", extra="ignore")

    data_dir: Path = Field(default=Path("./data"), description="Database, media and queue of the embedded mode.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite under data_dir when unset.")
    broker_url: str | None = Field(default=None, description="Celery broker; an SQLite queue under data_dir when unset.")
    result_backend: str | None = Field(default=None, description="Celery result backend; none when unset: the "
                                  "database records every run, and nothing waits on a task's result.")
    base_url: str | None = Field(default=None, description="Public URL that feeds and links point at; unset: "
                                 "the address each request came to (http://127.0.0.1:8000 outside a request).")
    media_dir: Path | None = Field(default=None, description="Media storage; data_dir/media when unset.")

    secret_key: str | None = Field(default=None, description="Signs tokens; generated into data_dir when unset.")
    creator_token_days: int = 30

    whisper_model: str = Field(default="tiny.en", description="English: 'tiny.en' (bundled) or a CTranslate2 model path.")
    whisper_multilingual_model: str = Field(default="base", description="Other languages: 'base' (bundled) or a path.")
    whisper_compute_type: str = "int8"
    whisper_cpu_threads: int = Field(default=1, ge=0, description="Threads per transcription (0: CTranslate2's "
                                     "default). One costs a quarter less CPU; tasks run side by side instead.")
    whisper_beam_size: int = Field(default=5, ge=1, le=10)
    live_transcription: bool = Field(default=True, description="Transcribe speakers while the room runs, so the "
                                     "transcript is ready seconds after it ends.")
    live_transcription_every_s: float = Field(default=5.0, gt=0, description="How often a live room's new audio is read.")
    live_captions: bool = Field(default=True, description="Caption what is being said within seconds, provisionally, "
                                "until live transcription writes the turn (needs live_transcription).")
    live_captions_every_s: float = Field(default=1.0, gt=0, description="How often a live room's captions are read again.")

    loudness_target_lufs: float = -16.0
    true_peak_ceiling_dbtp: float = -1.0
    mp3_bitrate: int = 96_000
    episode_formats: str = Field(default="mp3", pattern=r"^(mp3|m4a)(,(mp3|m4a))*$", description="Comma-separated: mp3, m4a.")
    max_silence_s: float | None = Field(default=3.0, description="Longer silences are shortened to this; unset keeps them.")

    ice_servers: list[dict] = Field(
        default_factory=list,
        description='STUN/TURN for the SFU and the browser, JSON: [{"urls": "turn:…", "username": …, "credential": …}].',
    )
    ice_loopback: bool | None = Field(default=None, description="Offer 127.0.0.1 as an ICE candidate; by default only on a loopback-only host.")
    join_token_hours: int = 24
    max_stage: int = Field(default=12, ge=1, le=64, description="Most people on a room's stage at once, unless "
                           "the room asks for more (up to max_stage_limit).")
    max_stage_limit: int = Field(default=50, ge=1, le=64, description="The largest stage a room may ask for.")
    forward_loudest: int = Field(default=3, ge=1, le=16, description="Stage members each WebRTC listener "
                                 "receives at once: the loudest, by the RTP audio level their packets carry. "
                                 "The archive and the live stream always hear the whole stage.")
    room_grace_s: float = Field(default=60.0, description="A live room with nobody left in it ends after this.")
    room_unjoined_s: float = Field(default=1800.0, gt=0, description="A room opened but never joined ends after "
                                   "this (it would stay live, and in its feed, for ever).")
    max_webrtc_listeners: int = Field(default=200, ge=0, description="Listeners per room served over WebRTC; "
                                      "those who join beyond it hear the room's HTTP stream (a few seconds behind) "
                                      "and keep their socket: hands, clips, captions, the stage.")
    max_streams_per_address: int = Field(default=100, ge=1, description="MP3 listeners of one room from one "
                                         "address; beyond, 429 (a venue behind one NAT stays well under it).")
    stream_recheck_s: float = Field(default=15.0, gt=0, description="How often a private room's HTTP stream "
                                    "checks its listener's token again: a revoked link stops within this.")
    feed_trust_s: float = Field(default=1.0, ge=0, description="A rendered feed is served this long without "
                                "asking the database whether it changed (a crowd of podcast apps then costs what a "
                                "static file costs); 0 asks every time.")
    node: str = Field(
        default="local", min_length=1, max_length=64,
        description="This server's name among several sharing a database: a live room is served, and after a "
                    "crash recovered, only by the node its first participant reached. Give each node its own.",
    )
    node_url: str | None = Field(default=None, pattern=r"^https?://[^/?#]+/?$", description="This node's own public "
                                 "origin (e.g. https://api-1.podcasts.example.org): a room page or live stream asked "
                                 "of another node is redirected here while this node serves the room, and a join "
                                 "refused elsewhere names it. Unset: only the node's name is given.")
    node_heartbeat_s: float = Field(default=5.0, gt=0, description="How often a node renews its lease (nodes table).")
    node_lease_s: float = Field(default=30.0, gt=0, description="A node silent this long is dead: another node "
                                "takes over its live rooms (ends them as interrupted and produces them), and its "
                                "name may be used again.")

    http_threads: int = Field(default=16, ge=1, le=1000, description="Threads that run the API's and pages' "
                              "blocking work, and request sessions open at once. More threads than this only "
                              "fight over the GIL: queued requests wait without one.")
    db_pool_size: int | None = Field(default=None, ge=1, description="Connections kept per process; "
                                     "http_threads + 10 when unset (with PostgreSQL, mind max_connections).")
    db_pool_timeout_s: float = Field(default=2.0, gt=0, description="Longest wait for a connection; "
                                     "then the request is answered 503 with Retry-After.")
    max_pending_requests: int = Field(default=128, ge=1, description="Requests waiting for their answer "
                                      "at once; beyond, a fast 503 with Retry-After.")

    worker_concurrency: int = 2
    queue_prefix: str = Field(default="roomcast", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Names this "
                              "deployment's queues and control exchange: deployments sharing a broker (a Redis "
                              "database, a vhost) need different prefixes, or they take each other's tasks.")
    broker_visibility_timeout_s: float = Field(default=1800.0, gt=0, description="Redis: an unacknowledged task "
                                               "goes back to the queue after this. Recovery does not wait for it "
                                               "(the sweep does), and a redelivered running step is a no-op.")
    step_heartbeat_s: float = Field(default=5.0, gt=0, description="How often a running pipeline step says it lives.")
    step_lease_s: float = Field(default=30.0, gt=0, description="A step silent this long lost its worker and is "
                                "sent again; a step queued this long (doubling per resend) is sent again.")
    sweep_every_s: float = Field(default=10.0, gt=0, description="How often each worker looks for stalled runs and "
                                 "for tasks deferred while the broker was down.")
    search_index_dir: Path | None = Field(default=None, description="The embedded search index (tantivy); "
                                          "data_dir/search-index when unset. With PostgreSQL the database is the index.")
    embedded_worker: bool = Field(default=True, description="`roomcast serve` starts a worker when the broker is embedded.")

    # --- derived values -------------------------------------------------------------
    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolved_data_dir / 'roomcast.sqlite3'}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{self.resolved_data_dir / 'queue.sqlite3'}"

    @property
    def resolved_media_dir(self) -> Path:
        return (self.media_dir or self.resolved_data_dir / "media").expanduser().resolve()

    @property
    def resolved_search_index_dir(self) -> Path:
        return (self.search_index_dir or self.resolved_data_dir / "search-index").expanduser().resolve()

    @property
    def broker_is_embedded(self) -> bool:
        return self.resolved_broker_url.startswith("sqla+sqlite")

    @property
    def public_base_url(self) -> str:
        from roomcast.base_url import current

        return current(self.base_url)


@lru_cache
def get_settings() -> Settings:
    return Settings()
