/** The entity browser's query: the screen calls this hook and builds no query itself. */
import { $api } from "@/api/client";
import type { EntityLevel } from "@/features/connections/types";

export interface EntityFilters {
  level: EntityLevel;
  /** The platform id of the campaign or ad group whose children to list. */
  parent?: string | undefined;
  nameContains?: string | undefined;
  includeRemoved?: boolean | undefined;
}

/** An ad account's synced campaigns, ad groups or ads, page by page. */
export function useEntities(organizationId: string, adAccountId: string, filters: EntityFilters, limit: number) {
  return $api.useInfiniteQuery(
    "get",
    "/api/v1/orgs/{organization_id}/ad-accounts/{ad_account_id}/entities",
    {
      params: {
        path: { organization_id: organizationId, ad_account_id: adAccountId },
        query: {
          level: filters.level,
          limit,
          ...(filters.parent ? { parent_platform_id: filters.parent } : {}),
          ...(filters.nameContains ? { name_contains: filters.nameContains } : {}),
          ...(filters.includeRemoved ? { include_removed: true } : {}),
        },
      },
    },
    { pageParamName: "cursor", initialPageParam: null, getNextPageParam: (page) => page.next_cursor ?? undefined },
  );
}
