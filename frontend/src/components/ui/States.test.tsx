import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import { ApiError } from "@/api/client";
import { renderWithProviders } from "@/test/utils";
import { ErrorState } from "./States";

function err(status: number, code: string, detail?: string) {
  return new ApiError({ type: "about:blank", title: code, status, code, detail });
}

describe("ErrorState", () => {
  it("turns a 403 mfa-required into a screen linking to Security settings", async () => {
    renderWithProviders(<ErrorState error={err(403, "mfa-required")} />);
    expect(await screen.findByRole("heading", { name: "Two-factor authentication required" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Open security settings" })).toHaveAttribute("href", "/account/security");
  });

  it("shows the problem detail and a retry button", async () => {
    renderWithProviders(<ErrorState error={err(500, "internal", "Database unavailable")} onRetry={() => {}} />);
    expect(await screen.findByText("Database unavailable")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
