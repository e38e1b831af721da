"""Post-production: mix and master the tracks, transcribe each speaker, write the transcript files."""
