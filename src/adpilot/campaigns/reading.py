"""The campaigns module's read-only contract for other modules' SQL: the synced entity tree, by table name.

The module's models and repository are private; this name is what the reporting module's breakdowns join to say
which synced entity a row is and what its daily budget is. Readers only ``SELECT``; every write goes through
``entity_sync_service`` (or the change pipeline's read-back). Filter on ``organization_id`` (row-level security is
the safety net). Renaming the table or one of the columns below is a change of this contract and of its readers.
"""

from __future__ import annotations

from typing import Final

# Every campaign, ad group/ad set and ad of a managed account as last read from its platform: id (the adpilot
# entity id), organization_id, ad_account_id, level ('campaign', 'ad_group', 'ad'), platform_id (unique per
# account and level), currency (the account's), daily_budget_micros (null when none at this level), status and
# removed_at (set while the entity no longer appears on its platform).
ENTITIES: Final = "ad_entities"

TABLES: Final = (ENTITIES,)
