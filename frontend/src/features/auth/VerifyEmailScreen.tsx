import { useEffect, useRef } from "react";
import { Link, useSearch } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import { Alert, buttonClasses, LoadingState } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { useVerifyEmail } from "./api";
import { AuthLayout } from "./AuthLayout";
import { useSessionStatus } from "./session";

export function VerifyEmailScreen() {
  const { token } = useSearch({ strict: false }) as { token?: string };
  const status = useSessionStatus();
  const verify = useVerifyEmail();
  const started = useRef<string | null>(null);

  useEffect(() => {
    if (token && started.current !== token) {
      started.current = token;
      verify.mutate({ body: { token } });
    }
  }, [token, verify]);

  const next = status === "authenticated" ? "/" : "/login";
  const nextLabel = status === "authenticated" ? "Continue to adpilot" : "Continue to log in";

  if (!token) {
    return (
      <AuthLayout title="Verify your email">
        <Alert tone="error">This verification link is incomplete. Open the link from your email again.</Alert>
      </AuthLayout>
    );
  }
  if (verify.isError) {
    const expired = isApiError(verify.error) && verify.error.code === "invalid-token";
    return (
      <AuthLayout title="Verify your email">
        <div className="space-y-4">
          <Alert tone="error" title={expired ? "This link is invalid or has expired" : "We couldn't verify your email"}>
            {expired ? "Log in to request a new verification email." : describeError(verify.error)}
          </Alert>
          <Link to={next} className={buttonClasses("secondary", "md", "w-full")}>
            {nextLabel}
          </Link>
        </div>
      </AuthLayout>
    );
  }
  if (verify.isSuccess) {
    return (
      <AuthLayout title="Email verified">
        <div className="space-y-4">
          <Alert tone="success">Thanks — your email address is confirmed.</Alert>
          <Link to={next} className={buttonClasses("primary", "md", "w-full")}>
            {nextLabel}
          </Link>
        </div>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Verify your email">
      <LoadingState label="Verifying your email…" />
    </AuthLayout>
  );
}
