import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { authStore } from "@/api/client";
import { json, mockFetch, problem, requestOf } from "@/test/utils";
import { ConnectionCallbackScreen } from "./ConnectionCallbackScreen";
import { captureCallbackQuery, readPendingConnection, savePendingConnection } from "./connectFlow";
import { connection, ORG_ID, renderAt } from "./testing";

const PATH = "/connections/callback/$platform";

beforeEach(() => {
  authStore.setToken("t");
  window.sessionStorage.clear();
});
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

describe("ConnectionCallbackScreen", () => {
  it("finishes the connection once and opens its account selection", async () => {
    savePendingConnection({ organizationId: ORG_ID, platform: "tiktok", returnTo: `/orgs/${ORG_ID}/connections` });
    const fetchMock = mockFetch(() => json(connection({ id: "conn-9", platform: "tiktok" })));
    const { router } = renderAt(<ConnectionCallbackScreen />, {
      path: PATH,
      url: "/connections/callback/tiktok?auth_code=AC&code=AC&state=S1",
    });
    await waitFor(() => expect(router.state.location.pathname).toBe(`/orgs/${ORG_ID}/connections`));
    expect(router.state.location.search).toEqual({ select: "conn-9" });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const request = requestOf(fetchMock, 0);
    expect(request.method).toBe("POST");
    expect(new URL(request.url).pathname).toBe(`/api/v1/orgs/${ORG_ID}/connections/tiktok/callback`);
    expect(await request.json()).toEqual({ state: "S1", code: "AC" });
    expect(readPendingConnection()).toBeNull();
  });

  it("says it is finishing while the server works", async () => {
    savePendingConnection({ organizationId: ORG_ID, platform: "google", returnTo: "/" });
    mockFetch(() => new Promise<Response>(() => {}));
    renderAt(<ConnectionCallbackScreen />, { path: PATH, url: "/connections/callback/google?code=C&state=S" });
    expect(
      await screen.findByText("Finishing connection to Google Ads…", { selector: "span[aria-hidden]" }),
    ).toBeInTheDocument();
  });

  it("shows the problem's title and detail with a way back when the person denied access", async () => {
    savePendingConnection({ organizationId: ORG_ID, platform: "meta", returnTo: "/" });
    const fetchMock = mockFetch(() =>
      problem(400, "connection-denied", {
        title: "Access was not granted on the platform's consent page",
        detail: "Permissions error",
      }),
    );
    renderAt(<ConnectionCallbackScreen />, {
      path: PATH,
      url: "/connections/callback/meta?error=access_denied&error_description=Permissions+error&state=S2",
    });
    expect(await screen.findByText("Access was not granted on the platform's consent page")).toBeInTheDocument();
    expect(screen.getByText("Permissions error")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to Connections" })).toHaveAttribute(
      "href",
      `/orgs/${ORG_ID}/connections`,
    );
    expect(await requestOf(fetchMock, 0).json()).toEqual({
      state: "S2",
      error: "access_denied",
      error_description: "Permissions error",
    });
  });

  it("shows an expired or foreign state as an error", async () => {
    savePendingConnection({ organizationId: ORG_ID, platform: "google", returnTo: "/" });
    mockFetch(() =>
      problem(400, "connection-state-invalid", {
        title: "This connection attempt is unknown, expired, already used or was started by someone else; start again",
      }),
    );
    renderAt(<ConnectionCallbackScreen />, { path: PATH, url: "/connections/callback/google?code=C&state=old" });
    expect(await screen.findByRole("alert")).toHaveTextContent("This connection attempt is unknown, expired");
  });

  it("keeps every digit of a numeric code and state", async () => {
    savePendingConnection({ organizationId: ORG_ID, platform: "google", returnTo: "/" });
    const fetchMock = mockFetch(() => json(connection()));
    // As main.tsx loads: the router rewrites the URL in its JSON-normalized form, the captured query stays verbatim.
    const search = "?code=12345678901234567890123&state=1e999";
    captureCallbackQuery({ pathname: "/connections/callback/google", search });
    renderAt(<ConnectionCallbackScreen />, { path: PATH, url: `/connections/callback/google${search}` });
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(await requestOf(fetchMock, 0).json()).toEqual({ code: "12345678901234567890123", state: "1e999" });
  });

  it("explains when the attempt was not started in this tab, without calling the server", async () => {
    const fetchMock = mockFetch(() => json({}));
    renderAt(<ConnectionCallbackScreen />, { path: PATH, url: "/connections/callback/google?code=C&state=S" });
    expect(await screen.findByText("This connection attempt was not started in this browser tab")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Go to adpilot" })).toHaveAttribute("href", "/");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("refuses a callback for another platform than the one started", async () => {
    savePendingConnection({ organizationId: ORG_ID, platform: "google", returnTo: "/" });
    const fetchMock = mockFetch(() => json({}));
    renderAt(<ConnectionCallbackScreen />, { path: PATH, url: "/connections/callback/meta?code=C&state=S" });
    expect(await screen.findByText("This connection attempt was not started in this browser tab")).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
