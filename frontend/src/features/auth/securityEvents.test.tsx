import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import type { SecurityEventRead } from "@/api/types";
import { json, mockFetch, renderWithProviders } from "@/test/utils";
import { SecurityActivityCard } from "./SecurityActivityCard";
import { SecurityScreen } from "./SecurityScreen";
import { describeSecurityEvent } from "./securityEvents";

const CHROME_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
const FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0";

function event(id: string, kind: string, extra: Partial<SecurityEventRead> = {}): SecurityEventRead {
  return {
    id,
    kind,
    occurred_at: "2026-01-02T10:00:00Z",
    ip: "203.0.113.7",
    user_agent: CHROME_LINUX,
    current_session: false,
    ...extra,
  };
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("describeSecurityEvent", () => {
  it.each([
    ["logged_in", "Logged in"],
    ["logged_in_with_recovery_code", "Logged in with a recovery code"],
    ["logged_out", "Logged out"],
    ["session_revoked", "Signed out a device"],
    ["refresh_token_reused", "A refresh token was used twice — that session was signed out"],
    ["password_reset", "Password reset"],
    ["email_verified", "Email verified"],
    ["mfa_enabled", "Two-factor authentication turned on"],
    ["mfa_disabled", "Two-factor authentication turned off"],
  ])("%s → %s", (kind, sentence) => {
    expect(describeSecurityEvent(kind).sentence).toBe(sentence);
  });

  it("warns only about refresh-token reuse", () => {
    expect(describeSecurityEvent("refresh_token_reused").tone).toBe("warning");
    expect(describeSecurityEvent("logged_in").tone).toBe("normal");
    expect(describeSecurityEvent("mfa_disabled").tone).toBe("normal");
  });

  it("falls back to a readable sentence for unknown kinds", () => {
    expect(describeSecurityEvent("api_key_created")).toEqual({ sentence: "Api key created", tone: "normal" });
    expect(describeSecurityEvent("toString").sentence).toBe("ToString");
  });
});

describe("SecurityActivityCard", () => {
  it("renders a page of events and loads more with next_cursor", async () => {
    const fetchMock = mockFetch((req) => {
      const url = new URL(req.url);
      if (url.pathname === "/api/v1/me/security-events") {
        return url.searchParams.get("cursor") === "page-2"
          ? json({ items: [event("e3", "mfa_enabled", { user_agent: FIREFOX_MAC, ip: null })], next_cursor: null })
          : json({
              items: [event("e1", "logged_in", { current_session: true }), event("e2", "refresh_token_reused")],
              next_cursor: "page-2",
            });
      }
      return json({});
    });
    renderWithProviders(<SecurityActivityCard />);
    const user = userEvent.setup();

    const list = await screen.findByRole("list", { name: "Security activity" });
    let rows = within(list).getAllByRole("listitem");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("Logged in");
    expect(rows[0]).toHaveTextContent("This session");
    expect(rows[0]).toHaveTextContent("Chrome on Linux");
    expect(rows[0]).toHaveTextContent("203.0.113.7");
    const time = rows[0]!.querySelector("time")!;
    expect(time).toHaveAttribute("datetime", "2026-01-02T10:00:00Z");
    expect(time.getAttribute("title")).toMatch(/2026/);
    expect(rows[1]).toHaveTextContent("A refresh token was used twice — that session was signed out");
    expect(rows[1]).toHaveTextContent("Warning");
    expect(rows[1]).not.toHaveTextContent("This session");

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(3));
    rows = within(list).getAllByRole("listitem");
    expect(rows[2]).toHaveTextContent("Two-factor authentication turned on");
    expect(rows[2]).toHaveTextContent("Firefox on macOS");
    expect(rows[2]).toHaveTextContent("Unknown IP");
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();

    const requests = fetchMock.mock.calls.map(([r]) => new URL((r as Request).url));
    expect(requests.map((u) => u.searchParams.get("cursor"))).toEqual([null, "page-2"]);
    expect(requests[0]!.searchParams.get("limit")).toBe("20");
  });

  it("shows an empty state", async () => {
    mockFetch(() => json({ items: [], next_cursor: null }));
    renderWithProviders(<SecurityActivityCard />);
    expect(await screen.findByText("No security activity yet")).toBeInTheDocument();
  });

  it("refetches after a session is revoked on the Security page", async () => {
    let revoked = false;
    const fetchMock = mockFetch((req) => {
      const url = new URL(req.url);
      if (url.pathname === "/api/v1/me") {
        return json({
          id: "u1",
          email: "a@example.com",
          display_name: "A",
          email_verified: true,
          mfa_enabled: true,
          created_at: "2026-01-01T00:00:00Z",
        });
      }
      if (req.method === "DELETE") {
        revoked = true;
        return new Response(null, { status: 204 });
      }
      if (url.pathname === "/api/v1/me/sessions") {
        const session = (id: string, current: boolean) => ({
          id,
          current,
          ip: "203.0.113.7",
          user_agent: CHROME_LINUX,
          created_at: "2026-01-01T00:00:00Z",
          last_seen_at: "2026-01-02T00:00:00Z",
          expires_at: "2026-02-01T00:00:00Z",
        });
        return json({ items: revoked ? [session("s1", true)] : [session("s1", true), session("s2", false)] });
      }
      if (url.pathname === "/api/v1/me/security-events") {
        return json({
          items: revoked
            ? [event("e2", "session_revoked", { current_session: true }), event("e1", "logged_in")]
            : [event("e1", "logged_in")],
          next_cursor: null,
        });
      }
      return json({});
    });
    renderWithProviders(<SecurityScreen />);
    const user = userEvent.setup();
    const list = await screen.findByRole("list", { name: "Security activity" });
    await user.click(await screen.findByRole("button", { name: /Revoke session/ }));
    expect(await within(list).findByText("Signed out a device")).toBeInTheDocument();
    const eventFetches = fetchMock.mock.calls.filter(
      ([r]) => new URL((r as Request).url).pathname === "/api/v1/me/security-events",
    );
    expect(eventFetches.length).toBeGreaterThanOrEqual(2);
  });
});
