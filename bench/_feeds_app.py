"""The roomcast app as `roomcast serve` runs it, plus a static directory: the benchmark's anchor."""

from __future__ import annotations

import os
import sys

import uvicorn
from fastapi.staticfiles import StaticFiles

from roomcast.app import create_app


def main() -> None:
    app = create_app()
    app.mount("/bench-static", StaticFiles(directory=os.environ["BENCH_STATIC_DIR"]), name="bench-static")
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
