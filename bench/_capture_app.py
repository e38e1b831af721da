"""`roomcast serve`'s app for bench.capture, with or without the archive as the SFU's sink.

    python -m bench._capture_app PORT [--receive-only]
"""

from __future__ import annotations

import sys

import uvicorn

from live.signaling import live_rooms
from roomcast.app import create_app
from roomcast.db import migrate
from roomcast.packets import NoCapture

if __name__ == "__main__":
    migrate()
    app = create_app()
    if "--receive-only" in sys.argv:
        live_rooms.sink = NoCapture()
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
