"""The code panel in the page: the editor (CodeMirror, through public/editor.js), Run, the
worked examples, the share link, and what the user's indicator is doing (its state, its error
with line and traceback). The indicator itself is the portable client/user_code.py.

Where the code comes from decides whether it runs at once: the user's own code, kept in
localStorage when it last ran, runs again on a reload; code from a `#code=` link, an example
or an edit waits as "pending" until Run, since it runs with the page's rights.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime
from .chrome import bound
from .examples import BY_NAME
from .user_code import ERROR, NONE, PAUSED, PENDING, RUNNING, UserIndicator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .analytics import Analytics

DRAFT_KEY = "tickscope.code"  # the editor's text, kept as it is typed
RAN_KEY = "tickscope.code.ran"  # the text last run: a reload runs it again
SAVE_AFTER_MS = 500.0
STATE_TEXTS = {
    NONE: "No indicator of yours yet: write update(bar) or pick an example.",
    PENDING: "Not running: press Run to plot it (it runs with this page's rights).",
    RUNNING: "Running on every closed bar.",
    PAUSED: "Paused.",
    ERROR: "Stopped by an error.",
}


class CodePanel:
    def __init__(self, document: Any, user: UserIndicator, model: Callable[[], Analytics]) -> None:
        self.bridge = runtime.bridge()
        self.user = user
        self.model = model  # the chart's model now (a new one with each symbol or interval)
        panel = bound(document, "data-panel", "code")
        self.status = bound(panel, "data-field", "code-status")
        self.error = bound(panel, "data-field", "code-error")
        self.link = bound(panel, "data-field", "code-link")
        self.examples = bound(panel, "data-control", "example")
        self._timer: int | None = None
        # What show() last showed: a new state or a new error (each stop makes a new one).
        self._shown_state = ""
        self._shown_error: dict[str, Any] | None = None
        self._handles = {
            "run": runtime.proxy(self._on_run),
            "example": runtime.proxy(self._on_example),
            "share": runtime.proxy(self._on_share),
            "copied": runtime.proxy(self._on_copied),
            "changed": runtime.proxy(self._on_changed),
            "save": runtime.proxy(self._save),
        }
        bound(panel, "data-control", "run-code").addEventListener("click", self._handles["run"])
        bound(panel, "data-control", "share-code").addEventListener("click", self._handles["share"])
        self.examples.addEventListener("change", self._handles["example"])
        self.bridge.editorOpen(self._handles["changed"])
        shared = str(self.bridge.sharedCode())
        draft = str(self.bridge.stored(DRAFT_KEY))
        ran = str(self.bridge.stored(RAN_KEY))
        if shared:
            self._show_code(shared)
        elif draft:
            self._show_code(draft)
            if draft == ran:
                # Unmarked while it runs: code that hangs the page is not run by the next load.
                self.bridge.store(RAN_KEY, "")
                self.run()
        self.show()

    def run(self) -> None:
        """Run the editor's code over the chart's bars, then on each closed bar."""
        code = str(self.bridge.editorText())
        self.user.set_code(code)
        if self.user.state == NONE:
            self.model().stop_user()
        else:
            self.model().run_user()
        self.bridge.store(DRAFT_KEY, code)
        self.bridge.store(RAN_KEY, code if self.user.state == RUNNING else "")
        self.show()

    def show(self) -> None:
        """The indicator's state under the editor; its error with line and trace."""
        user = self.user
        if user.state == self._shown_state and user.error is self._shown_error:
            return  # runs every frame: compared, not formatted
        self._shown_state = user.state
        self._shown_error = user.error
        text = STATE_TEXTS.get(user.state, user.state)
        error = user.error
        if error is not None:
            where = " (line " + str(error["line"]) + ")" if error["line"] else ""
            text = text + " " + error["message"] + where
        self.status.textContent = text
        trace = "" if error is None else error["trace"]
        self.error.textContent = trace
        self.error.hidden = trace == ""
        self.bridge.editorMark(error["line"] or 0 if error is not None else 0)

    def _show_code(self, code: str) -> None:
        self.bridge.editorSet(code)
        self.user.set_code(code)

    def _on_run(self, _event: Any) -> None:
        self.run()

    def _on_example(self, _event: Any) -> None:
        code = BY_NAME.get(str(self.examples.value))
        if code is not None:
            self._show_code(code)
            self.model().stop_user()
            self.show()

    def _on_changed(self) -> None:
        if self.user.state == NONE:
            self.user.set_code(str(self.bridge.editorText()))
            self.show()
        if self._timer is None:
            self._timer = runtime.set_timeout(self._handles["save"], SAVE_AFTER_MS)

    def _save(self) -> None:
        self._timer = None
        self.bridge.store(DRAFT_KEY, str(self.bridge.editorText()))

    def _on_share(self, _event: Any) -> None:
        link = str(self.bridge.shareLink(str(self.bridge.editorText())))
        self.link.value = link
        self.link.hidden = False
        self.bridge.copyText(link, self._handles["copied"])

    def _on_copied(self, ok: Any) -> None:
        self.link.select()
        if not ok:
            self.status.textContent = "Copy the link below: this browser would not copy it."

    def dispose(self) -> None:
        for handle in self._handles.values():
            runtime.release(handle)
