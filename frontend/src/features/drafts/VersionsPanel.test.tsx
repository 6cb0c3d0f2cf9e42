import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { OrgProvider } from "@/features/organizations/OrgContext";
import { organizationAs } from "@/test/organizations";
import { json, mockFetch, renderWithProviders } from "@/test/utils";
import { describeValue, expandChanges } from "./DiffTable";
import { ADA_ID, DRAFT_ID, draft, document as makeDocument } from "./testing";
import { VersionsPanel, flattenDocument } from "./VersionsPanel";

const ADA = ADA_ID;

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

function version(number: number) {
  return { id: `v${number}`, number, created_by_user_id: ADA, created_at: `2026-03-0${number}T10:00:00Z` };
}

describe("VersionsPanel", () => {
  it("lists who saved each version and renders the diff between two versions readably", async () => {
    const mock = mockFetch((request) => {
      const url = new URL(request.url);
      if (url.pathname.endsWith("/versions"))
        return json({ items: [version(3), version(2), version(1)], next_cursor: null });
      if (url.pathname.endsWith("/members"))
        return json({ items: [{ user_id: ADA, display_name: "Ada", email: "ada@example.com" }], next_cursor: null });
      if (url.pathname.endsWith("/diff")) {
        const from = url.searchParams.get("from_version");
        return json({
          from_version: Number(from),
          to_version: Number(url.searchParams.get("to_version")),
          changes:
            from === "2"
              ? [
                  { path: "ad_groups[0].ads[0].headlines[2]", before: null, after: "Free delivery" },
                  { path: "budget.amount_micros", before: 25000000, after: 40000000 },
                ]
              : [{ path: "name", before: "Sale", after: "Spring sale" }],
        });
      }
      if (url.pathname.endsWith("/versions/1"))
        return json({ ...version(1), document: makeDocument({ name: "Sale" }) });
      return json({});
    });
    renderWithProviders(
      <OrgProvider organization={organizationAs("viewer")}>
        <VersionsPanel draft={draft({ id: DRAFT_ID, current_version: 3 })} />
      </OrgProvider>,
    );

    expect(await screen.findByText("Version 3")).toBeInTheDocument();
    expect(await screen.findAllByText(/saved by Ada/)).toHaveLength(3);

    // By default: the last version's changes, each field in words with its before and after.
    const table = await screen.findByRole("table", { name: "Changed fields, before and after" });
    const headline = within(table).getByText("Ad group 1 › Ad 1 › Headline 3").closest("tr")!;
    expect(within(headline).getByText("—")).toBeInTheDocument();
    expect(within(headline).getByText("Free delivery")).toBeInTheDocument();
    const budget = within(table).getByText("Budget › Amount").closest("tr")!;
    expect(within(budget).getByText("25")).toBeInTheDocument();
    expect(within(budget).getByText("40")).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText("From version"), "1");
    await userEvent.selectOptions(screen.getByLabelText("to version"), "2");
    expect(await screen.findByText("Spring sale")).toBeInTheDocument();
    const diffCalls = mock.mock.calls
      .map(([r]) => new URL((r as Request).url))
      .filter((u) => u.pathname.endsWith("/diff"))
      .map((u) => `${u.searchParams.get("from_version")}→${u.searchParams.get("to_version")}`);
    expect(diffCalls).toContain("1→2");

    // One version's content.
    const first = screen.getByText("Version 1").closest("li")!;
    await userEvent.click(within(first).getByRole("button", { name: "View" }));
    await waitFor(() => expect(within(first).getByText("Sale")).toBeInTheDocument());
  });

  it("splits an added or removed part into one row per field", () => {
    expect(
      expandChanges([
        { path: "targets[0]", before: null, after: { platform: "google", ad_account_id: "a1" } },
        { path: "ad_groups[1]", before: { name: "Old", ads: [{ headlines: ["H"] }] }, after: null },
        { path: "name", before: "A", after: "B" },
      ]),
    ).toEqual([
      { path: "targets[0].platform", before: null, after: "google" },
      { path: "targets[0].ad_account_id", before: null, after: "a1" },
      { path: "ad_groups[1].name", before: "Old", after: null },
      { path: "ad_groups[1].ads[0].headlines[0]", before: "H", after: null },
      { path: "name", before: "A", after: "B" },
    ]);
  });

  it("flattens a document into readable rows and describes values", () => {
    expect(
      flattenDocument({ name: "A", targets: [{ platform: "meta", ad_account_id: null }], utm_template: "" }),
    ).toEqual([
      { path: "name", value: "A" },
      { path: "targets[0].platform", value: "meta" },
    ]);
    expect(describeValue(null)).toBe("—");
    expect(describeValue("")).toBe("(empty)");
    expect(describeValue(["US", "CA"])).toBe('["US","CA"]');
    expect(describeValue(12_500_000, "ad_groups[0].budget.amount_micros")).toBe("12.5");
    expect(describeValue(12_500_000, "ad_groups[0].name")).toBe("12500000");
  });
});
