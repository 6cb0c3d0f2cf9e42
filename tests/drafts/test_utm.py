"""URL templates rendered per platform: literal values, encoded, never overriding a parameter the URL has."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from adpilot.drafts.utm import PLATFORM_MACROS, UnknownPlaceholder, tagged_url, template_placeholders
from adpilot.platforms.types import Platform

TEMPLATE = "utm_source={platform}&utm_medium=paid&utm_campaign={campaign}&utm_content={ad}"
VALUES = {"campaign": "Spring sale & more", "ad_group": "Bouquets", "ad": "Tulips/1", "objective": "traffic"}


@pytest.mark.parametrize("platform", list(Platform))
def test_each_platform_gets_its_name_and_the_literal_values(platform: Platform) -> None:
    url = tagged_url("https://flowers.example.com/spring?ref=ad#top", TEMPLATE, platform, VALUES)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "https",
        "flowers.example.com",
        "/spring",
        "top",
    )
    assert parse_qs(parts.query) == {
        "ref": ["ad"],
        "utm_source": [platform.value],
        "utm_medium": ["paid"],
        "utm_campaign": ["Spring sale & more"],
        "utm_content": ["Tulips/1"],
    }
    assert "Spring%20sale%20%26%20more" in parts.query


def test_no_platform_has_macros_until_the_reference_documents_them() -> None:
    assert {Platform.google: {}, Platform.meta: {}, Platform.tiktok: {}} == PLATFORM_MACROS


def test_a_parameter_already_in_the_url_is_kept() -> None:
    url = tagged_url("https://example.com/?utm_source=newsletter", TEMPLATE, Platform.meta, VALUES)
    assert parse_qs(urlsplit(url).query)["utm_source"] == ["newsletter"]


def test_an_empty_template_leaves_the_url_alone() -> None:
    assert tagged_url("https://example.com/a?b=c", "", Platform.google, VALUES) == "https://example.com/a?b=c"


def test_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(UnknownPlaceholder):
        template_placeholders("utm_source={source}")
    assert template_placeholders(TEMPLATE) == ["platform", "campaign", "ad"]
