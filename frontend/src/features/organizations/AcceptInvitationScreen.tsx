import { useEffect, useRef } from "react";
import { Link, useSearch } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import { useAcceptInvitation } from "./api";
import { Alert, Button, buttonClasses, LoadingState } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { AuthLayout } from "@/features/auth/AuthLayout";
import { EmailNotVerifiedNotice, isEmailNotVerified } from "@/features/auth/EmailNotVerifiedNotice";
import { setLastOrgId } from "./lastOrg";

export function AcceptInvitationScreen() {
  const { token } = useSearch({ strict: false }) as { token?: string };
  const accept = useAcceptInvitation({ onAccepted: setLastOrgId });
  const started = useRef<string | null>(null);

  useEffect(() => {
    if (token && started.current !== token) {
      started.current = token;
      accept.mutate({ body: { token } });
    }
  }, [token, accept]);

  if (!token) {
    return (
      <AuthLayout title="Join an organization">
        <Alert tone="error">This invitation link is incomplete. Open the link from your email again.</Alert>
      </AuthLayout>
    );
  }
  if (accept.isError && isEmailNotVerified(accept.error)) {
    return (
      <AuthLayout title="Join an organization">
        <div className="space-y-4">
          <EmailNotVerifiedNotice title="Verify your email to accept this invitation" />
          <Button className="w-full" pending={accept.isPending} onClick={() => accept.mutate({ body: { token } })}>
            I verified my email — accept the invitation
          </Button>
        </div>
      </AuthLayout>
    );
  }
  if (accept.isError) {
    const conflict = isApiError(accept.error) && accept.error.status === 409;
    return (
      <AuthLayout title="Join an organization">
        <div className="space-y-4">
          <Alert tone="error" title="We couldn't accept this invitation">
            {conflict
              ? `${describeError(accept.error)} Invitations only work for the email address they were sent to, and expire after a while — ask an admin for a new one if needed.`
              : describeError(accept.error)}
          </Alert>
          <Link to="/" className={buttonClasses("secondary", "md", "w-full")}>
            Go to adpilot
          </Link>
        </div>
      </AuthLayout>
    );
  }
  if (accept.isSuccess) {
    return (
      <AuthLayout title={`Welcome to ${accept.data.name}`}>
        <div className="space-y-4">
          <Alert tone="success">You joined {accept.data.name}.</Alert>
          <Link
            to="/orgs/$organizationId"
            params={{ organizationId: accept.data.id }}
            className={buttonClasses("primary", "md", "w-full")}
          >
            Open {accept.data.name}
          </Link>
        </div>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Join an organization">
      <LoadingState label="Accepting your invitation…" />
    </AuthLayout>
  );
}
