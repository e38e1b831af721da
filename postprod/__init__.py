"""Post-production: the room's tracks mixed, mastered and encoded, its chapters, tags and waveform."""
