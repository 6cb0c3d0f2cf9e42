/** Test fixtures of the analytics API's answers, and a fake API that routes requests to them. */
import { json } from "@/test/utils";
import type {
  AccountFreshness,
  Breakdown,
  BreakdownRow,
  Freshness,
  Pacing,
  PacingRow,
  SeriesPoint,
  Summary,
  TimeSeries,
  Totals,
} from "./types";

export function totals(overrides: Partial<Totals> = {}): Totals {
  return {
    impressions: 1200,
    clicks: 40,
    all_clicks: 52,
    spend_micros: 15_230_000,
    conversions: 3.5,
    conversion_value_micros: 90_000_000,
    ctr: 0.0333,
    cpc_micros: 380_750,
    cpm_micros: 12_691_666,
    cpa_micros: 4_351_428,
    roas: 5.909,
    conversion_rate: 0.0875,
    ...overrides,
  };
}

export const ZERO: Totals = {
  impressions: 0,
  clicks: 0,
  all_clicks: 0,
  spend_micros: 0,
  conversions: 0,
  conversion_value_micros: 0,
  ctr: null,
  cpc_micros: null,
  cpm_micros: null,
  cpa_micros: null,
  roas: null,
  conversion_rate: null,
};

const RANGE = {
  since: "2026-10-23",
  until: "2026-11-21",
  compare_since: "2026-09-23",
  compare_until: "2026-10-22",
  partial: false,
};

export function summary(overrides: Partial<Summary> = {}): Summary {
  return {
    range: RANGE,
    currency: "USD",
    totals: totals(),
    previous: totals({ spend_micros: 10_000_000 }),
    missing_rates: [],
    not_synced: [],
    ...overrides,
  };
}

export function point(periodStart: string, overrides: Partial<Totals> = {}): SeriesPoint {
  return { period_start: periodStart, period_end: periodStart, totals: totals(overrides) };
}

export function series(overrides: Partial<TimeSeries> = {}): TimeSeries {
  return {
    range: RANGE,
    currency: "USD",
    granularity: "day",
    points: [point("2026-11-20", { spend_micros: 5_000_000 }), point("2026-11-21", { spend_micros: 7_000_000 })],
    previous_points: [point("2026-10-21"), point("2026-10-22")],
    missing_rates: [],
    not_synced: [],
    ...overrides,
  };
}

export function row(overrides: Partial<BreakdownRow["key"]> = {}, values: Partial<Totals> = {}): BreakdownRow {
  return {
    key: {
      platform: "google",
      ad_account_id: "00000000-0000-4000-8000-0000000000a1",
      ad_account_name: "Acme Shop",
      campaign_platform_id: "111",
      entity_platform_id: "111",
      name: "Brand search",
      status: "active",
      native_currency: "USD",
      entity_id: null,
      daily_budget_micros: null,
      ...overrides,
    },
    totals: totals(values),
    previous: null,
  };
}

export function breakdown(rows: BreakdownRow[], overrides: Partial<Breakdown> = {}): Breakdown {
  return {
    range: RANGE,
    currency: "USD",
    dimension: "campaign",
    rows,
    total_count: rows.length,
    next_cursor: null,
    missing_rates: [],
    not_synced: [],
    ...overrides,
  };
}

export function pacingRow(overrides: Partial<PacingRow> = {}): PacingRow {
  return {
    platform: "google",
    ad_account_id: "00000000-0000-4000-8000-0000000000a1",
    campaign_platform_id: "111",
    name: "Brand search",
    day: "2026-11-22",
    spend_micros: 30_000_000,
    daily_budget_micros: 50_000_000,
    native_currency: "USD",
    hours: [],
    ...overrides,
  };
}

export function pacing(rows: PacingRow[] = [pacingRow()], overrides: Partial<Pacing> = {}): Pacing {
  return {
    currency: "USD",
    rows,
    totals: { spend_micros: 30_000_000, daily_budget_micros: 50_000_000 },
    missing_rates: [],
    ...overrides,
  };
}

export function accountFreshness(overrides: Partial<AccountFreshness> = {}): AccountFreshness {
  return {
    ad_account_id: "00000000-0000-4000-8000-0000000000a1",
    name: "Acme Shop",
    platform: "google",
    health: "ok",
    last_synced_at: "2026-11-22T08:00:00Z",
    running: null,
    last_error: null,
    synced_since: "2026-08-24",
    synced_until: "2026-11-22",
    ...overrides,
  };
}

export function freshness(
  accounts: AccountFreshness[] = [accountFreshness()],
  overrides: Partial<Freshness> = {},
): Freshness {
  return { data_as_of: "2026-11-22T08:00:00Z", accounts, ...overrides };
}

export interface FakeAnalytics {
  summary?: (q: URLSearchParams) => Summary | Response;
  timeseries?: (q: URLSearchParams) => TimeSeries | Response;
  breakdown?: (q: URLSearchParams) => Breakdown | Response;
  pacing?: (q: URLSearchParams) => Pacing | Response;
  freshness?: (q: URLSearchParams) => Freshness | Response;
  other?: (request: Request) => Response;
}

/** A fetch handler answering the analytics endpoints (defaults for those a test does not care about). */
export function analyticsHandler(fake: FakeAnalytics) {
  return (request: Request): Response => {
    const url = new URL(request.url);
    const q = url.searchParams;
    const answer = (value: unknown) => (value instanceof Response ? value : json(value));
    if (url.pathname.endsWith("/analytics/summary")) return answer(fake.summary ? fake.summary(q) : summary());
    if (url.pathname.endsWith("/analytics/timeseries")) return answer(fake.timeseries ? fake.timeseries(q) : series());
    if (url.pathname.endsWith("/analytics/breakdown")) {
      if (fake.breakdown) return answer(fake.breakdown(q));
      return answer(
        q.get("dimension") === "platform"
          ? breakdown([row(), row({ platform: "meta", name: "Meta Ads" })], { dimension: "platform" })
          : breakdown([row()]),
      );
    }
    if (url.pathname.endsWith("/analytics/pacing")) return answer(fake.pacing ? fake.pacing(q) : pacing());
    if (url.pathname.endsWith("/analytics/freshness")) return answer(fake.freshness ? fake.freshness(q) : freshness());
    if (fake.other) return fake.other(request);
    return json({});
  };
}
