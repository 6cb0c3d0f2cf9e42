import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { ORG_ID, renderAt } from "@/features/connections/testing";
import { json, mockFetch, problem } from "@/test/utils";
import { DuplicateCampaignButton } from "./DuplicateCampaignButton";
import { summary } from "./testing";

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

const button = (
  <DuplicateCampaignButton organizationId={ORG_ID} adAccountId="acc-1" campaignPlatformId="123" campaignName="Brand" />
);

describe("DuplicateCampaignButton", () => {
  it("makes a draft of the campaign and opens it", async () => {
    const mock = mockFetch(() => json(summary({ id: "copy-1" }), 201));
    const { router } = renderAt(button, { path: "/", url: "/", role: "member" });
    await userEvent.click(await screen.findByRole("button", { name: "Duplicate Brand into a draft" }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/orgs/${ORG_ID}/drafts/copy-1`));
    const post = mock.mock.calls[0]![0] as Request;
    expect(new URL(post.url).pathname).toBe(`/api/v1/orgs/${ORG_ID}/drafts/from-campaign`);
    expect(await post.clone().json()).toEqual({ ad_account_id: "acc-1", campaign_platform_id: "123" });
  });

  it("says why when the campaign is not synced", async () => {
    mockFetch(() =>
      problem(404, "campaign-not-synced", { title: "This campaign is not among the account's synced entities" }),
    );
    renderAt(button, { path: "/", url: "/", role: "member" });
    await userEvent.click(await screen.findByRole("button", { name: "Duplicate Brand into a draft" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "This campaign is not among the account's synced entities",
    );
  });

  it("is not offered to viewers", async () => {
    mockFetch(() => json({}));
    renderAt(<p>{button}browser</p>, { path: "/", url: "/", role: "viewer" });
    expect(await screen.findByText("browser")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /into a draft/ })).not.toBeInTheDocument();
  });
});
