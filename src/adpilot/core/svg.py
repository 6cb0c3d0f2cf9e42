"""Sanitizing uploaded SVG images: only drawing elements and presentation attributes survive.

An SVG is a document that can run script, load other documents and style the page it is shown in. An uploaded one is
rebuilt from an allowlist (shapes, text, gradients, clipping, internal references), so whatever else it held (script,
event handlers, links, foreign content, style sheets, external references) is gone before it is stored or served.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_ELEMENTS = 5000

ALLOWED_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "title", "desc",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath",
        "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = frozenset(
    {
        "id", "class", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "width", "height",
        "d", "points", "viewBox", "preserveAspectRatio", "transform", "version",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
        "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity", "color",
        "clip-path", "clip-rule", "mask", "display", "visibility",
        "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline", "letter-spacing",
        "dx", "dy", "rotate", "textLength", "lengthAdjust",
        "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
        "clipPathUnits", "maskUnits", "maskContentUnits", "patternUnits", "patternContentUnits", "patternTransform",
        "href", "style",
    }
)  # fmt: skip
_FORBIDDEN_MARKUP = ("<!doctype", "<!entity", "<!element", "<!attlist")
# A reference is kept only when it points inside the document (``#id`` or ``url(#id)``).
_URL_REFERENCE = re.compile(r"url\(\s*(['\"]?)(?!#)", re.IGNORECASE)
_UNSAFE_STYLE = re.compile(r"@import|expression\s*\(|javascript:|behaviou?r\s*:|-moz-binding", re.IGNORECASE)


class SvgRejected(ValueError):
    """The upload is not an SVG image that can be made safe."""


def sanitize_svg(content: bytes) -> bytes:
    """The SVG rebuilt from allowed elements and attributes only; raises SvgRejected when it is not a usable SVG."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise SvgRejected("The SVG is not UTF-8 text.") from None
    lowered = text.lower()
    for markup in _FORBIDDEN_MARKUP:
        if markup in lowered:
            raise SvgRejected("An SVG logo may not declare a DTD or entities.")
    try:
        root = ET.fromstring(text.lstrip("\ufeff"))  # noqa: S314 - no DTD, hence no entity expansion (checked above)
    except ET.ParseError as error:
        raise SvgRejected(f"The SVG is not well-formed XML ({error}).") from None
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        raise SvgRejected("The file's root element is not <svg>.")
    count = [0]
    clean = _rebuild(root, count)
    if clean is None:
        raise SvgRejected("The file's root element is not <svg>.")
    clean.set("xmlns", SVG_NS)
    return ET.tostring(clean, encoding="unicode", short_empty_elements=True).encode()


def _rebuild(element: ET.Element, count: list[int]) -> ET.Element | None:
    local = _local(element.tag)
    if _namespace(element.tag) not in ("", SVG_NS) or local not in ALLOWED_ELEMENTS:
        return None
    count[0] += 1
    if count[0] > MAX_ELEMENTS:
        raise SvgRejected(f"The SVG has more than {MAX_ELEMENTS} elements.")
    clean = ET.Element(local)
    for name, value in element.attrib.items():
        kept = _attribute(name, value)
        if kept is not None:
            clean.set(*kept)
    clean.text = element.text
    for child in element:
        rebuilt = _rebuild(child, count)
        if rebuilt is not None:
            rebuilt.tail = child.tail
            clean.append(rebuilt)
    return clean


def _attribute(name: str, value: str) -> tuple[str, str] | None:
    namespace, local = _namespace(name), _local(name)
    if namespace not in ("", XLINK_NS) or local not in ALLOWED_ATTRIBUTES or (namespace and local != "href"):
        return None
    if local == "href":
        return ("href", value) if value.strip().startswith("#") else None
    if _URL_REFERENCE.search(value) or _UNSAFE_STYLE.search(value):
        return None
    return local, value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
