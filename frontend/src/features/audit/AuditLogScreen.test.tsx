import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import { authStore } from "@/api/client";
import type { OrganizationRead } from "@/api/types";
import { OrgProvider } from "@/features/organizations/OrgContext";
import { organizationAs } from "@/test/organizations";
import { json, mockFetch, renderWithProviders } from "@/test/utils";
import { AuditLogScreen, describeTarget } from "./AuditLogScreen";
import { AUDIT_TARGET_TYPES } from "./search";

const ORG_ID = "00000000-0000-0000-0000-000000000001";
const org: OrganizationRead = organizationAs("admin", { id: ORG_ID });
const USER_ID = "7d3c2f9e-1b44-4b1e-9d7e-2f6a3c5b8e10";

function entry(extra: Record<string, unknown>) {
  return {
    id: crypto.randomUUID(),
    seq: 1,
    occurred_at: "2026-03-01T10:00:00Z",
    actor_user_id: null,
    actor_email: "admin@example.com",
    ip: null,
    user_agent: null,
    before: null,
    after: null,
    target_type: null,
    target_id: null,
    target_name: null,
    ...extra,
  };
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("describeTarget", () => {
  it("names a target, or falls back to its type and a short id", () => {
    expect(describeTarget({ target_type: "user", target_id: USER_ID, target_name: "Ada (ada@example.com)" })).toBe(
      "Member Ada (ada@example.com)",
    );
    expect(describeTarget({ target_type: "connection", target_id: USER_ID, target_name: null })).toBe(
      "Connection 7d3c2f9e…",
    );
    expect(describeTarget({ target_type: null, target_id: null, target_name: null })).toBeNull();
  });
});

describe("AuditLogScreen", () => {
  it("shows actions in words and targets by name, and filters by every target type", async () => {
    mockFetch((req) => {
      const path = new URL(req.url).pathname;
      if (path.endsWith("/audit-log")) {
        return json({
          items: [
            entry({
              action: "member.role_changed",
              action_label: "Changed a member's role",
              target_type: "user",
              target_id: USER_ID,
              target_name: "Ada (ada@example.com)",
              before: { role: "member" },
              after: { role: "viewer" },
            }),
            entry({
              action: "report_schedule.created",
              action_label: "Created a scheduled report",
              target_type: "report_schedule",
              target_id: USER_ID,
              target_name: "Weekly numbers",
            }),
          ],
          next_cursor: null,
        });
      }
      if (path.endsWith("/members")) return json({ items: [], next_cursor: null });
      return json({});
    });
    renderWithProviders(
      <OrgProvider organization={org}>
        <AuditLogScreen />
      </OrgProvider>,
    );
    expect(await screen.findByText("Changed a member's role")).toBeInTheDocument();
    expect(screen.getByText("· Member Ada (ada@example.com)")).toBeInTheDocument();
    expect(screen.getByText("Created a scheduled report")).toBeInTheDocument();
    expect(screen.getByText("· Scheduled report Weekly numbers")).toBeInTheDocument();
    // The raw id is only in the details, not in the row's summary.
    const summaries = Array.from(document.querySelectorAll("summary")).map((s) => s.textContent ?? "");
    expect(summaries.some((text) => text.includes(USER_ID) || text.includes("member.role_changed"))).toBe(false);

    const options = within(screen.getByLabelText("Target type"))
      .getAllByRole("option")
      .map((o) => o.getAttribute("value"));
    expect(options).toEqual(["", ...AUDIT_TARGET_TYPES]);
  });
});
