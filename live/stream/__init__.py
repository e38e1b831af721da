"""The live mix and its HTTP streams: every room playable by podcast apps and any audience.

The flow follows the packets: ``source`` (the SFU's forwarded packets, through the kernel's
``PacketSink``: muted and off-stage audio never arrives) → ``jitter`` (each speaker played
out a fixed delay after arrival, in RTP order) → ``mixer`` (decode, level, sum, limit) →
``encoders`` (MP3, AAC) → sinks: ``icecast`` (an endless MP3 over HTTP, from memory) and
``hls`` (AAC segments as files in media storage, which any CDN can serve).
"""
