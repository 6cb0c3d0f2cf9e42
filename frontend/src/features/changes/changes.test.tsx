import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch, problem } from "@/test/utils";
import { account, connection, entity, ORG_ID, renderAt, run, summary } from "@/features/connections/testing";
import type { EntityRead } from "@/features/connections/types";
import { EntityBrowserScreen } from "@/features/campaigns/EntityBrowserScreen";
import { ChangeHistoryScreen } from "./ChangeHistoryScreen";
import { change, options } from "./testing";
import type { ChangeRead } from "./types";

const GOOGLE = connection({ accounts: [account({ managed: true })] });
const BRAND = entity();
const PROMO = entity({
  id: "ent-2",
  platform_id: "112",
  name: "Old promo",
  status: "paused",
  daily_budget_micros: 20_000_000,
});

type Handler = (request: Request, url: URL) => Response | Promise<Response> | undefined;

/** The entity browser's reads, plus `handler` for the change pipeline. */
function fakeApi(handler: Handler, entities: EntityRead[] = [BRAND, PROMO]) {
  return mockFetch(async (request) => {
    const url = new URL(request.url);
    const answer = await handler(request, url);
    if (answer) return answer;
    if (url.pathname.endsWith("/connections")) return json({ items: [GOOGLE], needs_reconnect_count: 0 });
    if (url.pathname.endsWith("/sync-status")) {
      return json({
        items: [
          summary({
            last_run: run({ status: "succeeded", finished_at: "2026-01-01T00:00:00Z" }),
            last_succeeded_at: "2026-01-01T00:00:00Z",
          }),
        ],
        next_cursor: null,
      });
    }
    if (url.pathname.endsWith("/entities")) return json({ items: entities, next_cursor: null });
    if (url.pathname.endsWith("/members")) return json({ items: [], next_cursor: null });
    return json({ items: [], next_cursor: null });
  });
}

