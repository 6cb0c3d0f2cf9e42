import { describe, expect, it } from "vitest";
import type { Role } from "@/api/types";
import {
  describeTiming,
  formFromSchedule,
  parseRecipients,
  payloadFromForm,
  runStatusLabel,
  runStatusTone,
  scheduleTimeZones,
  validateScheduleForm,
} from "./schedule";

const ZONES = ["Europe/Berlin", "America/New_York", "UTC"];

describe("describeTiming", () => {
  it("says when each frequency sends, in the schedule's zone", () => {
    expect(describeTiming({ frequency: "daily", weekday: null, month_day: null, hour: 7, time_zone: "UTC" })).toBe(
      "Every day at 07:00 (UTC)",
    );
    expect(
      describeTiming({ frequency: "weekly", weekday: 0, month_day: null, hour: 8, time_zone: "Europe/Berlin" }),
    ).toBe("Every Monday at 08:00 (Europe/Berlin)");
    expect(describeTiming({ frequency: "monthly", weekday: null, month_day: 31, hour: 6, time_zone: "UTC" })).toBe(
      "Monthly on the 31st (or the month's last day) at 06:00 (UTC)",
    );
    expect(describeTiming({ frequency: "monthly", weekday: null, month_day: 2, hour: 6, time_zone: "UTC" })).toBe(
      "Monthly on the 2nd at 06:00 (UTC)",
    );
  });
});

describe("recipients", () => {
  it("splits on commas, semicolons, spaces and lines and drops duplicates of any case", () => {
    expect(parseRecipients("a@x.com, B@x.com;\nb@x.com  c@x.com\n\n")).toEqual(["a@x.com", "B@x.com", "c@x.com"]);
  });

  it("refuses an empty list, a non-address and more than 50", () => {
    const form = formFromSchedule(null, "Europe/Berlin");
    expect(validateScheduleForm({ ...form, name: "R", recipients: "" }, ZONES).recipients).toMatch(/at least one/);
    expect(validateScheduleForm({ ...form, name: "R", recipients: "a@x.com, nope" }, ZONES).recipients).toMatch(/nope/);
    const many = Array.from({ length: 51 }, (_, i) => `r${i}@x.com`).join(",");
    expect(validateScheduleForm({ ...form, name: "R", recipients: many }, ZONES).recipients).toMatch(/At most 50/);
    expect(validateScheduleForm({ ...form, name: "R", recipients: "a@x.com" }, ZONES)).toEqual({});
  });

  it("refuses a missing name and an unknown time zone", () => {
    const form = { ...formFromSchedule(null, "Mars/Base"), recipients: "a@x.com" };
    const errors = validateScheduleForm(form, ZONES);
    expect(errors.name).toBeDefined();
    expect(errors.time_zone).toMatch(/from the list/);
  });
});

describe("payloadFromForm", () => {
  it("sends only the day that belongs to the frequency", () => {
    const form = {
      ...formFromSchedule(null, "UTC"),
      name: " Weekly ",
      recipients: "a@x.com",
      weekday: "4",
      month_day: "15",
    };
    expect(payloadFromForm(form)).toMatchObject({
      name: "Weekly",
      frequency: "weekly",
      weekday: 4,
      month_day: null,
      hour: 8,
    });
    expect(payloadFromForm({ ...form, frequency: "monthly" })).toMatchObject({ weekday: null, month_day: 15 });
    expect(payloadFromForm({ ...form, frequency: "daily" })).toMatchObject({ weekday: null, month_day: null });
  });
});

describe("run status", () => {
  it("shows a queued run with an error as retrying", () => {
    expect(runStatusLabel({ status: "queued", error: "SMTPDataError: 451", attempts: 1 })).toBe("Retrying (attempt 2)");
    expect(runStatusTone({ status: "queued", error: "x" })).toBe("amber");
    expect(runStatusLabel({ status: "failed", error: "x", attempts: 4 })).toBe("Failed");
    expect(runStatusTone({ status: "succeeded", error: null })).toBe("green");
  });
});

describe("time zones", () => {
  it("accepts UTC, the default of a new organization, though the browser's list leaves it out", () => {
    const browserZones =
      typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["Europe/Berlin"];
    const zones = scheduleTimeZones(browserZones);
    const form = { ...formFromSchedule(null, "UTC"), name: "Weekly", recipients: "a@x.com" };
    expect(validateScheduleForm(form, zones)).toEqual({});
    expect(scheduleTimeZones(["UTC", "Europe/Berlin"])).toEqual(["UTC", "Europe/Berlin"]);
  });
});

describe("who manages a schedule", () => {
  it("lets members act on their own schedules only, managers and admins on every one", async () => {
    const { canManageSchedule } = await import("./ReportsScreen");
    const { permissionsOf } = await import("@/test/organizations");
    const grants = (role: Role) => ({
      manage: permissionsOf(role).includes("reports.manage"),
      manageAll: permissionsOf(role).includes("reports.manage_all"),
    });
    expect(canManageSchedule(grants("member"), "u1", "u1")).toBe(true);
    expect(canManageSchedule(grants("member"), "u1", "u2")).toBe(false);
    expect(canManageSchedule(grants("member"), undefined, null)).toBe(false);
    expect(canManageSchedule(grants("manager"), "u1", "u2")).toBe(true);
    expect(canManageSchedule(grants("admin"), "u1", null)).toBe(true);
    expect(canManageSchedule(grants("viewer"), "u1", "u1")).toBe(false);
  });
});
