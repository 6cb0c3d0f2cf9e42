import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Button, cn } from "@/components/ui";
import { PLATFORMS } from "@/features/connections/platforms";
import type { Platform } from "@/features/connections/types";
import { CAMPAIGN_STATUSES, type AccountFreshness, type CampaignStatus } from "./types";

const FILTER_DELAY_MS = 300;

export const STATUS_LABELS: Record<CampaignStatus, string> = { active: "Active", paused: "Paused", removed: "Removed" };

export interface FilterValue {
  platform?: Platform[];
  account?: string[];
  status?: CampaignStatus[];
  q?: string;
}

interface Option {
  value: string;
  label: string;
}

/** A labelled group of checkboxes behind a disclosure button (a native <details>, so it works with any keyboard). */
function MultiSelect({
  label,
  options,
  selected,
  onChange,
  allLabel,
}: {
  label: string;
  options: Option[];
  selected: string[];
  onChange: (values: string[]) => void;
  allLabel: string;
}) {
  const ref = useRef<HTMLDetailsElement>(null);
  const chosen = options.filter((o) => selected.includes(o.value));
  const summary = chosen.length === 0 ? allLabel : chosen.length === 1 ? chosen[0]!.label : `${chosen.length} selected`;

  // Close when focus or a click leaves the group, or on Escape.
  useEffect(() => {
    const details = ref.current;
    if (!details) return;
    const close = (event: Event) => {
      if (details.open && event.target instanceof Node && !details.contains(event.target)) details.open = false;
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key === "Escape" && details.open) {
        details.open = false;
        details.querySelector("summary")?.focus();
      }
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("focusin", close);
    details.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("focusin", close);
      details.removeEventListener("keydown", escape);
    };
  }, []);

  return (
    <div className="space-y-1">
      <p className="text-xs font-medium text-neutral-700" aria-hidden="true">
        {label}
      </p>
      <details ref={ref} className="relative">
        <summary
          aria-label={`${label}: ${summary}`}
          className={cn(
            "flex h-[34px] min-w-36 cursor-pointer list-none items-center justify-between gap-2 rounded-md border border-neutral-300 bg-white px-3 text-sm shadow-xs hover:bg-neutral-50 focus:border-neutral-500 focus:ring-2 focus:ring-neutral-200 focus:outline-none [&::-webkit-details-marker]:hidden",
            chosen.length > 0 && "border-neutral-500 font-medium",
          )}
        >
          <span className="max-w-48 truncate">{summary}</span>
          <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4 shrink-0 text-neutral-400">
            <path fill="currentColor" d="M5.5 7.5 10 12l4.5-4.5h-9Z" />
          </svg>
        </summary>
        <fieldset className="absolute z-30 mt-1 max-h-72 min-w-56 overflow-y-auto rounded-md border border-neutral-200 bg-white p-2 shadow-lg">
          <legend className="sr-only">{label}</legend>
          {options.length === 0 && <p className="px-1 py-1 text-sm text-neutral-500">Nothing to choose from yet.</p>}
          {options.map((option) => (
            <label
              key={option.value}
              className="flex cursor-pointer items-center gap-2 rounded px-1 py-1 text-sm hover:bg-neutral-50"
            >
              <input
                type="checkbox"
                className="size-4"
                checked={selected.includes(option.value)}
                onChange={(e) =>
                  onChange(e.target.checked ? [...selected, option.value] : selected.filter((v) => v !== option.value))
                }
              />
              <span className="truncate">{option.label}</span>
            </label>
          ))}
          {selected.length > 0 && (
            <button
              type="button"
              className="mt-1 w-full rounded px-1 py-1 text-left text-xs text-neutral-600 underline hover:text-neutral-900"
              onClick={() => onChange([])}
            >
              {allLabel}
            </button>
          )}
        </fieldset>
      </details>
    </div>
  );
}

function NameFilter({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  const latest = useRef(onChange);
  latest.current = onChange;

  // The URL changed elsewhere (a link, "Clear filters"): show it.
  useEffect(() => setText(value), [value]);
  // Typing filters after a short pause; Enter filters at once.
  useEffect(() => {
    if (text.trim() === value) return;
    const timer = setTimeout(() => latest.current(text.trim()), FILTER_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, value]);

  return (
    <form
      role="search"
      className="space-y-1"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onChange(text.trim());
      }}
    >
      <label htmlFor={id} className="block text-xs font-medium text-neutral-700">
        Campaign name contains
      </label>
      <input
        id={id}
        type="search"
        value={text}
        maxLength={200}
        onChange={(e) => setText(e.target.value)}
        placeholder="Any campaign"
        className="w-56 rounded-md border border-neutral-300 bg-white px-3 py-1.5 text-sm shadow-xs focus:border-neutral-500 focus:ring-2 focus:ring-neutral-200 focus:outline-none"
      />
    </form>
  );
}

/** Platform, ad account, campaign status and campaign name filters (all kept in the URL by the screen). */
export function DashboardFilters({
  value,
  accounts,
  onChange,
}: {
  value: FilterValue;
  accounts: AccountFreshness[];
  onChange: (patch: FilterValue) => void;
}) {
  const platformOptions = PLATFORMS.map((p) => ({ value: p.id, label: p.title }));
  const order = PLATFORMS.map((p) => p.id as string);
  const accountOptions = [...accounts]
    .filter((a) => !value.platform?.length || value.platform.includes(a.platform))
    .sort((a, b) => order.indexOf(a.platform) - order.indexOf(b.platform) || a.name.localeCompare(b.name))
    .map((a) => ({
      value: a.ad_account_id,
      label: `${a.name} (${PLATFORMS.find((p) => p.id === a.platform)?.title ?? a.platform})`,
    }));
  // An account chosen earlier but not listed (removed since, or from a shared link) stays visible so it can be cleared.
  for (const id of value.account ?? []) {
    if (!accountOptions.some((o) => o.value === id))
      accountOptions.push({ value: id, label: `Account ${id.slice(0, 8)}…` });
  }
  const statusOptions = CAMPAIGN_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }));
  const active = Boolean(value.platform?.length || value.account?.length || value.status?.length || value.q);

  return (
    <div role="group" aria-label="Filters" className="flex flex-wrap items-end gap-3">
      <MultiSelect
        label="Platform"
        allLabel="All platforms"
        options={platformOptions}
        selected={value.platform ?? []}
        onChange={(v) => onChange({ platform: v as Platform[] })}
      />
      <MultiSelect
        label="Ad account"
        allLabel="All ad accounts"
        options={accountOptions}
        selected={value.account ?? []}
        onChange={(v) => onChange({ account: v })}
      />
      <MultiSelect
        label="Campaign status"
        allLabel="Any status"
        options={statusOptions}
        selected={value.status ?? []}
        onChange={(v) => onChange({ status: v as CampaignStatus[] })}
      />
      <NameFilter value={value.q ?? ""} onChange={(q) => onChange({ q })} />
      {active && (
        <Button
          variant="ghost"
          size="sm"
          className="mb-px"
          onClick={() => onChange({ platform: undefined, account: undefined, status: undefined, q: undefined })}
        >
          Clear filters
        </Button>
      )}
    </div>
  );
}
