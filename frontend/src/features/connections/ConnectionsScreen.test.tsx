import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import type { Role } from "@/api/types";
import { json, mockFetch } from "@/test/utils";
import { browserNavigation, readPendingConnection } from "./connectFlow";
import { ConnectionsScreen } from "./ConnectionsScreen";
import { ReconnectNotice } from "./ReconnectNotice";
import { account, connection, ORG_ID, renderAt, run, summary } from "./testing";
import type { AccountSyncSummary, ConnectionRead } from "./types";

const PATH = "/orgs/$organizationId/connections";
const URL_ = `/orgs/${ORG_ID}/connections`;
const CONFIG = {
  environment: "development",
  outbox_enabled: true,
  sandbox: true,
  version: "test",
  platform_endpoints: { google: "real", meta: "sandbox", tiktok: "custom" },
};

interface Api {
  connections: ConnectionRead[];
  status: AccountSyncSummary[];
  handle?: (request: Request, path: string) => Response | Promise<Response> | undefined;
}

function fakeApi(api: Api) {
  return mockFetch(async (request) => {
    const path = new URL(request.url).pathname;
    const custom = await api.handle?.(request, path);
    if (custom) return custom;
    if (path === "/api/v1/config") return json(CONFIG);
    if (path.endsWith("/connections") && request.method === "GET") {
      return json({
        items: api.connections,
        needs_reconnect_count: api.connections.filter((c) => c.health === "needs_reconnect").length,
      });
    }
    if (path.endsWith("/ad-accounts/sync-status")) return json({ items: api.status, next_cursor: null });
    return json({});
  });
}

function renderScreen(role: Role, url = URL_) {
  return renderAt(<ConnectionsScreen />, { path: PATH, url, role });
}

function calls(mock: ReturnType<typeof fakeApi>, method: string, suffix: string): Request[] {
  return mock.mock.calls
    .map(([r]) => r as Request)
    .filter((r) => r.method === method && new URL(r.url).pathname.endsWith(suffix));
}

beforeEach(() => {
  authStore.setToken("t");
  window.sessionStorage.clear();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  authStore.reset();
});

