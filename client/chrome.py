"""The page's chrome around the panels: the connection badge and loading text, and the toasts
that tell of a server's errors. State changes are rare and must show even while rendering is
paused, so these write to the page at once, not in a frame.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime
from .signals import Effect, untracked
from .writes import marked

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .store import Store

TOAST_MS = 6000.0
STATE_LABELS = {
    "ssr": "Server snapshot",
    "loading": "Connecting…",
    "live": "Live",
    "reconnecting": "Reconnecting…",
    "offline": "Offline",
    "stale": "Stale",
}
LOADING_TEXTS = {
    "loading": "Python is running; connecting to the market…",
    "reconnecting": "Connection lost; reconnecting…",
    "offline": "The server cannot be reached; still retrying.",
    "stale": "Connected, but the server has sent nothing for a few seconds.",
}


def bound(root: Any, attribute: str, name: str) -> Any:
    """The server-rendered node marked `attribute="name"`; hydration cannot go on without it."""
    selector = marked(attribute, name)
    element = root.querySelector(selector)
    if element is None:
        raise LookupError("the page has no " + selector + " node to hydrate")
    return element


def query_param(window: Any, name: str) -> str | None:
    """The page URL's `?name=` value, or None."""
    value = window.URLSearchParams.new(window.location.search).get(name)
    return None if value is None else str(value)


def field(root: Any, name: str) -> Any:
    return bound(root, "data-field", name)


def bind_status(store: Store, document: Any, engine_label: str) -> Effect:
    """The badge, the loading text and <html data-state>."""
    root = document.documentElement
    label = field(document, "state-label")
    loading = field(document, "loading-text")
    field(document, "engine-label").textContent = engine_label

    def render() -> None:
        state = store.state.get()
        root.dataset.state = state
        label.textContent = STATE_LABELS.get(state, state)
        loading.textContent = LOADING_TEXTS.get(state, "")

    return Effect(render)


class Toasts:
    """Server errors as readable toasts that leave by themselves."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.container = document.querySelector('[data-list="toasts"]')
        self.shown: list[tuple[float, Any]] = []

    def show(self, title: str, text: str, now_ms: float, kind: str = "warn") -> None:
        """A toast; `kind` is its look: "warn" (errors), "alert" (a price alert), "info"."""
        toast = self.document.createElement("div")
        toast.className = "toast toast-" + kind
        toast.setAttribute("role", "alert")
        heading = self.document.createElement("strong")
        heading.textContent = title
        body = self.document.createElement("span")
        body.textContent = text
        toast.appendChild(heading)
        toast.appendChild(body)
        self.container.appendChild(toast)
        self.shown.append((now_ms + TOAST_MS, toast))

    def expire(self, now_ms: float) -> None:
        while self.shown and self.shown[0][0] <= now_ms:
            self.shown.pop(0)[1].remove()


def bind_errors(store: Store, toasts: Toasts) -> Effect:
    def render() -> None:
        error = store.last_error.get()
        if error is not None:
            untracked(
                lambda: toasts.show("Server: " + error["code"], error["message"], runtime.now_ms())
            )

    return Effect(render)
