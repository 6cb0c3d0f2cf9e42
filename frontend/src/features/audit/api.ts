/** The audit log's query: the screen calls this hook and builds no query itself. */
import { $api } from "@/api/client";
import type { AuditSearch } from "./search";

/** The entries matching `filters`, newest first, page by page. */
export function useAuditEntries(organizationId: string, filters: AuditSearch) {
  return $api.useInfiniteQuery(
    "get",
    "/api/v1/orgs/{organization_id}/audit-log",
    { params: { path: { organization_id: organizationId }, query: { limit: 50, ...filters } } },
    { pageParamName: "cursor", initialPageParam: null, getNextPageParam: (page) => page.next_cursor ?? undefined },
  );
}
