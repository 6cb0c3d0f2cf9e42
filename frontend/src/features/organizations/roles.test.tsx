import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { authStore } from "@/api/client";
import type { OrganizationRead, Role } from "@/api/types";
import { json, mockFetch, renderWithProviders } from "@/test/utils";
import { MembersScreen } from "./MembersScreen";
import { OrgProvider } from "./OrgContext";
import { OrgSettingsScreen } from "./OrgSettingsScreen";
import { can } from "./permissions";

const ORG_ID = "00000000-0000-0000-0000-000000000001";

function org(role: Role): OrganizationRead {
  return { id: ORG_ID, name: "Acme", require_mfa: false, role, created_at: "2026-01-01T00:00:00Z", time_zone: "UTC", reporting_currency: "USD" };
}

const member = {
  user_id: "00000000-0000-0000-0000-0000000000aa",
  email: "grace@example.com",
  display_name: "Grace",
  role: "member",
  joined_at: "2026-01-02T00:00:00Z",
  mfa_enabled: true,
};

function fakeApi() {
  return mockFetch((req) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith("/members")) return json({ items: [member], next_cursor: null });
    if (path.endsWith("/invitations")) return json({ items: [], next_cursor: null });
    if (path === "/api/v1/me") return json({ id: "me", email: "me@example.com", display_name: "Me", email_verified: true, mfa_enabled: false, created_at: "2026-01-01T00:00:00Z" });
    return json({});
  });
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("can()", () => {
  it("gives admins every capability and viewers none", () => {
    expect(can("admin", "manage-members")).toBe(true);
    expect(can("manager", "manage-members")).toBe(false);
    expect(can("viewer", "edit")).toBe(false);
    expect(can("member", "edit")).toBe(true);
    expect(can(undefined, "edit")).toBe(false);
  });
});

describe("MembersScreen role-based controls", () => {
  it("shows role selects, remove buttons and the invite form to admins", async () => {
    const fetchMock = fakeApi();
    renderWithProviders(
      <OrgProvider organization={org("admin")}>
        <MembersScreen />
      </OrgProvider>,
    );
    expect(await screen.findByRole("combobox", { name: "Role for grace@example.com" })).toHaveValue("member");
    expect(screen.getByRole("button", { name: "Remove grace@example.com" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send invitation" })).toBeInTheDocument();
    await waitFor(() => expect(fetchMock.mock.calls.some(([r]) => (r as Request).url.includes("/invitations"))).toBe(true));
    // The first page is requested without a cursor.
    const membersUrl = new URL((fetchMock.mock.calls.find(([r]) => (r as Request).url.includes("/members"))![0] as Request).url);
    expect(membersUrl.searchParams.has("cursor")).toBe(false);
    expect(membersUrl.searchParams.get("limit")).toBe("50");
  });

  it("hides every edit control from viewers", async () => {
    const fetchMock = fakeApi();
    renderWithProviders(
      <OrgProvider organization={org("viewer")}>
        <MembersScreen />
      </OrgProvider>,
    );
    expect(await screen.findByText("grace@example.com")).toBeInTheDocument();
    expect(screen.queryByRole("combobox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Remove/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Send invitation" })).not.toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([r]) => (r as Request).url.includes("/invitations"))).toBe(false);
  });
});

describe("OrgSettingsScreen role-based controls", () => {
  it("lets admins save", async () => {
    fakeApi();
    renderWithProviders(
      <OrgProvider organization={org("admin")}>
        <OrgSettingsScreen />
      </OrgProvider>,
    );
    expect(await screen.findByRole("button", { name: "Save changes" })).toBeInTheDocument();
    expect(screen.getByLabelText("Require two-factor authentication")).toBeEnabled();
  });

  it("is read-only for viewers", async () => {
    fakeApi();
    renderWithProviders(
      <OrgProvider organization={org("viewer")}>
        <OrgSettingsScreen />
      </OrgProvider>,
    );
    expect(await screen.findByLabelText("Organization name")).toHaveAttribute("readonly");
    expect(screen.getByLabelText("Require two-factor authentication")).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Save changes" })).not.toBeInTheDocument();
  });
});
