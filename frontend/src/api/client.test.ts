import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  api,
  ApiError,
  authStore,
  ensureSession,
  getAccessToken,
  problemFromResponse,
  refreshDelayMs,
  setAuthFailureHandler,
} from "./client";
import { json, mockFetch, problem, requestOf } from "@/test/utils";

beforeEach(() => {
  authStore.reset();
  setAuthFailureHandler(() => {});
});
afterEach(() => {
  authStore.reset();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("problemFromResponse", () => {
  it("parses an RFC 9457 document with field errors", async () => {
    const err = await problemFromResponse(
      problem(422, "validation-error", {
        detail: "Invalid input",
        errors: [{ loc: ["body", "email"], msg: "bad email", type: "value_error" }],
      }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe("validation-error");
    expect(err.detail).toBe("Invalid input");
    expect(err.errors).toEqual([{ loc: ["body", "email"], msg: "bad email", type: "value_error" }]);
    expect(err.message).toBe("Invalid input");
  });

  it("takes retry_after from the body, or from the Retry-After header", async () => {
    expect((await problemFromResponse(problem(429, "rate-limited", { retry_after: 12 }))).retryAfter).toBe(12);
    const headerOnly = await problemFromResponse(new Response("", { status: 429, headers: { "Retry-After": "30" } }));
    expect(headerOnly.retryAfter).toBe(30);
    expect(headerOnly.code).toBe("http-429");
  });

  it("copes with a non-JSON body", async () => {
    const err = await problemFromResponse(
      new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    );
    expect(err.status).toBe(502);
    expect(err.title).toBe("Bad Gateway");
    expect(err.errors).toEqual([]);
  });
});

describe("authFetch via the generated client", () => {
  it("sends X-Requested-With and the bearer token", async () => {
    authStore.setToken("tok-1");
    const fetchMock = mockFetch(() => json({ id: "u1" }));
    const { data } = await api.GET("/api/v1/me");
    expect(data).toEqual({ id: "u1" });
    const req = requestOf(fetchMock, 0);
    expect(new URL(req.url).pathname).toBe("/api/v1/me");
    expect(req.headers.get("X-Requested-With")).toBe("XMLHttpRequest");
    expect(req.headers.get("Authorization")).toBe("Bearer tok-1");
  });

  it("throws ApiError for problem responses", async () => {
    authStore.setToken("tok-1");
    mockFetch(() => problem(403, "mfa-required", { detail: "Turn on MFA" }));
    await expect(api.GET("/api/v1/orgs")).rejects.toMatchObject({ status: 403, code: "mfa-required" });
  });

  it("on 401 refreshes once, then retries the request with the new token", async () => {
    authStore.setToken("expired");
    const fetchMock = mockFetch((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/api/v1/auth/refresh") return json({ access_token: "fresh", expires_in: 900 });
      if (req.headers.get("Authorization") === "Bearer fresh") return json({ items: [] });
      return problem(401, "not-authenticated");
    });
    const { data } = await api.GET("/api/v1/orgs");
    expect(data).toEqual({ items: [] });
    expect(fetchMock).toHaveBeenCalledTimes(3);
    const refresh = requestOf(fetchMock, 1);
    expect(refresh.method).toBe("POST");
    expect(refresh.headers.get("X-Requested-With")).toBe("XMLHttpRequest");
    expect(getAccessToken()).toBe("fresh");
  });

  it("retries a POST with its body intact", async () => {
    authStore.setToken("expired");
    const bodies: string[] = [];
    mockFetch(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/api/v1/auth/refresh") return json({ access_token: "fresh", expires_in: 900 });
      bodies.push(await req.text());
      if (req.headers.get("Authorization") === "Bearer fresh") return json({ id: "o1", name: "Acme" }, 201);
      return problem(401, "not-authenticated");
    });
    await api.POST("/api/v1/orgs", { body: { name: "Acme" } });
    expect(bodies).toEqual(['{"name":"Acme"}', '{"name":"Acme"}']);
  });

  it("when the refresh fails, clears the token, reports the failure and throws", async () => {
    authStore.setToken("expired");
    const onFailure = vi.fn();
    setAuthFailureHandler(onFailure);
    const fetchMock = mockFetch(() => problem(401, "not-authenticated"));
    await expect(api.GET("/api/v1/me")).rejects.toMatchObject({ status: 401 });
    expect(fetchMock).toHaveBeenCalledTimes(2); // the call and the refresh, no retry
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(getAccessToken()).toBeNull();
    expect(authStore.get().status).toBe("anonymous");
  });

  it("does not refresh on a 401 from an auth endpoint (wrong password)", async () => {
    const onFailure = vi.fn();
    setAuthFailureHandler(onFailure);
    const fetchMock = mockFetch(() => problem(401, "invalid-credentials"));
    await expect(api.POST("/api/v1/auth/login", { body: { email: "a@b.co", password: "x" } })).rejects.toMatchObject({
      code: "invalid-credentials",
    });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(onFailure).not.toHaveBeenCalled();
  });

  it("does not refresh or log out on a 401 that reports a wrong code (MFA enable)", async () => {
    authStore.setToken("valid");
    const onFailure = vi.fn();
    setAuthFailureHandler(onFailure);
    const fetchMock = mockFetch(() => problem(401, "invalid-mfa-code"));
    await expect(api.POST("/api/v1/me/mfa/enable", { body: { code: "000000" } })).rejects.toMatchObject({
      code: "invalid-mfa-code",
    });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(onFailure).not.toHaveBeenCalled();
    expect(getAccessToken()).toBe("valid");
  });

  it("shares one refresh between concurrent 401s", async () => {
    authStore.setToken("expired");
    let refreshes = 0;
    mockFetch(async (req) => {
      if (new URL(req.url).pathname === "/api/v1/auth/refresh") {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 5));
        return json({ access_token: "fresh", expires_in: 900 });
      }
      return req.headers.get("Authorization") === "Bearer fresh"
        ? json({ items: [] })
        : problem(401, "not-authenticated");
    });
    await Promise.all([api.GET("/api/v1/orgs"), api.GET("/api/v1/me/sessions"), api.GET("/api/v1/orgs")]);
    expect(refreshes).toBe(1);
  });
});

describe("ensureSession", () => {
  it("marks the user anonymous when the refresh cookie is missing", async () => {
    mockFetch(() => problem(401, "not-authenticated"));
    await ensureSession();
    expect(authStore.get().status).toBe("anonymous");
  });

  it("stores the access token when the refresh succeeds", async () => {
    mockFetch(() => json({ access_token: "t", expires_in: 900 }));
    await ensureSession();
    expect(authStore.get()).toEqual({ status: "authenticated", accessToken: "t" });
  });
});

describe("proactive refresh", () => {
  const isRefresh = (req: Request) => new URL(req.url).pathname === "/api/v1/auth/refresh";

  it("runs a minute before expiry (half the lifetime for short tokens)", () => {
    expect(refreshDelayMs(900)).toBe(840_000);
    expect(refreshDelayMs(60)).toBe(30_000);
    expect(refreshDelayMs(0.5)).toBe(1_000);
  });

  it("refreshes ~60 s before the access token expires, then schedules the next one", async () => {
    vi.useFakeTimers();
    let n = 0;
    const fetchMock = mockFetch((req) =>
      isRefresh(req) ? json({ access_token: `fresh-${++n}`, expires_in: 900 }) : json({}),
    );
    authStore.setToken("first", 900);

    await vi.advanceTimersByTimeAsync(839_000);
    expect(fetchMock).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(requestOf(fetchMock, 0).method).toBe("POST");
    expect(getAccessToken()).toBe("fresh-1");

    await vi.advanceTimersByTimeAsync(840_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(getAccessToken()).toBe("fresh-2");
  });

  it("shares one refresh with a concurrent 401 (single flight)", async () => {
    vi.useFakeTimers();
    let refreshes = 0;
    mockFetch(async (req) => {
      if (isRefresh(req)) {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 50));
        return json({ access_token: "fresh", expires_in: 900 });
      }
      return req.headers.get("Authorization") === "Bearer fresh"
        ? json({ items: [] })
        : problem(401, "not-authenticated");
    });
    authStore.setToken("old", 900);
    await vi.advanceTimersByTimeAsync(840_000); // the proactive refresh is now in flight
    const request = api.GET("/api/v1/orgs"); // 401 with the old token → joins the same refresh
    await vi.advanceTimersByTimeAsync(100);
    const { data } = await request;
    expect(data).toEqual({ items: [] });
    expect(refreshes).toBe(1);
  });

  it("stops when the session ends, and reports a refused refresh", async () => {
    vi.useFakeTimers();
    const onFailure = vi.fn();
    setAuthFailureHandler(onFailure);
    const fetchMock = mockFetch(() => problem(401, "not-authenticated"));

    authStore.setToken("a", 900);
    authStore.setToken(null);
    await vi.advanceTimersByTimeAsync(900_000);
    expect(fetchMock).not.toHaveBeenCalled();

    authStore.setToken("b", 900);
    await vi.advanceTimersByTimeAsync(840_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(getAccessToken()).toBeNull();
    expect(onFailure).toHaveBeenCalledTimes(1);
  });

  it("is scheduled by a refresh that restores the session on load", async () => {
    vi.useFakeTimers();
    const fetchMock = mockFetch(() => json({ access_token: "t", expires_in: 120 }));
    await ensureSession();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});
