import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import type { Role } from "@/api/types";
import { account, connection, ORG_ID, renderAt } from "@/features/connections/testing";
import { json, mockFetch, problem, type Handler } from "@/test/utils";
import type { DraftRead } from "./api";
import { DraftScreen } from "./DraftScreen";
import { fieldId, type DraftProblem } from "./document";
import { DRAFT_ID, document as makeDocument, draft as makeDraft } from "./testing";

const PATH = "/orgs/$organizationId/drafts/$draftId";
const URL_ = `/orgs/${ORG_ID}/drafts/${DRAFT_ID}`;

const HEADLINE_PROBLEM: DraftProblem = {
  platform: "google",
  path: "ad_groups[0].ads[0].headlines",
  code: "too-few",
  message: "At least 3 headlines are needed (2 given).",
  limit: 3,
  severity: "error",
};

interface Fake {
  draft: DraftRead;
  problems?: DraftProblem[];
  /** Answers a write; the default echoes the draft. */
  write?: Handler;
}

/** The API of one draft; a successful write's answer becomes the draft that later reads return. */
function fakeApi({ draft: initial, problems = [], write }: Fake) {
  let draft = initial;
  return mockFetch(async (request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (request.method !== "GET") {
      const response = write ? await write(request) : json(draft);
      if (response.ok) draft = (await response.clone().json()) as DraftRead;
      return response;
    }
    if (path.endsWith("/validation")) return json({ version: draft.current_version, problems });
    if (path.endsWith("/utm-preview")) return json({ template: "", urls: [] });
    if (path.endsWith("/utm-template")) return json({ template: "", placeholders: ["campaign", "platform"] });
    if (path.endsWith("/connections"))
      return json({
        items: [connection({ accounts: [account({ managed: true, currency: "USD" })] })],
        needs_reconnect_count: 0,
      });
    if (path.endsWith("/members")) return json({ items: [], next_cursor: null });
    if (path.endsWith("/versions")) return json({ items: [], next_cursor: null });
    if (path.endsWith(`/drafts/${DRAFT_ID}`)) return json(draft);
    return json({});
  });
}

function writes(mock: ReturnType<typeof mockFetch>): Request[] {
  return mock.mock.calls.map(([r]) => r as Request).filter((r) => r.method !== "GET");
}

function open(role: Role) {
  return renderAt(<DraftScreen />, { path: PATH, url: URL_, role });
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  authStore.reset();
});