function posts(mock: ReturnType<typeof fakeApi>, suffix: string): Promise<unknown>[] {
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

const BROWSER = { path: "/orgs/$organizationId/campaigns", url: `/orgs/${ORG_ID}/campaigns?account=acc-1` };

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("inline changes in the entity browser", () => {
  it("pauses a campaign and follows the change until the platform verified it", async () => {
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
    renderAt(<EntityBrowserScreen />, { ...BROWSER, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Pause Brand search" }));
    await waitFor(async () => expect(await Promise.all(posts(mock, "/changes"))).toHaveLength(1));
    expect(await posts(mock, "/changes")[0]).toEqual({
      changes: [{ entity_id: "ent-1", kind: "status", value: "paused" }],
    });
    const row = screen.getByRole("row", { name: /Brand search/ });
    expect(await within(row).findByText("Applied", {}, { timeout: 5000 })).toBeInTheDocument();
  });

  it("asks before removing, and shows the platform's refusal", async () => {
    fakeApi((request, url) => {
      if (request.method === "POST" && url.pathname.endsWith("/changes")) {
        return problem(409, "changes-refused", {
          problems: [{ index: 0, entity_id: "ent-2", code: "immutable", detail: "Old promo cannot be removed now" }],
        });
      }
      return undefined;
    });
    renderAt(<EntityBrowserScreen />, { ...BROWSER, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Remove Old promo" }));
    const dialog = await screen.findByRole("dialog", { name: "Remove Old promo?" });
    await user.click(within(dialog).getByRole("button", { name: "Remove" }));
    expect(await screen.findByText("Old promo cannot be removed now")).toBeInTheDocument();
  });

  it("checks a budget against the currency and the platform's minimum and step before asking", async () => {
    const mock = fakeApi((request, url) => {
      if (url.pathname.endsWith("/changes/options")) return json(options());
      if (request.method === "POST" && url.pathname.endsWith("/changes")) {
        return json({ batch_id: "b", items: [change({ kind: "daily_budget", status: "pending_approval" })] }, 201);
      }
      if (url.pathname.endsWith("/changes/ch-1"))
        return json(change({ kind: "daily_budget", status: "pending_approval" }));
      return undefined;
    });
    renderAt(<EntityBrowserScreen />, { ...BROWSER, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit daily budget of Brand search" }));
    const input = await screen.findByRole("textbox", { name: /New daily budget of Brand search/ });
    expect(input).toHaveValue("50.00");
    expect(await screen.findByText(/min €1\.00/)).toBeInTheDocument();
    const save = screen.getByRole("button", { name: "Save" });
    await user.clear(input);
    await user.type(input, "12.345");
    await user.click(save);
    expect(await screen.findByText("EUR has at most 2 decimals.")).toBeInTheDocument();
    await user.clear(input);
    await user.type(input, "0.50");
    await user.click(save);
    expect(await screen.findByText("The minimum is €1.00.")).toBeInTheDocument();
    expect(posts(mock, "/changes")).toHaveLength(0);
    await user.clear(input);
    await user.type(input, "75");
    await user.click(save);
    expect(await screen.findByText("Waiting for approval")).toBeInTheDocument();
    expect(await posts(mock, "/changes")[0]).toEqual({
      changes: [{ entity_id: "ent-1", kind: "daily_budget", value: "75000000" }],
    });
  });

  it("shows why a budget cannot be edited", async () => {
    fakeApi((_request, url) =>
      url.pathname.endsWith("/changes/options")
        ? json(
            options({
              editable: [],
              not_editable: [{ kind: "daily_budget", reason: "The budget is kept on the campaign" }],
            }),
          )
        : undefined,
    );
    renderAt(<EntityBrowserScreen />, { ...BROWSER, role: "member" });
    const user = userEvent.setup();
    const edit = await screen.findByRole("button", { name: "Edit daily budget of Brand search" });
    await user.hover(edit);
    await waitFor(() => expect(edit).toHaveAttribute("title", "The budget is kept on the campaign"));
    expect(edit).toBeDisabled();
  });

  it("gives a viewer no controls", async () => {
    fakeApi(() => undefined);
    renderAt(<EntityBrowserScreen />, { ...BROWSER, role: "viewer" });
    expect(await screen.findByText("Brand search")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Pause Brand search" })).not.toBeInTheDocument();
    expect(screen.queryByRole("checkbox", { name: "Select Brand search" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "History of Brand search" })).toBeInTheDocument();
  });
});

describe("bulk change", () => {
  it("previews every entity, confirms, and follows the batch to the end", async () => {
    let batchReads = 0;
    const mock = fakeApi((request, url) => {
      if (url.pathname.endsWith("/changes/preview")) {
        return json({
          items: [
            {
              index: 0,
              entity_id: "ent-1",
              entity_name: "Brand search",
              platform: "google",
              level: "campaign",
              ad_account_id: "acc-1",
              kind: "daily_budget",
              value_before: "50000000",
              value_after: "60000000",
              currency: "EUR",
              needs_approval: false,
            },
            {
              index: 1,
              entity_id: "ent-2",
              entity_name: "Old promo",
              platform: "google",
              level: "campaign",
              ad_account_id: "acc-1",
              kind: "daily_budget",
              value_before: "20000000",
              value_after: "24000000",
              currency: "EUR",
              needs_approval: true,
            },
          ],
          problems: [],
        });
      }
      if (request.method === "POST" && url.pathname.endsWith("/changes")) {
        return json({ batch_id: "b-9", items: [change({ id: "c1" }), change({ id: "c2", entity_id: "ent-2" })] }, 201);
      }
      if (url.pathname.endsWith("/changes") && url.searchParams.get("batch_id") === "b-9") {
        batchReads += 1;
        return json({
          items: [
            change({ id: "c1", status: batchReads > 1 ? "verified" : "applying" }),
            change({
              id: "c2",
              entity_id: "ent-2",
              entity_name: "Old promo",
              status: "failed",
              error: "Budget too low for this bid strategy",
            }),
          ],
          next_cursor: null,
        });
      }
      return undefined;
    });
    renderAt(<EntityBrowserScreen />, { ...BROWSER, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("checkbox", { name: "Select all campaigns on this page" }));
    const bar = screen.getByRole("region", { name: "Bulk change" });
    expect(within(bar).getByText("2 rows selected")).toBeInTheDocument();
    await user.selectOptions(within(bar).getByRole("combobox", { name: "Action" }), "scale_budget");
    await user.type(within(bar).getByRole("textbox", { name: "Change in %" }), "+20");
    await user.click(within(bar).getByRole("button", { name: "Preview" }));
    const dialog = await screen.findByRole("dialog");
    expect(await within(dialog).findByText("€60.00")).toBeInTheDocument();
    expect(within(dialog).getByText("€24.00")).toBeInTheDocument();
    expect(within(dialog).getByText("Needs approval")).toBeInTheDocument();
    expect(await posts(mock, "/changes/preview")[0]).toEqual({
      changes: [
        { entity_id: "ent-1", kind: "daily_budget", value: "60000000" },
        { entity_id: "ent-2", kind: "daily_budget", value: "24000000" },
      ],
    });
    await user.click(within(dialog).getByRole("button", { name: "Confirm 2 changes" }));
    expect(await within(dialog).findByText(/1 of 2 verified · 1 failed/, {}, { timeout: 5000 })).toBeInTheDocument();
    expect(within(dialog).getByText("Budget too low for this bid strategy")).toBeInTheDocument();
  });

  it("lists the refused ones and goes on without them", async () => {
    const mock = fakeApi((_request, url) => {
      if (url.pathname.endsWith("/changes/preview")) {
        return json({
          items: [],
          problems: [{ index: 1, entity_id: "ent-2", code: "not-paused", detail: "Old promo is already paused" }],
        });
      }
      return undefined;
    });
    renderAt(<EntityBrowserScreen />, { ...BROWSER, role: "member" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("checkbox", { name: "Select Brand search" }));
    await user.click(screen.getByRole("checkbox", { name: "Select Old promo" }));
    await user.click(screen.getByRole("button", { name: "Preview" }));
    const dialog = await screen.findByRole("dialog");
    expect(await within(dialog).findByText("Old promo is already paused")).toBeInTheDocument();
    expect(within(dialog).queryByRole("button", { name: /Confirm/ })).not.toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Leave out refused ones" }));
    await waitFor(() => expect(posts(mock, "/changes/preview")).toHaveLength(2));
    expect(await posts(mock, "/changes/preview")[1]).toEqual({
      changes: [{ entity_id: "ent-1", kind: "status", value: "paused" }],
    });
  });
});

describe("ChangeHistoryScreen", () => {
  const HISTORY = { path: "/orgs/$organizationId/changes", url: `/orgs/${ORG_ID}/changes` };

  function historyApi(items: ChangeRead[], extra: Handler = () => undefined) {
    return fakeApi((request, url) => {
      const answer = extra(request, url);
      if (answer) return answer;
      if (url.pathname.endsWith(`/orgs/${ORG_ID}/changes`)) {
        if (url.searchParams.get("status") === "pending_approval") {
          return json({ items: items.filter((c) => c.status === "pending_approval"), next_cursor: null });
        }
        return json({ items, next_cursor: url.searchParams.get("cursor") ? null : null });
      }
      return undefined;
    });
  }

  it("filters by status, kind and platform through the URL", async () => {
    const mock = historyApi([
      change({ kind: "daily_budget", value_before: "50000000", value_after: "75000000", status: "verified" }),
    ]);
    const { router } = renderAt(<ChangeHistoryScreen />, { ...HISTORY, role: "viewer" });
    const user = userEvent.setup();
    expect(await screen.findByText("€75.00")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Undo/ })).not.toBeInTheDocument();
    const form = screen.getByRole("form", { name: "Filter changes" });
    await user.selectOptions(within(form).getByRole("combobox", { name: "Status" }), "failed");
    await user.selectOptions(within(form).getByRole("combobox", { name: "Kind" }), "daily_budget");
    await user.selectOptions(within(form).getByRole("combobox", { name: "Platform" }), "meta");
    await user.click(within(form).getByRole("button", { name: "Apply filters" }));
    await waitFor(() =>
      expect(router.state.location.search).toEqual({ status: "failed", kind: "daily_budget", platform: "meta" }),
    );
    await waitFor(() => {
      const last = mock.mock.calls
        .map(([r]) => new URL((r as Request).url))
        .filter((u) => u.pathname.endsWith("/changes"))
        .at(-1)!;
      expect(last.searchParams.get("status")).toBe("failed");
      expect(last.searchParams.get("kind")).toBe("daily_budget");
      expect(last.searchParams.get("platform")).toBe("meta");
    });
  });

  it("lets a manager approve with a note, and a member only undo", async () => {
    const pending = change({ id: "p1", status: "pending_approval", entity_name: "Summer sale" });
    const done = change({ id: "d1", status: "verified", entity_name: "Brand search" });
    const mock = historyApi([pending, done], (request, url) =>
      request.method === "POST" && url.pathname.endsWith("/changes/p1/approve")
        ? json({ ...pending, status: "queued" })
        : undefined,
    );
    renderAt(<ChangeHistoryScreen />, { ...HISTORY, role: "manager" });
    const user = userEvent.setup();
    expect(await screen.findByRole("button", { name: /Waiting for approval/ })).toHaveTextContent("1");
    await user.click(await screen.findByRole("button", { name: "Approve the change of Summer sale" }));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByRole("textbox", { name: "Note (optional)" }), "ok for the weekend");
    await user.click(within(dialog).getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(posts(mock, "/changes/p1/approve")).toHaveLength(1));
    expect(await posts(mock, "/changes/p1/approve")[0]).toEqual({ note: "ok for the weekend" });
    expect(screen.getByRole("button", { name: "Reject the change of Summer sale" })).toBeInTheDocument();
  });

  it("shows a member no approval buttons but undo with a confirmation", async () => {
    const pending = change({ id: "p1", status: "pending_approval", entity_name: "Summer sale" });
    const done = change({ id: "d1", status: "verified", entity_name: "Brand search" });
    const mock = historyApi([pending, done], (request, url) =>
      request.method === "POST" && url.pathname.endsWith("/changes/d1/undo")
        ? json(change({ id: "u1", source: "undo", status: "pending_approval" }), 201)
        : undefined,
    );
    renderAt(<ChangeHistoryScreen />, { ...HISTORY, role: "member" });
    const user = userEvent.setup();
    expect(await screen.findByText("Summer sale")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Approve/ })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Undo on Brand search" }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("Status goes back to Active");
    await user.click(within(dialog).getByRole("button", { name: "Undo change" }));
    await waitFor(() => expect(posts(mock, "/changes/d1/undo")).toHaveLength(1));
  });
});
