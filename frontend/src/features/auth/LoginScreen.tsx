import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Link, useRouter, useSearch } from "@tanstack/react-router";
import type { LoginResponse } from "@/api/types";
import { Alert } from "@/components/ui";
import { AuthLayout } from "./AuthLayout";
import { MfaStep, PasswordStep } from "./LoginForm";
import { safeRedirect, startSession } from "./session";

export function LoginScreen() {
  const search = useSearch({ strict: false }) as { redirect?: string };
  const router = useRouter();
  const queryClient = useQueryClient();
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  function onResult(result: LoginResponse) {
    if (result.status === "mfa_required" && result.mfa_token) {
      setMfaToken(result.mfa_token);
      return;
    }
    if (result.access_token) {
      startSession(queryClient, result.access_token, result.expires_in);
      router.history.push(safeRedirect(search.redirect) ?? "/");
      return;
    }
    setProblem("The server answered in an unexpected way. Please try again.");
  }

  if (mfaToken) {
    return (
      <AuthLayout
        title="Two-factor authentication"
        description="Your account is protected with two-factor authentication."
      >
        <MfaStep mfaToken={mfaToken} onResult={onResult} onCancel={() => setMfaToken(null)} />
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title="Log in to adpilot"
      documentTitle="Log in"
      description={search.redirect ? "Log in to continue." : undefined}
      footer={
        <>
          New to adpilot?{" "}
          <Link
            to="/signup"
            search={{ redirect: safeRedirect(search.redirect) ?? undefined }}
            className="font-medium text-neutral-900 underline-offset-4 hover:underline"
          >
            Create an account
          </Link>
        </>
      }
    >
      {problem && (
        <div className="mb-4">
          <Alert tone="error">{problem}</Alert>
        </div>
      )}
      <PasswordStep onResult={onResult} />
    </AuthLayout>
  );
}
