"""live.aiortc_internals: the start-up check passes on the pinned aiortc and names what a release moved."""

from __future__ import annotations

import pytest
from aiortc import RTCRtpTransceiver

from live import aiortc_internals


def test_the_pinned_aiortc_has_everything_the_sfu_reaches_into() -> None:
    aiortc_internals.check()


def test_a_release_that_moved_an_attribute_fails_at_start_up_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    original = RTCRtpTransceiver.__init__

    def without_offer_direction(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        del self._offerDirection

    monkeypatch.setattr(RTCRtpTransceiver, "__init__", without_offer_direction)
    with pytest.raises(RuntimeError) as failure:
        aiortc_internals.check()
    assert "RTCRtpTransceiver._offerDirection" in str(failure.value)
    assert "aiortc 1.16" in str(failure.value)
