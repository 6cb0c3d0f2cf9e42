"""The campaign a draft publishes (``campaign_spec``): what the editor leaves open gets the name it shows."""

from __future__ import annotations

import uuid

from adpilot.drafts.schemas import DraftDocument
from adpilot.drafts.spec import campaign_spec, entity_names
from adpilot.platforms.types import EntityLevel, Platform
from tests.drafts.documents import valid_ad, valid_document


def test_an_unnamed_ad_is_published_under_the_editors_label() -> None:
    # Meta refuses an ad without a name; the editor shows an unnamed group's second ad as "Ad 2".
    ads = [valid_ad(name=""), valid_ad(name="  "), valid_ad(name="Named")]
    document = DraftDocument.model_validate(
        valid_document({Platform.meta: str(uuid.uuid4())}, ad_groups=[{"name": "Bouquets", "ads": ads}])
    )
    spec = campaign_spec(document, draft_id=uuid.uuid4(), platform=Platform.meta, currency="EUR", template="", seed="s")
    assert [ad.name for ad in spec.ad_groups[0].ads] == ["Ad 1", "Ad 2", "Named"]
    # Publishing again after a timeout adopts what exists by these same names.
    names = entity_names(document)
    assert [names[f"g0.a{index}"] for index in range(3)] == [
        (EntityLevel.ad, "Ad 1"),
        (EntityLevel.ad, "Ad 2"),
        (EntityLevel.ad, "Named"),
    ]
