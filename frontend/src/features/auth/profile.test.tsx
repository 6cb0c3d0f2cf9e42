import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch, renderWithProviders } from "@/test/utils";
import { ProfileScreen, validateDisplayName } from "./ProfileScreen";
import { ResendVerificationInline } from "./ResendVerification";

let displayName = "Ada";
const me = () => ({
  id: "u1",
  email: "ada@example.com",
  display_name: displayName,
  email_verified: false,
  mfa_enabled: false,
  created_at: "2026-01-01T00:00:00Z",
});

beforeEach(() => {
  displayName = "Ada";
  authStore.setToken("t");
});
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("validateDisplayName", () => {
  it("requires 1–120 characters", () => {
    expect(validateDisplayName("  ")).toMatch(/Enter/);
    expect(validateDisplayName("x".repeat(121))).toMatch(/at most 120/);
    expect(validateDisplayName("Ada Lovelace")).toBeNull();
  });
});

describe("ProfileScreen", () => {
  it("validates inline, saves with PATCH /me and shows the saved state", async () => {
    const bodies: unknown[] = [];
    mockFetch(async (req) => {
      if (req.method === "PATCH") {
        const body = (await req.json()) as { display_name: string };
        bodies.push(body);
        displayName = body.display_name;
        return json(me());
      }
      return json(me());
    });
    renderWithProviders(<ProfileScreen />);
    const user = userEvent.setup();
    const input = await screen.findByLabelText("Display name");
    expect(input).toHaveValue("Ada");
    await user.clear(input);
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText("Enter the name your teammates will see.")).toBeInTheDocument();
    expect(bodies).toEqual([]);

    await user.type(screen.getByLabelText("Display name"), "Ada Lovelace");
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText("Profile saved")).toBeInTheDocument();
    expect(bodies).toEqual([{ display_name: "Ada Lovelace" }]);
    expect(screen.getByLabelText("Display name")).toHaveValue("Ada Lovelace");
  });
});

describe("ResendVerificationInline", () => {
  it("posts the email and shows a sent state", async () => {
    const fetchMock = mockFetch(() => json({}, 202));
    renderWithProviders(<ResendVerificationInline email="ada@example.com" />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Resend email" }));
    expect(await screen.findByText(/Email sent/)).toBeInTheDocument();
    const req = fetchMock.mock.calls[0]![0] as Request;
    expect(new URL(req.url).pathname).toBe("/api/v1/auth/resend-verification");
    expect(await req.clone().json()).toEqual({ email: "ada@example.com" });
  });
});
