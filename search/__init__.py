"""The transcript index: indexing published episodes, the query API and the search page."""
