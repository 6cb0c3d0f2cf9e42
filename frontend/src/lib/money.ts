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

/**
 * Parse what a person typed as an amount of `currency` into micros, exactly (no float arithmetic): "12.5" → 12_500_000.
 * Accepts a plain decimal with at most the currency's decimals ("1,234.50" with thousands commas too); returns null for
 * anything else, including negative amounts.
 */
export function decimalToMicros(text: string, currency: string): number | null {
  const cleaned = text.trim().replace(/,(?=\d{3}(\D|$))/g, "");
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return null;
  const fraction = match[2] ?? "";
  if (fraction.length > currencyDigits(currency)) return null;
  const micros = Number(match[1]) * MICROS_PER_UNIT + Number(fraction.padEnd(6, "0") || "0");
  return Number.isSafeInteger(micros) ? micros : null;
}
