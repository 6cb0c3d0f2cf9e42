/** The current version's problems per platform (GET /validation), each a link that scrolls to its field. */
import { Card, CardBody, CardHeader, ErrorState, LoadingState } from "@/components/ui";
import { platformTitle } from "@/features/connections/platforms";
import { pluralize } from "@/lib/format";
import { describePath, focusField, type DraftProblem } from "./document";

export function errorCount(problems: readonly DraftProblem[]): number {
  return problems.filter((p) => p.severity === "error").length;
}

export function ProblemsPanel({
  problems,
  version,
  pending,
  error,
  onRetry,
  stale,
}: {
  problems: DraftProblem[];
  version: number | undefined;
  pending: boolean;
  error: unknown;
  onRetry: () => void;
  /** The form has unsaved edits: these problems are those of the saved version. */
  stale: boolean;
}) {
  const errors = errorCount(problems);
  const warnings = problems.length - errors;
  return (
    <Card>
      <CardHeader
        title="Checks"
        headingLevel={3}
        description={
          pending || error
            ? undefined
            : problems.length === 0
              ? `Version ${version}: ready for review.`
              : `Version ${version}: ${pluralize(errors, "error")}, ${pluralize(warnings, "warning")}.`
        }
      />
      <CardBody>
        {pending ? (
          <LoadingState label="Checking the draft…" />
        ) : error ? (
          <ErrorState error={error} onRetry={onRetry} />
        ) : problems.length === 0 ? (
          <p className="text-sm text-green-700">Every chosen platform accepts this draft.</p>
        ) : (
          <ul aria-label="Problems" className="max-h-96 space-y-2 overflow-y-auto">
            {problems.map((p, i) => (
              <li key={i} className="text-sm">
                <button
                  type="button"
                  className="text-left hover:underline"
                  onClick={() => focusField(p.path)}
                  aria-label={`${p.severity === "error" ? "Error" : "Warning"}: ${describePath(p.path)}: ${p.message}`}
                >
                  <span className={p.severity === "error" ? "font-medium text-red-700" : "font-medium text-amber-700"}>
                    {p.platform ? `${platformTitle(p.platform)} · ` : ""}
                    {describePath(p.path)}
                  </span>
                  <span className="block text-neutral-700">{p.message}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {stale && <p className="mt-3 text-xs text-neutral-500">You have unsaved edits: save to check them.</p>}
      </CardBody>
    </Card>
  );
}
