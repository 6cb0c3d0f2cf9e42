import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { configure, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch, problem } from "@/test/utils";
import { ORG_ID, renderAt } from "@/features/connections/testing";
import { DashboardScreen } from "./DashboardScreen";
import {
  accountFreshness,
  analyticsHandler,
  breakdown,
  freshness,
  pacing,
  pacingRow,
  row,
  summary,
  totals,
  ZERO,
  type FakeAnalytics,
} from "./testing";

// The chart library does not draw in jsdom; the charts' data is tested in metrics.test.ts.
vi.mock("./charts/TrendCharts", () => ({ TrendCharts: () => <p>Trend charts</p> }));
vi.mock("./charts/PlatformCharts", () => ({ PlatformCharts: () => <p>Platform charts</p> }));

const PATH = "/orgs/$organizationId";
const BASE = `/orgs/${ORG_ID}`;

function fakeApi(fake: FakeAnalytics = {}) {
  return mockFetch(analyticsHandler(fake));
}

function calls(mock: ReturnType<typeof fakeApi>, endpoint: string): URLSearchParams[] {
  return mock.mock.calls
    .map(([r]) => new URL((r as Request).url))
    .filter((u) => u.pathname.endsWith(`/analytics/${endpoint}`))
    .map((u) => u.searchParams);
}

function lastCall(
  mock: ReturnType<typeof fakeApi>,
  endpoint: string,
  where: (q: URLSearchParams) => boolean = () => true,
): URLSearchParams {
  const found = calls(mock, endpoint).filter(where);
  const last = found[found.length - 1];
  if (!last) throw new Error(`no ${endpoint} call`);
  return last;
}

function card(name: string): HTMLElement {
  return within(screen.getByRole("list", { name: "Key figures" })).getByRole("group", { name });
}

// The screen asks five endpoints and renders a lot: give slow machines time.
configure({ asyncUtilTimeout: 5_000 });

beforeEach(() => authStore.setToken("secret-token"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  authStore.reset();
});

