"""The docs say what the code does: every module is on the architecture map, every web page is listed, and the pages
that are only placeholders are named as such, in the README and the web app's README alike."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "adpilot"
ROUTER = ROOT / "frontend" / "src" / "routes" / "router.tsx"
# Generated or infrastructure directories that the map describes in other words.
NOT_MODULES = {"web", "__pycache__"}


def coming_soon_pages() -> set[str]:
    """The web app's placeholder pages, as the router declares them: `comingSoon("rules", ...)`."""
    return set(re.findall(r'\bcomingSoon\("([a-z-]+)"', ROUTER.read_text()))


def routed_paths() -> set[str]:
    return {path.strip("/") for path in re.findall(r'\bpath: "([^"]*)"', ROUTER.read_text())} - {""}


def test_the_architecture_map_lists_every_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    tree = text[text.index("```\nsrc/adpilot/") : text.index("```", text.index("```\nsrc/adpilot/") + 3)]
    listed = set(re.findall(r"^  ([a-z_]+)/", tree, flags=re.MULTILINE))
    packages = {
        path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()
    } - NOT_MODULES
    assert packages - listed == set(), "docs/architecture.md's module map omits these packages"
    assert listed - packages - NOT_MODULES == set(), (
        "docs/architecture.md's module map lists packages that do not exist"
    )


def test_the_readme_names_the_placeholder_pages_as_not_built() -> None:
    text = (ROOT / "README.md").read_text()
    not_yet = text[text.index("*Not yet*") : text.index("## Quick start")]
    named = {name.lower() for name in re.findall(r"\*\*([A-Z][a-z]+)\*\*", not_yet)}
    assert named == coming_soon_pages()
    opening = text[: text.index("## What works today")]
    works = text[text.index("## What works today") : text.index("*Not yet*")]
    for page in coming_soon_pages():
        assert f"**{page.capitalize()}**" not in works
    # The opening states the goal but marks what is not built; no stale "comes next" promises.
    assert "not built" in opening
    assert "come next" not in text and "comes next" not in text


def test_the_web_apps_readme_lists_every_page_and_only_placeholders_as_coming_soon() -> None:
    text = (ROOT / "frontend" / "README.md").read_text()
    routes = text[text.index("## Routes") : text.index("## Browser-test landmarks")]
    for path in routed_paths():
        assert f"/{path}" in routes, f"frontend/README.md does not list the page /{path}"
    sentence = next(line for line in routes.split(". ") if "coming soon" in line)
    placeholders = set(re.findall(r"`/([a-z-]+)`", sentence))
    assert placeholders == coming_soon_pages()
