"""The archive: every speaker's track kept as it arrives, the room's timeline, hand-off to the pipeline."""
