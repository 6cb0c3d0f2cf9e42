/** Pure helpers of the scheduled-reports screens: describing a schedule, reading the form, checking it. */
import type { ReportRun, ReportSchedule, ReportScheduleCreate } from "./api";

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export const MAX_RECIPIENTS = 50;
export type Frequency = ReportSchedule["frequency"];
export type RangePreset = ReportSchedule["range_preset"];
export type Compare = ReportSchedule["compare"];

export const PRESET_LABELS: Record<RangePreset, string> = {
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

export const COMPARE_LABELS: Record<Compare, string> = {
  none: "No comparison",
  previous_period: "The previous period",
  previous_year: "The same period last year",
};

export function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, "0")}:00`;
}

function ordinal(day: number): string {
  const suffix =
    day % 10 === 1 && day !== 11
      ? "st"
      : day % 10 === 2 && day !== 12
        ? "nd"
        : day % 10 === 3 && day !== 13
          ? "rd"
          : "th";
  return `${day}${suffix}`;
}

/** "Every Monday at 08:00 (Europe/Berlin)". */
export function describeTiming(
  schedule: Pick<ReportSchedule, "frequency" | "weekday" | "month_day" | "hour" | "time_zone">,
): string {
  const at = `at ${hourLabel(schedule.hour)} (${schedule.time_zone})`;
  if (schedule.frequency === "weekly") return `Every ${WEEKDAYS[schedule.weekday ?? 0]} ${at}`;
  if (schedule.frequency === "monthly") {
    const day = schedule.month_day ?? 1;
    return `Monthly on the ${ordinal(day)}${day > 28 ? " (or the month's last day)" : ""} ${at}`;
  }
  return `Every day ${at}`;
}

/** Split a list typed by a person (commas, semicolons, spaces or lines) into addresses, distinct and in order. */
export function parseRecipients(text: string): string[] {
  const seen = new Map<string, string>();
  for (const part of text.split(/[\s,;]+/)) {
    const address = part.trim();
    if (address && !seen.has(address.toLowerCase())) seen.set(address.toLowerCase(), address);
  }
  return [...seen.values()];
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface ScheduleForm {
  name: string;
  frequency: Frequency;
  weekday: string;
  month_day: string;
  hour: string;
  time_zone: string;
  recipients: string;
  range_preset: RangePreset;
  compare: Compare;
  attach_csv: boolean;
  enabled: boolean;
}

export function formFromSchedule(schedule: ReportSchedule | null, defaultTimeZone: string): ScheduleForm {
  return {
    name: schedule?.name ?? "",
    frequency: schedule?.frequency ?? "weekly",
    weekday: String(schedule?.weekday ?? 0),
    month_day: String(schedule?.month_day ?? 1),
    hour: String(schedule?.hour ?? 8),
    time_zone: schedule?.time_zone ?? defaultTimeZone,
    recipients: (schedule?.recipients ?? []).join("\n"),
    range_preset: schedule?.range_preset ?? "last_7_days",
    compare: schedule?.compare ?? "previous_period",
    attach_csv: schedule?.attach_csv ?? false,
    enabled: schedule?.enabled ?? true,
  };
}

/** The zones a schedule can use: the browser's list, which leaves out "UTC" (the default of a new organization). */
export function scheduleTimeZones(supported: readonly string[]): string[] {
  return supported.includes("UTC") ? [...supported] : ["UTC", ...supported];
}

/** Field errors a person can fix before sending (the server checks everything again). */
export function validateScheduleForm(form: ScheduleForm, knownTimeZones: readonly string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!form.name.trim()) errors.name = "Name the report, e.g. “Weekly client report”.";
  else if (form.name.trim().length > 120) errors.name = "Use at most 120 characters.";
  if (!form.time_zone) errors.time_zone = "Choose a time zone.";
  else if (knownTimeZones.length && !knownTimeZones.includes(form.time_zone))
    errors.time_zone = "Choose a time zone from the list, such as Europe/Berlin.";
  const recipients = parseRecipients(form.recipients);
  const invalid = recipients.filter((address) => !EMAIL_RE.test(address));
  if (recipients.length === 0) errors.recipients = "Add at least one email address.";
  else if (invalid.length)
    errors.recipients = `Not an email address: ${invalid.slice(0, 3).join(", ")}${invalid.length > 3 ? " …" : ""}`;
  else if (recipients.length > MAX_RECIPIENTS)
    errors.recipients = `At most ${MAX_RECIPIENTS} recipients (${recipients.length} given).`;
  return errors;
}

export function payloadFromForm(form: ScheduleForm): ReportScheduleCreate {
  return {
    name: form.name.trim(),
    frequency: form.frequency,
    weekday: form.frequency === "weekly" ? Number(form.weekday) : null,
    month_day: form.frequency === "monthly" ? Number(form.month_day) : null,
    hour: Number(form.hour),
    time_zone: form.time_zone,
    recipients: parseRecipients(form.recipients),
    range_preset: form.range_preset,
    compare: form.compare,
    attach_csv: form.attach_csv,
    enabled: form.enabled,
  };
}

export function runStatusTone(
  run: Pick<ReportRun, "status" | "error">,
): "green" | "red" | "amber" | "blue" | "neutral" {
  if (run.status === "succeeded") return "green";
  if (run.status === "failed") return "red";
  if (run.status === "queued" && run.error) return "amber";
  return "blue";
}

export function runStatusLabel(run: Pick<ReportRun, "status" | "error" | "attempts">): string {
  if (run.status === "queued" && run.error) return `Retrying (attempt ${run.attempts + 1})`;
  return { queued: "Queued", running: "Sending", succeeded: "Sent", failed: "Failed" }[run.status];
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
