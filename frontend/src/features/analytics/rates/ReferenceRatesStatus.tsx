import { useReferenceRatesStatus } from "./api";
import { formatDay } from "./format";

const SOURCES = {
  ecb: "the European Central Bank",
  sandbox: "adpilot's sandbox (a simulated copy of the ECB's files)",
  custom: "the source this server is configured with",
} as const;

/** One line about the shared reference rates: where they come from and the latest publication stored. */
export function ReferenceRatesStatus({ organizationId }: { organizationId: string }) {
  const status = useReferenceRatesStatus(organizationId);
  if (!status.data?.source) return null;
  const { source, last_day: lastDay, failing } = status.data;
  return (
    <p className="mb-4 text-sm text-neutral-600" data-testid="reference-rates-status">
      Reference rates from {SOURCES[source] ?? source}:{" "}
      {lastDay
        ? `latest publication ${formatDay(lastDay)}.`
        : "none fetched yet (they are fetched once an ad account in another currency has numbers)."}
      {failing && " The last fetch failed; it is retried automatically."}
    </p>
  );
}
