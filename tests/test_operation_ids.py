"""Every API operation has an OpenAPI operation id of its own (schemathesis and client generators
key on them), and the routes that answer GET and HEAD keep the name links are made by."""

from __future__ import annotations

import warnings
from collections import Counter

from roomcast.app import create_app


def test_operation_ids_are_unique_and_named_routes_still_resolve() -> None:
    app = create_app()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns of a duplicate operation id
        document = app.openapi()
    ids = Counter(op["operationId"] for path in document["paths"].values() for op in path.values())
    assert [name for name, count in ids.items() if count > 1] == []
    for path in ("/rooms/{room_id}/listen", "/rooms/{room_id}/live.m3u8", "/readyz"):
        assert set(document["paths"][path]) == {"get", "head"}
    assert app.url_path_for("live_mp3", room_id=3) == "/rooms/3/listen"
    assert app.url_path_for("live_playlist", room_id=3) == "/rooms/3/live.m3u8"
