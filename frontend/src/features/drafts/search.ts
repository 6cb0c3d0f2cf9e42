/** The drafts list's filters, kept in the URL (?status=&platform=&q=). */
import { isPlatform } from "@/features/connections/platforms";
import { DRAFT_STATUSES, type DraftPlatform, type DraftStatus } from "./document";

export interface DraftsSearch {
  status?: DraftStatus;
  platform?: DraftPlatform;
  /** Name search. */
  q?: string;
}

/** Parse untrusted search params: unknown values are dropped rather than sent to the API. */
export function parseDraftsSearch(search: Record<string, unknown>): DraftsSearch {
  const out: DraftsSearch = {};
  const status = DRAFT_STATUSES.find((s) => s === search.status);
  if (status) out.status = status;
  if (typeof search.platform === "string" && isPlatform(search.platform)) out.platform = search.platform;
  const q =
    typeof search.q === "string" ? search.q.trim().slice(0, 200) : typeof search.q === "number" ? String(search.q) : "";
  if (q) out.q = q;
  return out;
}
