"""Validation per platform: each problem points at its field, with the platform's own limit and way of counting."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from adpilot.drafts.schemas import DraftDocument, DraftProblem, Severity
from adpilot.drafts.validation import blocking, tiktok_length, validate_document
from adpilot.platforms.types import Platform
from tests.drafts.documents import valid_ad, valid_document

ACCOUNT = str(uuid4())


def problems_of(platform: Platform, ad: dict[str, Any], **changes: Any) -> list[DraftProblem]:
    document = valid_document({platform: ACCOUNT}, ad_groups=[{"name": "G", "ads": [valid_ad(), ad]}], **changes)
    return validate_document(DraftDocument.model_validate(document))


def by_path(problems: list[DraftProblem]) -> dict[str, DraftProblem]:
    return {problem.path: problem for problem in problems}


def test_a_valid_draft_has_no_blocking_problem_on_any_platform() -> None:
    document = DraftDocument.model_validate(valid_document(dict.fromkeys(Platform, ACCOUNT)))
    assert blocking(validate_document(document)) == []


def test_google_headlines_are_counted_and_measured() -> None:
    headlines = ["Fresh flowers daily", "x" * 30, "y" * 31] + [f"Headline {n}" for n in range(13)]
    found = by_path(problems_of(Platform.google, valid_ad(headlines=headlines)))
    assert found["ad_groups[0].ads[1].headlines"].code == "too-many"
    assert found["ad_groups[0].ads[1].headlines"].limit == 15
    assert found["ad_groups[0].ads[1].headlines[2]"].code == "too-long"
    assert found["ad_groups[0].ads[1].headlines[2]"].limit == 30
    assert "ad_groups[0].ads[1].headlines[1]" not in found  # exactly 30 is allowed


def test_google_needs_three_headlines_two_descriptions_and_short_paths() -> None:
    ad = valid_ad(headlines=["One", "Two"], descriptions=["d" * 91], display_path=["", "sixteen-chars-xx"])
    found = by_path(problems_of(Platform.google, ad))
    assert found["ad_groups[0].ads[1].headlines"].limit == 3
    assert found["ad_groups[0].ads[1].descriptions"].code == "too-few"
    assert found["ad_groups[0].ads[1].descriptions[0]"].limit == 90
    assert found["ad_groups[0].ads[1].display_path[1]"].code in {"too-long", "path2-without-path1"}
    assert all(problem.platform is Platform.google for problem in found.values())


def test_meta_allows_five_variations_and_warns_above_the_recommended_length() -> None:
    ad = valid_ad(primary_texts=["p"] * 6, headlines=["h" * 41, "h" * 256])
    found = by_path(problems_of(Platform.meta, ad))
    assert found["ad_groups[0].ads[1].primary_texts"].limit == 5
    assert found["ad_groups[0].ads[1].headlines[0]"].severity is Severity.warning
    assert found["ad_groups[0].ads[1].headlines[0]"].limit == 40
    assert found["ad_groups[0].ads[1].headlines[1]"].severity is Severity.error
    assert found["ad_groups[0].ads[1].headlines[1]"].limit == 255


def test_meta_needs_an_image_or_a_video() -> None:
    found = by_path(problems_of(Platform.meta, valid_ad(image_urls=[], video_urls=[])))
    assert found["ad_groups[0].ads[1].image_urls"].code == "required"


def test_tiktok_counts_asian_characters_twice_and_refuses_emoji_braces_and_hashes() -> None:
    assert tiktok_length("花" * 50) == 100
    fine = by_path(problems_of(Platform.tiktok, valid_ad(primary_texts=["花" * 50])))
    assert "ad_groups[0].ads[1].primary_texts[0]" not in fine
    too_long = by_path(problems_of(Platform.tiktok, valid_ad(primary_texts=["花" * 51])))
    assert too_long["ad_groups[0].ads[1].primary_texts[0]"].limit == 100
    for text, code in (
        ("Fresh 🌷 flowers", "emoji"),
        ("Sale {today}", "forbidden-character"),
        ("#spring", "forbidden-character"),
    ):
        found = by_path(problems_of(Platform.tiktok, valid_ad(primary_texts=[text])))
        assert found["ad_groups[0].ads[1].primary_texts[0]"].code == code, text


def test_tiktok_display_name_length() -> None:
    found = by_path(problems_of(Platform.tiktok, valid_ad(), platform_overrides={"tiktok": {"display_name": "x" * 21}}))
    assert found["platform_overrides.tiktok.display_name"].limit == 20


def test_a_platform_not_targeted_is_not_checked() -> None:
    # 31 characters is too long for a Google headline, not for Meta.
    problems = problems_of(Platform.meta, valid_ad(headlines=["z" * 31]))
    assert "ad_groups[0].ads[1].headlines[0]" not in by_path(blocking(problems))


def test_common_problems_point_at_their_fields() -> None:
    document = DraftDocument.model_validate(
        valid_document(
            {Platform.google: None},
            budget={"type": "lifetime", "level": "campaign", "amount_micros": 0},
            ad_groups=[{"name": "", "ads": [valid_ad(final_url="ftp://nope")]}],
        )
    )
    found = by_path(validate_document(document))
    assert {
        "targets[0].ad_account_id",
        "budget.amount_micros",
        "schedule.end_date",
        "ad_groups[0].name",
        "ad_groups[0].ads[0].final_url",
    } <= set(found)


def test_targeting_a_platform_is_published_without_is_a_warning() -> None:
    """The valid document targets FR/BE, French, ages 25-54: Google publishes none of it (criteria), Meta all but
    the language, TikTok the locations only."""
    document = DraftDocument.model_validate(valid_document(dict.fromkeys(Platform, ACCOUNT)))
    warned = {(p.platform, p.path) for p in validate_document(document) if p.code == "not-published"}
    assert all(p.severity is Severity.warning for p in validate_document(document) if p.code == "not-published")
    google = {"targeting.locations", "targeting.languages", "targeting.age_min", "targeting.age_max"}
    assert warned == {
        *((Platform.google, path) for path in google),
        (Platform.meta, "targeting.languages"),
        *((Platform.tiktok, path) for path in google - {"targeting.locations"}),
    }
