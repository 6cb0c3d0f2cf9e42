/**
 * The API client: base URL, the in-memory access token, RFC 9457 problem-details errors and the
 * 401 → refresh → retry-once path. Components use `api` (openapi-fetch) or `$api` (TanStack Query helpers),
 * never hand-built URLs.
 */
import createFetchClient from "openapi-fetch";
import createQueryClient from "openapi-react-query";
import type { paths } from "./generated/schema";

export const API_PREFIX = "/api/v1";

// ---------------------------------------------------------------------------------------------------------------
// Problem details
// ---------------------------------------------------------------------------------------------------------------

export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string | null;
  errors?: FieldProblem[] | null;
  retry_after?: number | null;
  request_id?: string | null;
  [extra: string]: unknown;
}

/** An HTTP error from the API, carrying the parsed problem document. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | null;
  readonly errors: FieldProblem[];
  /** Seconds to wait before retrying (429), from the problem document or the Retry-After header. */
  readonly retryAfter: number | null;
  /** The id the server logged the request under (problem document, else the X-Request-ID header): for support. */
  readonly requestId: string | null;
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails, retryAfter: number | null = null) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail ?? null;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.retryAfter = problem.retry_after ?? retryAfter;
    this.requestId = typeof problem.request_id === "string" && problem.request_id ? problem.request_id : null;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Turn a non-2xx response into an ApiError, whatever its body (problem+json, other JSON, text or nothing). */
export async function problemFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
  const headerRequestId = response.headers.get("X-Request-ID");
  const fallback: ProblemDetails = {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    code: `http-${response.status}`,
    request_id: headerRequestId,
  };
  let body: unknown = null;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const problem: ProblemDetails = {
      ...b,
      type: typeof b.type === "string" ? b.type : fallback.type,
      title: typeof b.title === "string" ? b.title : fallback.title,
      status: typeof b.status === "number" ? b.status : response.status,
      code: typeof b.code === "string" ? b.code : fallback.code,
      detail: typeof b.detail === "string" ? b.detail : null,
      errors: Array.isArray(b.errors) ? (b.errors as FieldProblem[]) : null,
      retry_after: typeof b.retry_after === "number" ? b.retry_after : null,
      request_id: typeof b.request_id === "string" && b.request_id ? b.request_id : headerRequestId,
    };
    return new ApiError(problem, retryAfter);
  }
  return new ApiError(fallback, retryAfter);
}

/** A network failure (server unreachable) presented like an API error so screens handle one type. */
function networkError(cause: unknown): ApiError {
  const err = new ApiError({
    type: "about:blank",
    title: "Cannot reach the server",
    status: 0,
    code: "network-error",
    detail: "Check your connection and try again.",
  });
  (err as { cause?: unknown }).cause = cause;
  return err;
}

// ---------------------------------------------------------------------------------------------------------------
// Access token store (memory only) and session status
// ---------------------------------------------------------------------------------------------------------------

export type SessionStatus = "unknown" | "authenticated" | "anonymous";

interface AuthState {
  status: SessionStatus;
  accessToken: string | null;
}

let authState: AuthState = { status: "unknown", accessToken: null };
const listeners = new Set<() => void>();

export const authStore = {
  get: (): AuthState => authState,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /**
   * Store (or clear) the access token. With `expiresIn` (seconds, from the login/refresh response) a refresh is
   * scheduled shortly before the token expires, so requests rarely meet a 401.
   */
  setToken(token: string | null, expiresIn?: number | null): void {
    authState = { status: token ? "authenticated" : "anonymous", accessToken: token };
    if (token && expiresIn) scheduleProactiveRefresh(expiresIn);
    else if (!token) cancelProactiveRefresh();
    listeners.forEach((l) => l());
  },
  /** Test helper: back to the state at page load. */
  reset(): void {
    authState = { status: "unknown", accessToken: null };
    refreshing = null;
    bootstrap = null;
    cancelProactiveRefresh();
    listeners.forEach((l) => l());
  },
};

export function getAccessToken(): string | null {
  return authState.accessToken;
}

let onAuthFailure: () => void = () => {};
/** Called when a request got 401 and the refresh failed too (the app sends the user to /login). */
export function setAuthFailureHandler(handler: () => void): void {
  onAuthFailure = handler;
}

// ---------------------------------------------------------------------------------------------------------------
// Fetch with auth headers, refresh and retry
// ---------------------------------------------------------------------------------------------------------------

function baseUrl(): string {
  return typeof window !== "undefined" && window.location ? window.location.origin : "http://localhost";
}