describe("ConnectionsScreen", () => {
  it("says which endpoint each platform uses on this server", async () => {
    fakeApi({ connections: [], status: [] });
    renderScreen("viewer");
    expect(await screen.findByText("Live platform")).toBeInTheDocument();
    expect(screen.getByText("Custom URL")).toBeInTheDocument();
    expect(screen.getAllByText("Endpoint:")).toHaveLength(3);
  });

  it("explains connecting when nothing is connected and starts the consent round trip", async () => {
    const assign = vi.spyOn(browserNavigation, "assign").mockImplementation(() => {});
    const fetchMock = fakeApi({
      connections: [],
      status: [],
      handle: (request, path) =>
        request.method === "POST" && path.endsWith("/connections/meta/authorize")
          ? json({
              authorization_url: "http://127.0.0.1:8000/sandbox/meta/v23.0/dialog/oauth?state=x",
              expires_at: "2026-01-01T00:10:00Z",
            })
          : undefined,
    });
    renderScreen("manager");
    expect(await screen.findByText("No ad platform is connected yet")).toBeInTheDocument();
    expect(await screen.findByText(/no real ad account is touched/)).toBeInTheDocument();
    for (const title of ["Google Ads", "Meta Ads", "TikTok Ads"]) {
      expect(screen.getByRole("heading", { name: title })).toBeInTheDocument();
      expect(screen.getByRole("button", { name: `Connect ${title}` })).toBeInTheDocument();
    }
    await userEvent.setup().click(screen.getByRole("button", { name: "Connect Meta Ads" }));
    await waitFor(() =>
      expect(assign).toHaveBeenCalledWith("http://127.0.0.1:8000/sandbox/meta/v23.0/dialog/oauth?state=x"),
    );
    expect(calls(fetchMock, "POST", "/connections/meta/authorize")).toHaveLength(1);
    expect(readPendingConnection()).toMatchObject({ organizationId: ORG_ID, platform: "meta", returnTo: URL_ });
  });

  it("never follows a javascript: authorization URL", async () => {
    const assign = vi.spyOn(browserNavigation, "assign").mockImplementation(() => {});
    fakeApi({
      connections: [],
      status: [],
      handle: (request) =>
        request.method === "POST"
          ? json({ authorization_url: "javascript:alert(1)", expires_at: "2026-01-01T00:10:00Z" })
          : undefined,
    });
    renderScreen("admin");
    await userEvent.setup().click(await screen.findByRole("button", { name: "Connect Google Ads" }));
    expect(await screen.findByText("Could not start connecting Google Ads")).toBeInTheDocument();
    expect(assign).not.toHaveBeenCalled();
  });

  it("shows viewers the connections and accounts without any action", async () => {
    fakeApi({
      connections: [connection({ accounts: [account({ managed: true })] })],
      status: [
        summary({
          entity_counts: { campaign: 3, ad_group: 5, ad: 9 },
          last_run: run({ status: "succeeded", finished_at: "2026-01-01T00:01:00Z" }),
          last_succeeded_at: "2026-01-01T00:01:00Z",
        }),
      ],
    });
    renderScreen("viewer");
    const panel = await screen.findByRole("region", { name: "ada@example.com" });
    expect(within(panel).getByText("Acme Shop")).toBeInTheDocument();
    expect(within(panel).getByText("1234567890")).toBeInTheDocument();
    expect(within(panel).getByText("Europe/Berlin")).toBeInTheDocument();
    expect(within(panel).getByText("Healthy")).toBeInTheDocument();
    expect(await within(panel).findByText(/3 campaigns · 5 ad groups · 9 ads/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Connect/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Sync now/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Disconnect/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Choose accounts/ })).not.toBeInTheDocument();
  });

  it("lets a member sync an account now and follows the run until it finishes", async () => {
    let polls = 0;
    const status: AccountSyncSummary[] = [
      summary({
        last_run: run({ status: "succeeded", finished_at: "2026-01-01T00:01:00Z" }),
        last_succeeded_at: "2026-01-01T00:01:00Z",
      }),
    ];
    const fetchMock = fakeApi({
      connections: [connection({ accounts: [account({ managed: true })] })],
      status,
      handle: (request, path) => {
        if (request.method === "POST" && path.endsWith("/ad-accounts/acc-1/sync"))
          return json(run({ id: "run-2", status: "queued" }), 202);
        if (path.endsWith("/sync-status") && calls(fetchMock, "POST", "/sync").length > 0) {
          polls += 1;
          const last =
            polls < 2
              ? run({ id: "run-2", status: "running" })
              : run({
                  id: "run-2",
                  status: "succeeded",
                  finished_at: new Date().toISOString(),
                  counts: { campaign: { created: 2, updated: 0, unchanged: 1, removed: 0 } },
                });
          return json({
            items: [summary({ entity_counts: { campaign: 3 }, last_run: last, last_succeeded_at: last.finished_at })],
            next_cursor: null,
          });
        }
        return undefined;
      },
    });
    renderScreen("member");
    expect(screen.queryByRole("button", { name: /Disconnect/ })).not.toBeInTheDocument();
    await userEvent.setup().click(await screen.findByRole("button", { name: "Sync now: Acme Shop" }));
    expect(await screen.findByRole("button", { name: "Syncing Acme Shop" })).toBeDisabled();
    expect(await screen.findByText("Synced", {}, { timeout: 6000 })).toBeInTheDocument();
    expect(screen.getByText(/2 new/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Sync now: Acme Shop" })).toBeEnabled();
    expect(polls).toBeGreaterThanOrEqual(2);
  }, 10_000);

  it("keeps asking for the first sync of a newly managed account until it shows up and finishes", async () => {
    let polls = 0;
    fakeApi({
      connections: [connection({ accounts: [account({ managed: true })] })],
      status: [],
      handle: (_request, path) => {
        if (!path.endsWith("/sync-status")) return undefined;
        polls += 1;
        if (polls === 1) return json([]);
        return json({
          items: [
            summary({
              entity_counts: { campaign: 4 },
              last_run: run({ status: "succeeded", trigger: "connect", finished_at: new Date().toISOString() }),
              last_succeeded_at: new Date().toISOString(),
            }),
          ],
          next_cursor: null,
        });
      },
    });
    renderScreen("viewer");
    expect(await screen.findByText("Not synced yet")).toBeInTheDocument();
    expect(await screen.findByText("Synced", {}, { timeout: 6000 })).toBeInTheDocument();
    expect(screen.getByText(/4 campaigns/)).toBeInTheDocument();
  }, 10_000);

  it("opens the account selection of a new connection and saves the managed accounts", async () => {
    const accounts = [
      account({ id: "acc-1", name: "Acme Shop" }),
      account({ id: "acc-2", name: "Acme Japan", currency: "JPY", time_zone: "Asia/Tokyo" }),
      account({ id: "mcc", name: "Acme Agency", is_manager: true }),
    ];
    const fetchMock = fakeApi({
      connections: [connection({ id: "conn-9", accounts })],
      status: [],
      handle: (request, path) =>
        request.method === "PUT" && path.endsWith("/connections/conn-9/accounts")
          ? json(connection({ id: "conn-9", accounts: accounts.map((a) => ({ ...a, managed: a.id === "acc-2" })) }))
          : undefined,
    });
    const { router } = renderScreen("manager", `${URL_}?select=conn-9`);
    const user = userEvent.setup();
    expect(await screen.findByText("Connected ada@example.com")).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "Manage Acme Agency" })).toBeDisabled();
    await user.click(screen.getByRole("checkbox", { name: "Manage Acme Japan" }));
    await user.click(screen.getByRole("button", { name: "Save selection" }));
    expect(await screen.findByText(/adpilot manages 1 ad account of this login/)).toBeInTheDocument();
    const [put] = calls(fetchMock, "PUT", "/accounts");
    expect(await put!.json()).toEqual({ managed_account_ids: ["acc-2"] });
    await waitFor(() => expect(router.state.location.search).toEqual({}));
  });

  it("shows the listing of a new login's accounts in progress, then its account selection", async () => {
    const listing = connection({
      id: "conn-7",
      accounts: [],
      account_count: 0,
      discovery: {
        state: "running",
        accounts_found: 0,
        error: null,
        started_at: "2026-01-01T00:00:00Z",
        finished_at: null,
      },
    });
    const api: Api = { connections: [listing], status: [] };
    const fetchMock = fakeApi(api);
    renderScreen("manager", `${URL_}?select=conn-7`);
    expect(await screen.findByText(/Listing the ad accounts of ada@example.com/)).toBeInTheDocument();
    expect(screen.queryByText(/has no ad accounts/)).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save selection" })).not.toBeInTheDocument();
    api.connections = [connection({ id: "conn-7", accounts: [account({ id: "acc-1", name: "Acme Shop" })] })];
    expect(await screen.findByText("Connected ada@example.com", {}, { timeout: 4_000 })).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "Manage Acme Shop" })).toBeInTheDocument();
    expect(calls(fetchMock, "GET", "/connections").length).toBeGreaterThan(1);
  });

  it("queues a refresh of a login's accounts, shows it in progress, then says how many were listed", async () => {
    const listed = connection({ id: "conn-3" });
    const refreshing = connection({
      id: "conn-3",
      discovery: { state: "queued", accounts_found: 0, error: null, started_at: null, finished_at: null },
    });
    const api: Api = {
      connections: [listed],
      status: [],
      handle: (request, path) => {
        if (request.method !== "POST" || !path.endsWith("/conn-3/accounts/refresh")) return undefined;
        api.connections = [refreshing];
        return json(refreshing, 202);
      },
    };
    const fetchMock = fakeApi(api);
    const user = userEvent.setup();
    renderScreen("manager");
    await user.click(await screen.findByRole("button", { name: "Refresh accounts of ada@example.com" }));
    expect(await screen.findByText(/Listing the ad accounts of ada@example.com/)).toBeInTheDocument();
    expect(screen.queryByText(/Account list refreshed/)).not.toBeInTheDocument();
    expect(calls(fetchMock, "POST", "/accounts/refresh")).toHaveLength(1);
    api.connections = [
      connection({
        id: "conn-3",
        accounts: [account({ id: "acc-1" }), account({ id: "acc-2", name: "Acme Outlet" })],
        discovery: {
          state: "succeeded",
          accounts_found: 2,
          error: null,
          started_at: "2026-01-02T00:00:00Z",
          finished_at: "2026-01-02T00:00:03Z",
        },
      }),
    ];
    expect(
      await screen.findByText("Account list refreshed: 2 ad accounts.", {}, { timeout: 4_000 }),
    ).toBeInTheDocument();
    expect(screen.queryByText(/Listing the ad accounts of/)).not.toBeInTheDocument();
  });

  it("says why a login's accounts could not be listed", async () => {
    const failed = connection({
      accounts: [],
      account_count: 0,
      discovery: {
        state: "failed",
        accounts_found: 0,
        error: "The ad accounts could not be listed: HTTP 503",
        started_at: null,
        finished_at: null,
      },
    });
    fakeApi({ connections: [failed], status: [] });
    renderScreen("manager");
    expect(await screen.findByText("The ad accounts could not be listed")).toBeInTheDocument();
    expect(screen.getByText(/HTTP 503/)).toBeInTheDocument();
  });

  it("pages through connections, a manager login's accounts and the sync status instead of reading all at once", async () => {
    const first = [account({ id: "acc-1", name: "Client 1", managed: true })];
    const later = [
      account({ id: "acc-2", name: "Client 2" }),
      account({ id: "acc-3", name: "Client 3", managed: true }),
    ];
    const mcc = connection({
      id: "conn-9",
      accounts: first,
      account_count: 3,
      managed_account_count: 2,
      accounts_next_cursor: "acc-page-2",
    });
    const other = connection({ id: "conn-2", platform: "meta", display_name: "Meta login", accounts: [] });
    const fetchMock = fakeApi({
      connections: [],
      status: [],
      handle: (request, path) => {
        const query = new URL(request.url).searchParams;
        if (request.method === "GET" && path.endsWith("/connections")) {
          return query.get("cursor") === "conn-page-2"
            ? json({ items: [other], next_cursor: null, needs_reconnect_count: 0 })
            : json({ items: [mcc], next_cursor: "conn-page-2", needs_reconnect_count: 0 });
        }
        if (request.method === "GET" && path.endsWith("/connections/conn-9/accounts")) {
          return query.get("cursor") === "acc-page-2"
            ? json({ items: [later[0]], next_cursor: "acc-page-3" })
            : json({ items: [later[1]], next_cursor: null });
        }
        if (path.endsWith("/sync-status")) {
          return query.get("cursor") === "status-2"
            ? json({ items: [summary({ ad_account_id: "acc-3", last_run: null })], next_cursor: null })
            : json({ items: [summary({ ad_account_id: "acc-1", last_run: null })], next_cursor: "status-2" });
        }
        if (request.method === "PUT" && path.endsWith("/connections/conn-9/accounts")) {
          return json(
            connection({
              id: "conn-9",
              accounts: first,
              account_count: 3,
              managed_account_count: 3,
              accounts_next_cursor: "acc-page-2",
            }),
          );
        }
        return undefined;
      },
    });
    renderScreen("manager");
    const user = userEvent.setup();
    expect(await screen.findByRole("region", { name: "Meta login" })).toBeInTheDocument();
    const panel = screen.getByRole("region", { name: "ada@example.com" });
    expect(within(panel).getByText("Showing 1 of 3 ad accounts")).toBeInTheDocument();
    await waitFor(() => expect(calls(fetchMock, "GET", "/sync-status")).toHaveLength(2));
    await user.click(within(panel).getByRole("button", { name: "Show more accounts" }));
    expect(await within(panel).findByText("Client 2")).toBeInTheDocument();
    expect(within(panel).queryByText("Client 3")).not.toBeInTheDocument();
    // Choosing replaces the whole managed set: every remaining page is read first, keeping their managed accounts.
    await user.click(within(panel).getByRole("button", { name: "Choose accounts of ada@example.com" }));
    await user.click(await within(panel).findByRole("checkbox", { name: "Manage Client 2" }));
    await user.click(within(panel).getByRole("button", { name: "Save selection" }));
    expect(await screen.findByText(/adpilot manages 3 ad accounts of this login/)).toBeInTheDocument();
    const [put] = calls(fetchMock, "PUT", "/accounts");
    expect(((await put!.json()) as { managed_account_ids: string[] }).managed_account_ids.sort()).toEqual([
      "acc-1",
      "acc-2",
      "acc-3",
    ]);
    expect(
      calls(fetchMock, "GET", "/connections/conn-9/accounts").every(
        (r) => new URL(r.url).searchParams.get("limit") === "100",
      ),
    ).toBe(true);
  });

  it("disconnects after confirming", async () => {
    const fetchMock = fakeApi({
      connections: [connection()],
      status: [],
      handle: (request) => (request.method === "DELETE" ? new Response(null, { status: 204 }) : undefined),
    });
    renderScreen("admin");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Disconnect ada@example.com" }));
    const dialog = await screen.findByRole("dialog", { name: "Disconnect ada@example.com?" });
    expect(calls(fetchMock, "DELETE", "/connections/conn-1")).toHaveLength(0);
    await user.click(within(dialog).getByRole("button", { name: "Disconnect" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(calls(fetchMock, "DELETE", "/connections/conn-1")).toHaveLength(1);
  });

  it("asks to reconnect a connection that needs it", async () => {
    fakeApi({
      connections: [connection({ health: "needs_reconnect", health_reason: "Google revoked the refresh token" })],
      status: [],
    });
    renderScreen("manager");
    const panel = await screen.findByRole("region", { name: "ada@example.com" });
    expect(within(panel).getByText("Needs reconnect")).toBeInTheDocument();
    expect(within(panel).getByRole("alert")).toHaveTextContent("Google revoked the refresh token");
    expect(within(panel).getByRole("button", { name: "Reconnect ada@example.com" })).toBeEnabled();
  });

  it("shows the list's error with a retry", async () => {
    fakeApi({
      connections: [],
      status: [],
      handle: (_request, path) =>
        path.endsWith("/connections")
          ? new Response(
              JSON.stringify({
                type: "about:blank",
                title: "Boom",
                status: 500,
                code: "internal",
                detail: "Database unavailable",
              }),
              { status: 500 },
            )
          : undefined,
    });
    renderScreen("viewer");
    expect(await screen.findByText("Database unavailable")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});

describe("ReconnectNotice", () => {
  it("links to Connections while a connection needs reconnecting", async () => {
    fakeApi({
      connections: [connection({ platform: "meta", display_name: "Meta login", health: "needs_reconnect" })],
      status: [],
    });
    renderAt(<ReconnectNotice />, { path: "/orgs/$organizationId/campaigns", url: `/orgs/${ORG_ID}/campaigns` });
    expect(await screen.findByText(/Your Meta Ads connection “Meta login” needs reconnecting/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open Connections" })).toHaveAttribute("href", URL_);
  });

  it("stays hidden when every connection is fine", async () => {
    const fetchMock = fakeApi({ connections: [connection()], status: [] });
    renderAt(<ReconnectNotice />, { path: "/orgs/$organizationId/campaigns", url: `/orgs/${ORG_ID}/campaigns` });
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(screen.queryByText(/needs reconnecting/)).not.toBeInTheDocument();
  });
});
