import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Breadcrumbs } from "./Breadcrumbs";

describe("Breadcrumbs", () => {
  it("links every level above the current one and marks the current one", async () => {
    const visit = vi.fn();
    render(
      <Breadcrumbs
        crumbs={[
          {
            label: "All campaigns",
            link: ({ children, className }) => (
              <a href="/all" className={className} onClick={(e) => (e.preventDefault(), visit("all"))}>
                {children}
              </a>
            ),
          },
          {
            label: "Summer sale",
            link: ({ children, className }) => (
              <a href="/summer" className={className}>
                {children}
              </a>
            ),
          },
          { label: "Shoes" },
        ]}
      />,
    );
    const nav = screen.getByRole("navigation", { name: "Breadcrumb" });
    const items = within(nav).getAllByRole("listitem");
    expect(items.map((item) => item.textContent)).toEqual(["All campaigns", "/Summer sale", "/Shoes"]);
    expect(within(nav).getByRole("link", { name: "Summer sale" })).toHaveAttribute("href", "/summer");
    expect(within(nav).queryByRole("link", { name: "Shoes" })).not.toBeInTheDocument();
    expect(within(nav).getByText("Shoes")).toHaveAttribute("aria-current", "page");
    await userEvent.setup().click(within(nav).getByRole("link", { name: "All campaigns" }));
    expect(visit).toHaveBeenCalledWith("all");
  });
});
