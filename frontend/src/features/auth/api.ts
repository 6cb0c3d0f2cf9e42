/**
 * The account's queries and mutations (sign-up, log-in, email, profile, MFA, sessions, security activity): screens
 * call these hooks and never build a query themselves. The signed-in user and the server's configuration are read by
 * `useMe` and `useConfig` in session.ts, beside the session they depend on.
 */
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { $api } from "@/api/client";

const ME = "/api/v1/me" as const;
const SESSIONS = "/api/v1/me/sessions" as const;
const SECURITY_EVENTS = "/api/v1/me/security-events" as const;

export function useSignUp() {
  return $api.useMutation("post", "/api/v1/auth/signup");
}

export function useLogIn() {
  return $api.useMutation("post", "/api/v1/auth/login");
}

export function useLogInWithMfa() {
  return $api.useMutation("post", "/api/v1/auth/login/mfa");
}

export function useForgotPassword() {
  return $api.useMutation("post", "/api/v1/auth/forgot-password");
}

export function useResetPassword() {
  return $api.useMutation("post", "/api/v1/auth/reset-password");
}

export function useResendVerification() {
  return $api.useMutation("post", "/api/v1/auth/resend-verification");
}

/** Read the signed-in user again (after a change the server made to it). */
export function useInvalidateMe() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: ["get", ME] });
}

/** Verify the email address with the link's token; the user is read again. */
export function useVerifyEmail() {
  const invalidateMe = useInvalidateMe();
  return $api.useMutation("post", "/api/v1/auth/verify-email", { onSuccess: () => invalidateMe() });
}

/** Change the display name; the user (and the member lists that show the name) are read again. */
export function useUpdateProfile() {
  const queryClient = useQueryClient();
  return $api.useMutation("patch", ME, {
    onSuccess: (user) => {
      queryClient.setQueryData(["get", ME], user);
      void queryClient.invalidateQueries({ queryKey: ["get", ME] });
      void queryClient.invalidateQueries({ queryKey: ["get", "/api/v1/orgs/{organization_id}/members"] });
    },
  });
}

/** Refetch the activity list after an action that records a security event. */
export function invalidateSecurityEvents(queryClient: QueryClient) {
  return queryClient.invalidateQueries({ queryKey: ["get", SECURITY_EVENTS] });
}

/** The account's security events, newest first, page by page. */
export function useSecurityEvents(limit: number) {
  return $api.useInfiniteQuery(
    "get",
    SECURITY_EVENTS,
    { params: { query: { limit } } },
    { pageParamName: "cursor", initialPageParam: null, getNextPageParam: (page) => page.next_cursor ?? undefined },
  );
}

/** Make a new authenticator secret (only when the person asks for one). */
export function useStartMfaSetup() {
  return $api.useMutation("post", "/api/v1/me/mfa/setup");
}

/** Turn MFA on with a code; the security activity is read again. */
export function useEnableMfa() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/me/mfa/enable", {
    onSuccess: () => void invalidateSecurityEvents(queryClient),
  });
}

/** Turn MFA off; the security activity and the user are read again. */
export function useDisableMfa() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/me/mfa/disable", {
    onSuccess: () => {
      void invalidateSecurityEvents(queryClient);
      return queryClient.invalidateQueries({ queryKey: ["get", ME] });
    },
  });
}

/** Where the account is signed in. */
export function useSessions() {
  return $api.useQuery("get", SESSIONS);
}

/** Sign one session out; the sessions and the security activity are read again. */
export function useRevokeSession() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/me/sessions/{session_id}", {
    onSuccess: () => {
      void invalidateSecurityEvents(queryClient);
      return queryClient.invalidateQueries({ queryKey: ["get", SESSIONS] });
    },
  });
}
