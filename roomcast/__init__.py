"""roomcast's kernel: settings, database, media storage, the Celery app, the web app and the CLI."""

from roomcast.private import keep_files_private

__version__ = "0.1.0"

keep_files_private()  # before anything is written: the data directory is the server's alone
