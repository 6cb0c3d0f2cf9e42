import { useSyncExternalStore } from "react";
import type { QueryClient } from "@tanstack/react-query";
import { $api, api, authStore, type SessionStatus } from "@/api/client";

export function useSessionStatus(): SessionStatus {
  return useSyncExternalStore(authStore.subscribe, () => authStore.get().status);
}

export function useMe() {
  const status = useSessionStatus();
  return $api.useQuery("get", "/api/v1/me", undefined, { enabled: status === "authenticated" });
}

export function useConfig() {
  return $api.useQuery("get", "/api/v1/config", undefined, { staleTime: 5 * 60_000, retry: 1 });
}

/** Store a fresh access token after login and drop any cached data of a previous user. */
export function startSession(queryClient: QueryClient, accessToken: string, expiresIn?: number | null): void {
  queryClient.clear();
  authStore.setToken(accessToken, expiresIn);
}

export async function endSession(queryClient: QueryClient): Promise<void> {
  try {
    await api.POST("/api/v1/auth/logout");
  } catch {
    // Logging out locally matters more than the server's answer (the cookie may already be gone).
  }
  authStore.setToken(null);
  queryClient.clear();
}

/** Only same-site paths are accepted as post-login destinations (no open redirects). */
export function safeRedirect(target: unknown): string | null {
  if (typeof target !== "string") return null;
  if (!target.startsWith("/") || target.startsWith("//") || target.startsWith("/\\")) return null;
  if (target.startsWith("/login")) return null;
  return target;
}
