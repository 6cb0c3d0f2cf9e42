/** Names for the connection and sync payloads, derived from the generated schema by path (like api/types.ts). */
import type { paths } from "@/api/generated/schema";

type Json<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer Rs }
  ? 200 extends keyof Rs
    ? Json<Rs[200]>
    : 201 extends keyof Rs
      ? Json<Rs[201]>
      : 202 extends keyof Rs
        ? Json<Rs[202]>
        : never
  : never;

type Org = "/api/v1/orgs/{organization_id}";

export type ConnectionList = Ok<paths[`${Org}/connections`]["get"]>;
export type ConnectionRead = ConnectionList["items"][number];
export type AdAccountRead = ConnectionRead["accounts"][number];
export type Platform = ConnectionRead["platform"];
export type ConnectionHealth = ConnectionRead["health"];
export type AccountSyncSummary = Ok<paths[`${Org}/ad-accounts/sync-status`]["get"]>["items"][number];
export type SyncRunRead = Ok<paths[`${Org}/ad-accounts/{ad_account_id}/sync`]["post"]>;
export type SyncRunStatus = SyncRunRead["status"];
export type EntityRead = Ok<paths[`${Org}/ad-accounts/{ad_account_id}/entities`]["get"]>["items"][number];
export type EntityLevel = EntityRead["level"];
export type EntityStatus = EntityRead["status"];
