/** The audit log's filters, kept in the URL (?action=&actor_user_id=&target_type=&since=&until=). */
export interface AuditSearch {
  action?: string;
  actor_user_id?: string;
  target_type?: AuditTargetType;
  since?: string;
  until?: string;
}

/** Every kind of target an audit entry can name (the backend's `audit/labels.py`; a test keeps them equal). */
export const AUDIT_TARGET_TYPES = [
  "organization",
  "user",
  "invitation",
  "connection",
  "ad_account",
  "exchange_rate",
  "exchange_rates",
  "report_schedule",
  "report_run",
  "draft",
  "draft_import",
  "entity_change",
] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

function text(value: unknown): string | undefined {
  if (typeof value === "number") return String(value);
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function instant(value: unknown): string | undefined {
  const raw = text(value);
  return raw && !Number.isNaN(Date.parse(raw)) ? raw : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parse untrusted search params: unknown or malformed values are dropped rather than sent to the API. */
export function parseAuditSearch(search: Record<string, unknown>): AuditSearch {
  const actor = text(search.actor_user_id);
  const target = text(search.target_type);
  const result: AuditSearch = {
    action: text(search.action)?.slice(0, 80),
    actor_user_id: actor && UUID.test(actor) ? actor : undefined,
    target_type: AUDIT_TARGET_TYPES.find((t) => t === target),
    since: instant(search.since),
    until: instant(search.until),
  };
  // Leave absent keys out so URLs stay short.
  return Object.fromEntries(Object.entries(result).filter(([, v]) => v !== undefined)) as AuditSearch;
}

export function hasAuditFilters(search: AuditSearch): boolean {
  return Object.values(search).some((v) => v !== undefined && v !== "");
}
