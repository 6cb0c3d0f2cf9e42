import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { ORG_ID, renderAt } from "@/features/connections/testing";
import { json, mockFetch, problem } from "@/test/utils";
import { DraftsListScreen } from "./DraftsListScreen";
import { ADA_ID, DRAFT_ID, summary } from "./testing";

const PATH = "/orgs/$organizationId/drafts";
const BASE = `/orgs/${ORG_ID}/drafts`;

function listCalls(mock: ReturnType<typeof mockFetch>): URLSearchParams[] {
  return mock.mock.calls
    .map(([r]) => r as Request)
    .filter((r) => r.method === "GET" && new URL(r.url).pathname.endsWith("/drafts"))
    .map((r) => new URL(r.url).searchParams);
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("DraftsListScreen", () => {
  it("lists drafts with status, platforms and version, and reads the next page on Load more", async () => {
    const mock = mockFetch((request) => {
      const url = new URL(request.url);
      if (url.pathname.endsWith("/members"))
        return json({ items: [{ user_id: ADA_ID, display_name: "Ada", email: "ada@example.com" }], next_cursor: null });
      if (url.searchParams.get("cursor") === "next") {
        return json({
          items: [summary({ id: "d2", name: "Autumn launch", status: "published", updated_by_user_id: null })],
          next_cursor: null,
        });
      }
      return json({
        items: [summary({ status: "changes_requested", platforms: ["google", "meta"] })],
        next_cursor: "next",
      });
    });
    renderAt(<DraftsListScreen />, { path: PATH, url: BASE, role: "viewer" });

    const link = await screen.findByRole("link", { name: "Spring sale" });
    expect(link).toHaveAttribute("href", `${BASE}/${DRAFT_ID}`);
    const row = link.closest("tr")!;
    expect(within(row).getByText("Changes requested")).toBeInTheDocument();
    expect(within(row).getByText("Google Ads")).toBeInTheDocument();
    expect(within(row).getByText("Meta Ads")).toBeInTheDocument();
    expect(await within(row).findByText("by Ada")).toBeInTheDocument();
    // Viewers read drafts but cannot start one.
    expect(screen.queryByRole("button", { name: "New draft" })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    const autumn = await screen.findByRole("link", { name: "Autumn launch" });
    expect(within(autumn.closest("tr")!).getByText("by a former member")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(listCalls(mock).at(-1)?.get("cursor")).toBe("next");
  });

  it("sends the status, platform and name filters to the API and says when nothing matches", async () => {
    const mock = mockFetch(() => json({ items: [], next_cursor: null }));
    renderAt(<DraftsListScreen />, { path: PATH, url: BASE, role: "member" });
    expect(await screen.findByText("No campaign drafts yet")).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText("Status"), "in_review");
    await userEvent.selectOptions(screen.getByLabelText("Platform"), "tiktok");
    await userEvent.type(screen.getByLabelText("Search"), "sale{Enter}");

    expect(await screen.findByText("No drafts match these filters")).toBeInTheDocument();
    await waitFor(() => {
      const last = listCalls(mock).at(-1)!;
      expect(last.get("status")).toBe("in_review");
      expect(last.get("platform")).toBe("tiktok");
      expect(last.get("name_contains")).toBe("sale");
    });
  });

  it("shows the error with a retry", async () => {
    mockFetch(() => problem(500, "internal", { title: "Server error" }));
    renderAt(<DraftsListScreen />, { path: PATH, url: BASE, role: "viewer" });
    expect(await screen.findByRole("button", { name: /try again|retry/i })).toBeInTheDocument();
  });

  it("creates a draft from a name and opens it", async () => {
    const mock = mockFetch((request) => {
      if (request.method === "POST") return json(summary({ id: "new-1", name: "Launch", current_version: 1 }), 201);
      return json({ items: [], next_cursor: null });
    });
    const { router } = renderAt(<DraftsListScreen />, { path: PATH, url: BASE, role: "member" });
    await userEvent.click(await screen.findByRole("button", { name: "New draft" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create draft" }));
    expect(within(dialog).getByText("Name the draft.")).toBeInTheDocument();

    await userEvent.type(within(dialog).getByLabelText("Campaign name"), "Launch");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create draft" }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`${BASE}/new-1`));
    const post = mock.mock.calls.map(([r]) => r as Request).find((r) => r.method === "POST")!;
    expect(await post.clone().json()).toEqual({
      document: { name: "Launch", objective: "traffic", targets: [], ad_groups: [], launch_paused: true },
    });
  });
});
