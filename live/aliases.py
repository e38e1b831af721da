"""What other participants see of someone's identity.

A join token's identity is whatever its creator chose, often an e-mail address. Everyone in
the room needs a handle for each person (cards, the hand queue, who is speaking), but only the
moderators, who invited them, and the person themselves need the identity itself. An identity
that looks like an address (it has an ``@``) is shown to the others as an alias, stable for the
room's life and not reversible; actions may name people by either. Other identities (guests'
``guest-…``, handles such as ``ann``) are shown as they are.
"""

from __future__ import annotations

import hashlib
import secrets


class Aliases:
    def __init__(self) -> None:
        self._salt = secrets.token_bytes(16)  # per live room: an alias tells nothing outside it
        self._identities: dict[str, str] = {}

    def of(self, identity: str) -> str:
        if "@" not in identity:
            return identity
        alias = "p-" + hashlib.sha256(self._salt + identity.encode()).hexdigest()[:12]
        self._identities[alias] = identity
        return alias

    def resolve(self, name: str | None) -> str | None:
        """The identity an action names, given an alias or the identity itself."""
        return self._identities.get(name, name) if name is not None else None

    def view(self, view: dict) -> dict:
        """A participant's card as the others see it."""
        alias = self.of(view["identity"])
        return view if alias == view["identity"] else {**view, "identity": alias}
