import { describe, expect, it } from "vitest";
import { parseCampaignsSearch } from "./search";

describe("parseCampaignsSearch", () => {
  it("keeps the known params and turns numeric ids back into strings", () => {
    expect(
      parseCampaignsSearch({
        account: "a1",
        campaign: 1234567890123,
        campaignName: "Spring",
        q: "x",
        removed: true,
        other: 1,
      }),
    ).toEqual({
      account: "a1",
      campaign: "1234567890123",
      campaignName: "Spring",
      q: "x",
      removed: true,
    });
  });

  it("ignores an ad group without its campaign and empty values", () => {
    expect(parseCampaignsSearch({ adGroup: "9", q: "", removed: "no" })).toEqual({});
  });
});
