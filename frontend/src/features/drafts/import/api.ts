/**
 * The CSV import of drafts: the dry run and the confirmed import (one request each, outside TanStack Query's cache
 * since the file is the input), and the template download.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import type { paths } from "@/api/generated/schema";

const IMPORT_PATH = "/api/v1/orgs/{organization_id}/drafts/import" as const;
type ImportOperation = paths[typeof IMPORT_PATH]["post"];
export type DraftImportResult = ImportOperation["responses"][200]["content"]["application/json"];
export type ImportProblem = DraftImportResult["problems"][number];
export type ImportedDraft = DraftImportResult["drafts"][number];

/** Send the file as a form (`file`): a dry run answers the problems and the drafts it would create. */
export async function importDraftsCsv(organizationId: string, file: File, dryRun: boolean): Promise<DraftImportResult> {
  const { data } = await api.POST(IMPORT_PATH, {
    params: { path: { organization_id: organizationId }, query: { dry_run: dryRun } },
    body: { file: file as unknown as string },
    bodySerializer: () => {
      const form = new FormData();
      form.append("file", file, file.name);
      return form;
    },
  });
  // authFetch throws an ApiError for every non-2xx answer, so data is present here.
  return data as DraftImportResult;
}

/** Check a file (dry run). */
export function useCheckDraftsCsv(organizationId: string) {
  return useMutation({ mutationFn: (file: File) => importDraftsCsv(organizationId, file, true) });
}

/** Import a checked file; the drafts lists are read again afterwards. */
export function useImportDraftsCsv(organizationId: string, onImported: (result: DraftImportResult) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (file: File) => importDraftsCsv(organizationId, file, false),
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: ["get", "/api/v1/orgs/{organization_id}/drafts"] });
      onImported(result);
    },
  });
}

/** The template (every column, example rows with the organization's ad accounts) as a browser download. */
export async function downloadDraftsTemplate(organizationId: string): Promise<void> {
  const { data } = await api.GET("/api/v1/orgs/{organization_id}/drafts/import/template.csv", {
    params: { path: { organization_id: organizationId } },
    parseAs: "blob",
  });
  const url = URL.createObjectURL(data as unknown as Blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = "adpilot-drafts-template.csv";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
