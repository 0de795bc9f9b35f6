"""Every relative link in README.md and docs/ leads somewhere: a file that exists and, when the
link names a heading (`file.md#heading`), a heading of that file, slugged as GitHub does."""

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
EXTERNAL = ("http://", "https://", "mailto:")
# GitHub's anchors: lower case, punctuation other than - and _ removed, spaces to hyphens.
NOT_IN_SLUG = re.compile(r"[^\w\- ]")


def slug(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    return NOT_IN_SLUG.sub("", text.replace("`", "").strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(markdown: str) -> list[str]:
    prose = CODE_SPAN.sub("", FENCE.sub("", markdown))
    return [target for target in LINK.findall(prose) if not target.startswith(EXTERNAL)]


def has_heading(document: Path, anchor: str) -> bool:
    """Whether `document` has a heading with this anchor; only markdown files are read."""
    return document.suffix != ".md" or anchor in anchors(document.read_text(encoding="utf-8"))


def broken_links(document: Path) -> list[str]:
    """The relative links of `document` that lead nowhere, each with the reason."""
    broken = []
    for target in relative_links(document.read_text(encoding="utf-8")):
        path_part, _, anchor = target.partition("#")
        linked = (document.parent / path_part).resolve() if path_part else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and not has_heading(linked, anchor):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_or_heading(document: Path) -> None:
    assert broken_links(document) == []


def test_the_docs_have_links_to_check() -> None:
    assert len(DOCUMENTS) > 1
    assert relative_links((ROOT / "README.md").read_text(encoding="utf-8"))


def test_a_missing_file_or_heading_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## The `/compare` page (two panes)\n")
    document = tmp_path / "doc.md"
    document.write_text(
        "# Doc\n\n[ok](other.md#the-compare-page-two-panes) [self](#doc) ![pic](missing.png)\n"
        "[gone](other.md#nowhere) `[code](skipped.md)` [web](https://example.com/x)\n"
        "```\n[fenced](skipped.md)\n```\n"
    )
    assert broken_links(document) == [
        "missing.png: no such file",
        "other.md#nowhere: no heading #nowhere in other.md",
    ]
