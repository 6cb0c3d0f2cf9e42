import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import type { OrganizationRead, Role } from "@/api/types";
import { organizationAs } from "@/test/organizations";
import { json, mockFetch, problem, renderWithProviders } from "@/test/utils";
import { MembersScreen } from "./MembersScreen";
import { OrgProvider } from "./OrgContext";
import { OrgSettingsScreen } from "./OrgSettingsScreen";

const ORG_ID = "00000000-0000-0000-0000-000000000001";
const OTHER_ORG_ID = "00000000-0000-0000-0000-000000000002";
const ME_ID = "00000000-0000-0000-0000-0000000000aa";

function org(role: Role): OrganizationRead {
  return organizationAs(role, { id: ORG_ID });
}

function member(id: string, email: string, role: Role = "member") {
  return {
    user_id: id,
    email,
    display_name: email.split("@")[0],
    role,
    joined_at: "2026-01-02T00:00:00Z",
    mfa_enabled: false,
  };
}

const me = {
  id: ME_ID,
  email: "me@example.com",
  display_name: "Me",
  email_verified: true,
  mfa_enabled: false,
  created_at: "2026-01-01T00:00:00Z",
};

function fakeApi(onDelete: () => Response, orgsAfterLeave: { id: string; name: string }[] = []) {
  let left = false;
  return mockFetch((req) => {
    const url = new URL(req.url);
    if (req.method === "DELETE" && url.pathname.endsWith(`/members/${ME_ID}`)) {
      const response = onDelete();
      left = response.ok;
      return response;
    }
    if (url.pathname.endsWith("/members"))
      return json({ items: [member(ME_ID, "me@example.com", "admin")], next_cursor: null });
    if (url.pathname.endsWith("/invitations")) return json({ items: [], next_cursor: null });
    if (url.pathname === "/api/v1/me") return json(me);
    if (url.pathname === "/api/v1/config")
      return json({
        invitation_expiry_days: 7,
        environment: "test",
        outbox_enabled: false,
        sandbox: true,
        version: "0",
      });
    if (url.pathname === "/api/v1/orgs")
      return json({ items: left ? orgsAfterLeave : [{ id: ORG_ID, name: "Acme" }, ...orgsAfterLeave] });
    return json({});
  });
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("Leave organization", () => {
  it("explains the last-admin conflict", async () => {
    const fetchMock = fakeApi(() => problem(409, "last-admin", { detail: "An organization needs at least one admin" }));
    renderWithProviders(
      <OrgProvider organization={org("admin")}>
        <MembersScreen />
      </OrgProvider>,
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Leave organization" }));
    await user.click(await screen.findByRole("button", { name: "Leave" }));
    expect(await screen.findByText(/make someone else admin first/)).toBeInTheDocument();
    const del = fetchMock.mock.calls.map(([r]) => r as Request).find((r) => r.method === "DELETE")!;
    expect(new URL(del.url).pathname).toBe(`/api/v1/orgs/${ORG_ID}/members/${ME_ID}`);
  });

  it("is offered to viewers in organization settings and goes to another organization afterwards", async () => {
    fakeApi(() => new Response(null, { status: 204 }), [{ id: OTHER_ORG_ID, name: "Other" }]);
    const { router } = renderWithProviders(
      <OrgProvider organization={org("viewer")}>
        <OrgSettingsScreen />
      </OrgProvider>,
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Leave organization" }));
    await user.click(await screen.findByRole("button", { name: "Leave" }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/orgs/${OTHER_ORG_ID}`));
  });

  it("goes to onboarding when no organization is left", async () => {
    fakeApi(() => new Response(null, { status: 204 }));
    const { router } = renderWithProviders(
      <OrgProvider organization={org("member")}>
        <OrgSettingsScreen />
      </OrgProvider>,
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Leave organization" }));
    await user.click(await screen.findByRole("button", { name: "Leave" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/onboarding"));
  });
});

describe("Members pagination", () => {
  it("loads the next page with next_cursor", async () => {
    const fetchMock = mockFetch((req) => {
      const url = new URL(req.url);
      if (url.pathname === "/api/v1/me") return json(me);
      if (url.pathname.endsWith("/members")) {
        return url.searchParams.get("cursor") === "page-2"
          ? json({ items: [member("00000000-0000-0000-0000-0000000000c2", "second@example.com")], next_cursor: null })
          : json({
              items: [member("00000000-0000-0000-0000-0000000000c1", "first@example.com")],
              next_cursor: "page-2",
            });
      }
      if (url.pathname.endsWith("/invitations")) {
        return url.searchParams.get("cursor") === "inv-2"
          ? json({
              items: [
                {
                  id: "i2",
                  email: "later@example.com",
                  role: "viewer",
                  status: "pending",
                  created_at: "2026-01-02T00:00:00Z",
                  expires_at: "2026-01-09T00:00:00Z",
                },
              ],
              next_cursor: null,
            })
          : json({
              items: [
                {
                  id: "i1",
                  email: "early@example.com",
                  role: "viewer",
                  status: "pending",
                  created_at: "2026-01-02T00:00:00Z",
                  expires_at: "2026-01-09T00:00:00Z",
                },
              ],
              next_cursor: "inv-2",
            });
      }
      return json({});
    });
    renderWithProviders(
      <OrgProvider organization={org("admin")}>
        <MembersScreen />
      </OrgProvider>,
    );
    const user = userEvent.setup();
    expect(await screen.findByText("first@example.com")).toBeInTheDocument();
    expect(await screen.findByText("early@example.com")).toBeInTheDocument();
    const [membersMore, invitationsMore] = screen.getAllByRole("button", { name: "Load more" });
    await user.click(membersMore!);
    expect(await screen.findByText("second@example.com")).toBeInTheDocument();
    await user.click(invitationsMore!);
    expect(await screen.findByText("later@example.com")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    const cursors = fetchMock.mock.calls
      .map(([r]) => new URL((r as Request).url).searchParams.get("cursor"))
      .filter(Boolean);
    expect(cursors).toEqual(expect.arrayContaining(["page-2", "inv-2"]));
  });
});

describe("Invite people", () => {
  it("says how long the link lasts, as the server (and its email) does", async () => {
    fakeApi(() => json({}));
    renderWithProviders(
      <OrgProvider organization={org("admin")}>
        <MembersScreen />
      </OrgProvider>,
    );
    expect(
      await screen.findByText("They'll get an email with a link to join. The link expires after 7 days."),
    ).toBeInTheDocument();
    expect(screen.queryByText(/a few days/)).not.toBeInTheDocument();
  });

  it("names the page in the browser tab", async () => {
    fakeApi(() => json({}));
    renderWithProviders(
      <OrgProvider organization={org("admin")}>
        <MembersScreen />
      </OrgProvider>,
    );
    await screen.findByRole("heading", { name: "Members" });
    expect(document.title).toBe("Members · adpilot");
  });
});
