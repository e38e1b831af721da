"""live.aiortc_internals: the start-up check passes on the pinned aiortc and names what a release moved."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCRtpTransceiver

from live import aiortc_internals


def check_at_start_up() -> None:
    """The check as the app's lifespan runs it, in a running event loop: aiortc's objects ask for the
    current loop, and a process whose earlier test ended one with asyncio.run has none to give
    ("There is no current event loop in thread 'MainThread'", under pytest-xdist)."""
    async def starting() -> None:
        aiortc_internals.check()

    asyncio.run(starting())


def test_the_pinned_aiortc_has_everything_the_sfu_reaches_into() -> None:
    check_at_start_up()


def test_a_release_that_moved_an_attribute_fails_at_start_up_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    original = RTCRtpTransceiver.__init__

    def without_offer_direction(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        del self._offerDirection

    monkeypatch.setattr(RTCRtpTransceiver, "__init__", without_offer_direction)
    with pytest.raises(RuntimeError) as failure:
        check_at_start_up()
    assert "RTCRtpTransceiver._offerDirection" in str(failure.value)
    assert "aiortc 1.16" in str(failure.value)
