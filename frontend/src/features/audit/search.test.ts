import { describe, expect, it } from "vitest";
import { hasAuditFilters, parseAuditSearch } from "./search";

describe("parseAuditSearch", () => {
  it("keeps valid filters and drops empty ones", () => {
    expect(
      parseAuditSearch({
        action: " member. ",
        actor_user_id: "00000000-0000-0000-0000-0000000000aa",
        target_type: "invitation",
        since: "2026-01-01T00:00:00.000Z",
        until: "",
      }),
    ).toEqual({
      action: "member.",
      actor_user_id: "00000000-0000-0000-0000-0000000000aa",
      target_type: "invitation",
      since: "2026-01-01T00:00:00.000Z",
    });
  });

  it("drops malformed values instead of sending them to the API", () => {
    expect(parseAuditSearch({ actor_user_id: "robert'); drop", target_type: "campaign", since: "yesterday" })).toEqual(
      {},
    );
  });

  it("knows whether any filter is set", () => {
    expect(hasAuditFilters({})).toBe(false);
    expect(hasAuditFilters({ target_type: "user" })).toBe(true);
  });
});
