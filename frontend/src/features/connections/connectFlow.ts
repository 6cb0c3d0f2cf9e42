/**
 * The consent round trip. Before the browser leaves for the platform's consent page we remember (in this tab's
 * sessionStorage) which organization and platform the attempt is for; the callback route reads it back, because the
 * platform only returns `code` and `state` to /connections/callback/{platform}.
 */
import type { Platform } from "./types";
import { isPlatform } from "./platforms";

const KEY = "adpilot.pendingConnection";
/** An attempt older than this is forgotten (the server's state expires sooner anyway). */
const MAX_AGE_MS = 60 * 60 * 1000;

export interface PendingConnection {
  organizationId: string;
  platform: Platform;
  /** Where the person started (a path inside the app), for the way back. */
  returnTo: string;
  startedAt: number;
}

export function savePendingConnection(pending: Omit<PendingConnection, "startedAt">, now = Date.now()): void {
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify({ ...pending, startedAt: now }));
  } catch {
    // Without storage the callback asks the person to start again from the Connections page.
  }
}

export function readPendingConnection(now = Date.now()): PendingConnection | null {
  let raw: string | null = null;
  try {
    raw = window.sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<PendingConnection>;
    if (
      typeof value.organizationId !== "string" ||
      typeof value.platform !== "string" ||
      !isPlatform(value.platform) ||
      typeof value.startedAt !== "number" ||
      now - value.startedAt > MAX_AGE_MS
    ) {
      return null;
    }
    const returnTo =
      typeof value.returnTo === "string" && value.returnTo.startsWith("/") && !value.returnTo.startsWith("//")
        ? value.returnTo
        : "/";
    return { organizationId: value.organizationId, platform: value.platform, returnTo, startedAt: value.startedAt };
  } catch {
    return null;
  }
}

export function clearPendingConnection(): void {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // Nothing to clear.
  }
}

/** Only http(s) URLs are followed (never javascript: or data:). */
export function isSafeAuthorizationUrl(url: string): boolean {
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}

/** Same-window navigation to the consent page; an object so tests can replace it. */
export const browserNavigation = {
  assign(url: string): void {
    window.location.assign(url);
  },
};

const CALLBACK_PREFIX = "/connections/callback/";
let capturedCallback: { pathname: string; search: string } | null = null;

/**
 * Remember the callback URL's query string exactly as the platform sent it. Call this before the router starts: the
 * router JSON-parses search params and rewrites the URL in its normalized form, which turns a numeric code into a
 * rounded number (and "1e999" into Infinity).
 */
export function captureCallbackQuery(location: { pathname: string; search: string } = window.location): void {
  if (location.pathname.startsWith(CALLBACK_PREFIX))
    capturedCallback = { pathname: location.pathname, search: location.search };
}

/** The verbatim query string captured for this callback path, if the page was loaded on it. */
export function capturedCallbackQuery(pathname: string): string | null {
  return capturedCallback && capturedCallback.pathname === pathname ? capturedCallback.search : null;
}
