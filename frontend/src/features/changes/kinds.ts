/**
 * Every kind of change in one map: its label, how its values read, and which editor sets it. A kind the API adds
 * later works at once through the fallback (its raw values, a text editor) and gets an entry here for its words.
 */
import { formatMicros, microsToInput, parseMoneyToMicros } from "@/lib/money";
import type { ChangeSource, ChangeStatus } from "./types";

export type KindEditor = "status" | "money" | "number" | "text" | "date";

export interface KindDef {
  label: string;
  editor: KindEditor;
}

const KINDS: Record<string, KindDef> = {
  status: { label: "Status", editor: "status" },
  daily_budget: { label: "Daily budget", editor: "money" },
  lifetime_budget: { label: "Lifetime budget", editor: "money" },
  bid: { label: "Bid", editor: "money" },
  target_roas: { label: "Target ROAS", editor: "number" },
  name: { label: "Name", editor: "text" },
  end_date: { label: "End date", editor: "date" },
};

/** The kind's definition; an unknown kind reads as its tidied name with a text editor. */
export function kindDef(kind: string): KindDef {
  return KINDS[kind] ?? { label: tidy(kind), editor: "text" };
}

export function kindLabel(kind: string): string {
  return kindDef(kind).label;
}

/** The kinds the history can filter by (known ones; the API's list may be longer). */
export const KNOWN_KINDS = Object.keys(KINDS);

const ENTITY_STATUS_LABELS: Record<string, string> = { active: "Active", paused: "Paused", removed: "Removed" };

/** A value of a change in words: "Paused", "€50.00", "2026-12-31"; null → "—". */
export function formatChangeValue(kind: string, value: string | null | undefined, currency: string | null): string {
  if (value === null || value === undefined || value === "") return "—";
  const editor = kindDef(kind).editor;
  if (editor === "status") return ENTITY_STATUS_LABELS[value] ?? tidy(value);
  if (editor === "money") {
    const micros = Number(value);
    return Number.isSafeInteger(micros) ? formatMicros(micros, currency ?? "") : value;
  }
  return value;
}

/** A value as the kind's editor shows it (money in currency units). */
export function valueToInput(kind: string, value: string | null | undefined, currency: string): string {
  if (value === null || value === undefined) return "";
  if (kindDef(kind).editor === "money") {
    const micros = Number(value);
    return Number.isSafeInteger(micros) ? microsToInput(micros, currency) : "";
  }
  return value;
}

export interface MoneyLimits {
  minimum_micros?: number | null;
  step_micros?: number | null;
  maximum_micros?: number | null;
}

export type ParsedValue = { ok: true; value: string } | { ok: false; error: string };

/**
 * What an editor's text sends as the change's value, checked against the platform's limits where they are known:
 * money in micros of the currency (a string), other kinds as typed.
 */
export function parseKindValue(kind: string, text: string, currency: string, limits: MoneyLimits = {}): ParsedValue {
  const editor = kindDef(kind).editor;
  if (editor === "money") {
    const parsed = parseMoneyToMicros(text, currency);
    if (!parsed.ok) return parsed;
    return checkMoney(parsed.micros, currency, limits);
  }
  const value = text.trim();
  if (!value) return { ok: false, error: "Enter a value." };
  if (editor === "number" && !/^\d+(\.\d+)?$/.test(value)) return { ok: false, error: "Enter a number like 4.5." };
  if (editor === "date" && Number.isNaN(Date.parse(value))) return { ok: false, error: "Enter a date." };
  return { ok: true, value };
}

/** A budget in micros checked against the minimum, maximum and step the platform takes. */
export function checkMoney(micros: number, currency: string, limits: MoneyLimits): ParsedValue {
  const { minimum_micros: min, maximum_micros: max, step_micros: step } = limits;
  if (micros <= 0) return { ok: false, error: "A budget must be more than zero." };
  if (min != null && micros < min) return { ok: false, error: `The minimum is ${formatMicros(min, currency)}.` };
  if (max != null && micros > max) return { ok: false, error: `The maximum is ${formatMicros(max, currency)}.` };
  if (step != null && step > 0 && micros % step !== 0) {
    return { ok: false, error: `Use steps of ${formatMicros(step, currency)}.` };
  }
  return { ok: true, value: String(micros) };
}

export const CHANGE_STATUS: Record<ChangeStatus, { label: string; tone: "green" | "amber" | "red" | "neutral" }> = {
  pending_approval: { label: "Waiting for approval", tone: "amber" },
  approved: { label: "Approved", tone: "neutral" },
  rejected: { label: "Rejected", tone: "neutral" },
  expired: { label: "Expired", tone: "neutral" },
  queued: { label: "Queued", tone: "neutral" },
  applying: { label: "Applying", tone: "neutral" },
  applied: { label: "Applied", tone: "green" },
  verified: { label: "Verified", tone: "green" },
  failed: { label: "Failed", tone: "red" },
};

export const CHANGE_STATUSES = Object.keys(CHANGE_STATUS) as ChangeStatus[];

/** Statuses on the way to the platform: worth polling until they settle. */
export const IN_FLIGHT: readonly ChangeStatus[] = ["approved", "queued", "applying"];

export function isInFlight(status: ChangeStatus): boolean {
  return IN_FLIGHT.includes(status);
}

export const CHANGE_SOURCES: Record<ChangeSource, string> = {
  person: "A person",
  rule: "A rule",
  recommendation: "A recommendation",
  undo: "Undo",
};

function tidy(value: string): string {
  const words = value.replace(/[_-]+/g, " ").toLowerCase().trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
