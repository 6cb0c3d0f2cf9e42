"""Uploaded SVG logos are rebuilt from drawing elements and presentation attributes only."""

from __future__ import annotations

import pytest

from adpilot.core.svg import SvgRejected, sanitize_svg

NS = "xmlns='http://www.w3.org/2000/svg'"


@pytest.mark.parametrize(
    ("hostile", "gone"),
    [
        (f"<svg {NS}><script>alert(1)</script><rect width='1'/></svg>", "script"),
        (f"<svg {NS} onload='alert(1)'><rect width='1'/></svg>", "onload"),
        (f"<svg {NS}><rect width='1' onclick='alert(1)'/></svg>", "onclick"),
        (f"<svg {NS}><a href='javascript:alert(1)'><rect width='1'/></a></svg>", "javascript"),
        (f"<svg {NS}><foreignObject><body xmlns='http://www.w3.org/1999/xhtml'>x</body></foreignObject></svg>", "body"),
        (f"<svg {NS}><image href='https://tracker.example/p.png'/></svg>", "tracker"),
        (
            f"<svg {NS} xmlns:x='http://www.w3.org/1999/xlink'><use x:href='https://evil.example/s.svg#a'/></svg>",
            "evil",
        ),
        (f"<svg {NS}><style>@import url(https://evil.example/x.css);</style></svg>", "import"),
        (f"<svg {NS}><rect width='1' fill='url(https://evil.example/p)'/></svg>", "evil"),
        (f"<svg {NS}><rect width='1' style='behavior: url(x.htc)'/></svg>", "behavior"),
        (f"<svg {NS}><animate attributeName='href' to='data:text/html,x'/></svg>", "animate"),
        (f"<svg {NS}><iframe src='https://evil.example'/></svg>", "iframe"),
    ],
)
def test_active_and_external_content_is_removed(hostile: str, gone: str) -> None:
    clean = sanitize_svg(hostile.encode()).decode()
    assert gone not in clean.lower()
    assert clean.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_drawing_and_internal_references_are_kept() -> None:
    svg = (
        f"<svg {NS} viewBox='0 0 10 10' width='10' height='10'><defs><linearGradient id='g'>"
        "<stop offset='0' stop-color='#f00'/></linearGradient></defs>"
        "<rect width='10' height='10' fill='url(#g)'/><text x='1' y='9' font-size='4'>Acme</text>"
        "<use href='#g'/></svg>"
    )
    clean = sanitize_svg(svg.encode()).decode()
    for kept in ('viewBox="0 0 10 10"', 'fill="url(#g)"', "<stop", "Acme", 'href="#g"'):
        assert kept in clean


@pytest.mark.parametrize(
    "bad",
    [
        b"<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a 'aaaa'>]><svg>&a;</svg>",
        b"<svg><rect></svg>",
        b"<html><svg/></html>",
        b"\xff\xfe<svg/>",
    ],
)
def test_what_cannot_be_made_safe_is_rejected(bad: bytes) -> None:
    with pytest.raises(SvgRejected):
        sanitize_svg(bad)
