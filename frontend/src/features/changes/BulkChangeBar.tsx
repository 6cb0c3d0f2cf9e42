/**
 * A bulk change of the selected rows (any accounts and platforms): pick an action, preview every entity's
 * before → after with the problems the platforms' rules find, confirm, then follow the batch until each change is
 * verified or failed.
 */
import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Badge, Button, Dialog, Select, Spinner } from "@/components/ui";
import { platformTitle } from "@/features/connections/platforms";
import { describeError } from "@/lib/forms";
import { pluralize } from "@/lib/format";
import { fetchChangeOptions, useBatch, usePreviewChanges, useRequestChanges } from "./api";
import { BULK_ACTIONS, buildRequest, parsePercent, type BulkAction } from "./bulk";
import { CHANGE_STATUS, formatChangeValue, isInFlight } from "./kinds";
import { describeChangeError, refusalProblems } from "./outcome";
import type { Selection } from "./selection";
import { resolveEntityId, type ChangeTarget } from "./target";
import type { ChangeProblem, ChangeRequest, ChangesPreview } from "./types";
import { parseMoneyToMicros } from "@/lib/money";

export function BulkChangeBar({ organizationId, selection }: { organizationId: string; selection: Selection }) {
  const [action, setAction] = useState<BulkAction>("pause");
  const [value, setValue] = useState("");
  const [reason, setReason] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const count = selection.items.length;
  if (count === 0) return null;
  const needsValue = action === "set_budget" || action === "scale_budget";

  function preview() {
    if (action === "scale_budget") {
      const parsed = parsePercent(value);
      if (!parsed.ok) return setInvalid(parsed.error);
    }
    if (action === "set_budget") {
      // Checked against each entity's own currency when the requests are built; here only the shape.
      const parsed = parseMoneyToMicros(value, "USD");
      if (!parsed.ok) return setInvalid(parsed.error);
    }
    setInvalid(null);
    setOpen(true);
  }

  return (
    <section
      aria-label="Bulk change"
      className="flex flex-wrap items-end gap-3 rounded-lg border border-neutral-300 bg-neutral-50 px-4 py-3"
    >
      <p className="self-center text-sm font-medium text-neutral-900">{pluralize(count, "row")} selected</p>
      <div className="space-y-1">
        <label htmlFor="bulk-action" className="block text-xs font-medium text-neutral-700">
          Action
        </label>
        <Select
          id="bulk-action"
          value={action}
          onChange={(e) => {
            setAction(e.target.value as BulkAction);
            setInvalid(null);
          }}
        >
          {BULK_ACTIONS.map((a) => (
            <option key={a.id} value={a.id}>
              {a.label}
            </option>
          ))}
        </Select>
      </div>
      {needsValue && (
        <div className="space-y-1">
          <label htmlFor="bulk-value" className="block text-xs font-medium text-neutral-700">
            {action === "set_budget" ? "Amount (each account's currency)" : "Change in %"}
          </label>
          <input
            id="bulk-value"
            inputMode="decimal"
            value={value}
            onChange={(e) => {
              setValue(e.target.value);
              setInvalid(null);
            }}
            placeholder={action === "set_budget" ? "50.00" : "+20 or -15"}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={invalid ? "bulk-value-error" : undefined}
            className="w-36 rounded-md border border-neutral-300 bg-white px-2 py-1.5 text-sm"
          />
        </div>
      )}
      <div className="space-y-1">
        <label htmlFor="bulk-reason" className="block text-xs font-medium text-neutral-700">
          Reason (optional)
        </label>
        <input
          id="bulk-reason"
          value={reason}
          maxLength={1000}
          onChange={(e) => setReason(e.target.value)}
          className="w-56 rounded-md border border-neutral-300 bg-white px-2 py-1.5 text-sm"
        />
      </div>
      <Button onClick={preview}>Preview</Button>
      <Button variant="ghost" onClick={selection.clear}>
        Clear selection
      </Button>
      {invalid && (
        <p id="bulk-value-error" role="alert" className="w-full text-xs text-red-700">
          {invalid}
        </p>
      )}
      {open && (
        <BulkChangeDialog
          organizationId={organizationId}
          targets={selection.items}
          action={action}
          value={value}
          reason={reason}
          onClose={(done) => {
            setOpen(false);
            if (done) selection.clear();
          }}
        />
      )}
    </section>
  );
}

