/**
 * Acting on one entity from a table row: pause or enable it (remove behind a confirmation), and edit its daily
 * budget inline by the currency's rules and the platform's limits. The result shows beside the control and the row
 * refreshes once the platform confirms the change.
 */
import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Button, Dialog, cn } from "@/components/ui";
import { formatMicros } from "@/lib/money";
import { changeKeys, useChangeOptions, useRequestChanges } from "./api";
import { kindLabel, parseKindValue, valueToInput } from "./kinds";
import { ChangeOutcome, describeChangeError } from "./outcome";
import { resolveEntityId, type ChangeTarget } from "./target";
import type { ChangeOptions, ChangeRequest } from "./types";

/** Ask for one change of `target`, finding its adpilot id first where needed; remembers the change's id. */
function useSingleChange(organizationId: string, target: ChangeTarget) {
  const requestChanges = useRequestChanges(organizationId);
  const [changeId, setChangeId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  async function submit(change: Omit<ChangeRequest, "entity_id">): Promise<boolean> {
    setPending(true);
    setError(null);
    try {
      const entityId = await resolveEntityId(organizationId, target);
      const created = await requestChanges.mutateAsync([{ ...change, entity_id: entityId }]);
      setChangeId(created.items[0]?.id ?? null);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setPending(false);
    }
  }
  return { submit, changeId, error, pending };
}

/** Pause / Enable, and Remove behind a confirmation, with the outcome. */
export function StatusControl({ organizationId, target }: { organizationId: string; target: ChangeTarget }) {
  const single = useSingleChange(organizationId, target);
  const [confirmRemove, setConfirmRemove] = useState(false);
  if (target.status === "removed" || target.status === null) return null;
  const next = target.status === "active" ? "paused" : "active";
  return (
    <div className="flex flex-wrap items-center gap-1.5">
      <Button
        size="sm"
        variant="secondary"
        pending={single.pending}
        aria-label={`${next === "paused" ? "Pause" : "Enable"} ${target.name}`}
        onClick={() => void single.submit({ kind: "status", value: next })}
      >
        {next === "paused" ? "Pause" : "Enable"}
      </Button>
      <Button
        size="sm"
        variant="ghost"
        aria-label={`Remove ${target.name}`}
        disabled={single.pending}
        onClick={() => setConfirmRemove(true)}
      >
        Remove
      </Button>
      <Dialog
        open={confirmRemove}
        onOpenChange={setConfirmRemove}
        title={`Remove ${target.name}?`}
        description="Removing is final on the platform: a removed entity cannot be enabled again, and this cannot be undone."
      >
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setConfirmRemove(false)}>
            Keep it
          </Button>
          <Button
            variant="danger"
            onClick={() => {
              setConfirmRemove(false);
              void single.submit({ kind: "status", value: "removed" });
            }}
          >
            Remove
          </Button>
        </div>
      </Dialog>
      {single.changeId && <ChangeOutcome organizationId={organizationId} changeId={single.changeId} />}
      {single.error !== null && (
        <span role="alert" className="text-xs text-red-700">
          {describeChangeError(single.error)}
        </span>
      )}
    </div>
  );
}

/** Why a kind cannot be changed on this entity (from the options), or null. */
export function notEditableReason(options: ChangeOptions | undefined, kind: string): string | null {
  if (!options) return null;
  const refusal = options.not_editable.find((r) => r.kind === kind);
  if (refusal) return refusal.reason;
  if (!options.editable.some((o) => o.kind === kind)) return `${kindLabel(kind)} cannot be changed here.`;
  return null;
}

/**
 * A budget-like value (daily budget today) with an Edit button: the editor checks the amount against the currency's
 * decimals and the platform's minimum/step/maximum before asking for the change.
 */
