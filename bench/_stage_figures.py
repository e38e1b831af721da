"""bench.sfu's crowded-room figures, from what the stage sent and what the probe listeners received.

An utterance is (bot, sentence, when its first packet went out, packets). A probe's arrivals
are (arrival time, payload) per slot. Sentences A and B share no payload, and the quiet
room's packets are in neither, so a payload and its time say whose utterance it belongs to.
"""

from __future__ import annotations

from live.voice_activity import AUDIBLE_LEVEL, ONSET_PACKETS, SPEAKING_LEVEL

Utterance = tuple[int, int, float, int]
Arrivals = dict[int, list[tuple[float, bytes]]]
TAIL_S = 1.0  # an utterance's packets arrive within this after its last was sent


def index_maps(sentences: list[tuple[tuple[bytes, int], ...]]) -> list[dict[bytes, int]]:
    """Each sentence's payloads with their first position in it."""
    maps = []
    for packets in sentences:
        positions: dict[bytes, int] = {}
        for index, (payload, _) in enumerate(packets):
            positions.setdefault(payload, index)
        maps.append(positions)
    return maps


def expected(packets: tuple[tuple[bytes, int], ...], length: int) -> set[int]:
    """The packets of an utterance the SFU must forward: audible ones, from the onset that claims a slot."""
    loud_run, claimed = 0, None
    for index, (_, level) in enumerate(packets[:length]):
        loud_run = loud_run + 1 if level < SPEAKING_LEVEL else 0
        if loud_run >= ONSET_PACKETS:
            claimed = index
            break
    if claimed is None:
        return set()
    return {index for index in range(claimed, length) if packets[index][1] < AUDIBLE_LEVEL}


def per_utterance(utterance: Utterance, arrivals: Arrivals, maps: list[dict[bytes, int]]) -> list[tuple[float, int]]:
    """(arrival time, position) of the utterance's packets at one probe."""
    _, sentence, started, length = utterance
    positions, until = maps[sentence], started + length * 0.02 + TAIL_S
    return sorted((at, positions[payload]) for slot in arrivals.values() for at, payload in slot
                  if started <= at < until and positions.get(payload, length) < length)


def switch_latencies_ms(utterances: list[Utterance], probes: list[Arrivals], maps: list[dict[bytes, int]]) -> list[float]:
    """From each utterance's first packet sent to its first packet at each probe."""
    latencies = []
    for utterance in utterances:
        for arrivals in probes:
            heard = per_utterance(utterance, arrivals, maps)
            latencies.append((heard[0][0] - utterance[2]) * 1000 if heard else float("inf"))
    return latencies


def delivery(utterances: list[Utterance], probes: list[Arrivals], sentences: list, maps: list) -> list[float]:  # noqa: ANN001
    """Per probe: the share of the packets it should have had (``expected``) that it received."""
    shares = []
    for arrivals in probes:
        wanted = got = 0
        for utterance in utterances:
            must = expected(sentences[utterance[1]], utterance[3])
            wanted += len(must)
            got += len(must & {position for _, position in per_utterance(utterance, arrivals, maps)})
        shares.append(got / wanted if wanted else 1.0)
    return shares


def gaps_ms(arrivals: Arrivals, start: float, end: float) -> list[float]:
    """The pauses between two packets at a probe in [start, end), longest first."""
    times = sorted(at for slot in arrivals.values() for at, _ in slot if start <= at < end)
    edges = [start, *times, end]
    return sorted(((b - a) * 1000 for a, b in zip(edges, edges[1:], strict=False)), reverse=True)


def longest_gap_ms(arrivals: Arrivals, start: float, end: float) -> float:
    """The longest pause between two packets at a probe in [start, end)."""
    return gaps_ms(arrivals, start, end)[0]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
