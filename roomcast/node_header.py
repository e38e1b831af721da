"""``X-Roomcast-Node`` on every answer, WebSocket handshakes included: which node answered.

Behind a load balancer it tells an operator (and a client, or a proxy's log) where a request
went; a room page redirected to the node serving the room says that node here.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-roomcast-node"


class NodeHeader:
    def __init__(self, app: ASGIApp, node: str) -> None:
        self.app, self.value = app, node.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_with_node(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message = {**message, "headers": [*message.get("headers", []), (HEADER, self.value)]}
            await send(message)

        await self.app(scope, receive, send_with_node)
