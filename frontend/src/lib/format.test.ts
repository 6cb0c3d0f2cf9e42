import { describe, expect, it } from "vitest";
import {
  describeUserAgent,
  formatDate,
  formatDateTime,
  formatMoney,
  formatPercent,
  formatRelative,
  formatRole,
  localInputToIso,
  pluralize,
} from "./format";

describe("date formatters", () => {
  it("formats dates and tolerates missing or invalid values", () => {
    expect(formatDate("2026-03-04T10:00:00Z", "en-US")).toBe("Mar 4, 2026");
    expect(formatDate(null)).toBe("—");
    expect(formatDate("not a date")).toBe("—");
    expect(formatDateTime("2026-03-04T14:05:00Z", "en-GB", "UTC")).toBe("4 Mar 2026, 14:05");
  });

  it("formats relative times", () => {
    const now = new Date("2026-03-04T12:00:00Z");
    expect(formatRelative("2026-03-04T11:59:50Z", now, "en")).toBe("just now");
    expect(formatRelative("2026-03-04T11:57:00Z", now, "en")).toBe("3 minutes ago");
    expect(formatRelative("2026-03-02T12:00:00Z", now, "en")).toBe("2 days ago");
    expect(formatRelative("2026-03-05T12:00:00Z", now, "en")).toBe("tomorrow");
    expect(formatRelative(undefined, now)).toBe("—");
  });

  it("converts datetime-local input values to ISO instants", () => {
    expect(localInputToIso("")).toBeUndefined();
    expect(localInputToIso("2026-03-04T10:00")).toBe(new Date("2026-03-04T10:00").toISOString());
  });
});

describe("number formatters", () => {
  it("formats money from minor units", () => {
    expect(formatMoney(123456, "USD", "en-US")).toBe("$1,234.56");
    expect(formatMoney(1500, "JPY", "en-US")).toBe("¥1,500");
  });

  it("formats percents", () => {
    expect(formatPercent(0.1234, 1, "en-US")).toBe("12.3%");
    expect(formatPercent(1, 1, "en-US")).toBe("100%");
  });

  it("pluralizes", () => {
    expect(pluralize(1, "member")).toBe("1 member");
    expect(pluralize(3, "member")).toBe("3 members");
  });
});

describe("misc", () => {
  it("labels roles", () => {
    expect(formatRole("admin")).toBe("Admin");
    expect(formatRole("owner")).toBe("Owner");
  });

  it("describes user agents", () => {
    expect(
      describeUserAgent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
      ),
    ).toBe("Safari on macOS");
    expect(
      describeUserAgent(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
      ),
    ).toBe("Chrome on Linux");
    expect(describeUserAgent(null)).toBe("Unknown device");
  });
});
