"""Transcripts: Whisper per track and per turn, live captions, the crosstalk decision, the merged speaker-attributed transcript, its formats and endpoints."""
