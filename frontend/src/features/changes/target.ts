/**
 * What the change controls act on: an entity of the entity browser (its adpilot id is known), or a row of the
 * dashboard's table (known by its ad account and platform id; its adpilot id is looked up when first needed).
 */
import { api } from "@/api/client";
import type { EntityLevel, Platform } from "./types";

export interface ChangeTarget {
  /** A stable key for selections: the adpilot id, or account:level:platform id. */
  key: string;
  entityId: string | null;
  adAccountId: string;
  platformId: string;
  level: EntityLevel;
  platform: Platform;
  name: string;
  status: "active" | "paused" | "removed" | null;
  /** The entity's currency (null: not known here, the options tell). */
  currency: string | null;
  dailyBudgetMicros: number | null;
  /** Where the entity sits (for finding it): its parent's platform id. */
  parentPlatformId?: string | null;
  accountName?: string | null;
}

const LOOKUP_PAGES = 5;

interface EntityPage {
  items: { id: string; platform_id: string }[];
  next_cursor?: string | null;
}

/** The adpilot id of a target known only by its platform id: the entities of its account named like it. */
export async function resolveEntityId(organizationId: string, target: ChangeTarget): Promise<string> {
  if (target.entityId) return target.entityId;
  let cursor: string | null = null;
  for (let page = 0; page < LOOKUP_PAGES; page += 1) {
    // The client throws an ApiError on any error answer.
    const { data }: { data?: EntityPage } = await api.GET(
      "/api/v1/orgs/{organization_id}/ad-accounts/{ad_account_id}/entities",
      {
        params: {
          path: { organization_id: organizationId, ad_account_id: target.adAccountId },
          query: {
            level: target.level,
            name_contains: target.name.slice(0, 200),
            include_removed: true,
            limit: 100,
            ...(target.parentPlatformId ? { parent_platform_id: target.parentPlatformId } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      },
    );
    if (!data) throw new Error("Could not look up the entity.");
    const found = data.items.find((e) => e.platform_id === target.platformId);
    if (found) return found.id;
    cursor = data.next_cursor ?? null;
    if (!cursor) break;
  }
  throw new Error(`${target.name} is not among the synced entities yet: sync the account and try again.`);
}
