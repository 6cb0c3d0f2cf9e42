import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch, problem, renderWithProviders } from "@/test/utils";
import type { DraftImportResult } from "./api";
import { ImportDraftsDialog } from "./ImportDraftsDialog";

const ORG_ID = "00000000-0000-0000-0000-0000000000aa";

function result(overrides: Partial<DraftImportResult> = {}): DraftImportResult {
  return {
    dry_run: true,
    duplicate: false,
    created: false,
    import_id: null,
    sha256: "ab".repeat(32),
    rows: 3,
    drafts: [
      {
        key: "spring",
        line: 2,
        name: "Spring sale",
        targets: [{ platform: "google", ad_account_id: "acc-1", ad_account_name: "Flowers Google" }],
        ad_groups: 2,
        ads: 3,
        errors: 0,
        warnings: 0,
        draft_id: null,
      },
    ],
    problems: [],
    error_count: 0,
    warning_count: 0,
    imported_at: null,
    ...overrides,
  };
}

function csvFile() {
  return new File(["campaign_name,ad_group_name\nSpring sale,Bouquets\n"], "drafts.csv", { type: "text/csv" });
}

function imports(mock: ReturnType<typeof mockFetch>) {
  return mock.mock.calls
    .map(([r]) => r as Request)
    .filter((r) => r.method === "POST" && new URL(r.url).pathname.endsWith("/drafts/import"));
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  authStore.reset();
});

describe("ImportDraftsDialog", () => {
  it("checks the file, lists its drafts, then imports on confirmation", async () => {
    const mock = mockFetch((request) => {
      const dryRun = new URL(request.url).searchParams.get("dry_run") === "true";
      return json(dryRun ? result() : result({ dry_run: false, created: true, import_id: "imp-1" }));
    });
    const onImported = vi.fn();
    renderWithProviders(
      <ImportDraftsDialog organizationId={ORG_ID} open onOpenChange={() => {}} onImported={onImported} />,
    );
    await userEvent.upload(await screen.findByLabelText("CSV file"), csvFile());

    const drafts = await screen.findByRole("list", { name: "Drafts in the file" });
    expect(within(drafts).getByText("Spring sale")).toBeInTheDocument();
    expect(within(drafts).getByText(/Flowers Google · 2 ad group\(s\) · 3 ad\(s\)/)).toBeInTheDocument();
    expect(screen.getByText("No problems: ready to import.")).toBeInTheDocument();
    const [dry] = imports(mock);
    expect(new URL(dry!.url).searchParams.get("dry_run")).toBe("true");
    expect(((await dry!.formData()).get("file") as Blob).size).toBeGreaterThan(0);

    await userEvent.click(screen.getByRole("button", { name: "Import 1 draft(s)" }));
    expect(await screen.findByText("1 draft(s) created.")).toBeInTheDocument();
    expect(new URL(imports(mock)[1]!.url).searchParams.get("dry_run")).toBe("false");
    expect(onImported).toHaveBeenCalledOnce();
  });

  it("shows every problem by line and column and refuses to import", async () => {
    mockFetch(() =>
      json(
        result({
          error_count: 1,
          warning_count: 1,
          problems: [
            {
              line: 3,
              column: "budget_amount",
              code: "invalid-value",
              message: "'lots' is not a decimal number.",
              severity: "error",
            },
            {
              line: 4,
              column: "headlines",
              code: "longer-than-advised",
              message: "Too long.",
              severity: "warning",
              platform: "meta",
            },
          ],
        }),
      ),
    );
    renderWithProviders(<ImportDraftsDialog organizationId={ORG_ID} open onOpenChange={() => {}} />);
    await userEvent.upload(await screen.findByLabelText("CSV file"), csvFile());

    const table = await screen.findByRole("table", { name: "Problems by line and column" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(within(rows[0]!).getByText("3")).toBeInTheDocument();
    expect(within(rows[0]!).getByText("budget_amount")).toBeInTheDocument();
    expect(within(rows[0]!).getByText(/is not a decimal number/)).toBeInTheDocument();
    expect(within(rows[1]!).getByText(/Warning: meta: Too long\./)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /^Import/ })).toBeDisabled();
  });

  it("says when the file was imported before", async () => {
    mockFetch(() => json(result({ duplicate: true, created: true, imported_at: "2026-12-01T10:00:00Z" })));
    renderWithProviders(<ImportDraftsDialog organizationId={ORG_ID} open onOpenChange={() => {}} />);
    await userEvent.upload(await screen.findByLabelText("CSV file"), csvFile());
    expect(await screen.findByText(/importing it again creates nothing/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /^Import/ })).toBeDisabled();
  });

  it("shows an error when the file cannot be checked", async () => {
    mockFetch(() => problem(413, "upload-too-large", { detail: "The file is larger than 1 MB." }));
    renderWithProviders(<ImportDraftsDialog organizationId={ORG_ID} open onOpenChange={() => {}} />);
    await userEvent.upload(await screen.findByLabelText("CSV file"), csvFile());
    await waitFor(() => expect(screen.getByText("The file is larger than 1 MB.")).toBeInTheDocument());
  });
});
