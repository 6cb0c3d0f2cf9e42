import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch } from "@/test/utils";
import { account, connection, entity, ORG_ID, renderAt, run, summary } from "@/features/connections/testing";
import type { ConnectionRead, EntityRead } from "@/features/connections/types";
import { EntityBrowserScreen } from "./EntityBrowserScreen";
import { formatObjective } from "./EntityStatusBadge";

const PATH = "/orgs/$organizationId/campaigns";
const BASE = `/orgs/${ORG_ID}/campaigns`;

const META = connection({
  id: "conn-m",
  platform: "meta",
  display_name: "Meta login",
  accounts: [account({ id: "acc-jp", name: "Tokyo Store", currency: "JPY", time_zone: "Asia/Tokyo", managed: true })],
});
const GOOGLE = connection({ accounts: [account({ managed: true }), account({ id: "acc-off", name: "Not chosen" })] });

function fakeApi(
  connections: ConnectionRead[],
  entities: (query: URLSearchParams, accountId: string) => { items: EntityRead[]; next_cursor: string | null },
) {
  return mockFetch((request) => {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/connections")) return json({ items: connections, needs_reconnect_count: 0 });
    if (url.pathname.endsWith("/sync-status")) {
      const items = connections.flatMap((c) =>
        c.accounts
          .filter((a) => a.managed)
          .map((a) =>
            summary({
              ad_account_id: a.id,
              last_run: run({ ad_account_id: a.id, status: "succeeded", finished_at: "2026-01-01T00:00:00Z" }),
              last_succeeded_at: "2026-01-01T00:00:00Z",
              entity_counts: { campaign: 1 },
            }),
          ),
      );
      return json({ items, next_cursor: null });
    }
    const match = url.pathname.match(/\/ad-accounts\/([^/]+)\/entities$/);
    if (match) return json(entities(url.searchParams, match[1]!));
    return json({});
  });
}

