"""URL templates (UTM tagging): placeholders rendered into an ad's final URL for one platform.

A template is a query string such as ``utm_source={platform}&utm_medium=paid&utm_campaign={campaign}``. Each
placeholder is replaced by the draft's literal value, URL-encoded. The platforms' own tracking macros (Google
ValueTrack, Meta URL parameters, TikTok macros) are not in the wire-format reference this product follows, so no
platform gets a macro: every value is literal, the same on every platform but ``{platform}``. ``PLATFORM_MACROS``
is where a platform's macro for a placeholder goes once it is documented.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from adpilot.platforms.types import Platform

PLACEHOLDERS: dict[str, str] = {
    "platform": "the platform: google, meta or tiktok",
    "campaign": "the campaign's name",
    "ad_group": "the ad group's (ad set's) name",
    "ad": "the ad's name",
    "objective": "the draft's unified objective",
    "draft_id": "the draft's id",
}

# A platform's own macro for a placeholder, rendered as-is (not encoded) and filled in by the platform at click time.
# Empty for every platform: the reference documents none of them (see the module docstring).
PLATFORM_MACROS: dict[Platform, dict[str, str]] = {Platform.google: {}, Platform.meta: {}, Platform.tiktok: {}}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class UnknownPlaceholder(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown placeholder {{{name}}}; known: " + ", ".join(sorted(PLACEHOLDERS)))
        self.name = name


def template_placeholders(template: str) -> list[str]:
    """The placeholders a template uses; ``UnknownPlaceholder`` for one outside ``PLACEHOLDERS``."""
    names = _PLACEHOLDER.findall(template)
    for name in names:
        if name not in PLACEHOLDERS:
            raise UnknownPlaceholder(name)
    return names


def render_template(template: str, platform: Platform, values: dict[str, str]) -> list[tuple[str, str]]:
    """The template's parameters for ``platform``: each placeholder replaced by the platform's macro or the value."""
    template_placeholders(template)
    macros = PLATFORM_MACROS[platform]
    context = {**values, "platform": platform.value}

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda match: macros.get(match.group(1), context.get(match.group(1), "")), text)

    return [(fill(key), fill(value)) for key, value in parse_qsl(template.lstrip("?&"), keep_blank_values=True)]


def tagged_url(final_url: str, template: str, platform: Platform, values: dict[str, str]) -> str:
    """``final_url`` with the rendered template's parameters added (a parameter the URL already has is kept)."""
    if not template.strip():
        return final_url
    parts = urlsplit(final_url)
    existing = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in existing}
    added = [(key, value) for key, value in render_template(template, platform, values) if key not in present]
    macros = set(PLATFORM_MACROS[platform].values())
    query = urlencode(existing + added, quote_via=lambda text, *_: text if text in macros else quote(text, safe=""))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