export function BudgetControl({
  organizationId,
  target,
  kind = "daily_budget",
  display,
}: {
  organizationId: string;
  target: ChangeTarget;
  kind?: ChangeRequest["kind"];
  /** What the cell shows when not editing (the current value, formatted). */
  display: string;
}) {
  const queryClient = useQueryClient();
  const single = useSingleChange(organizationId, target);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const [entityId, setEntityId] = useState<string | null>(target.entityId);
  const [lookupError, setLookupError] = useState<unknown>(null);
  // The limits are read when someone reaches for the control, not for every row of the table.
  const [wanted, setWanted] = useState(false);
  const options = useChangeOptions(organizationId, wanted ? entityId : null);
  const option = options.data?.editable.find((o) => o.kind === kind);
  const reason = notEditableReason(options.data, kind);
  const currency = options.data?.currency ?? target.currency ?? "";
  const inputId = `budget-${target.key}`;

  async function ensureEntityId() {
    setWanted(true);
    if (entityId) return;
    try {
      setEntityId(await resolveEntityId(organizationId, target));
    } catch (e) {
      setLookupError(e);
    }
  }

  function open() {
    void ensureEntityId();
    const current = option?.current ?? (target.dailyBudgetMicros != null ? String(target.dailyBudgetMicros) : null);
    setText(valueToInput(kind, current, currency));
    setInvalid(null);
    setEditing(true);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    const parsed = parseKindValue(kind, text, currency, option ?? {});
    if (!parsed.ok) {
      setInvalid(parsed.error);
      return;
    }
    if (await single.submit({ kind, value: parsed.value })) {
      setEditing(false);
      void queryClient.invalidateQueries({ queryKey: changeKeys.options(organizationId, entityId ?? "") });
    }
  }

  if (!editing) {
    return (
      <div className="flex flex-col items-end gap-1">
        <span className="inline-flex items-center gap-1.5">
          <span>{display}</span>
          <Button
            size="sm"
            variant="ghost"
            className="h-6 px-1.5 text-xs"
            aria-label={`Edit ${kindLabel(kind).toLowerCase()} of ${target.name}`}
            title={reason ?? undefined}
            disabled={Boolean(reason)}
            onMouseEnter={() => void ensureEntityId()}
            onFocus={() => void ensureEntityId()}
            onClick={open}
          >
            Edit
          </Button>
        </span>
        {single.changeId && <ChangeOutcome organizationId={organizationId} changeId={single.changeId} />}
      </div>
    );
  }

  const limits = [
    option?.minimum_micros != null ? `min ${formatMicros(option.minimum_micros, currency)}` : null,
    option?.step_micros != null ? `steps of ${formatMicros(option.step_micros, currency)}` : null,
    option?.maximum_micros != null ? `max ${formatMicros(option.maximum_micros, currency)}` : null,
    option?.hourly_changes_left != null ? `${option.hourly_changes_left} changes left this hour` : null,
  ].filter(Boolean);
  const problem = invalid ?? (single.error !== null ? describeChangeError(single.error) : null);
  const blocked = reason ?? (lookupError !== null ? describeChangeError(lookupError) : null);

  return (
    <form onSubmit={(e) => void save(e)} className="flex flex-col items-end gap-1" noValidate>
      <div className="flex items-center gap-1.5">
        <label htmlFor={inputId} className="sr-only">
          New {kindLabel(kind).toLowerCase()} of {target.name} in {currency}
        </label>
        <span className="text-xs text-neutral-500">{currency}</span>
        <input
          id={inputId}
          inputMode="decimal"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setInvalid(null);
          }}
          onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${inputId}-error` : `${inputId}-hint`}
          disabled={Boolean(blocked)}
          className={cn(
            "w-28 rounded-md border px-2 py-1 text-right text-sm tabular-nums",
            problem ? "border-red-500" : "border-neutral-300",
          )}
        />
        <Button type="submit" size="sm" pending={single.pending} disabled={Boolean(blocked) || options.isPending}>
          Save
        </Button>
        <Button size="sm" variant="ghost" onClick={() => setEditing(false)}>
          Cancel
        </Button>
      </div>
      {problem ? (
        <p id={`${inputId}-error`} role="alert" className="text-xs text-red-700">
          {problem}
        </p>
      ) : blocked ? (
        <p id={`${inputId}-hint`} className="text-xs text-amber-800">
          {blocked}
        </p>
      ) : (
        <p id={`${inputId}-hint`} className="text-xs text-neutral-500">
          {options.isPending ? "Reading the platform's limits…" : limits.join(" · ")}
        </p>
      )}
    </form>
  );
}
