/** Scheduled reports and the report logo: types from the generated schema, and the requests outside the hooks. */
import { api } from "@/api/client";
import type { paths } from "@/api/generated/schema";

export const SCHEDULES_PATH = "/api/v1/orgs/{organization_id}/report-schedules" as const;
export const SCHEDULE_PATH = "/api/v1/orgs/{organization_id}/report-schedules/{schedule_id}" as const;
export const RUNS_PATH = "/api/v1/orgs/{organization_id}/report-schedules/{schedule_id}/runs" as const;
export const SEND_NOW_PATH = "/api/v1/orgs/{organization_id}/report-schedules/{schedule_id}/send-now" as const;
export const BRANDING_PATH = "/api/v1/orgs/{organization_id}/branding" as const;
export const LOGO_PATH = "/api/v1/orgs/{organization_id}/branding/logo" as const;

type ListOperation = paths[typeof SCHEDULES_PATH]["get"];
export type ReportSchedule = ListOperation["responses"][200]["content"]["application/json"]["items"][number];
export type ReportScheduleCreate = paths[typeof SCHEDULES_PATH]["post"]["requestBody"]["content"]["application/json"];
export type ReportScheduleUpdate = paths[typeof SCHEDULE_PATH]["patch"]["requestBody"]["content"]["application/json"];
export type ReportRun = paths[typeof RUNS_PATH]["get"]["responses"][200]["content"]["application/json"]["items"][number];
export type Branding = paths[typeof BRANDING_PATH]["get"]["responses"][200]["content"]["application/json"];

export const MAX_LOGO_BYTES = 256 * 1024;
export const LOGO_TYPES = ["image/png", "image/jpeg", "image/svg+xml"] as const;

/** Upload the logo as the request body (the server reads its type from the bytes). */
export async function uploadLogo(organizationId: string, file: Blob): Promise<Branding> {
  const { data } = await api.PUT(LOGO_PATH, {
    params: { path: { organization_id: organizationId } },
    body: file as never,
    bodySerializer: (body: unknown) => body as Blob,
    headers: { "Content-Type": file.type || "application/octet-stream" },
  });
  return data as Branding;
}

/** The logo as a blob (the request carries the access token, so an <img src> cannot fetch it directly). */
export async function fetchLogo(organizationId: string): Promise<Blob> {
  const { data } = await api.GET(LOGO_PATH, {
    params: { path: { organization_id: organizationId } },
    parseAs: "blob",
  });
  return data as unknown as Blob;
}
