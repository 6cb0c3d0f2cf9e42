/**
 * Scheduled reports and the report logo: types from the generated schema, the query and mutation hooks the screen
 * calls (it builds no query itself), and the requests made outside the hooks (the logo's bytes).
 */
import { useQueryClient } from "@tanstack/react-query";
import { $api, api } from "@/api/client";
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
export type ReportRun =
  paths[typeof RUNS_PATH]["get"]["responses"][200]["content"]["application/json"]["items"][number];
export type Branding = paths[typeof BRANDING_PATH]["get"]["responses"][200]["content"]["application/json"];

/** One page of the organization's report schedules. */
export function useReportSchedules(organizationId: string, page: { limit: number; cursor: string | undefined }) {
  return $api.useQuery("get", SCHEDULES_PATH, { params: { path: { organization_id: organizationId }, query: page } });
}

/** One page of a schedule's runs (its history). */
export function useReportRuns(
  organizationId: string,
  scheduleId: string,
  page: { limit: number; cursor: string | undefined },
) {
  return $api.useQuery("get", RUNS_PATH, {
    params: { path: { organization_id: organizationId, schedule_id: scheduleId }, query: page },
  });
}

/** Read every list of schedules again. */
function useInvalidateSchedules() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: ["get", SCHEDULES_PATH] });
}

interface SaveHandlers {
  onSaved: (saved: ReportSchedule) => void;
  onError: (error: unknown) => void;
}

/** Create and update a schedule; the lists are read again before `onSaved`. */
export function useSaveReportSchedule({ onSaved, onError }: SaveHandlers) {
  const invalidate = useInvalidateSchedules();
  const handlers = {
    onSuccess: (saved: ReportSchedule) => {
      void invalidate();
      onSaved(saved);
    },
    onError,
  };
  return {
    create: $api.useMutation("post", SCHEDULES_PATH, handlers),
    update: $api.useMutation("patch", SCHEDULE_PATH, handlers),
  };
}

/** Delete a schedule; the lists are read again before `onDeleted`. */
export function useDeleteReportSchedule({ onDeleted }: { onDeleted: () => void }) {
  const invalidate = useInvalidateSchedules();
  return $api.useMutation("delete", SCHEDULE_PATH, {
    onSuccess: () => {
      void invalidate();
      onDeleted();
    },
  });
}

/** Queue a schedule's report now; the runs are read again. */
export function useSendReportNow({
  onQueued,
  onError,
}: {
  onQueued: (run: ReportRun) => void;
  onError: (error: unknown) => void;
}) {
  const queryClient = useQueryClient();
  return $api.useMutation("post", SEND_NOW_PATH, {
    onSuccess: (run) => {
      onQueued(run);
      void queryClient.invalidateQueries({ queryKey: ["get", RUNS_PATH] });
    },
    onError,
  });
}

/** Whether the organization has a report logo, and when it changed. */
export function useBranding(organizationId: string) {
  return $api.useQuery("get", BRANDING_PATH, { params: { path: { organization_id: organizationId } } });
}

/** Read the branding again (after an upload made outside the hooks). */
export function useInvalidateBranding() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: ["get", BRANDING_PATH] });
}

/** Remove the report logo; the branding is read again. */
export function useDeleteLogo({ onError }: { onError: (error: unknown) => void }) {
  const invalidate = useInvalidateBranding();
  return $api.useMutation("delete", LOGO_PATH, { onSuccess: () => void invalidate(), onError });
}

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