describe("DashboardScreen", { timeout: 30_000 }, () => {
  it("shows the KPIs in the reporting currency with their changes, coloured by whether up is good", async () => {
    const fetchMock = fakeApi({
      summary: () =>
        summary({
          currency: "JPY",
          totals: totals({
            spend_micros: 1_500_000_000,
            cpa_micros: 500_000_000,
            conversions: 3,
            conversion_value_micros: 4_000_000_000,
          }),
          previous: totals({
            spend_micros: 1_000_000_000,
            cpa_micros: 400_000_000,
            conversions: 2.5,
            conversion_value_micros: 4_000_000_000,
          }),
        }),
    });
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    await waitFor(() => expect(within(card("Spend")).getByText("¥1,500")).toBeInTheDocument());
    // Spend up 50 %: neither good nor bad. CPA up 25 %: bad. Conversions up 20 %: good. Value flat.
    expect(within(card("Spend")).getByText("+50.0%").closest("p")).toHaveAttribute("data-tone", "neutral");
    expect(within(card("CPA")).getByText("¥500")).toBeInTheDocument();
    expect(within(card("CPA")).getByText("+25.0%").closest("p")).toHaveAttribute("data-tone", "bad");
    expect(within(card("CPA")).getByText("(worse)")).toBeInTheDocument();
    expect(within(card("Conversions")).getByText("+20.0%").closest("p")).toHaveAttribute("data-tone", "good");
    expect(within(card("Conversion value")).getByText("0.0%").closest("p")).toHaveAttribute("data-tone", "neutral");
    expect(within(card("CPA")).getByText(/vs previous period/)).toBeInTheDocument();
    expect(within(card("Spend")).getByTestId("sparkline")).toBeInTheDocument();
    expect(screen.getByText("Data as of", { exact: false })).toBeInTheDocument();
    const query = lastCall(fetchMock, "summary");
    expect(query.get("preset")).toBe("last_30_days");
    expect(query.get("compare")).toBe("previous_period");
    expect(await screen.findByText("Trend charts")).toBeInTheDocument();
  });

  it("shows a dash with the reason for KPIs without a value", async () => {
    fakeApi({
      summary: () =>
        summary({
          totals: totals({ conversions: 0, cpa_micros: null, conversion_value_micros: null, roas: null }),
          previous: null,
          missing_rates: [{ currency: "EUR", since: "2026-11-01", until: "2026-11-05" }],
        }),
    });
    renderAt(<DashboardScreen />, { path: PATH, url: `${BASE}?compare=none`, role: "viewer" });
    await waitFor(() => expect(within(card("CPA")).getByTitle("No conversions")).toHaveTextContent("—"));
    expect(within(card("CPA")).getByText("Not available: no conversions")).toBeInTheDocument();
    expect(within(card("Conversion value")).getByTitle("Missing exchange rate")).toBeInTheDocument();
    expect(within(card("ROAS")).getByTitle("Missing exchange rate")).toBeInTheDocument();
    // No comparison: no deltas.
    expect(within(card("Spend")).queryByText(/vs /)).not.toBeInTheDocument();
    // The missing rate is explained, with a way to fix it.
    expect(screen.getByText("Some amounts cannot be converted to your reporting currency")).toBeInTheDocument();
    expect(screen.getByText(/No EUR exchange rate for Nov 1 – 5, 2026/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Add exchange rates" })).toHaveAttribute(
      "href",
      `/orgs/${ORG_ID}/exchange-rates`,
    );
  });

  it("says a period is not synced instead of showing zeros or a -100 % change", async () => {
    const gap = {
      ad_account_id: "00000000-0000-4000-8000-0000000000a1",
      ad_account_name: "Acme Shop",
      platform: "google" as const,
      synced_since: "2026-09-08",
    };
    fakeApi({
      summary: () =>
        summary({
          previous: null,
          not_synced: [{ ...gap, period: "comparison", reason: "Acme Shop: not synced before 8 Sep 2026" }],
        }),
    });
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    await waitFor(() => expect(within(card("Spend")).getByText(/Not synced before Sep 8, 2026/)).toBeInTheDocument());
    expect(within(card("Spend")).queryByText(/-100/)).not.toBeInTheDocument();
    expect(screen.getByText("Some figures are not available (—)")).toBeInTheDocument();
    expect(
      screen.getByText(/not synced before Sep 8, 2026, so the comparison period has no complete total/),
    ).toBeInTheDocument();
  });

  it("shows a dash with the reason when the range itself is not synced", async () => {
    const gap = {
      ad_account_id: "00000000-0000-4000-8000-0000000000a1",
      ad_account_name: "Acme Shop",
      platform: "google" as const,
      synced_since: "2026-10-30",
    };
    fakeApi({
      summary: () =>
        summary({
          totals: null,
          previous: null,
          not_synced: [
            { ...gap, period: "range", reason: "" },
            { ...gap, period: "comparison", reason: "" },
          ],
        }),
    });
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    await waitFor(() =>
      expect(within(card("Spend")).getByTitle("Not synced before Oct 30, 2026")).toHaveTextContent("—"),
    );
  });

  it("holds back the change of a period still in progress instead of comparing it with a whole one", async () => {
    fakeApi({
      summary: () =>
        summary({
          previous: null,
          range: {
            since: "2026-11-01",
            until: "2026-11-22",
            compare_since: "2026-10-10",
            compare_until: "2026-10-31",
            partial: true,
          },
        }),
    });
    renderAt(<DashboardScreen />, { path: PATH, url: `${BASE}?preset=this_month`, role: "viewer" });
    await waitFor(() => expect(within(card("Conversions")).getByText("Period in progress")).toBeInTheDocument());
    expect(within(card("Conversions")).getByTitle(/today is not over/)).toHaveTextContent("vs previous period");
  });

  it("keeps the date range and comparison in the URL", async () => {
    const fetchMock = fakeApi();
    const { router } = renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    const user = userEvent.setup();
    await screen.findByText("Oct 23 – Nov 21, 2026");
    await user.selectOptions(screen.getByRole("combobox", { name: "Date range" }), "last_7_days");
    await waitFor(() => expect(router.state.location.search).toEqual({ preset: "last_7_days" }));
    await waitFor(() => expect(lastCall(fetchMock, "summary").get("preset")).toBe("last_7_days"));
    await user.selectOptions(screen.getByRole("combobox", { name: "Compare to" }), "previous_year");
    await waitFor(() =>
      expect(router.state.location.search).toEqual({ preset: "last_7_days", compare: "previous_year" }),
    );
    await waitFor(() => expect(lastCall(fetchMock, "timeseries").get("compare")).toBe("previous_year"));

    // A custom range: invalid input is explained, a valid one goes to the URL and the API.
    await user.selectOptions(screen.getByRole("combobox", { name: "Date range" }), "custom");
    const from = screen.getByLabelText("From");
    const to = screen.getByLabelText("To");
    await user.clear(from);
    await user.type(from, "2026-03-10");
    await user.clear(to);
    await user.type(to, "2026-03-01");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    expect(screen.getByRole("alert")).toHaveTextContent("The start date must be on or before the end date.");
    await user.clear(to);
    await user.type(to, "2026-03-31");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() =>
      expect(router.state.location.search).toEqual({
        since: "2026-03-10",
        until: "2026-03-31",
        compare: "previous_year",
      }),
    );
    await waitFor(() => expect(lastCall(fetchMock, "summary").get("since")).toBe("2026-03-10"));
    expect(lastCall(fetchMock, "summary").get("until")).toBe("2026-03-31");
    expect(lastCall(fetchMock, "summary").get("preset")).toBeNull();
  });

  it("reads the whole view from a link", async () => {
    const fetchMock = fakeApi();
    renderAt(<DashboardScreen />, {
      path: PATH,
      url: `${BASE}?preset=this_month&platform=%5B%22meta%22%5D&status=%5B%22paused%22%5D&q=sale&granularity=week&sort=cpa`,
      role: "viewer",
    });
    await screen.findByRole("table", { name: /Campaigns/ });
    expect(screen.getByRole("combobox", { name: "Date range" })).toHaveValue("this_month");
    expect(screen.getByRole("searchbox", { name: "Campaign name contains" })).toHaveValue("sale");
    expect(screen.getByRole("radio", { name: "Week" })).toBeChecked();
    const table = lastCall(fetchMock, "breakdown", (q) => q.get("dimension") === "campaign");
    expect(table.getAll("platform")).toEqual(["meta"]);
    expect(table.getAll("status")).toEqual(["paused"]);
    expect(table.get("name_contains")).toBe("sale");
    expect(table.get("sort")).toBe("cpa");
    expect(lastCall(fetchMock, "timeseries").get("granularity")).toBe("week");
    expect(screen.getByRole("columnheader", { name: /CPA/ })).toHaveAttribute("aria-sort", "ascending");
  });

  it("filters by platform, account, status and campaign name", async () => {
    const fetchMock = fakeApi({
      freshness: () =>
        freshness([
          accountFreshness(),
          accountFreshness({
            ad_account_id: "00000000-0000-4000-8000-0000000000a2",
            name: "Tokyo Store",
            platform: "meta",
          }),
        ]),
    });
    const { router } = renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    const user = userEvent.setup();
    await screen.findByRole("table", { name: /Campaigns/ });
    const filters = screen.getByRole("group", { name: "Filters" });
    await user.click(within(filters).getByText("All platforms"));
    await user.click(within(filters).getByRole("checkbox", { name: "Meta Ads" }));
    await waitFor(() => expect(router.state.location.search).toEqual({ platform: ["meta"] }));
    // Only the chosen platform's accounts are offered.
    expect(within(filters).queryByRole("checkbox", { name: "Acme Shop (Google Ads)" })).not.toBeInTheDocument();
    await user.click(within(filters).getByRole("checkbox", { name: "Tokyo Store (Meta Ads)" }));
    await user.click(within(filters).getByRole("checkbox", { name: "Removed" }));
    await user.type(screen.getByRole("searchbox", { name: "Campaign name contains" }), "Summer{Enter}");
    await waitFor(() =>
      expect(router.state.location.search).toEqual({
        platform: ["meta"],
        account: ["00000000-0000-4000-8000-0000000000a2"],
        status: ["removed"],
        q: "Summer",
      }),
    );
    await waitFor(() => expect(lastCall(fetchMock, "summary").get("name_contains")).toBe("Summer"));
    const query = lastCall(fetchMock, "summary");
    expect(query.getAll("platform")).toEqual(["meta"]);
    expect(query.getAll("ad_account_id")).toEqual(["00000000-0000-4000-8000-0000000000a2"]);
    expect(query.getAll("status")).toEqual(["removed"]);
    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(router.state.location.search).toEqual({}));
  });

  it("sorts and pages the campaign table, keeping both in the URL", async () => {
    const fetchMock = fakeApi({
      breakdown: (q) => {
        if (q.get("dimension") === "platform") return breakdown([row()], { dimension: "platform" });
        if (q.get("cursor") === "page-2")
          return breakdown([row({ name: "Campaign 26", entity_platform_id: "126", campaign_platform_id: "126" })], {
            total_count: 26,
          });
        return breakdown([row({ name: "Campaign 1" })], { total_count: 26, next_cursor: "page-2" });
      },
    });
    const { router } = renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    const user = userEvent.setup();
    const table = await screen.findByRole("table", { name: /Campaigns/ });
    expect(within(table).getByRole("columnheader", { name: /Spend/ })).toHaveAttribute("aria-sort", "descending");
    expect(within(table).getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "none");
    expect(screen.getByText("1–1 of 26")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(router.state.location.search).toEqual({ cursors: ["page-2"] }));
    expect(await screen.findByText("Campaign 26")).toBeInTheDocument();
    expect(screen.getByText("26–26 of 26")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Previous" }));
    await waitFor(() => expect(router.state.location.search).toEqual({}));
    await user.click(within(screen.getByRole("table", { name: /Campaigns/ })).getByRole("button", { name: /CPA/ }));
    await waitFor(() => expect(router.state.location.search).toEqual({ sort: "-cpa" }));
    await waitFor(() =>
      expect(lastCall(fetchMock, "breakdown", (q) => q.get("dimension") === "campaign").get("sort")).toBe("-cpa"),
    );
    expect(screen.getByRole("columnheader", { name: /CPA/ })).toHaveAttribute("aria-sort", "descending");
    await user.click(screen.getByRole("button", { name: /CPA/ }));
    await waitFor(() => expect(router.state.location.search).toEqual({ sort: "cpa" }));
    await user.click(screen.getByRole("button", { name: /Name/ }));
    await waitFor(() => expect(router.state.location.search).toEqual({ sort: "name" }));
  });

  it("starts the table again at its first page when a page link no longer fits", async () => {
    fakeApi({
      breakdown: (q) => {
        if (q.get("cursor") === "stale")
          return problem(400, "invalid-cursor", {
            title: "Invalid cursor",
            detail: "The cursor does not belong to this list.",
          });
        return breakdown([row({ name: "Campaign 1" })], {
          dimension: (q.get("dimension") ?? "campaign") as "campaign",
        });
      },
    });
    const { router } = renderAt(<DashboardScreen />, {
      path: PATH,
      url: `${BASE}?cursors=%5B%22stale%22%5D`,
      role: "viewer",
    });
    expect(await screen.findByText("This page of the table is no longer available")).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(router.state.location.search).toEqual({}));
    expect(await screen.findByText("Campaign 1")).toBeInTheDocument();
  });

  it("drills from a campaign into its ad sets and ads, with breadcrumbs", async () => {
    const fetchMock = fakeApi({
      breakdown: (q) => {
        const dimension = q.get("dimension");
        if (dimension === "campaign")
          return breakdown([
            row({
              platform: "meta",
              ad_account_id: "00000000-0000-4000-8000-0000000000a3",
              ad_account_name: "Tokyo Store",
              campaign_platform_id: "2381",
              entity_platform_id: "2381",
              name: "Summer sale",
              native_currency: "JPY",
            }),
          ]);
        if (dimension === "ad_group")
          return breakdown(
            [
              row({
                platform: "meta",
                ad_account_id: "00000000-0000-4000-8000-0000000000a3",
                campaign_platform_id: "2381",
                entity_platform_id: "2382",
                name: "Women 25-34",
                status: null,
              }),
            ],
            { dimension: "ad_group" },
          );
        if (dimension === "ad")
          return breakdown(
            [
              row({
                platform: "meta",
                ad_account_id: "00000000-0000-4000-8000-0000000000a3",
                campaign_platform_id: "2381",
                entity_platform_id: "2383",
                name: "Carousel A",
              }),
            ],
            { dimension: "ad" },
          );
        return breakdown([], { dimension: "platform" });
      },
    });
    const { router } = renderAt(<DashboardScreen />, { path: PATH, url: `${BASE}?preset=last_7_days`, role: "viewer" });
    const user = userEvent.setup();
    const campaigns = await screen.findByRole("table", { name: /Campaigns/ });
    expect(within(campaigns).getByText("· from JPY")).toBeInTheDocument();
    await user.click(within(campaigns).getByRole("link", { name: "Summer sale" }));
    await waitFor(() =>
      expect(router.state.location.search).toEqual({
        preset: "last_7_days",
        campaign: "2381",
        campaignName: "Summer sale",
        campaignAccount: "00000000-0000-4000-8000-0000000000a3",
        campaignPlatform: "meta",
      }),
    );
    const adSets = await screen.findByRole("table", { name: /Ad sets of Summer sale/ });
    const adGroupQuery = lastCall(fetchMock, "breakdown", (q) => q.get("dimension") === "ad_group");
    expect(adGroupQuery.get("parent_platform_id")).toBe("2381");
    expect(adGroupQuery.getAll("ad_account_id")).toEqual(["00000000-0000-4000-8000-0000000000a3"]);
    expect(adGroupQuery.get("preset")).toBe("last_7_days");
    const crumbs = screen.getByRole("navigation", { name: "Breadcrumb" });
    expect(within(crumbs).getByText("Summer sale")).toHaveAttribute("aria-current", "page");
    await user.click(within(adSets).getByRole("link", { name: "Women 25-34" }));
    const ads = await screen.findByRole("table", { name: /Ads of Women 25-34/ });
    expect(within(ads).queryByRole("link", { name: "Carousel A" })).not.toBeInTheDocument();
    expect(within(ads).getByText("Carousel A")).toBeInTheDocument();
    expect(lastCall(fetchMock, "breakdown", (q) => q.get("dimension") === "ad").get("parent_platform_id")).toBe("2382");
    await user.click(
      within(screen.getByRole("navigation", { name: "Breadcrumb" })).getByRole("link", { name: "Summer sale" }),
    );
    expect(await screen.findByRole("table", { name: /Ad sets of Summer sale/ })).toBeInTheDocument();
    await user.click(
      within(screen.getByRole("navigation", { name: "Breadcrumb" })).getByRole("link", { name: "All campaigns" }),
    );
    expect(await screen.findByRole("table", { name: /^Campaigns/ })).toBeInTheDocument();
    await waitFor(() => expect(router.state.location.search).toEqual({ preset: "last_7_days" }));
  });

  it("says that the key figures and charts cover every campaign while the table is drilled down", async () => {
    fakeApi({});
    const drilled = `${BASE}?preset=last_7_days&campaign=2381&campaignName=Summer%20sale&campaignAccount=00000000-0000-4000-8000-0000000000a3&campaignPlatform=meta`;
    const { router } = renderAt(<DashboardScreen />, { path: PATH, url: drilled, role: "viewer" });
    expect(await screen.findByText("The table shows “Summer sale” only")).toBeInTheDocument();
    expect(
      screen.getByText(/The key figures, charts, platform comparison and pacing still cover every campaign/),
    ).toBeInTheDocument();
    expect(await screen.findAllByText("All campaigns in your filters, not only “Summer sale”.")).toHaveLength(2);

    await userEvent.setup().click(screen.getByRole("link", { name: "Back to all campaigns" }));
    await waitFor(() => expect(router.state.location.search).toEqual({ preset: "last_7_days" }));
    expect(screen.queryByText(/The table shows/)).not.toBeInTheDocument();
    expect(screen.queryByText(/not only/)).not.toBeInTheDocument();
  });

  it("sends people to Connections when no ad account is connected", async () => {
    fakeApi({ freshness: () => freshness([], { data_as_of: null }) });
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    expect(await screen.findByText("No ad accounts connected yet")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open Connections" })).toHaveAttribute(
      "href",
      `/orgs/${ORG_ID}/connections`,
    );
  });

  it("says when nothing ran in the range", async () => {
    fakeApi({ summary: () => summary({ totals: ZERO, previous: ZERO }) });
    renderAt(<DashboardScreen />, { path: PATH, url: `${BASE}?preset=today`, role: "viewer" });
    expect(await screen.findByText("No data in this range")).toBeInTheDocument();
    expect(screen.queryByRole("table", { name: /Campaigns/ })).not.toBeInTheDocument();
    // Today's pacing still shows.
    expect(await screen.findByText("Today's pacing")).toBeInTheDocument();
  });

  it("warns about unhealthy connections and shows a backfill's progress", async () => {
    fakeApi({
      freshness: () =>
        freshness([
          accountFreshness({ health: "needs_reconnect", last_error: "Access revoked" }),
          accountFreshness({
            ad_account_id: "00000000-0000-4000-8000-0000000000a2",
            name: "Tokyo Store",
            platform: "meta",
            last_synced_at: null,
            running: { scope: "backfill", status: "running", days_done: 42, days_total: 90 },
          }),
        ]),
    });
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    expect(await screen.findByText("An ad account's numbers may be out of date")).toBeInTheDocument();
    expect(screen.getByText(/Acme Shop \(Google Ads\): its connection needs to be reconnected/)).toHaveTextContent(
      "(Access revoked)",
    );
    expect(screen.getByText(/Loading the history of Tokyo Store \(Meta Ads\): 42 of 90 days/)).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Sync of Tokyo Store" })).toHaveAttribute("aria-valuenow", "42");
  });

  it("fills itself in when a sync finishes", async () => {
    let synced = false;
    fakeApi({
      freshness: () =>
        synced
          ? freshness([accountFreshness()])
          : freshness(
              [
                accountFreshness({
                  last_synced_at: null,
                  running: { scope: "backfill", status: "running", days_done: 10, days_total: 90 },
                }),
              ],
              { data_as_of: null },
            ),
      summary: () => (synced ? summary() : summary({ totals: ZERO, previous: ZERO })),
    });
    const { queryClient } = renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    expect(await screen.findByText("No data in this range")).toBeInTheDocument();
    expect(screen.getByText(/^Loading the history of Acme Shop \(Google Ads\): 10 of 90 days/)).toBeInTheDocument();
    expect(screen.getByText("Waiting for the first sync")).toBeInTheDocument();
    synced = true;
    await queryClient.refetchQueries({ predicate: (q) => String(q.queryKey[1]).endsWith("/analytics/freshness") });
    await waitFor(() => expect(within(card("Spend")).getByText("$15.23")).toBeInTheDocument());
    expect(screen.queryByText("No data in this range")).not.toBeInTheDocument();
    expect(screen.queryByText(/of 90 days/)).not.toBeInTheDocument();
  });

  it("shows an error with a retry when the numbers cannot be loaded", async () => {
    let fail = true;
    fakeApi({
      summary: () => (fail ? problem(503, "service-unavailable", { detail: "The database is busy." }) : summary()),
    });
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    expect(await screen.findByText("Could not load the key figures")).toBeInTheDocument();
    expect(screen.getByText("The database is busy.")).toBeInTheDocument();
    fail = false;
    await userEvent
      .setup()
      .click(within(screen.getByRole("region", { name: "Key figures" })).getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(within(card("Spend")).getByText("$15.23")).toBeInTheDocument());
  });

  it("shows today's spend against the daily budgets", async () => {
    fakeApi({
      pacing: () =>
        pacing(
          [
            pacingRow(),
            pacingRow({
              campaign_platform_id: "112",
              name: "Prospecting",
              spend_micros: 60_000_000,
              daily_budget_micros: 40_000_000,
            }),
            pacingRow({ campaign_platform_id: "113", name: "No budget", daily_budget_micros: null }),
          ],
          {
            totals: { spend_micros: 120_000_000, daily_budget_micros: 90_000_000 },
          },
        ),
    });
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    const total = await screen.findByRole("meter", { name: "All campaigns: share of today's budget spent" });
    expect(total).toHaveAttribute("aria-valuetext", "133% of the daily budget, over budget");
    expect(screen.getByRole("meter", { name: "Brand search: share of today's budget spent" })).toHaveAttribute(
      "aria-valuenow",
      "60",
    );
    expect(screen.getByText("$60.00", { exact: false })).toBeInTheDocument();
    expect(screen.getByText(/no daily budget/)).toBeInTheDocument();
  });

  it("downloads exports with the access token and the current view's parameters", async () => {
    const downloads: Request[] = [];
    fakeApi({
      other: (request) => {
        downloads.push(request);
        return new Response("name,spend\n", {
          headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="campaigns.csv"' },
        });
      },
    });
    const createObjectURL = vi.fn(() => "blob:export");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    renderAt(<DashboardScreen />, {
      path: PATH,
      url: `${BASE}?preset=last_7_days&platform=%5B%22google%22%5D&sort=-roas`,
      role: "viewer",
    });
    const user = userEvent.setup();
    await screen.findByRole("table", { name: /Campaigns/ });
    await user.click(screen.getByRole("button", { name: "Table as CSV" }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    const csv = new URL(downloads[0]!.url);
    expect(csv.pathname).toBe(`/api/v1/orgs/${ORG_ID}/analytics/export.csv`);
    expect(csv.searchParams.get("view")).toBe("breakdown");
    expect(csv.searchParams.get("dimension")).toBe("campaign");
    expect(csv.searchParams.get("sort")).toBe("-roas");
    expect(csv.searchParams.get("preset")).toBe("last_7_days");
    expect(csv.searchParams.getAll("platform")).toEqual(["google"]);
    expect(csv.searchParams.get("cursor")).toBeNull();
    expect(downloads[0]!.headers.get("Authorization")).toBe("Bearer secret-token");
    expect(createObjectURL).toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "PDF report" }));
    await waitFor(() => expect(downloads).toHaveLength(2));
    expect(new URL(downloads[1]!.url).pathname).toBe(`/api/v1/orgs/${ORG_ID}/analytics/report.pdf`);
  });

  it("says when an export fails", async () => {
    fakeApi({ other: () => problem(404, "not-found", { title: "Not Found" }) });
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:x"), revokeObjectURL: vi.fn() }));
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    await screen.findByRole("table", { name: /Campaigns/ });
    await userEvent.setup().click(screen.getByRole("button", { name: "Time series as Excel (XLSX)" }));
    expect(await screen.findByText(/Time series as Excel \(XLSX\) failed: Not Found/)).toBeInTheDocument();
  });

  it("lists the data sources with their sync history, and lets members ask for a sync", async () => {
    const posted: string[] = [];
    fakeApi({
      freshness: () => freshness([accountFreshness({ last_error: "Rate limited by the platform" })]),
      other: (request) => {
        const url = new URL(request.url);
        if (
          request.method === "POST" &&
          url.pathname.endsWith("/ad-accounts/00000000-0000-4000-8000-0000000000a1/metric-sync")
        ) {
          posted.push(url.pathname);
          return json(
            {
              id: "r2",
              ad_account_id: "00000000-0000-4000-8000-0000000000a1",
              scope: "recent",
              trigger: "manual",
              status: "queued",
              since: "2026-11-15",
              until: "2026-11-22",
              days_done: 0,
              days_total: 8,
              rows_written: 0,
              attempts: 0,
              error: null,
              queued_at: "2026-11-22T08:00:00Z",
              started_at: null,
              finished_at: null,
            },
            202,
          );
        }
        if (url.pathname.endsWith("/ad-accounts/00000000-0000-4000-8000-0000000000a1/metric-sync-runs")) {
          return json({
            items: [
              {
                id: "r1",
                ad_account_id: "00000000-0000-4000-8000-0000000000a1",
                scope: "backfill",
                trigger: "connect",
                status: "failed",
                since: "2026-08-24",
                until: "2026-11-21",
                days_done: 42,
                days_total: 90,
                rows_written: 1234,
                attempts: 3,
                error: "Quota spent",
                queued_at: "2026-11-21T08:00:00Z",
                started_at: null,
                finished_at: null,
              },
            ],
            next_cursor: null,
          });
        }
        return json({});
      },
    });
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByText("Data sources"));
    expect(screen.getByText("Last sync failed: Rate limited by the platform")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "History of Acme Shop" }));
    const history = await screen.findByRole("table", { name: "Metrics syncs, newest first" });
    expect(within(history).getByText("failed")).toBeInTheDocument();
    expect(within(history).getByText("Quota spent")).toBeInTheDocument();
    expect(within(history).getByText(/42 of 90 days/)).toBeInTheDocument();
    expect(within(history).getByText("after 3 attempts")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Sync now: Acme Shop" }));
    await waitFor(() =>
      expect(posted).toEqual([`/api/v1/orgs/${ORG_ID}/ad-accounts/00000000-0000-4000-8000-0000000000a1/metric-sync`]),
    );
  });

  it("does not offer viewers a sync", async () => {
    fakeApi();
    renderAt(<DashboardScreen />, { path: PATH, url: BASE, role: "viewer" });
    await userEvent.setup().click(await screen.findByText("Data sources"));
    expect(screen.getByRole("button", { name: "History of Acme Shop" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Sync now/ })).not.toBeInTheDocument();
  });
});
