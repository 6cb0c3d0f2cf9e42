import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { EndpointBadge } from "./EndpointBadge";

describe("EndpointBadge", () => {
  it("names the endpoint each platform uses", () => {
    const { rerender } = render(<EndpointBadge endpoint="real" />);
    expect(screen.getByText("Live platform")).toBeInTheDocument();
    expect(screen.getByText("Endpoint:")).toHaveClass("sr-only");
    rerender(<EndpointBadge endpoint="sandbox" />);
    expect(screen.getByText("Sandbox")).toBeInTheDocument();
    rerender(<EndpointBadge endpoint="custom" />);
    expect(screen.getByText("Custom URL")).toBeInTheDocument();
    rerender(<EndpointBadge endpoint="unconfigured" />);
    expect(screen.getByText("Not configured")).toBeInTheDocument();
  });

  it("shows nothing before the configuration is known", () => {
    const { container } = render(<EndpointBadge endpoint={undefined} />);
    expect(container).toBeEmptyDOMElement();
  });
});
