import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { CursorPager, currentCursor } from "./CursorPager";

/** A list of three pages behind cursors "c2" and "c3", paged the way a screen does it. */
function ThreePages() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = currentCursor(cursors);
  const next = { none: "c2", c2: "c3", c3: null }[cursor ?? "none"];
  return (
    <>
      <p>showing {cursor ?? "first"}</p>
      <CursorPager cursors={cursors} nextCursor={next} onChange={setCursors} />
    </>
  );
}

describe("CursorPager", () => {
  it("walks forward with the answer's cursor and back along the trail", async () => {
    const user = userEvent.setup();
    render(<ThreePages />);
    const pages = screen.getByRole("navigation", { name: "Pages" });
    expect(screen.getByText("Page 1")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Newer" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Older" }));
    await user.click(screen.getByRole("button", { name: "Older" }));
    expect(screen.getByText("showing c3")).toBeInTheDocument();
    expect(pages).toHaveTextContent("Page 3");
    expect(screen.getByRole("button", { name: "Older" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Newer" }));
    expect(screen.getByText("showing c2")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Newer" }));
    expect(screen.getByText("showing first")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Newer" })).toBeDisabled();
  });

  it("hides itself on a single page unless asked to stay", () => {
    const { rerender } = render(<CursorPager cursors={[]} nextCursor={null} onChange={vi.fn()} />);
    expect(screen.queryByRole("navigation")).not.toBeInTheDocument();
    rerender(
      <CursorPager
        cursors={[]}
        nextCursor={null}
        onChange={vi.fn()}
        showOnSinglePage
        status="1–3 of 3"
        previousLabel="Previous"
        nextLabel="Next"
      />,
    );
    expect(screen.getByText("1–3 of 3")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Previous" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
  });

  it("reads a page with the last cursor of the trail", () => {
    expect(currentCursor([])).toBeUndefined();
    expect(currentCursor(["a", "b"])).toBe("b");
  });
});
