import { describe, expect, it } from "vitest";
import { svgDataUri } from "./SecurityScreen";

describe("svgDataUri", () => {
  it("adds the SVG namespace when missing", () => {
    const uri = svgDataUri('<svg width="10" height="10"><path d="M0 0h1"/></svg>');
    expect(decodeURIComponent(uri.replace("data:image/svg+xml;utf8,", ""))).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><path d="M0 0h1"/></svg>',
    );
  });

  it("keeps an existing namespace", () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"></svg>';
    expect(svgDataUri(svg)).toBe(`data:image/svg+xml;utf8,${encodeURIComponent(svg)}`);
  });
});
