import { describe, expect, it } from "vitest";

import { describeRunChanges } from "./SyncStatus";
import { run } from "./testing";

describe("describeRunChanges", () => {
  it("describes a whole-tree run by what it changed", () => {
    const counts = { campaign: { created: 1, updated: 2, unchanged: 5, removed: 0 } };
    expect(describeRunChanges(run({ status: "succeeded", counts }))).toBe("1 new, 2 changed");
  });

  it("says when a run read only what the platform reported changed", () => {
    const counts = { campaign: { created: 0, updated: 1, unchanged: 0, removed: 0 } };
    expect(describeRunChanges(run({ status: "succeeded", mode: "incremental", counts }))).toBe(
      "changes only: 1 changed",
    );
  });
});
