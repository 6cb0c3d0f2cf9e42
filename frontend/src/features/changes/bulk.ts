/** Bulk actions in terms of change requests: what each selected entity gets asked. */
import { currencyDigits, parseMoneyToMicros } from "@/lib/money";
import type { ChangeRequest } from "./types";

export type BulkAction = "pause" | "enable" | "set_budget" | "scale_budget";

export const BULK_ACTIONS: { id: BulkAction; label: string }[] = [
  { id: "pause", label: "Pause" },
  { id: "enable", label: "Enable" },
  { id: "set_budget", label: "Set daily budget" },
  { id: "scale_budget", label: "Change daily budget by %" },
];

/** Parse the percentage of a scale action: "-20", "+15", "10.5" (between -90 and +1000). */
export function parsePercent(text: string): { ok: true; percent: number } | { ok: false; error: string } {
  const cleaned = text.trim().replace(/%$/, "").replace(/^\+/, "");
  if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return { ok: false, error: "Enter a percentage like 20 or -15." };
  const percent = Number(cleaned);
  if (percent === 0) return { ok: false, error: "A change of 0 % changes nothing." };
  if (percent < -90 || percent > 1000) return { ok: false, error: "Use a percentage between -90 and +1000." };
  return { ok: true, percent };
}

/** A budget scaled by a percentage, rounded to the currency's smallest unit (never below one unit of it). */
export function scaleMicros(micros: number, percent: number, currency: string): number {
  const unit = 10 ** (6 - Math.min(currencyDigits(currency), 6));
  const scaled = Math.round((micros * (100 + percent)) / 100 / unit) * unit;
  return Math.max(scaled, unit);
}

export interface BulkEntity {
  entityId: string;
  currency: string | null;
  /** The current daily budget in micros (null: none, or not known). */
  dailyBudgetMicros: number | null;
}

export type BuiltRequest = { ok: true; request: ChangeRequest } | { ok: false; error: string };

/** The change one entity gets from a bulk action, or why it gets none. */
export function buildRequest(action: BulkAction, value: string, entity: BulkEntity, reason?: string): BuiltRequest {
  const base = { entity_id: entity.entityId, ...(reason?.trim() ? { reason: reason.trim() } : {}) };
  if (action === "pause") return { ok: true, request: { ...base, kind: "status", value: "paused" } };
  if (action === "enable") return { ok: true, request: { ...base, kind: "status", value: "active" } };
  if (!entity.currency) return { ok: false, error: "Its currency is not known." };
  if (action === "set_budget") {
    const parsed = parseMoneyToMicros(value, entity.currency);
    if (!parsed.ok) return parsed;
    return { ok: true, request: { ...base, kind: "daily_budget", value: String(parsed.micros) } };
  }
  const percent = parsePercent(value);
  if (!percent.ok) return percent;
  if (entity.dailyBudgetMicros == null) return { ok: false, error: "It has no daily budget of its own." };
  const micros = scaleMicros(entity.dailyBudgetMicros, percent.percent, entity.currency);
  return { ok: true, request: { ...base, kind: "daily_budget", value: String(micros) } };
}
