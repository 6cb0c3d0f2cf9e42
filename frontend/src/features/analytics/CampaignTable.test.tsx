import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { configure, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch } from "@/test/utils";
import { ORG_ID, renderAt } from "@/features/connections/testing";
import { change, options } from "@/features/changes/testing";
import { DashboardScreen } from "./DashboardScreen";
import { analyticsHandler, breakdown, row } from "./testing";

// The chart library does not draw in jsdom; the charts' data is tested in metrics.test.ts.
vi.mock("./charts/TrendCharts", () => ({ TrendCharts: () => <p>Trend charts</p> }));
vi.mock("./charts/PlatformCharts", () => ({ PlatformCharts: () => <p>Platform charts</p> }));

const DASHBOARD = { path: "/orgs/$organizationId", url: `/orgs/${ORG_ID}?compare=none` };
const BRAND = row({ entity_id: "ent-1", daily_budget_micros: 50_000_000, native_currency: "EUR" });
const PROMO = row({
  entity_id: "ent-2",
  campaign_platform_id: "112",
  entity_platform_id: "112",
  name: "Old promo",
  status: "paused",
  daily_budget_micros: 20_000_000,
});
// Numbers of a campaign the entity sync has not seen (yet): nothing to act on.
const UNSYNCED = row({ campaign_platform_id: "113", entity_platform_id: "113", name: "Not synced yet" });

type Handler = (request: Request, url: URL) => Response | undefined;

/** The dashboard's reads (campaigns: `rows`), plus `handler` for the change pipeline. */
function fakeApi(handler: Handler = () => undefined, rows = [BRAND, PROMO, UNSYNCED]) {
  return mockFetch(async (request) => {
    const url = new URL(request.url);
    return (
      handler(request, url) ??
      analyticsHandler({
        breakdown: (q) =>
          q.get("dimension") === "platform" ? breakdown([], { dimension: "platform" }) : breakdown(rows),
        other: () => json({ items: [], next_cursor: null }),
      })(request)
    );
  });
}

function posted(mock: ReturnType<typeof fakeApi>, suffix: string): Promise<unknown>[] {
  return mock.mock.calls
    .map(([r]) => r as Request)
    .filter((r) => r.method === "POST" && new URL(r.url).pathname.endsWith(suffix))
    .map((r) =>
      r
        .clone()
        .text()
        .then((t) => (t ? JSON.parse(t) : null)),
    );
}

function campaignReads(mock: ReturnType<typeof fakeApi>): number {
  return mock.mock.calls
    .map(([r]) => new URL((r as Request).url))
    .filter((u) => u.pathname.endsWith("/analytics/breakdown") && u.searchParams.get("dimension") === "campaign")
    .length;
}

function campaignRow(name: string | RegExp): HTMLElement {
  return screen.getByRole("row", { name });
}

configure({ asyncUtilTimeout: 5_000 });

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  authStore.reset();
});

describe("acting from the dashboard's campaign table", { timeout: 30_000 }, () => {
  it("pauses a campaign, follows the change, then reads the table again", async () => {
    let reads = 0;
    const mock = fakeApi((request, url) => {
      if (request.method === "POST" && url.pathname.endsWith("/changes")) {
        return json({ batch_id: "b-1", items: [change({ status: "queued" })] }, 201);
      }
      if (url.pathname.endsWith("/changes/ch-1")) {
        reads += 1;
        return json(change({ status: reads > 1 ? "verified" : "applying" }));
      }
      return undefined;
    });
    renderAt(<DashboardScreen />, { ...DASHBOARD, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Pause Brand search" }));
    await waitFor(async () => expect(await Promise.all(posted(mock, "/changes"))).toHaveLength(1));
    expect(await posted(mock, "/changes")[0]).toEqual({
      changes: [{ entity_id: "ent-1", kind: "status", value: "paused" }],
    });
    const before = campaignReads(mock);
    expect(await within(campaignRow(/Brand search/)).findByText("Applied", {}, { timeout: 6000 })).toBeInTheDocument();
    // Verified on the platform: the table is read again (once, not in a loop).
    await waitFor(() => expect(campaignReads(mock)).toBe(before + 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(campaignReads(mock)).toBe(before + 1);
  });

  it("shows each synced row's budget in its account's currency and offers controls only for synced rows", async () => {
    fakeApi();
    renderAt(<DashboardScreen />, { ...DASHBOARD, role: "member" });
    const brand = await screen.findByRole("row", { name: /Brand search/ });
    expect(within(brand).getByText("€50.00 a day")).toBeInTheDocument();
    expect(within(brand).getByRole("button", { name: "Edit daily budget of Brand search" })).toBeInTheDocument();
    expect(within(brand).getByRole("checkbox", { name: "Select Brand search" })).toBeInTheDocument();
    expect(within(campaignRow(/Old promo/)).getByRole("button", { name: "Enable Old promo" })).toBeInTheDocument();
    const unsynced = campaignRow(/Not synced yet/);
    expect(within(unsynced).queryByRole("button", { name: /Pause/ })).not.toBeInTheDocument();
    expect(within(unsynced).queryByRole("checkbox")).not.toBeInTheDocument();
    expect(within(unsynced).queryByRole("button", { name: /History/ })).not.toBeInTheDocument();
  });

  it("re-budgets a campaign inline; a change that needs approval says so", async () => {
    const mock = fakeApi((request, url) => {
      if (url.pathname.endsWith("/changes/options")) return json(options());
      if (request.method === "POST" && url.pathname.endsWith("/changes")) {
        return json({ batch_id: "b", items: [change({ kind: "daily_budget", status: "pending_approval" })] }, 201);
      }
      if (url.pathname.endsWith("/changes/ch-1"))
        return json(change({ kind: "daily_budget", status: "pending_approval" }));
      return undefined;
    });
    renderAt(<DashboardScreen />, { ...DASHBOARD, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit daily budget of Brand search" }));
    const input = await screen.findByRole("textbox", { name: /New daily budget of Brand search/ });
    expect(input).toHaveValue("50.00");
    await user.clear(input);
    await user.type(input, "75");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await within(campaignRow(/Brand search/)).findByText("Waiting for approval")).toBeInTheDocument();
    expect(await posted(mock, "/changes")[0]).toEqual({
      changes: [{ entity_id: "ent-1", kind: "daily_budget", value: "75000000" }],
    });
  });

  it("selects rows for a bulk change, the whole page at once too", async () => {
    fakeApi();
    renderAt(<DashboardScreen />, { ...DASHBOARD, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("checkbox", { name: "Select Brand search" }));
    const bar = await screen.findByRole("region", { name: "Bulk change" });
    expect(within(bar).getByText("1 row selected")).toBeInTheDocument();
    await user.click(screen.getByRole("checkbox", { name: "Select all campaigns on this page" }));
    // The two synced rows; the row the sync has not seen cannot be selected.
    expect(within(bar).getByText("2 rows selected")).toBeInTheDocument();
  });

  it("gives a viewer the numbers and budgets but no controls", async () => {
    fakeApi();
    renderAt(<DashboardScreen />, { ...DASHBOARD, role: "viewer" });
    const brand = await screen.findByRole("row", { name: /Brand search/ });
    expect(within(brand).getByText("€50.00 a day")).toBeInTheDocument();
    expect(within(brand).queryByRole("button", { name: /Pause|Edit/ })).not.toBeInTheDocument();
    expect(within(brand.closest("table")!).queryByRole("checkbox")).not.toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Bulk change" })).not.toBeInTheDocument();
    expect(within(brand).getByRole("button", { name: "History of Brand search" })).toBeInTheDocument();
  });
});
