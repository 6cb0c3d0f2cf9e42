import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch } from "@/test/utils";
import { ORG_ID, renderAt } from "@/features/connections/testing";
import type { Publication, PublicationTarget } from "./api";
import { PublicationPanel } from "./PublicationPanel";

const DRAFT = "draft-1";
const PATH = "/orgs/$organizationId/drafts/$draftId";
const URL_ = `/orgs/${ORG_ID}/drafts/${DRAFT}`;

function target(overrides: Partial<PublicationTarget> = {}): PublicationTarget {
  return {
    index: 0,
    platform: "google",
    ad_account_id: "acc-1",
    ad_account_name: "Flowers EU",
    status: "published",
    error: null,
    attempts: 1,
    created: 6,
    total: 6,
    entities: [{ level: "campaign", key: "c", name: "Spring sale", platform_id: "700", entity_id: "e-1" }],
    ...overrides,
  };
}

function failed(): Publication {
  return {
    draft_id: DRAFT,
    status: "failed",
    targets: [
      target(),
      target({
        index: 1,
        platform: "meta",
        ad_account_name: "Flowers Meta",
        status: "failed",
        error: "(#2) Service temporarily unavailable",
        attempts: 4,
        created: 2,
      }),
    ],
  };
}

describe("PublicationPanel", () => {
  beforeEach(() => authStore.setToken("t"));
  afterEach(() => authStore.reset());

  it("shows each target's progress and the platform's error, and retries after confirming", async () => {
    const posted: string[] = [];
    mockFetch((request) => {
      const path = new URL(request.url).pathname;
      if (request.method === "POST") {
        posted.push(path);
        return json({ ...failed(), status: "publishing" }, 202);
      }
      return json(failed());
    });
    renderAt(<PublicationPanel organizationId={ORG_ID} draftId={DRAFT} canPublish />, { path: PATH, url: URL_ });
    expect(await screen.findByText("(#2) Service temporarily unavailable")).toBeInTheDocument();
    expect(screen.getByText("2 of 6 created · 4 attempts")).toBeInTheDocument();
    expect(screen.getAllByRole("link", { name: "Open in the entity browser" })).toHaveLength(2);
    await userEvent.click(screen.getByRole("button", { name: "Retry failed targets" }));
    await userEvent.click(await screen.findByRole("button", { name: "Retry" }));
    await waitFor(() => expect(posted).toEqual([`/api/v1/orgs/${ORG_ID}/drafts/${DRAFT}/publication/retry`]));
  });

  it("offers no action to someone who may not publish, and says when nothing was published", async () => {
    mockFetch(() =>
      json({ code: "publication-not-found", title: "This draft has not been published", status: 404 }, 404),
    );
    renderAt(<PublicationPanel organizationId={ORG_ID} draftId={DRAFT} canPublish={false} />, {
      path: PATH,
      url: URL_,
    });
    expect(await screen.findByText("Not published yet")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Retry|Discard/ })).not.toBeInTheDocument();
  });
});
