"""ICE for the SFU: the configured STUN/TURN list (empty by default) and loopback hosts.

aiortc's default configuration points at a public STUN server, which a closed network cannot
reach and which costs a timeout on every connection; roomcast uses exactly what
``ROOMCAST_ICE_SERVERS`` lists. aioice never offers 127.0.0.1, so on a host whose only
interface is loopback (a CI sandbox, a container with ``--network none``) no candidate would
exist: there, or when ``ROOMCAST_ICE_LOOPBACK=true``, the loopback address is added.
"""

from __future__ import annotations

from functools import cache

from aiortc import RTCConfiguration, RTCIceServer

from live.aiortc_internals import add_host_addresses
from roomcast.settings import get_settings


def rtc_configuration() -> RTCConfiguration:
    install_loopback_candidates()
    servers = [
        RTCIceServer(urls=entry["urls"], username=entry.get("username"), credential=entry.get("credential"))
        for entry in get_settings().ice_servers
    ]
    return RTCConfiguration(iceServers=servers)


def browser_ice_servers() -> list[dict]:
    """The same list, in the shape ``new RTCPeerConnection({iceServers})`` takes."""
    return list(get_settings().ice_servers)


@cache
def install_loopback_candidates() -> None:
    def with_loopback(addresses: list[str], use_ipv4: bool) -> list[str]:
        wanted = get_settings().ice_loopback
        if use_ipv4 and (wanted or (wanted is None and not addresses)):
            addresses.append("127.0.0.1")
        return addresses

    add_host_addresses(with_loopback)
