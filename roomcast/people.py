"""People: a speaker is whoever joined under an identity, not a display name.

Two guests both called "Carl" are two people; the show's host, who joins every room as
``host-{show}``, is one person across its episodes, and so is ``bob@example.org`` in every
show that invites him. Pages and search name a person by an opaque key, never by the identity,
which may be an e-mail address.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from roomcast.db import session_scope
from roomcast.models import Participant, Person


def person_keys(identities: set[str]) -> dict[str, str]:
    """Each identity's key, made for those that have none yet (in a session of its own, so two
    workers making one at once agree: the second finds the first's)."""
    with session_scope() as session:
        keys = _known(session, identities)
    for identity in sorted(identities - keys.keys()):
        try:
            with session_scope() as session:
                session.add(Person(identity=identity, key=secrets.token_hex(6)))
        except IntegrityError:
            pass  # made meanwhile by another worker
    with session_scope() as session:
        return _known(session, identities)


def identity_of(session: Session, key: str) -> str | None:
    return session.scalar(select(Person.identity).where(Person.key == key))


def _known(session: Session, identities: set[str]) -> dict[str, str]:
    if not identities:
        return {}
    return dict(session.execute(select(Person.identity, Person.key).where(Person.identity.in_(identities))).all())


_participant_keys: dict[tuple[str, int], str] = {}  # neither a participant's identity nor a person's key ever changes
CACHED_PARTICIPANTS = 100_000


def keys_of_participants(session: Session, participant_ids: set[int]) -> dict[int, str]:
    """The person key of each participant (made where missing). A live room's transcript asks
    this at every poll of everyone in it: known participants cost no query."""
    database = str(session.get_bind().url)
    missing = {p for p in participant_ids if (database, p) not in _participant_keys}
    if missing:
        identities = dict(session.execute(select(Participant.id, Participant.identity)
                                          .where(Participant.id.in_(missing))).all())
        keys = person_keys(set(identities.values()))
        if len(_participant_keys) > CACHED_PARTICIPANTS:
            _participant_keys.clear()
        _participant_keys.update({(database, p): keys[i] for p, i in identities.items() if i in keys})
    return {p: _participant_keys[(database, p)] for p in participant_ids if (database, p) in _participant_keys}
