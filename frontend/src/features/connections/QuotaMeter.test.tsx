import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { QuotaRow } from "./QuotaMeter";

describe("QuotaRow", () => {
  it("shows used, remaining and a meter for a platform with a daily limit", () => {
    render(
      <ul>
        <QuotaRow
          quota={{ platform: "google", used: 12000, limit: 15000, remaining: 3000, resets_at: "2026-12-08T09:00:00Z" }}
        />
      </ul>,
    );
    expect(screen.getByText("Google Ads")).toBeInTheDocument();
    expect(screen.getByText(/12,000 used · 3,000 of 15,000 remaining · frees from/)).toBeInTheDocument();
    const meter = screen.getByRole("meter", { name: "Google Ads quota used" });
    expect(meter).toHaveAttribute("aria-valuenow", "12000");
    expect(meter).toHaveAttribute("aria-valuemax", "15000");
  });

  it("says when a platform has no known daily limit", () => {
    render(
      <ul>
        <QuotaRow quota={{ platform: "meta", used: 40, limit: null, remaining: null, resets_at: null }} />
      </ul>,
    );
    expect(screen.getByText("40 used · no daily limit set")).toBeInTheDocument();
    expect(screen.queryByRole("meter")).not.toBeInTheDocument();
  });
});