describe("DraftScreen editor", { timeout: 30_000 }, () => {
  it("saves the edited document as a new version made on the version it was opened on", async () => {
    const saved = makeDraft({ current_version: 4, name: "Spring sale, final" });
    const mock = fakeApi({ draft: makeDraft(), write: () => json(saved) });
    open("member");
    const name = await screen.findByLabelText("Campaign name");
    expect(screen.getByRole("button", { name: "Save version" })).toBeDisabled();

    await userEvent.clear(name);
    await userEvent.paste("Spring sale, final");
    const budget = screen.getByLabelText("Daily budget");
    expect(budget).toHaveValue("25");
    await userEvent.clear(budget);
    await userEvent.type(budget, "40.5");
    expect(screen.getByText("Unsaved changes")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save version" }));

    await waitFor(() => expect(writes(mock)).toHaveLength(1));
    const put = writes(mock)[0]!;
    expect(put.method).toBe("PUT");
    const body = await put.clone().json();
    expect(body.base_version).toBe(3);
    expect(body.document.name).toBe("Spring sale, final");
    expect(body.document.budget.amount_micros).toBe(40_500_000);
    expect(body.document.ad_groups[0].ads[0].headlines).toEqual(["Spring shoes", "Big sale"]);
    expect(await screen.findByText("Version 4 · saved")).toBeInTheDocument();
  });

  it("refuses an amount with more decimals than the currency has", async () => {
    fakeApi({ draft: makeDraft() });
    open("member");
    const budget = await screen.findByLabelText("Daily budget");
    await userEvent.clear(budget);
    await userEvent.type(budget, "1.234");
    expect(screen.getByText("Enter an amount like 12.50 (at most 2 decimals).")).toBeInTheDocument();
  });

  it("on a stale version says someone saved a newer one, shows what changed and reloads", async () => {
    let current = makeDraft();
    const mock = fakeApi({
      draft: current,
      write: () => problem(409, "draft-version-conflict", { title: "The draft was saved by someone else" }),
    });
    open("member");
    const name = await screen.findByLabelText("Campaign name");
    await userEvent.type(name, "!");
    await userEvent.click(screen.getByRole("button", { name: "Save version" }));
    expect(await screen.findByText("Someone saved a newer version of this draft")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save version" })).toBeDisabled();

    // The newer version now on the server, and what changed since version 3.
    current = makeDraft({ current_version: 4, name: "Their name", document: makeDocument({ name: "Their name" }) });
    mock.mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(input, init);
      const path = new URL(request.url).pathname;
      if (path.endsWith("/diff"))
        return json({
          from_version: 3,
          to_version: 4,
          changes: [{ path: "name", before: "Spring sale", after: "Their name" }],
        });
      if (path.endsWith(`/drafts/${DRAFT_ID}`)) return json(current);
      if (path.endsWith("/validation")) return json({ version: 4, problems: [] });
      return json({ items: [], next_cursor: null, template: "", urls: [], placeholders: [], needs_reconnect_count: 0 });
    });
    await userEvent.click(screen.getByRole("button", { name: "Show what changed" }));
    const table = await screen.findByRole("table", { name: "Changed fields, before and after" });
    expect(within(table).getByText("Their name")).toBeInTheDocument();
    const diffCall = mock.mock.calls
      .map(([r]) => new URL((r as Request).url))
      .find((u) => u.pathname.endsWith("/diff"))!;
    expect(diffCall.searchParams.get("from_version")).toBe("3");
    expect(diffCall.searchParams.has("to_version")).toBe(false);

    await userEvent.click(screen.getByRole("button", { name: "Reload the newest version" }));
    expect(await screen.findByText(/Version 4 · updated/)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText("Campaign name")).toHaveValue("Their name"), { timeout: 5000 });
    expect(screen.queryByText("Someone saved a newer version of this draft")).not.toBeInTheDocument();
  });

  it("asks before leaving with unsaved edits", async () => {
    fakeApi({ draft: makeDraft() });
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(false);
    const { router } = open("member");
    await userEvent.type(await screen.findByLabelText("Campaign name"), "!");
    await userEvent.click(screen.getByRole("link", { name: "Campaign drafts" }));
    expect(confirm).toHaveBeenCalledWith("Leave without saving? Your edits to this draft will be lost.");
    expect(router.state.location.pathname).toBe(URL_);
  });
});

describe("DraftScreen validation", { timeout: 30_000 }, () => {
  it("shows each problem next to its field and in a list that moves to the field", async () => {
    fakeApi({
      draft: makeDraft(),
      problems: [
        HEADLINE_PROBLEM,
        {
          platform: null,
          path: "schedule.start_date",
          code: "in-the-past",
          message: "The start date has passed.",
          limit: null,
          severity: "warning",
        },
      ],
    });
    open("member");
    const list = await screen.findByRole("list", { name: "Problems" });
    expect(screen.getByText("Version 3: 1 error, 1 warning.")).toBeInTheDocument();
    // Next to the field: the headlines list of the first ad.
    const headlines = document.getElementById(fieldId("ad_groups[0].ads[0].headlines"))!;
    expect(headlines.closest("fieldset")).toHaveTextContent("Google: At least 3 headlines are needed (2 given).");

    await userEvent.click(
      within(list).getByRole("button", { name: /Error: Ad group 1 › Ad 1 › Headlines: At least 3 headlines/ }),
    );
    expect(document.activeElement).toBe(headlines);

    const submit = screen.getByRole("button", { name: "Submit for review" });
    expect(submit).toBeDisabled();
    expect(screen.getByText("Fix the error listed under Checks first.")).toBeInTheDocument();
  });

  it("lets a valid draft be submitted", async () => {
    const mock = fakeApi({ draft: makeDraft(), write: () => json(makeDraft({ status: "in_review" })) });
    open("member");
    const submit = await screen.findByRole("button", { name: "Submit for review" });
    await waitFor(() => expect(submit).toBeEnabled());
    await userEvent.click(submit);
    await waitFor(() => expect(writes(mock).map((r) => new URL(r.url).pathname)).toEqual([`/api/v1${URL_}/submit`]));
    expect(await screen.findAllByText("In review")).not.toHaveLength(0);
  });

  it("marks fields the server refused as unstorable (422)", async () => {
    fakeApi({
      draft: makeDraft(),
      write: () =>
        problem(422, "validation-error", {
          errors: [
            {
              loc: ["body", "document", "targeting", "locations", 0],
              msg: "String should match pattern",
              type: "string_pattern_mismatch",
            },
          ],
        }),
    });
    open("member");
    await userEvent.type(await screen.findByLabelText("Campaign name"), "!");
    await userEvent.click(screen.getByRole("button", { name: "Save version" }));
    expect(
      await screen.findByText("Some fields have values the server cannot store; they are marked below."),
    ).toBeInTheDocument();
    expect(screen.getByLabelText("Locations")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("String should match pattern")).toBeInTheDocument();
  });
});

