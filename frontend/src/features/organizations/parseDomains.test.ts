import { describe, expect, it } from "vitest";
import { parseDomains } from "./OrgSettingsScreen";

describe("parseDomains", () => {
  it("splits on commas, spaces and semicolons, lower-cases and drops duplicates", () => {
    expect(parseDomains(" client.example, Other.Example;client.example  third.example ")).toEqual([
      "client.example",
      "other.example",
      "third.example",
    ]);
    expect(parseDomains("")).toEqual([]);
  });
});
