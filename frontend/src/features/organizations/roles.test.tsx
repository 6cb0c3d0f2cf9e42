import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import { authStore } from "@/api/client";
import type { OrganizationRead, Permission, Role } from "@/api/types";
import { json, mockFetch, renderWithProviders } from "@/test/utils";
import { MembersScreen } from "./MembersScreen";
import { OrgProvider, useCan } from "./OrgContext";
import { OrgSettingsScreen } from "./OrgSettingsScreen";
import { organizationAs } from "@/test/organizations";

const ORG_ID = "00000000-0000-0000-0000-000000000001";

function org(role: Role, overrides: Partial<OrganizationRead> = {}): OrganizationRead {
  return organizationAs(role, { id: ORG_ID, ...overrides });
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
    if (path === "/api/v1/me")
      return json({
        id: "me",
        email: "me@example.com",
        display_name: "Me",
        email_verified: true,
        mfa_enabled: false,
        created_at: "2026-01-01T00:00:00Z",
      });
    return json({});
  });
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

function Probe({ permission }: { permission: Permission }) {
  return <p>{useCan(permission) ? "allowed" : "hidden"}</p>;
}

describe("useCan()", () => {
  it("answers from the permissions the server listed for the organization", () => {
    const { unmount } = render(
      <OrgProvider organization={org("manager")}>
        <Probe permission="connections.manage" />
      </OrgProvider>,
    );
    expect(screen.getByText("allowed")).toBeInTheDocument();
    unmount();
    render(
      <OrgProvider organization={org("manager")}>
        <Probe permission="members.manage" />
      </OrgProvider>,
    );
    expect(screen.getByText("hidden")).toBeInTheDocument();
  });

  it("is false outside an organization", () => {
    render(<Probe permission="organization.read" />);
    expect(screen.getByText("hidden")).toBeInTheDocument();
  });
});

describe("controls follow the permissions, not the role's name", { timeout: 20_000 }, () => {
  it("shows the member controls to whoever holds members.manage", async () => {
    fakeApi();
    renderWithProviders(
      <OrgProvider
        organization={org("viewer", { permissions: ["organization.read", "members.read", "members.manage"] })}
      >
        <MembersScreen />
      </OrgProvider>,
    );
    expect(
      await screen.findByRole("combobox", { name: "Role for grace@example.com" }, { timeout: 5_000 }),
    ).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send invitation" })).toBeInTheDocument();
  });

  it("hides the settings form from an admin the server lists without organization.update", async () => {
    fakeApi();
    renderWithProviders(
      <OrgProvider organization={org("admin", { permissions: ["organization.read", "members.read"] })}>
        <OrgSettingsScreen />
      </OrgProvider>,
    );
    expect(await screen.findByLabelText("Organization name", {}, { timeout: 5_000 })).toHaveAttribute("readonly");
    expect(screen.queryByRole("button", { name: "Save changes" })).not.toBeInTheDocument();
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
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([r]) => (r as Request).url.includes("/invitations"))).toBe(true),
    );
    // The first page is requested without a cursor.
    const membersUrl = new URL(
      (fetchMock.mock.calls.find(([r]) => (r as Request).url.includes("/members"))![0] as Request).url,
    );
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
