import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { ApiError, problemFromResponse } from "@/api/client";
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

describe("ErrorState for a server error", () => {
  it("shows the request id the server logged the error under", async () => {
    const error = await problemFromResponse(
      new Response(
        JSON.stringify({
          type: "https://adpilot.dev/problems/internal-error",
          title: "Something went wrong on our side",
          status: 500,
          code: "internal-error",
          detail: "The error was logged with this request's id.",
          request_id: "967f7c687e0a4d4695c71a0277023f16",
        }),
        { status: 500, headers: { "Content-Type": "application/problem+json" } },
      ),
    );
    render(<ErrorState error={error} />);
    expect(screen.getByRole("alert")).toHaveTextContent(
      "The error was logged with this request's id. Request id: 967f7c687e0a4d4695c71a0277023f16",
    );
  });

  it("takes the id from the X-Request-ID header when the body has none (a proxy's page)", async () => {
    const error = await problemFromResponse(
      new Response("<html>Bad gateway</html>", {
        status: 502,
        statusText: "Bad Gateway",
        headers: { "X-Request-ID": "abc123" },
      }),
    );
    render(<ErrorState error={error} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Bad Gateway. Request id: abc123");
  });

  it("promises no id when there is none", async () => {
    const error = await problemFromResponse(new Response("", { status: 500 }));
    render(<ErrorState error={error} />);
    expect(screen.getByRole("alert")).not.toHaveTextContent(/request('s)? id/i);
  });
});