interface Prepared {
  /** What goes to the API, with the target each request is for. */
  requests: { target: ChangeTarget; request: ChangeRequest }[];
  /** Targets that get no change, and why. */
  skipped: { target: ChangeTarget; error: string }[];
}

type Step =
  | { step: "preparing" }
  | { step: "failed"; error: unknown }
  | { step: "preview"; prepared: Prepared; preview: ChangesPreview }
  | { step: "progress"; prepared: Prepared; batchId: string | null; ids: string[] };

function BulkChangeDialog({
  organizationId,
  targets,
  action,
  value,
  reason,
  onClose,
}: {
  organizationId: string;
  targets: ChangeTarget[];
  action: BulkAction;
  value: string;
  reason: string;
  onClose: (done: boolean) => void;
}) {
  const queryClient = useQueryClient();
  const previewChanges = usePreviewChanges(organizationId);
  const requestChanges = useRequestChanges(organizationId);
  const [state, setState] = useState<Step>({ step: "preparing" });
  const started = useRef(false);
  const [submitError, setSubmitError] = useState<unknown>(null);

  async function prepare(): Promise<Prepared> {
    const requests: Prepared["requests"] = [];
    const skipped: Prepared["skipped"] = [];
    const resolved = await Promise.all(
      targets.map(async (target) => {
        try {
          return { target, entityId: await resolveEntityId(organizationId, target), error: null };
        } catch (error) {
          return { target, entityId: null, error: describeError(error) };
        }
      }),
    );
    for (const { target, entityId, error } of resolved) {
      if (!entityId) {
        skipped.push({ target, error: error ?? "Not found." });
        continue;
      }
      let currency = target.currency;
      let budget = target.dailyBudgetMicros;
      const needsBudget = action === "scale_budget" && budget == null;
      if ((action !== "pause" && action !== "enable" && !currency) || needsBudget) {
        // A dashboard row knows neither: the entity's options tell its currency and current budget.
        try {
          const options = await fetchChangeOptions(queryClient, organizationId, entityId);
          currency = options.currency;
          const current = options.editable.find((o) => o.kind === "daily_budget")?.current;
          if (budget == null && current != null && Number.isSafeInteger(Number(current))) budget = Number(current);
        } catch (e) {
          skipped.push({ target, error: describeError(e) });
          continue;
        }
      }
      const built = buildRequest(action, value, { entityId, currency, dailyBudgetMicros: budget }, reason);
      if (built.ok) requests.push({ target, request: built.request });
      else skipped.push({ target, error: built.error });
    }
    return { requests, skipped };
  }

  async function runPreview(prepared: Prepared) {
    if (prepared.requests.length === 0) {
      setState({ step: "preview", prepared, preview: { items: [], problems: [] } });
      return;
    }
    try {
      const preview = await previewChanges.mutateAsync(prepared.requests.map((r) => r.request));
      setState({ step: "preview", prepared, preview });
    } catch (error) {
      setState({ step: "failed", error });
    }
  }

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void prepare().then(runPreview, (error: unknown) => setState({ step: "failed", error }));
    // Prepared once, for the selection the dialog opened with.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function confirm(prepared: Prepared) {
    setSubmitError(null);
    try {
      const created = await requestChanges.mutateAsync(prepared.requests.map((r) => r.request));
      setState({ step: "progress", prepared, batchId: created.batch_id ?? null, ids: created.items.map((c) => c.id) });
    } catch (error) {
      // Something changed since the preview (another change, the hourly limit): show the problems again.
      const problems = refusalProblems(error);
      if (problems.length) setState({ step: "preview", prepared, preview: { items: [], problems } });
      else setSubmitError(error);
    }
  }

  function leaveOutRefused(prepared: Prepared, problems: ChangeProblem[]) {
    const refused = new Set(problems.map((p) => p.index));
    const next: Prepared = {
      requests: prepared.requests.filter((_, i) => !refused.has(i)),
      skipped: [
        ...prepared.skipped,
        ...prepared.requests
          .map((r, i) => ({ r, i }))
          .filter(({ i }) => refused.has(i))
          .map(({ r, i }) => ({
            target: r.target,
            error: problems
              .filter((p) => p.index === i)
              .map((p) => p.detail)
              .join(" "),
          })),
      ],
    };
    setState({ step: "preparing" });
    void runPreview(next);
  }

  const actionLabel = BULK_ACTIONS.find((a) => a.id === action)?.label ?? action;
  return (
    <Dialog
      open
      wide
      onOpenChange={(open) => !open && onClose(state.step === "progress")}
      title={`${actionLabel}: ${pluralize(targets.length, "entity", "entities")}`}
      description={
        state.step === "progress"
          ? "The changes are on their way to the platforms."
          : "Check every change before it is asked for. Nothing is changed until you confirm."
      }
    >
      {state.step === "preparing" && <Spinner label="Checking the changes…" />}
      {state.step === "failed" && (
        <div role="alert" className="space-y-3 text-sm text-red-800">
          <p>{describeChangeError(state.error)}</p>
          <Button variant="secondary" onClick={() => onClose(false)}>
            Close
          </Button>
        </div>
      )}
      {state.step === "preview" && (
        <PreviewStep
          prepared={state.prepared}
          preview={state.preview}
          pending={requestChanges.isPending}
          error={submitError}
          onLeaveOut={() => leaveOutRefused(state.prepared, state.preview.problems)}
          onConfirm={() => void confirm(state.prepared)}
          onCancel={() => onClose(false)}
        />
      )}
      {state.step === "progress" && (
        <ProgressStep
          organizationId={organizationId}
          batchId={state.batchId}
          prepared={state.prepared}
          onClose={() => onClose(true)}
        />
      )}
    </Dialog>
  );
}