describe("DraftScreen review actions by role", { timeout: 30_000 }, () => {
  it("a viewer reads the draft without any action or editable field", async () => {
    fakeApi({ draft: makeDraft({ status: "in_review" }) });
    open("viewer");
    expect(await screen.findByLabelText("Campaign name")).toBeDisabled();
    for (const name of [
      "Save version",
      "Submit for review",
      "Approve",
      "Request changes",
      "Duplicate",
      "Reopen as draft",
    ]) {
      expect(screen.queryByRole("button", { name })).not.toBeInTheDocument();
    }
  });

  it("a member can reopen a draft under review but not approve it", async () => {
    const mock = fakeApi({
      draft: makeDraft({ status: "in_review" }),
      write: () => json(makeDraft({ status: "draft" })),
    });
    open("member");
    await userEvent.click(await screen.findByRole("button", { name: "Reopen as draft" }));
    expect(screen.queryByRole("button", { name: "Approve" })).not.toBeInTheDocument();
    await waitFor(() => expect(writes(mock).map((r) => new URL(r.url).pathname)).toEqual([`/api/v1${URL_}/reopen`]));
  });

  it("a manager approves, or requests changes with comments on fields", async () => {
    const mock = fakeApi({
      draft: makeDraft({ status: "in_review" }),
      write: (request) =>
        json(
          makeDraft({ status: new URL(request.url).pathname.endsWith("/approve") ? "approved" : "changes_requested" }),
        ),
    });
    open("manager");
    await userEvent.click(await screen.findByRole("button", { name: "Request changes" }));
    const dialog = await screen.findByRole("dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Send back" }));
    expect(within(dialog).getByText("Write at least one comment saying what to change.")).toBeInTheDocument();
    await userEvent.selectOptions(within(dialog).getByLabelText("About"), "ad_groups[0].ads[0]");
    await userEvent.type(within(dialog).getByLabelText("Comment 1"), "Add a third headline");
    await userEvent.click(within(dialog).getByRole("button", { name: "Send back" }));
    await waitFor(() => expect(writes(mock)).toHaveLength(1));
    const sent = writes(mock)[0]!;
    expect(new URL(sent.url).pathname).toBe(`/api/v1${URL_}/request-changes`);
    expect(await sent.clone().json()).toEqual({
      comments: [{ path: "ad_groups[0].ads[0]", message: "Add a third headline" }],
    });
  });

  it("a manager sees the approve button on a draft under review and the comments thread", async () => {
    const mock = fakeApi({
      draft: makeDraft({
        status: "in_review",
        comments: [
          {
            path: "ad_groups[0].ads[0].headlines",
            message: "Too short",
            version: 3,
            author_user_id: null,
            created_at: "2026-03-02T11:00:00Z",
          },
        ],
      }),
      write: () => json(makeDraft({ status: "approved" })),
    });
    open("manager");
    expect(await screen.findByText("Too short")).toBeInTheDocument();
    expect(screen.getByText("Reviewer: Too short")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(writes(mock).map((r) => new URL(r.url).pathname)).toEqual([`/api/v1${URL_}/approve`]));
  });

  it("a published draft is read-only even for a manager, who can still duplicate it", async () => {
    fakeApi({ draft: makeDraft({ status: "published" }) });
    open("manager");
    expect(await screen.findByLabelText("Campaign name")).toBeDisabled();
    expect(screen.getByText(/Published: it cannot be edited/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save version" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Duplicate" })).toBeInTheDocument();
  });
});
