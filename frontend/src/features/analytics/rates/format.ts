/**
 * "Mar 4, 2026" for a calendar day sent as "2026-03-04". A day is not an instant: it is shown as written, never
 * shifted by the browser's time zone (new Date("2026-03-04") is midnight UTC, the evening before in New York).
 */
export function formatDay(day: string, locale?: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return day;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric" }).format(date);
}
