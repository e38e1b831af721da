"""roomcast's kernel: settings, database, media storage, the Celery app, the web app and the CLI."""

__version__ = "0.1.0"
