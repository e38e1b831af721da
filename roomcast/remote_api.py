"""A server's API, as one creator: what ``--server URL --token TOKEN`` turns a command into.

A creator's laptop needs the server's URL and a creator token, not the servers' database, broker,
media or secret. Nothing is read or written locally but the files sent; answers are the server's,
errors its ``detail``, one line (``roomcast.commands.fail``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer

from roomcast.commands import fail

Server = Annotated[str | None, typer.Option(
    "--server", envvar="ROOMCAST_SERVER", help="Run this against a roomcast server (its public URL) with "
    "--token, instead of this machine's database and media.")]
Token = Annotated[str | None, typer.Option(
    "--token", envvar="ROOMCAST_CREATOR_TOKEN", help="The show's creator token, for --server.", show_default=False)]
UPLOAD_TIMEOUT = httpx.Timeout(30.0, read=600.0, write=600.0)


class Remote:
    """The API of one server, as one creator."""

    def __init__(self, server: str, token: str | None) -> None:
        if not token:
            fail("--server needs the show's creator token: --token or ROOMCAST_CREATOR_TOKEN")
        self.client = httpx.Client(base_url=server.rstrip("/"), headers={"Authorization": f"Bearer {token}"},
                                   timeout=UPLOAD_TIMEOUT)

    def call(self, method: str, path: str, **kwargs: Any) -> dict:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            fail(f"{self.client.base_url}: {error}", code=1)
        if response.status_code >= 400:
            fail(f"{self.client.base_url}{path}: {response.status_code} {_detail(response)}",
                 code=1 if response.status_code >= 500 else 2)
        return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text[:200]
    return detail if isinstance(detail, str) else json.dumps(detail)[:400]
