import { describe, expect, it } from "vitest";
import { diffSnapshots, renderValue } from "./diff";

describe("diffSnapshots", () => {
  it("lists changed fields first", () => {
    const rows = diffSnapshots({ name: "A", role: "member" }, { name: "A", role: "admin", mfa: true });
    expect(rows.map((r) => [r.key, r.changed])).toEqual([
      ["mfa", true],
      ["role", true],
      ["name", false],
    ]);
  });

  it("handles created and deleted targets", () => {
    expect(diffSnapshots(null, { a: 1 })).toEqual([{ key: "a", before: undefined, after: 1, changed: true }]);
    expect(diffSnapshots({ a: 1 }, null)[0]?.changed).toBe(true);
  });

  it("renders values", () => {
    expect(renderValue(undefined)).toBe("—");
    expect(renderValue(null)).toBe("null");
    expect(renderValue({ x: 1 })).toBe('{"x":1}');
  });
});
