import { describe, expect, it } from "vitest";
import {
  analyticsQuery,
  CLEAR_DRILL_DOWN,
  customRangeError,
  isIsoDate,
  parseDashboardSearch,
  tableLevel,
  updateSearch,
} from "./search";

describe("parseDashboardSearch", () => {
  it("keeps a valid state and leaves defaults out", () => {
    expect(
      parseDashboardSearch({
        preset: "last_7_days",
        compare: "previous_year",
        platform: ["google", "meta"],
        account: ["00000000-0000-4000-8000-0000000000a1"],
        status: ["active"],
        q: "brand",
        granularity: "week",
        sort: "-cpa",
        cursors: ["c1", "c2"],
      }),
    ).toEqual({
      preset: "last_7_days",
      compare: "previous_year",
      platform: ["google", "meta"],
      account: ["00000000-0000-4000-8000-0000000000a1"],
      status: ["active"],
      q: "brand",
      granularity: "week",
      sort: "-cpa",
      cursors: ["c1", "c2"],
    });
    expect(
      parseDashboardSearch({ preset: "last_30_days", compare: "previous_period", granularity: "day", sort: "-spend" }),
    ).toEqual({});
  });

  it("drops unknown and malformed values", () => {
    expect(
      parseDashboardSearch({
        preset: "last_8_days",
        compare: "yesterday",
        platform: ["google", "myspace", "google"],
        status: "gone",
        sort: "-budget",
        granularity: "hour",
        q: "  ",
      }),
    ).toEqual({ platform: ["google"] });
  });

  it("drops ad account ids that are not ids (the API would refuse them)", () => {
    expect(parseDashboardSearch({ account: ["acc-1", 123, "00000000-0000-4000-8000-0000000000A1"] })).toEqual({
      account: ["00000000-0000-4000-8000-0000000000A1"],
    });
    expect(parseDashboardSearch({ campaign: "111", campaignAccount: "nope" })).toEqual({});
  });

  it("accepts a single value where a list is expected (a hand-typed URL)", () => {
    expect(
      parseDashboardSearch({ platform: "tiktok", account: "00000000-0000-4000-8000-0000000000a1", status: "paused" }),
    ).toEqual({ platform: ["tiktok"], account: ["00000000-0000-4000-8000-0000000000a1"], status: ["paused"] });
  });

  it("takes a custom range over a preset, only when both dates are valid and in order", () => {
    expect(parseDashboardSearch({ since: "2026-01-01", until: "2026-01-31", preset: "today" })).toEqual({
      since: "2026-01-01",
      until: "2026-01-31",
    });
    expect(parseDashboardSearch({ since: "2026-02-01", until: "2026-01-31", preset: "today" })).toEqual({
      preset: "today",
    });
    expect(parseDashboardSearch({ since: "2026-02-30", until: "2026-03-31" })).toEqual({});
    expect(parseDashboardSearch({ since: "2026-01-01" })).toEqual({});
  });

  it("keeps a drill-down only with its campaign and account, and an ad group only under a campaign", () => {
    expect(
      parseDashboardSearch({
        campaign: "111",
        campaignName: "Brand",
        campaignAccount: "00000000-0000-4000-8000-0000000000a2",
        campaignPlatform: "meta",
        adGroup: 222,
        adGroupName: "Women",
      }),
    ).toEqual({
      campaign: "111",
      campaignName: "Brand",
      campaignAccount: "00000000-0000-4000-8000-0000000000a2",
      campaignPlatform: "meta",
      adGroup: "222",
      adGroupName: "Women",
    });
    expect(parseDashboardSearch({ campaign: "111" })).toEqual({});
    expect(parseDashboardSearch({ adGroup: "222" })).toEqual({});
  });

  it("is idempotent", () => {
    const once = parseDashboardSearch({
      since: "2026-01-01",
      until: "2026-01-31",
      platform: "meta",
      sort: "name",
      cursors: "c",
    });
    expect(parseDashboardSearch({ ...once })).toEqual(once);
  });
});

describe("updateSearch", () => {
  const base = parseDashboardSearch({ preset: "last_7_days", platform: ["google"], cursors: ["c1"], sort: "-clicks" });

  it("starts the table at its first page on any change but the page", () => {
    expect(updateSearch(base, { sort: "cpa" })).toEqual({ preset: "last_7_days", platform: ["google"], sort: "cpa" });
    expect(updateSearch(base, { cursors: ["c1", "c2"] }).cursors).toEqual(["c1", "c2"]);
  });

  it("switches between a preset and a custom range", () => {
    const custom = updateSearch(base, { since: "2026-03-01", until: "2026-03-10" });
    expect(custom.preset).toBeUndefined();
    expect(custom.since).toBe("2026-03-01");
    const preset = updateSearch(custom, { preset: "yesterday" });
    expect(preset).toMatchObject({ preset: "yesterday" });
    expect(preset.since).toBeUndefined();
    expect(updateSearch(custom, { preset: "last_30_days" }).preset).toBeUndefined();
  });

  it("removes cleared filters and leaves the drill-down", () => {
    const drilled = updateSearch(base, {
      campaign: "1",
      campaignAccount: "00000000-0000-4000-8000-0000000000a2",
      campaignName: "C",
      adGroup: "2",
    });
    expect(tableLevel(drilled)).toBe("ad");
    expect(updateSearch(drilled, { platform: [], q: "" }).platform).toBeUndefined();
    const back = updateSearch(drilled, CLEAR_DRILL_DOWN);
    expect(tableLevel(back)).toBe("campaign");
    expect(back).toEqual({ preset: "last_7_days", platform: ["google"], sort: "-clicks" });
  });
});

describe("analyticsQuery", () => {
  it("asks for the default preset and comparison when the URL says nothing", () => {
    expect(analyticsQuery({})).toEqual({ preset: "last_30_days", compare: "previous_period" });
  });

  it("maps the state to the API's parameters", () => {
    expect(
      analyticsQuery(
        parseDashboardSearch({
          since: "2026-01-01",
          until: "2026-01-31",
          compare: "none",
          platform: ["meta"],
          account: ["00000000-0000-4000-8000-0000000000a1"],
          status: ["paused"],
          q: "sale",
        }),
      ),
    ).toEqual({
      since: "2026-01-01",
      until: "2026-01-31",
      compare: "none",
      platform: ["meta"],
      ad_account_id: ["00000000-0000-4000-8000-0000000000a1"],
      status: ["paused"],
      name_contains: "sale",
    });
  });
});

describe("custom range validation", () => {
  it("checks dates, order and the 3-year limit", () => {
    expect(isIsoDate("2028-02-29")).toBe(true);
    expect(isIsoDate("2026-02-29")).toBe(false);
    expect(customRangeError("", "2026-01-01")).toMatch(/both/);
    expect(customRangeError("2026-01-02", "2026-01-01")).toMatch(/on or before/);
    expect(customRangeError("2020-01-01", "2026-01-01")).toMatch(/3 years/);
    expect(customRangeError("2026-01-01", "2026-01-01")).toBeNull();
    // Exactly three years is allowed, a day more is not (the server's rule; 29 February counts as 28).
    expect(customRangeError("2023-01-01", "2026-01-01")).toBeNull();
    expect(customRangeError("2022-12-31", "2026-01-01")).toMatch(/3 years/);
    expect(customRangeError("2025-02-28", "2028-02-29")).toBeNull();
    expect(customRangeError("2025-02-27", "2028-02-29")).toMatch(/3 years/);
    expect(customRangeError("1899-12-31", "1900-01-05")).toMatch(/between 1900 and 9998/);
  });
});
