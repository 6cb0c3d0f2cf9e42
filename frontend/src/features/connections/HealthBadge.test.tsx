import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { HealthBadge } from "./HealthBadge";

describe("HealthBadge", () => {
  it("says healthy without a reason", () => {
    render(<HealthBadge health="ok" reason="ignored when healthy" />);
    expect(screen.getByText("Healthy")).toBeInTheDocument();
    expect(screen.getByText("Health:")).toHaveClass("sr-only");
    expect(screen.queryByText("ignored when healthy")).not.toBeInTheDocument();
  });

  it("shows degraded and needs-reconnect with the reason", () => {
    const { rerender } = render(<HealthBadge health="degraded" reason="3 failed calls in a row" />);
    expect(screen.getByText("Degraded")).toBeInTheDocument();
    expect(screen.getByText("3 failed calls in a row")).toBeInTheDocument();
    rerender(<HealthBadge health="needs_reconnect" reason="The platform revoked access" />);
    expect(screen.getByText("Needs reconnect")).toBeInTheDocument();
    expect(screen.getByText("The platform revoked access")).toBeInTheDocument();
  });
});
