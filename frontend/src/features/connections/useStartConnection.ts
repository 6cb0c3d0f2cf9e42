import { useRouterState } from "@tanstack/react-router";
import { $api, ApiError } from "@/api/client";
import { browserNavigation, isSafeAuthorizationUrl, savePendingConnection } from "./connectFlow";
import type { Platform } from "./types";

/**
 * Start a connection (or a reconnection) to a platform: ask the server for the consent page's URL, remember the
 * attempt for the callback route, then leave for the consent page in this window.
 */
export function useStartConnection(organizationId: string) {
  const here = useRouterState({ select: (s) => s.location.href });
  const mutation = $api.useMutation("post", "/api/v1/orgs/{organization_id}/connections/{platform}/authorize", {
    onSuccess: (data, variables) => {
      if (!isSafeAuthorizationUrl(data.authorization_url)) {
        throw new ApiError({
          type: "about:blank",
          title: "The server sent an unusable consent page address",
          status: 0,
          code: "bad-authorization-url",
        });
      }
      savePendingConnection({ organizationId, platform: variables.params.path.platform, returnTo: here });
      browserNavigation.assign(data.authorization_url);
    },
  });
  return {
    start: (platform: Platform) => mutation.mutate({ params: { path: { organization_id: organizationId, platform } } }),
    /** The platform being started (the button to show as pending), until the page unloads. */
    pendingPlatform: mutation.isPending || mutation.isSuccess ? mutation.variables?.params.path.platform : undefined,
    error: mutation.error,
    errorPlatform: mutation.isError ? mutation.variables?.params.path.platform : undefined,
    reset: mutation.reset,
  };
}
