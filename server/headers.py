"""Headers every HTTP response carries.

Cross-origin isolation (COOP + COEP) gives the page a 5 µs performance.now() instead of 100 µs,
which the handler-time measurements depend on, and lets PyScript workers reach the DOM. The
Content-Security-Policy allows what the engines need and nothing from anywhere else: scripts
only from this server, WebAssembly compilation ('wasm-unsafe-eval', for Pyodide and
MicroPython), connections only back to this server, and framing only by this server's own
loopback origins (which /compare needs).
"""

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def content_security_policy(
    own_origins: Iterable[str], allow_eval: bool = False, worker: bool = False
) -> str:
    """The policy for this server's pages. `allow_eval` is for pages that run PyScript, whose
    core builds its hook functions with `Function(...)` (seen in 0.7.31's core-*.js); `worker`
    for a page whose PyScript worker fetches the blob: URL of its own bootstrap script. No
    other page gets either."""
    # CSP source expressions cannot name IPv6 literals; [::1] pages are framed by 'self' only.
    origins = " ".join(sorted(origin for origin in own_origins if "[" not in origin))
    scripts = "'self' 'wasm-unsafe-eval'" + (" 'unsafe-eval'" if allow_eval else "")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            # The server renders inline style attributes (depth bars); no inline script runs.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'" + (" blob:" if worker else ""),
            "worker-src 'self' blob:",
            f"frame-src 'self' {origins}",
            f"frame-ancestors 'self' {origins}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, own_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.headers = {
            **SECURITY_HEADERS,
            "Content-Security-Policy": content_security_policy(own_origins),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
