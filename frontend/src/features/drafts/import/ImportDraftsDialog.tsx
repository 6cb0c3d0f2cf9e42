import { useState } from "react";
import { ApiError } from "@/api/client";
import { Alert, Button, Dialog, DialogClose, Spinner } from "@/components/ui";
import {
  type DraftImportResult,
  type ImportProblem,
  downloadDraftsTemplate,
  useCheckDraftsCsv,
  useImportDraftsCsv,
} from "./api";

export interface ImportDraftsDialogProps {
  organizationId: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** Called once the drafts were created (or the file had been imported before). */
  onImported?: (result: DraftImportResult) => void;
}

function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail ?? error.title;
  return "The file could not be sent; try again.";
}

function ProblemTable({ problems }: { problems: ImportProblem[] }) {
  return (
    <div className="max-h-64 overflow-auto rounded border border-neutral-200">
      <table className="w-full text-left text-xs">
        <caption className="sr-only">Problems by line and column</caption>
        <thead className="bg-neutral-50 text-neutral-600">
          <tr>
            <th className="px-2 py-1">Line</th>
            <th className="px-2 py-1">Column</th>
            <th className="px-2 py-1">Problem</th>
          </tr>
        </thead>
        <tbody>
          {problems.map((problem, index) => (
            <tr key={index} className="border-t border-neutral-100">
              <td className="px-2 py-1 tabular-nums">{problem.line ?? "—"}</td>
              <td className="px-2 py-1 font-mono">{problem.column ?? "—"}</td>
              <td className={problem.severity === "error" ? "px-2 py-1 text-red-700" : "px-2 py-1 text-amber-700"}>
                {problem.severity === "warning" ? "Warning: " : ""}
                {problem.platform ? `${problem.platform}: ` : ""}
                {problem.message}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DraftSummaryList({ result }: { result: DraftImportResult }) {
  if (result.drafts.length === 0) return null;
  return (
    <ul className="space-y-1 text-sm" aria-label="Drafts in the file">
      {result.drafts.map((draft) => (
        <li key={draft.key} className="flex justify-between gap-2">
          <span className="font-medium">{draft.name}</span>
          <span className="text-neutral-500">
            {draft.targets.map((target) => target.ad_account_name ?? target.platform).join(", ") || "no platform"} ·{" "}
            {draft.ad_groups} ad group(s) · {draft.ads} ad(s)
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Import drafts from a CSV file: pick it, read the dry run's problems by line and column, then confirm. */
export function ImportDraftsDialog({ organizationId, open, onOpenChange, onImported }: ImportDraftsDialogProps) {
  const [file, setFile] = useState<File | null>(null);
  const [imported, setImported] = useState<DraftImportResult | null>(null);
  const check = useCheckDraftsCsv(organizationId);
  const confirm = useImportDraftsCsv(organizationId, (result) => {
    setImported(result);
    onImported?.(result);
  });
  const checked = check.data;
  const [templateError, setTemplateError] = useState(false);

  function reset(next: boolean) {
    if (!next) {
      setFile(null);
      setImported(null);
      check.reset();
      confirm.reset();
    }
    onOpenChange(next);
  }

  function choose(chosen: File | null) {
    setFile(chosen);
    setImported(null);
    confirm.reset();
    if (chosen) check.mutate(chosen);
  }

  const confirmProblems: ImportProblem[] =
    confirm.error instanceof ApiError && Array.isArray(confirm.error.problem.problems)
      ? (confirm.error.problem.problems as ImportProblem[])
      : [];
  const canImport = file !== null && checked !== undefined && !checked.duplicate && checked.error_count === 0;

  return (
    <Dialog
      open={open}
      onOpenChange={reset}
      title="Import drafts from CSV"
      description="One row per ad; rows with the same campaign form one draft. Nothing is created until you confirm."
    >
      <div className="space-y-4">
        <p className="text-sm">
          <button
            type="button"
            className="text-blue-700 underline"
            onClick={() => {
              setTemplateError(false);
              downloadDraftsTemplate(organizationId).catch(() => setTemplateError(true));
            }}
          >
            Download the template
          </button>
          {templateError && <span className="ml-2 text-red-700">The template could not be downloaded.</span>}
        </p>
        <label className="block text-sm font-medium text-neutral-800">
          CSV file
          <input
            type="file"
            accept=".csv,text/csv"
            className="mt-1 block w-full text-sm"
            onChange={(event) => choose(event.target.files?.[0] ?? null)}
          />
        </label>

        {check.isPending && (
          <p className="flex items-center gap-2 text-sm text-neutral-600">
            <Spinner /> Checking the file…
          </p>
        )}
        {check.isError && <Alert tone="error">{errorMessage(check.error)}</Alert>}

        {imported ? (
          <Alert tone="success" title={imported.duplicate ? "Already imported" : "Drafts created"}>
            {imported.duplicate
              ? "This file was imported before; no new draft was created."
              : `${imported.drafts.length} draft(s) created.`}
          </Alert>
        ) : (
          checked && (
            <div className="space-y-3">
              {checked.duplicate && (
                <Alert tone="info" title="Already imported">
                  This file was imported{" "}
                  {checked.imported_at ? `on ${new Date(checked.imported_at).toLocaleString()}` : "before"}; importing
                  it again creates nothing.
                </Alert>
              )}
              <p className="text-sm text-neutral-700">
                {checked.rows} row(s), {checked.drafts.length} draft(s), {checked.error_count} error(s),{" "}
                {checked.warning_count} warning(s).
              </p>
              <DraftSummaryList result={checked} />
              {checked.problems.length > 0 ? (
                <ProblemTable problems={checked.problems} />
              ) : (
                !checked.duplicate && <p className="text-sm text-green-700">No problems: ready to import.</p>
              )}
            </div>
          )
        )}

        {confirm.isError && (
          <div className="space-y-2">
            <Alert tone="error">{errorMessage(confirm.error)}</Alert>
            {confirmProblems.length > 0 && <ProblemTable problems={confirmProblems} />}
          </div>
        )}

        <div className="flex justify-end gap-2">
          <DialogClose asChild>
            <Button variant="secondary">{imported ? "Close" : "Cancel"}</Button>
          </DialogClose>
          {!imported && (
            <Button disabled={!canImport || confirm.isPending} onClick={() => file && confirm.mutate(file)}>
              {confirm.isPending
                ? "Importing…"
                : `Import ${checked && !checked.duplicate ? checked.drafts.length : ""} draft(s)`.replace("  ", " ")}
            </Button>
          )}
        </div>
      </div>
    </Dialog>
  );
}
