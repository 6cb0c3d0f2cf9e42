import { describe, expect, it } from "vitest";
import { analyticsUrl, filenameFromDisposition } from "./api";

describe("analyticsUrl", () => {
  it("repeats list parameters and leaves out empty ones", () => {
    const url = new URL(
      analyticsUrl("org 1", "summary", {
        preset: "last_7_days",
        platform: ["google", "meta"],
        status: [],
        name_contains: "",
        cursor: undefined,
        limit: 25,
      }),
    );
    expect(url.pathname).toBe("/api/v1/orgs/org%201/analytics/summary");
    expect(url.searchParams.getAll("platform")).toEqual(["google", "meta"]);
    expect(url.searchParams.get("limit")).toBe("25");
    expect([...url.searchParams.keys()]).toEqual(["preset", "platform", "platform", "limit"]);
  });
});

describe("filenameFromDisposition", () => {
  it("reads the file name, preferring the UTF-8 form", () => {
    expect(filenameFromDisposition('attachment; filename="campaigns.csv"')).toBe("campaigns.csv");
    expect(filenameFromDisposition("attachment; filename=report.pdf")).toBe("report.pdf");
    expect(filenameFromDisposition("attachment; filename=\"x.csv\"; filename*=UTF-8''K%C3%B6ln%20report.pdf")).toBe(
      "Köln report.pdf",
    );
    expect(filenameFromDisposition("inline")).toBeNull();
    expect(filenameFromDisposition(null)).toBeNull();
  });
});
