import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch, renderWithProviders } from "@/test/utils";
import { SecurityScreen } from "./SecurityScreen";

let mfaEnabled = false;
const me = () => ({
  id: "u1",
  email: "ada@example.com",
  display_name: "Ada",
  email_verified: true,
  mfa_enabled: mfaEnabled,
  created_at: "2026-01-01T00:00:00Z",
});
const CODES = ["aaaa-bbbb", "cccc-dddd"];

function fakeApi() {
  return mockFetch((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/v1/me") return json(me());
    if (path === "/api/v1/me/mfa/setup")
      return json({ secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/adpilot:ada", qr_svg: "<svg></svg>" });
    if (path === "/api/v1/me/mfa/enable") {
      mfaEnabled = true;
      return json({ recovery_codes: CODES });
    }
    if (path === "/api/v1/me/sessions") return json({ items: [], next_cursor: null });
    if (path === "/api/v1/me/security-events") return json({ items: [], next_cursor: null });
    return json({});
  });
}

const posts = (mock: ReturnType<typeof mockFetch>) =>
  mock.mock.calls
    .map(([r]) => r as Request)
    .filter((r) => r.method === "POST")
    .map((r) => new URL(r.url).pathname);

beforeEach(() => {
  mfaEnabled = false;
  authStore.setToken("t");
});
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("SecurityScreen", () => {
  it("starts an MFA set-up only when asked to", async () => {
    const fetchMock = fakeApi();
    renderWithProviders(<SecurityScreen />);
    const start = await screen.findByRole("button", { name: "Set up two-factor authentication" });
    expect(posts(fetchMock)).toEqual([]);
    expect(screen.queryByText("Secret key")).not.toBeInTheDocument();

    await userEvent.setup().click(start);
    expect(await screen.findByTestId("mfa-secret")).toHaveTextContent("JBSWY3DPEHPK3PXP");
    expect(posts(fetchMock)).toEqual(["/api/v1/me/mfa/setup"]);
  });

  it("says On while the new recovery codes are shown", async () => {
    fakeApi();
    renderWithProviders(<SecurityScreen />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Set up two-factor authentication" }));
    await user.type(await screen.findByLabelText("Authentication code"), "123456");
    await user.click(screen.getByRole("button", { name: "Enable MFA" }));

    const codes = await screen.findByRole("list", { name: "Recovery codes" });
    expect(
      within(codes)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(CODES);
    expect(screen.getByText("On")).toBeInTheDocument();
    expect(screen.queryByText("Off")).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "I've saved my codes" }));
    expect(await screen.findByRole("button", { name: "Disable MFA" })).toBeInTheDocument();
    expect(screen.getByText("On")).toBeInTheDocument();
  });

  it("names the page in the browser tab", async () => {
    fakeApi();
    renderWithProviders(<SecurityScreen />);
    await screen.findByRole("heading", { name: "Security" });
    expect(document.title).toBe("Security · adpilot");
  });
});
