"""What everyone in a live room is told of its changes, and in which form.

After ``welcome`` (the whole room), only changes: a person's card (``participant``,
``participant_gone``) and the room's own fields (``state``), each keyed by what it describes so
that a socket that has not read the last one gets only the newest (``live.outbox``). Moderators
get the hand queue; the others get e-mail identities as aliases (``live.aliases``).

The audience's cards are lazy: a listener's arrival, hand or departure waits up to a second
to travel with whatever else is going, in one ``batch`` frame. In a join storm (500 people in
a minute) every socket got one frame per arrival, each through the ASGI stack and the
WebSocket framing; now it gets about one a second.
"""

from __future__ import annotations

from collections.abc import Callable

from live import protocol as p
from live.aliases import Aliases
from live.connection import Connection
from live.stage import Stage


def _in_the_audience(view: dict | None) -> bool:
    """A card nobody needs at once: a listener's, not a moderator's or someone's on the stage."""
    return view is None or (not view["on_stage"] and view["role"] in ("listener", "speaker"))


class RoomNews:
    def __init__(self, stage: Stage, connections: dict[str, Connection], recording: Callable[[], bool]) -> None:
        self.stage, self.connections, self.recording = stage, connections, recording
        self.aliases = Aliases()  # e-mail identities, as the others see them
        self.views: dict[str, dict] = {}  # each person's card as everyone was last told it
        self.told_fields: tuple[str, str] | None = None  # the last state, for everyone and for moderators

    def publish(self, touched: set[str]) -> None:
        """Tell everyone what changed: the cards of the people the events concern, the room's fields.

        Each message is keyed by what it describes, so a socket that has not sent the last one
        yet gets only the newest (``live.outbox``).
        """
        for identity in touched:
            member = self.stage.members.get(identity)
            before = self.views.get(identity)
            if member is None:
                if self.views.pop(identity, None) is not None:
                    self.tell(p.server_message("participant_gone", identity=identity), key=f"p:{identity}",
                              public=p.server_message("participant_gone", identity=self.aliases.of(identity)),
                              lazy=_in_the_audience(before))
                continue
            view = member.view().model_dump(mode="json")
            if view != before:
                self.views[identity] = view
                self.tell(p.server_message("participant", participant=view), key=f"p:{identity}",
                          public=p.server_message("participant", participant=self.aliases.view(view)), about=identity,
                          lazy=_in_the_audience(before) and _in_the_audience(view))
        told = self.told_fields
        self.told_fields = (p.server_message("state", room=self.fields(False)),
                            p.server_message("state", room=self.fields(True)))
        for connection in self.connections.values():
            member = self.stage.members.get(connection.identity)
            if member is None:
                continue
            variant = int(member.moderates)  # the hand queue is for moderators only
            if told is None or told[variant] != self.told_fields[variant] or connection.identity in touched:
                connection.send(self.told_fields[variant], key="state")

    def welcome_room(self, identity: str) -> dict:
        """The whole room for someone arriving: later messages are changes to it."""
        member = self.stage.members.get(identity)
        moderates = member is not None and member.moderates
        fields = self.fields(hands=moderates).model_dump(mode="json")
        people = [view if moderates or view["identity"] == identity else self.aliases.view(view)
                  for view in self.views.values()]
        return {**fields, "participants": sorted(people, key=self.stage.order)}

    def fields(self, hands: bool) -> p.RoomFields:
        return self.stage.fields("ended" if self.stage.ended else "live", self.recording(), hands)

    def tell(self, text: str, key: str, public: str, about: str | None = None, lazy: bool = False) -> None:
        """``text`` to moderators (and to the person it is ``about``), ``public`` to the others.

        ``lazy``: news of the audience, which may wait a second for company (``live.outbox``);
        never for the person it is about.
        """
        for connection in list(self.connections.values()):
            if public == text:
                sees_all = True
            else:
                member = self.stage.members.get(connection.identity)
                sees_all = connection.identity == about or (member is not None and member.moderates)
            connection.send(text if sees_all else public, key, lazy and connection.identity != about)

    def broadcast(self, text: str, key: str | None = None) -> None:
        for connection in list(self.connections.values()):
            connection.send(text, key)

    def speaking(self, speaking: frozenset[str]) -> None:
        text = p.server_message("speaking", identities=sorted(speaking))
        public = p.server_message("speaking", identities=sorted(map(self.aliases.of, speaking)))
        self.tell(text, key="speaking", public=public)
        for identity in speaking:  # an aliased speaker sees their own ring under their own name
            if self.aliases.of(identity) != identity and identity in self.connections:
                self.connections[identity].send(text, key="speaking")
