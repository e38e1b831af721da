"""Live rooms and the SFU (issue 3): room state, WebSocket signaling, aiortc peers, the browser client."""
