/**
 * Money as the API sends it: integer micros (millionths of the currency unit) with an ISO 4217 code. The displayed
 * precision is the currency's own (2 for EUR/USD, 0 for JPY/KRW, 3 for KWD…), rounded half away from zero.
 */

export const MICROS_PER_UNIT = 1_000_000;

/**
 * The amount in currency units as an exact decimal string ("1234.5") for Intl: works for any safe integer of micros
 * without floating-point division.
 */
export function microsToDecimal(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`micros must be a safe integer, got ${micros}`);
  const negative = micros < 0;
  const abs = String(Math.abs(micros)).padStart(7, "0");
  const units = abs.slice(0, -6);
  const fraction = abs.slice(-6).replace(/0+$/, "");
  return `${negative ? "-" : ""}${units}${fraction ? `.${fraction}` : ""}`;
}

/**
 * formatMicros(12_340_000, "USD") → "$12.34"; formatMicros(1_500_000_000, "JPY") → "¥1,500".
 * null/undefined (no budget of that kind) → "—". A malformed currency code is shown after the number ("12.34 ??").
 */
export function formatMicros(micros: number | null | undefined, currency: string, locale?: string): string {
  if (micros === null || micros === undefined || !Number.isFinite(micros)) return "—";
  const value: number | Intl.StringNumericLiteral = Number.isSafeInteger(micros)
    ? (microsToDecimal(micros) as Intl.StringNumericLiteral)
    : micros / MICROS_PER_UNIT;
  let fmt: Intl.NumberFormat;
  try {
    fmt = new Intl.NumberFormat(locale, { style: "currency", currency });
  } catch {
    const plain = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return `${plain.format(value)} ${currency}`;
  }
  // Intl.NumberFormat.format accepts decimal strings (exact, no float rounding) since ES2023.
  return fmt.format(value);
}

/** How many decimals the currency has (2 for USD, 0 for JPY, 3 for KWD); 2 for an unknown code. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** micros → what a money input shows ("12.5" → "12.50" for EUR, "1500" for JPY), exact, without grouping. */
export function microsToInput(micros: number, currency: string): string {
  const [units = "0", fraction = ""] = microsToDecimal(micros).split(".");
  const digits = currencyDigits(currency);
  if (digits === 0 && !fraction) return units;
  return `${units}.${fraction.padEnd(Math.max(digits, fraction.length), "0")}`;
}

export type ParsedMoney = { ok: true; micros: number } | { ok: false; error: string };

/**
 * A typed amount in currency units → micros, exactly (no floating point). Accepts "12", "12.5", "1,234.50" (commas
 * as thousands separators); refuses negatives, more decimals than the currency has, and amounts too big to be safe.
 */
export function parseMoneyToMicros(text: string, currency: string): ParsedMoney {
  const cleaned = text.trim().replace(/[\s,]/g, "");
  if (!cleaned) return { ok: false, error: "Enter an amount." };
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return { ok: false, error: "Enter an amount like 12.50, without the currency sign." };
  const [, units = "0", fraction = ""] = match;
  const digits = currencyDigits(currency);
  if (fraction.replace(/0+$/, "").length > digits) {
    return {
      ok: false,
      error: digits === 0 ? `${currency} has no decimals.` : `${currency} has at most ${digits} decimals.`,
    };
  }
  const micros = Number(`${units}${fraction.padEnd(6, "0").slice(0, 6)}`);
  if (!Number.isSafeInteger(micros)) return { ok: false, error: "That amount is too large." };
  return { ok: true, micros };
}

/** What a person typed as an amount of `currency`, in micros; null when it is not one (see `parseMoneyToMicros`). */
export function decimalToMicros(text: string, currency: string): number | null {
  const parsed = parseMoneyToMicros(text, currency);
  return parsed.ok ? parsed.micros : null;
}
