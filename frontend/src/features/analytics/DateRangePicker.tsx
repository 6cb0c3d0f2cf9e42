import { useEffect, useId, useState, type FormEvent } from "react";
import { Button, Select } from "@/components/ui";
import { customRangeError, DEFAULT_COMPARE, DEFAULT_PRESET } from "./search";
import { COMPARES, PRESETS, type Compare, type DateRange, type Preset } from "./types";

export const PRESET_LABELS: Record<Preset, string> = {
  today: "Today",
  yesterday: "Yesterday",
  last_7_days: "Last 7 days",
  last_14_days: "Last 14 days",
  last_30_days: "Last 30 days",
  last_90_days: "Last 90 days",
  this_month: "This month",
  last_month: "Last month",
  this_year: "This year",
};

export const COMPARE_OPTIONS: Record<Compare, string> = {
  previous_period: "Previous period",
  previous_year: "Previous year",
  none: "No comparison",
};

const CUSTOM = "custom";

function utcDate(iso: string): Date {
  return new Date(`${iso}T00:00:00Z`);
}

/** "Oct 23 – Nov 21, 2026" (dates are calendar days: formatted in UTC so no time zone shifts them). */
export function formatDateRange(since: string, until: string, locale?: string): string {
  const fmt = new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  if (since === until) return fmt.format(utcDate(since));
  return fmt.formatRange(utcDate(since), utcDate(until));
}

export interface RangeValue {
  preset?: Preset;
  since?: string;
  until?: string;
  compare?: Compare;
}

/**
 * The date range (a preset or a custom range) and the comparison. Native selects and date inputs: usable with the
 * keyboard and screen readers everywhere. A custom range is applied with its button (or Enter), after validation.
 */
export function DateRangePicker({
  value,
  resolved,
  timeZone,
  onChange,
}: {
  value: RangeValue;
  /** The organization's reporting time zone, in which presets resolve. */
  timeZone?: string;
  /** The range the server resolved (shown, and the starting point of a custom range). */
  resolved: DateRange | undefined;
  onChange: (patch: RangeValue) => void;
}) {
  const id = useId();
  const isCustom = Boolean(value.since && value.until);
  const [editing, setEditing] = useState(isCustom);
  const [since, setSince] = useState(value.since ?? resolved?.since ?? "");
  const [until, setUntil] = useState(value.until ?? resolved?.until ?? "");
  const [error, setError] = useState<string | null>(null);

  // The URL changed (back button, a link): follow it.
  useEffect(() => {
    setEditing(Boolean(value.since && value.until));
    if (value.since && value.until) {
      setSince(value.since);
      setUntil(value.until);
    }
    setError(null);
  }, [value.since, value.until]);

  const selected = editing ? CUSTOM : (value.preset ?? DEFAULT_PRESET);
  const compare = value.compare ?? DEFAULT_COMPARE;

  function choose(option: string) {
    if (option === CUSTOM) {
      setSince(value.since ?? resolved?.since ?? "");
      setUntil(value.until ?? resolved?.until ?? "");
      setError(null);
      setEditing(true);
      return;
    }
    setEditing(false);
    onChange({ preset: option as Preset });
  }

  function apply(event: FormEvent) {
    event.preventDefault();
    const problem = customRangeError(since, until);
    setError(problem);
    if (!problem) onChange({ since, until });
  }

  return (
    <div className="flex flex-wrap items-end gap-3">
      <div className="space-y-1">
        <label htmlFor={`${id}-range`} className="block text-xs font-medium text-neutral-700">
          Date range
        </label>
        <Select id={`${id}-range`} value={selected} onChange={(e) => choose(e.target.value)}>
          {PRESETS.map((p) => (
            <option key={p} value={p}>
              {PRESET_LABELS[p]}
            </option>
          ))}
          <option value={CUSTOM}>Custom range…</option>
        </Select>
      </div>
      {editing && (
        <form onSubmit={apply} aria-label="Custom range" className="flex flex-wrap items-end gap-2" noValidate>
          <div className="space-y-1">
            <label htmlFor={`${id}-since`} className="block text-xs font-medium text-neutral-700">
              From
            </label>
            <input
              id={`${id}-since`}
              type="date"
              value={since}
              max={until || undefined}
              onChange={(e) => setSince(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              className="rounded-md border border-neutral-300 bg-white px-2 py-1.5 text-sm shadow-xs focus:border-neutral-500 focus:ring-2 focus:ring-neutral-200 focus:outline-none"
            />
          </div>
          <div className="space-y-1">
            <label htmlFor={`${id}-until`} className="block text-xs font-medium text-neutral-700">
              To
            </label>
            <input
              id={`${id}-until`}
              type="date"
              value={until}
              min={since || undefined}
              onChange={(e) => setUntil(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              className="rounded-md border border-neutral-300 bg-white px-2 py-1.5 text-sm shadow-xs focus:border-neutral-500 focus:ring-2 focus:ring-neutral-200 focus:outline-none"
            />
          </div>
          <Button type="submit" variant="secondary" size="sm" className="mb-px">
            Apply
          </Button>
          {error && (
            <p id={`${id}-error`} role="alert" className="w-full text-xs font-medium text-red-600">
              {error}
            </p>
          )}
        </form>
      )}
      <div className="space-y-1">
        <label htmlFor={`${id}-compare`} className="block text-xs font-medium text-neutral-700">
          Compare to
        </label>
        <Select id={`${id}-compare`} value={compare} onChange={(e) => onChange({ compare: e.target.value as Compare })}>
          {COMPARES.map((c) => (
            <option key={c} value={c}>
              {COMPARE_OPTIONS[c]}
            </option>
          ))}
        </Select>
      </div>
      {resolved && (
        <p className="pb-1.5 text-xs text-neutral-500" aria-live="polite">
          <span className="font-medium text-neutral-700">{formatDateRange(resolved.since, resolved.until)}</span>
          {resolved.compare_since && resolved.compare_until && (
            <> vs {formatDateRange(resolved.compare_since, resolved.compare_until)}</>
          )}
          {timeZone && (
            <span title="Presets such as “today” follow the organization's time zone">
              {" "}
              · {timeZone.replace(/_/g, " ")}
            </span>
          )}
        </p>
      )}
    </div>
  );
}
