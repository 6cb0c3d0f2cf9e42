import { describe, expect, it } from "vitest";
import { axisTick, trendRows, tooltipValue } from "./chartData";
import {
  deltaTone,
  formatChange,
  formatMetric,
  isEmptyTotals,
  MISSING_RATE,
  nullReason,
  percentChange,
} from "./metrics";
import { totals } from "./testing";

describe("delta colouring", () => {
  it("is good when a metric where up is good goes up, bad when it goes down", () => {
    expect(deltaTone("conversions", 0.2)).toBe("good");
    expect(deltaTone("conversions", -0.2)).toBe("bad");
    expect(deltaTone("roas", 0.1)).toBe("good");
    expect(deltaTone("ctr", -0.1)).toBe("bad");
  });

  it("is bad when a cost goes up and good when it goes down", () => {
    expect(deltaTone("cpa", 0.15)).toBe("bad");
    expect(deltaTone("cpa", -0.15)).toBe("good");
    expect(deltaTone("cpc", 0.02)).toBe("bad");
    expect(deltaTone("cpm", -0.3)).toBe("good");
  });

  it("is neutral for spend, for flat changes and without a change", () => {
    expect(deltaTone("spend", 0.5)).toBe("neutral");
    expect(deltaTone("spend", -0.5)).toBe("neutral");
    expect(deltaTone("cpa", 0.004)).toBe("neutral");
    expect(deltaTone("conversions", null)).toBe("neutral");
  });

  it("computes the relative change, null when there is nothing to compare with", () => {
    expect(percentChange(120, 100)).toBeCloseTo(0.2);
    expect(percentChange(80, 100)).toBeCloseTo(-0.2);
    expect(percentChange(5, 0)).toBeNull();
    expect(percentChange(0, 0)).toBe(0);
    expect(percentChange(null, 10)).toBeNull();
    expect(percentChange(10, null)).toBeNull();
    expect(formatChange(0.1234, "en-US")).toBe("+12.3%");
    expect(formatChange(-0.04, "en-US")).toBe("−4.0%");
  });
});

describe("null handling", () => {
  it("says why a KPI is missing", () => {
    expect(nullReason("cpa", totals({ conversions: 0, cpa_micros: null }))).toBe("No conversions");
    expect(nullReason("ctr", totals({ impressions: 0, ctr: null }))).toBe("No impressions");
    expect(nullReason("cpc", totals({ clicks: 0, cpc_micros: null }))).toBe("No clicks");
    expect(nullReason("roas", totals({ spend_micros: 0, roas: null }))).toBe("No spend");
    expect(nullReason("conversion_rate", totals({ clicks: 0, conversion_rate: null }))).toBe("No clicks");
  });

  it("blames a missing exchange rate when the money itself is missing", () => {
    const unconverted = totals({
      spend_micros: null,
      conversion_value_micros: null,
      cpc_micros: null,
      cpm_micros: null,
      cpa_micros: null,
      roas: null,
    });
    expect(nullReason("spend", unconverted)).toBe(MISSING_RATE);
    expect(nullReason("conversion_value", unconverted)).toBe(MISSING_RATE);
    expect(nullReason("cpa", unconverted)).toBe(MISSING_RATE);
    expect(nullReason("roas", unconverted)).toBe(MISSING_RATE);
    expect(nullReason("clicks", unconverted)).toBeNull();
  });

  it("shows a dash for null values", () => {
    expect(formatMetric("cpa", null, "USD")).toBe("—");
    expect(tooltipValue("spend", null, "USD")).toBe("—");
  });

  it("counts a period with unconverted money as having data", () => {
    expect(
      isEmptyTotals(totals({ impressions: 0, clicks: 0, spend_micros: 0, conversions: 0, conversion_value_micros: 0 })),
    ).toBe(true);
    expect(
      isEmptyTotals(
        totals({ impressions: 0, clicks: 0, spend_micros: null, conversions: 0, conversion_value_micros: 0 }),
      ),
    ).toBe(false);
  });
});

describe("money and number formatting", () => {
  it("formats money from micros in the reporting currency with its own decimals", () => {
    expect(formatMetric("spend", 15_230_000, "USD", "en-US")).toBe("$15.23");
    expect(formatMetric("spend", 1_500_000_000, "JPY", "en-US")).toBe("¥1,500");
    expect(formatMetric("cpa", 4_351_428, "EUR", "en-US")).toBe("€4.35");
    expect(formatMetric("cpc", 1_499_999, "JPY", "en-US")).toBe("¥1");
    expect(tooltipValue("spend", 1500, "JPY", "en-US")).toBe("¥1,500");
  });

  it("formats counts, ratios and multiples", () => {
    expect(formatMetric("impressions", 1234567, "USD", "en-US")).toBe("1,234,567");
    expect(formatMetric("conversions", 3.456, "USD", "en-US")).toBe("3.46");
    expect(formatMetric("ctr", 0.0333, "USD", "en-US")).toBe("3.33%");
    expect(formatMetric("roas", 5.909, "USD", "en-US")).toBe("5.91×");
  });

  it("builds chart rows in currency units, aligned with the comparison", () => {
    const rows = trendRows(
      [
        { period_start: "2026-03-02", period_end: "2026-03-08", totals: totals({ spend_micros: 2_500_000 }) },
        { period_start: "2026-03-09", period_end: "2026-03-15", totals: totals({ spend_micros: null }) },
      ],
      [{ period_start: "2026-02-23", period_end: "2026-03-01", totals: totals({ spend_micros: 1_000_000 }) }],
      "spend",
      "week",
    );
    expect(rows).toEqual([
      { period: "2026-03-02", label: "Mar 2", current: 2.5, previous: 1 },
      { period: "2026-03-09", label: "Mar 9", current: null, previous: null },
    ]);
    expect(axisTick("spend", 12_000, "USD", "en-US")).toBe("$12K");
    expect(axisTick("roas", 2.25, "USD", "en-US")).toBe("2.3×");
  });
});
