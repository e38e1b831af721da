"""Shows and episodes as podcast RSS, media serving, and the episode and show pages."""
