/** Exchange-rate requests the screen makes outside TanStack Query's hooks: the CSV upload and download. */
import { api } from "@/api/client";
import type { paths } from "@/api/generated/schema";

type ImportOperation = paths["/api/v1/orgs/{organization_id}/exchange-rates/import"]["post"];
export type RateImportResult = ImportOperation["responses"][200]["content"]["application/json"];
type ListOperation = paths["/api/v1/orgs/{organization_id}/exchange-rates"]["get"];
export type ExchangeRate = ListOperation["responses"][200]["content"]["application/json"]["items"][number];

export interface RateFilters {
  currency?: string;
  since?: string;
  until?: string;
}

export const RATES_PATH = "/api/v1/orgs/{organization_id}/exchange-rates" as const;

/** Send a CSV file as is (text/csv); the server answers the counts, or a 422 with every bad line. */
export async function importRatesCsv(organizationId: string, content: string): Promise<RateImportResult> {
  const { data } = await api.POST("/api/v1/orgs/{organization_id}/exchange-rates/import", {
    params: { path: { organization_id: organizationId } },
    body: content,
    bodySerializer: (body: string) => body,
    headers: { "Content-Type": "text/csv" },
  });
  // authFetch throws an ApiError for every non-2xx answer, so data is present here.
  return data as RateImportResult;
}

/** The rates matching the filters as a CSV file (the import's format). */
export async function downloadRatesCsv(organizationId: string, filters: RateFilters): Promise<Blob> {
  const { data } = await api.GET("/api/v1/orgs/{organization_id}/exchange-rates/export.csv", {
    params: { path: { organization_id: organizationId }, query: filters },
    parseAs: "blob",
  });
  return data as unknown as Blob;
}

/** Hand a file to the browser as a download. */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** A line of an invalid import as a person reads it: "Line 3 · rate: '-1' must be greater than zero". */
export interface LineProblem {
  line: number | null;
  column: string | null;
  message: string;
}

export function lineProblems(errors: readonly { loc: (string | number)[]; msg: string }[]): LineProblem[] {
  return errors.map((error) => {
    const [, line, column] = error.loc;
    return {
      line: typeof line === "number" ? line : null,
      column: typeof column === "string" ? column : null,
      message: error.msg.replace(/^Value error, /, ""),
    };
  });
}
