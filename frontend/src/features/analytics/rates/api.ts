/**
 * The exchange-rate queries and mutations the screens call (they build no query themselves), and the requests made
 * outside TanStack Query's hooks: the CSV upload and download.
 */
import { useQueryClient } from "@tanstack/react-query";
import { $api, api } from "@/api/client";
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
const RATE_PATH = "/api/v1/orgs/{organization_id}/exchange-rates/{base}/{quote}/{day}" as const;

/** One page of the organization's rates matching `filters`. */
export function useExchangeRates(
  organizationId: string,
  filters: RateFilters,
  page: { limit: number; cursor: string | undefined },
) {
  return $api.useQuery("get", RATES_PATH, {
    params: { path: { organization_id: organizationId }, query: { ...filters, ...page } },
  });
}

/** Where the shared reference rates come from and the latest publication stored. */
export function useReferenceRatesStatus(organizationId: string) {
  return $api.useQuery("get", "/api/v1/orgs/{organization_id}/exchange-rates/reference", {
    params: { path: { organization_id: organizationId } },
  });
}

/** Read every list of rates again (after a change, or an import made outside the hooks). */
export function useInvalidateRates() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: ["get", RATES_PATH] });
}

/** Set one day's rate; the lists are read again before `onSaved`. */
export function useSaveExchangeRate({
  onSaved,
  onError,
}: {
  onSaved: (saved: ExchangeRate) => void;
  onError: (error: unknown) => void;
}) {
  const invalidate = useInvalidateRates();
  return $api.useMutation("put", RATE_PATH, {
    onSuccess: (saved) => {
      void invalidate();
      onSaved(saved);
    },
    onError,
  });
}

/** Delete one day's rate; the lists are read again before `onDeleted`. */
export function useDeleteExchangeRate({ onDeleted }: { onDeleted: () => void }) {
  const invalidate = useInvalidateRates();
  return $api.useMutation("delete", RATE_PATH, {
    onSuccess: () => {
      void invalidate();
      onDeleted();
    },
  });
}

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