function EntityCell({ target }: { target: ChangeTarget }) {
  return (
    <>
      <span className="font-medium text-neutral-900">{target.name}</span>
      <span className="block text-xs text-neutral-500">
        {platformTitle(target.platform)}
        {target.accountName ? ` · ${target.accountName}` : ""}
      </span>
    </>
  );
}

function PreviewStep({
  prepared,
  preview,
  pending,
  error,
  onLeaveOut,
  onConfirm,
  onCancel,
}: {
  prepared: Prepared;
  preview: ChangesPreview;
  pending: boolean;
  error: unknown;
  onLeaveOut: () => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const byIndex = new Map(preview.items.map((item) => [item.index, item]));
  const problemsOf = (index: number) => preview.problems.filter((p) => p.index === index);
  const waiting = preview.items.filter((i) => i.needs_approval).length;
  const refused = new Set(preview.problems.map((p) => p.index)).size;
  return (
    <div className="space-y-4">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Every entity's change, before and after</caption>
        <thead className="border-b border-neutral-200 text-xs text-neutral-500">
          <tr>
            <th scope="col" className="py-1.5 pr-3 font-medium">
              Entity
            </th>
            <th scope="col" className="py-1.5 pr-3 font-medium">
              Before → after
            </th>
            <th scope="col" className="py-1.5 font-medium">
              Check
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-neutral-100">
          {prepared.requests.map(({ target, request }, index) => {
            const item = byIndex.get(index);
            const problems = problemsOf(index);
            const currency = item?.currency ?? target.currency;
            return (
              <tr key={target.key}>
                <td className="py-2 pr-3 align-top">
                  <EntityCell target={target} />
                </td>
                <td className="py-2 pr-3 align-top tabular-nums">
                  {formatChangeValue(request.kind, item?.value_before ?? null, currency)} →{" "}
                  <strong>{formatChangeValue(request.kind, item?.value_after ?? request.value, currency)}</strong>
                </td>
                <td className="py-2 align-top text-xs">
                  {problems.length ? (
                    <span className="text-red-700">{problems.map((p) => p.detail).join(" ")}</span>
                  ) : item?.needs_approval ? (
                    <Badge tone="amber">Needs approval</Badge>
                  ) : (
                    <Badge tone="green">OK</Badge>
                  )}
                </td>
              </tr>
            );
          })}
          {prepared.skipped.map(({ target, error: why }) => (
            <tr key={target.key} className="text-neutral-500">
              <td className="py-2 pr-3 align-top">
                <EntityCell target={target} />
              </td>
              <td className="py-2 pr-3 align-top">Left out</td>
              <td className="py-2 align-top text-xs">{why}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {refused > 0 && (
        <p role="alert" className="text-sm text-red-800">
          {pluralize(refused, "change")} would be refused, and a request is stored only as a whole. Leave{" "}
          {refused === 1 ? "it" : "them"} out to go on with the others.
        </p>
      )}
      {refused === 0 && waiting > 0 && (
        <p className="text-sm text-amber-900">{pluralize(waiting, "change")} will wait for a manager's approval.</p>
      )}
      {error !== null && (
        <p role="alert" className="text-sm text-red-800">
          {describeChangeError(error)}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        {refused > 0 ? (
          <Button onClick={onLeaveOut} disabled={refused === prepared.requests.length}>
            Leave out refused ones
          </Button>
        ) : (
          <Button onClick={onConfirm} pending={pending} disabled={prepared.requests.length === 0}>
            Confirm {pluralize(prepared.requests.length, "change")}
          </Button>
        )}
      </div>
    </div>
  );
}

function ProgressStep({
  organizationId,
  batchId,
  prepared,
  onClose,
}: {
  organizationId: string;
  batchId: string | null;
  prepared: Prepared;
  onClose: () => void;
}) {
  const batch = useBatch(organizationId, batchId);
  const items = batch.data?.items ?? [];
  const total = prepared.requests.length;
  const done = items.filter((c) => c.status === "verified" || c.status === "applied").length;
  const failed = items.filter((c) => c.status === "failed").length;
  const waiting = items.filter((c) => c.status === "pending_approval").length;
  const moving = items.some((c) => isInFlight(c.status));
  const byEntity = new Map(items.map((c) => [c.entity_id, c]));
  return (
    <div className="space-y-4">
      <div>
        <p aria-live="polite" className="text-sm font-medium text-neutral-900">
          {done} of {total} verified{failed ? ` · ${failed} failed` : ""}
          {waiting ? ` · ${waiting} waiting for approval` : ""}
        </p>
        <div
          className="mt-2 h-2 overflow-hidden rounded-full bg-neutral-200"
          role="progressbar"
          aria-label="Changes verified"
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={done}
        >
          <div className="h-full bg-green-600" style={{ width: `${total ? (100 * done) / total : 0}%` }} />
        </div>
        {batch.isError && <p className="mt-2 text-xs text-red-700">{describeError(batch.error)}</p>}
        {!batchId && <p className="mt-2 text-xs text-neutral-500">Follow the changes in the change history.</p>}
      </div>
      <ul className="max-h-80 divide-y divide-neutral-100 overflow-y-auto text-sm">
        {prepared.requests.map(({ target, request }) => {
          const change = byEntity.get(request.entity_id);
          return (
            <li key={target.key} className="flex items-start justify-between gap-3 py-2">
              <span>
                <EntityCell target={target} />
              </span>
              <span className="text-right text-xs">
                {change ? (
                  <>
                    <Badge tone={CHANGE_STATUS[change.status].tone}>{CHANGE_STATUS[change.status].label}</Badge>
                    {change.error && <span className="mt-1 block text-red-700">{change.error}</span>}
                  </>
                ) : (
                  <Badge>Requested</Badge>
                )}
              </span>
            </li>
          );
        })}
      </ul>
      <div className="flex items-center justify-end gap-2">
        {moving && <Spinner label="Applying" />}
        <Button onClick={onClose}>{moving ? "Close (they go on)" : "Done"}</Button>
      </div>
    </div>
  );
}
