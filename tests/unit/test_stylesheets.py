"""The stylesheets stay in order: no selector is spread over several blocks, and /compare's
rules live in compare.css, which only /compare loads."""

import re
from collections import defaultdict
from pathlib import Path

from tests.conftest import ROOT

PUBLIC = ROOT / "public"
TEMPLATES = ROOT / "server" / "templates"
COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
CLASS = re.compile(r"\.([a-zA-Z][\w-]*)")
CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')
CLASS_NAME = re.compile(r"[a-zA-Z][\w-]*")  # not the template's own syntax inside an attribute
# Sibling controls share a base rule, then each has its own: the one place a selector list
# and a selector of its own may name the same element.
SHARED_BASES = {"select", "button", ".trades th", ".trades td"}


def blocks(css: str) -> list[tuple[str, str]]:
    """Every style rule as (its at-rule context, one selector of its list)."""
    css = COMMENT.sub("", css)
    found: list[tuple[str, str]] = []
    context: list[str] = []
    start = 0
    for index, char in enumerate(css):
        if char == "{":
            prelude = " ".join(css[start:index].split())
            in_keyframes = any(at.startswith("@keyframes") for at in context)
            if not prelude.startswith("@") and not in_keyframes:
                where = " | ".join(context)
                found += [(where, " ".join(part.split())) for part in prelude.split(",")]
            context.append(prelude)
            start = index + 1
        elif char == "}":
            context.pop()
            start = index + 1
        elif char == ";":
            start = index + 1
    return found


def spread_selectors(path: Path) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for block in blocks(path.read_text(encoding="utf-8")):
        counts[block] += 1
    return {
        block: count
        for block, count in counts.items()
        if count > 1 and block[1] not in SHARED_BASES
    }


def classes_in_css(path: Path) -> set[str]:
    return {name for _, selector in blocks(path.read_text()) for name in CLASS.findall(selector)}


def classes_in(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    names = {name for names in CLASS_ATTRIBUTE.findall(text) for name in names.split()}
    return {name for name in names if CLASS_NAME.fullmatch(name)}


def test_the_parser_sees_a_spread_selector() -> None:
    spread = blocks(".a { x: 1 }\n@media (w) { .a { y: 2 } }\n.a, .b { z: 3 }")
    assert spread == [("", ".a"), ("@media (w)", ".a"), ("", ".a"), ("", ".b")]


def test_no_selector_is_spread_over_several_blocks() -> None:
    for name in ("style.css", "compare.css"):
        assert spread_selectors(PUBLIC / name) == {}, name


def test_compare_rules_are_only_on_compare() -> None:
    compare_only = classes_in(TEMPLATES / "compare.html") - classes_in(TEMPLATES / "index.html")
    compare_only -= classes_in(TEMPLATES / "_brand.html")
    assert compare_only, "the parser finds /compare's own classes"
    assert not classes_in_css(PUBLIC / "style.css") & compare_only
    assert classes_in_css(PUBLIC / "compare.css") & compare_only
    index = (TEMPLATES / "index.html").read_text(encoding="utf-8")
    assert "compare.css" not in index
    assert "/public/compare.css" in (TEMPLATES / "compare.html").read_text(encoding="utf-8")