function entityCalls(mock: ReturnType<typeof fakeApi>): URLSearchParams[] {
  return mock.mock.calls
    .map(([r]) => new URL((r as Request).url))
    .filter((u) => u.pathname.endsWith("/entities"))
    .map((u) => u.searchParams);
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("EntityBrowserScreen", () => {
  it("opens the first managed account and lists its campaigns with budgets in the account currency", async () => {
    const fetchMock = fakeApi([GOOGLE, META], (q, accountId) =>
      accountId === "acc-1" && q.get("level") === "campaign"
        ? {
            items: [
              entity({ name: "Brand search", daily_budget_micros: 50_000_000 }),
              entity({
                id: "e2",
                platform_id: "112",
                name: "Old promo",
                status: "paused",
                daily_budget_micros: null,
                lifetime_budget_micros: 1_000_000_000,
              }),
            ],
            next_cursor: null,
          }
        : { items: [], next_cursor: null },
    );
    const { router } = renderAt(<EntityBrowserScreen />, { path: PATH, url: BASE, role: "viewer" });
    await waitFor(() => expect(router.state.location.search).toEqual({ account: "acc-1" }));
    const table = await screen.findByRole("table", { name: "Campaigns of Acme Shop" });
    const brand = within(table).getByRole("row", { name: /Brand search/ });
    expect(within(brand).getByText("Active")).toBeInTheDocument();
    expect(within(brand).getByText("ENABLED")).toBeInTheDocument();
    expect(within(brand).getByText("Sales")).toBeInTheDocument();
    expect(within(brand).getByText(/€50\.00/)).toBeInTheDocument();
    const old = within(table).getByRole("row", { name: /Old promo/ });
    expect(within(old).getByText("Paused")).toBeInTheDocument();
    expect(within(old).getByText(/€1,000\.00/)).toBeInTheDocument();
    // Only managed accounts can be picked.
    const picker = screen.getByRole("combobox", { name: "Ad account" });
    expect(
      within(picker)
        .getAllByRole("option")
        .map((o) => o.textContent),
    ).toEqual(["Acme Shop (1234567890)", "Tokyo Store (1234567890)"]);
    expect(entityCalls(fetchMock)[0]!.get("include_removed")).toBeNull();
  });

  it("drills from a Meta campaign into its ad sets and ads, with breadcrumbs and yen without decimals", async () => {
    const fetchMock = fakeApi([META], (q) => {
      const level = q.get("level");
      if (level === "campaign")
        return {
          items: [
            entity({
              platform: "meta",
              platform_id: "2381",
              name: "Summer sale",
              currency: "JPY",
              daily_budget_micros: 1_500_000_000,
            }),
          ],
          next_cursor: null,
        };
      if (level === "ad_group")
        return {
          items: [
            entity({
              id: "as",
              platform: "meta",
              level: "ad_group",
              platform_id: "2382",
              parent_platform_id: "2381",
              campaign_platform_id: "2381",
              name: "Women 25-34",
              currency: "JPY",
              daily_budget_micros: 300_000_000,
            }),
          ],
          next_cursor: null,
        };
      return {
        items: [
          entity({
            id: "ad",
            platform: "meta",
            level: "ad",
            platform_id: "2383",
            parent_platform_id: "2382",
            campaign_platform_id: "2381",
            name: "Carousel A",
            currency: "JPY",
          }),
        ],
        next_cursor: null,
      };
    });
    renderAt(<EntityBrowserScreen />, { path: PATH, url: `${BASE}?account=acc-jp`, role: "member" });
    const user = userEvent.setup();
    expect(await screen.findByText("¥1,500")).toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "Summer sale" }));
    const adSets = await screen.findByRole("table", { name: "Ad sets of Tokyo Store" });
    expect(within(adSets).getByText("¥300")).toBeInTheDocument();
    const crumbs = screen.getByRole("navigation", { name: "Breadcrumb" });
    expect(within(crumbs).getByRole("link", { name: "All campaigns" })).toBeInTheDocument();
    expect(within(crumbs).getByText("Summer sale")).toHaveAttribute("aria-current", "page");
    await user.click(within(adSets).getByRole("link", { name: "Women 25-34" }));
    const ads = await screen.findByRole("table", { name: "Ads of Tokyo Store" });
    expect(within(ads).getByText("Carousel A")).toBeInTheDocument();
    expect(within(ads).queryByText("Daily budget")).not.toBeInTheDocument();
    expect(
      within(screen.getByRole("navigation", { name: "Breadcrumb" })).getByRole("link", { name: "Summer sale" }),
    ).toBeInTheDocument();
    const queries = entityCalls(fetchMock);
    expect(queries.find((q) => q.get("level") === "ad_group")!.get("parent_platform_id")).toBe("2381");
    expect(queries.find((q) => q.get("level") === "ad")!.get("parent_platform_id")).toBe("2382");
    await user.click(
      within(screen.getByRole("navigation", { name: "Breadcrumb" })).getByRole("link", { name: "All campaigns" }),
    );
    expect(await screen.findByRole("table", { name: "Campaigns of Tokyo Store" })).toBeInTheDocument();
  });

  it("filters by name, shows removed ones on request and loads more pages", async () => {
    const fetchMock = fakeApi([GOOGLE], (q) => {
      if (q.get("cursor") === "p2")
        return { items: [entity({ id: "e3", platform_id: "113", name: "Brand later" })], next_cursor: null };
      if (q.get("include_removed") === "true")
        return {
          items: [
            entity({ id: "e4", platform_id: "114", name: "Brand gone", status: "removed", platform_status: "REMOVED" }),
          ],
          next_cursor: null,
        };
      return { items: [entity({ name: q.get("name_contains") ? "Brand search" : "Anything" })], next_cursor: "p2" };
    });
    renderAt(<EntityBrowserScreen />, { path: PATH, url: `${BASE}?account=acc-1`, role: "viewer" });
    const user = userEvent.setup();
    expect(await screen.findByText("Anything")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText("Brand later")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    await user.type(screen.getByRole("searchbox", { name: "Filter by name" }), "Brand{Enter}");
    expect(await screen.findByText("Brand search")).toBeInTheDocument();
    expect(entityCalls(fetchMock).some((q) => q.get("name_contains") === "Brand")).toBe(true);
    await user.click(screen.getByRole("checkbox", { name: "Show removed" }));
    expect(await screen.findByText("Brand gone")).toBeInTheDocument();
    expect(screen.getByText("Removed")).toBeInTheDocument();
  });

  it("sends people to Connections when no ad account is managed", async () => {
    fakeApi([connection()], () => ({ items: [], next_cursor: null }));
    renderAt(<EntityBrowserScreen />, { path: PATH, url: BASE, role: "viewer" });
    expect(await screen.findByText("No ad accounts to browse yet")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open Connections" })).toHaveAttribute(
      "href",
      `/orgs/${ORG_ID}/connections`,
    );
  });

  it("says when an account has no campaigns yet", async () => {
    fakeApi([GOOGLE], () => ({ items: [], next_cursor: null }));
    renderAt(<EntityBrowserScreen />, { path: PATH, url: `${BASE}?account=acc-1`, role: "viewer" });
    expect(await screen.findByText("No campaigns here")).toBeInTheDocument();
  });
});

describe("formatObjective", () => {
  it("words the neutral objectives and tidies unknown ones", () => {
    expect(formatObjective("app_installs")).toBe("App installs");
    expect(formatObjective("OUTCOME_SALES")).toBe("Outcome sales");
    expect(formatObjective(null)).toBe("—");
  });
});
