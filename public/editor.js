// The code panel's editor: CodeMirror 5 (pinned in package.json, served by this server) over
// the panel's textarea, which stays the source of truth until it loads and works without it.
// Python reads and writes the code through bridge.js as text.
//
// Tab moves focus, as everywhere else on the page (a Tab that indents traps keyboard users in
// the editor): Enter keeps the indentation and indents after a colon, and Ctrl-] / Ctrl-[
// indent and dedent, as the panel's hint says.

const LINE_CLASS = "editor-error-line";
let editor = null;
let marked = null;
let textarea = null;
let onChange = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/**
 * Put the editor over the code panel's textarea; `changed()` is called after each edit
 * (debounced by the caller). Without CodeMirror the plain textarea serves.
 */
export function editorOpen(changed) {
  const panel = document.querySelector('[data-panel="code"]');
  textarea = panel.querySelector("textarea");
  onChange = changed;
  textarea.addEventListener("input", () => onChange?.());
  const { editorScript, editorMode, editorStyle } = panel.dataset;
  if (!editorScript) return;
  const style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = editorStyle;
  document.head.append(style);
  loadScript(editorScript)
    .then(() => loadScript(editorMode))
    .then(() => {
      editor = globalThis.CodeMirror.fromTextArea(textarea, {
        mode: "python",
        lineNumbers: true,
        indentUnit: 4,
        viewportMargin: Number.POSITIVE_INFINITY,
        screenReaderLabel: textarea.getAttribute("aria-label") ?? "Python code",
        extraKeys: { Tab: false, "Shift-Tab": false },
      });
      editor.on("change", () => onChange?.());
      panel.dataset.editor = "ready";
    })
    .catch(() => {
      panel.dataset.editor = "plain";
    });
}

export function editorText() {
  return editor === null ? textarea.value : editor.getValue();
}

export function editorSet(text) {
  if (editor === null) textarea.value = text;
  else editor.setValue(text);
  editorMark(0);
}

/** Mark line `line` (1-based) as the error's, or clear the mark with 0. */
export function editorMark(line) {
  if (editor === null) return;
  if (marked !== null) editor.removeLineClass(marked, "background", LINE_CLASS);
  marked = null;
  if (line > 0 && line <= editor.lineCount()) {
    marked = editor.addLineClass(line - 1, "background", LINE_CLASS);
  }
}

// -- Code in a link ----------------------------------------------------------------------------

const CODE_HASH = "#code=";

/** The code a shared link carries (`#code=` + base64url of its UTF-8), or "" (none, or not
 * valid base64url or UTF-8). */
export function sharedCode() {
  if (!location.hash.startsWith(CODE_HASH)) return "";
  try {
    const base64 = location.hash.slice(CODE_HASH.length).replaceAll("-", "+").replaceAll("_", "/");
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "";
  }
}

/** The page's link carrying `text` as its code. */
export function shareLink(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const code = btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const url = new URL(location.href);
  url.hash = `${CODE_HASH.slice(1)}${code}`;
  return url.href;
}

/** Copy `text` to the clipboard; `callback(ok)` says whether it worked. */
export function copyText(text, callback) {
  navigator.clipboard.writeText(text).then(
    () => callback(true),
    () => callback(false),
  );
}
