import { isApiError } from "@/api/client";
import { Badge, Spinner } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { useChange } from "./api";
import { CHANGE_STATUS, isInFlight } from "./kinds";
import type { ChangeProblem } from "./types";

/** The problems of a refused request (409 `changes-refused`), or none. */
export function refusalProblems(error: unknown): ChangeProblem[] {
  if (!isApiError(error) || error.code !== "changes-refused") return [];
  const problems = error.problem.problems;
  return Array.isArray(problems) ? (problems as ChangeProblem[]) : [];
}

/** A request's error in words: each problem's detail when the pipeline refused it. */
export function describeChangeError(error: unknown): string {
  const problems = refusalProblems(error);
  if (problems.length) return problems.map((p) => p.detail).join(" ");
  return describeError(error);
}

/**
 * Where a just-requested change stands, read again until it settles: on its way, applied, waiting for approval, or
 * the platform's refusal in its own words.
 */
export function ChangeOutcome({ organizationId, changeId }: { organizationId: string; changeId: string }) {
  const change = useChange(organizationId, changeId);
  if (change.isError) {
    return <span className="text-xs text-red-700">{describeError(change.error)}</span>;
  }
  const data = change.data;
  if (!data) return <Spinner label="Checking the change" />;
  const { label, tone } = CHANGE_STATUS[data.status];
  return (
    <span aria-live="polite" className="inline-flex flex-wrap items-center gap-1.5 text-xs">
      {isInFlight(data.status) && <Spinner label="Applying" />}
      <Badge tone={tone}>{data.status === "verified" || data.status === "applied" ? "Applied" : label}</Badge>
      {data.status === "failed" && data.error && <span className="text-red-700">{data.error}</span>}
    </span>
  );
}