function decorate(request: Request, token: string | null): Request {
  const headers = new Headers(request.headers);
  headers.set("X-Requested-With", "XMLHttpRequest");
  if (token) headers.set("Authorization", `Bearer ${token}`);
  else headers.delete("Authorization");
  return new Request(request, { headers, credentials: "same-origin" });
}

/** Endpoints whose 401 means "wrong credentials/token", not "access token expired". */
function isAuthEndpoint(url: string): boolean {
  return new URL(url, baseUrl()).pathname.startsWith(`${API_PREFIX}/auth/`);
}

/**
 * 401 codes that mean "the code or password you typed is wrong" (e.g. POST /me/mfa/enable with a bad code), not
 * "your access token is no longer valid": these never trigger a refresh or a logout.
 */
const CREDENTIAL_FAILURE_CODES = new Set(["invalid-credentials", "invalid-mfa-code"]);

async function isCredentialFailure(response: Response): Promise<boolean> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body.code === "string" && CREDENTIAL_FAILURE_CODES.has(body.code);
  } catch {
    return false;
  }
}

let refreshing: Promise<string | null> | null = null;

/** Exchange the refresh cookie for a new access token; concurrent callers share one request. */
export function refreshAccessToken(): Promise<string | null> {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const response = await fetch(
          new Request(`${baseUrl()}${API_PREFIX}/auth/refresh`, {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
          }),
        );
        if (!response.ok) {
          authStore.setToken(null);
          return null;
        }
        const body = (await response.json()) as { access_token?: string; expires_in?: number | null };
        const token = body.access_token ?? null;
        authStore.setToken(token, body.expires_in);
        return token;
      } catch {
        authStore.setToken(null);
        return null;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

// ---------------------------------------------------------------------------------------------------------------
// Proactive refresh: renew the access token about a minute before it expires
// ---------------------------------------------------------------------------------------------------------------

/** How long before expiry the proactive refresh runs. */
export const REFRESH_MARGIN_SECONDS = 60;

let refreshTimer: ReturnType<typeof setTimeout> | null = null;

/** Milliseconds until the proactive refresh for a token valid `expiresIn` seconds (half the lifetime when short). */
export function refreshDelayMs(expiresIn: number): number {
  const seconds = expiresIn > 2 * REFRESH_MARGIN_SECONDS ? expiresIn - REFRESH_MARGIN_SECONDS : expiresIn / 2;
  return Math.max(1, seconds) * 1000;
}

function cancelProactiveRefresh(): void {
  if (refreshTimer !== null) clearTimeout(refreshTimer);
  refreshTimer = null;
}

function scheduleProactiveRefresh(expiresIn: number): void {
  cancelProactiveRefresh();
  if (!Number.isFinite(expiresIn) || expiresIn <= 0) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    void proactiveRefresh();
  }, refreshDelayMs(expiresIn));
}

async function proactiveRefresh(): Promise<void> {
  if (!authState.accessToken) return;
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    // Offline: try again later; if the token expires meanwhile, the 401 path takes over.
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void proactiveRefresh();
    }, 30_000);
    return;
  }
  // Shares the in-flight refresh with the 401 path (single flight), and reschedules itself on success.
  const token = await refreshAccessToken();
  if (!token) onAuthFailure();
}

let bootstrap: Promise<void> | null = null;
/** On app load: try the refresh cookie once to learn whether the user is logged in. */
export function ensureSession(): Promise<void> {
  if (authState.status !== "unknown") return Promise.resolve();
  if (!bootstrap) bootstrap = refreshAccessToken().then(() => undefined);
  return bootstrap;
}

/** The fetch used by the generated client: adds headers, refreshes once on 401, throws ApiError on errors. */
export async function authFetch(input: Request): Promise<Response> {
  const retryCopy = input.clone();
  let response: Response;
  try {
    response = await fetch(decorate(input, getAccessToken()));
  } catch (error) {
    if (input.signal?.aborted) throw error;
    throw networkError(error);
  }
  if (response.status === 401 && !isAuthEndpoint(input.url) && !(await isCredentialFailure(response))) {
    const token = await refreshAccessToken();
    if (token) {
      try {
        response = await fetch(decorate(retryCopy, token));
      } catch (error) {
        if (input.signal?.aborted) throw error;
        throw networkError(error);
      }
    }
    if (response.status === 401 && !(await isCredentialFailure(response))) {
      authStore.setToken(null);
      onAuthFailure();
    }
  }
  if (!response.ok) throw await problemFromResponse(response);
  return response;
}

export const api = createFetchClient<paths>({
  baseUrl: baseUrl(),
  fetch: (input: Request) => authFetch(input),
});

export const $api = createQueryClient(api);
