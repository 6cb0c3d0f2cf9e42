import { isApiError } from "@/api/client";
import { Alert } from "@/components/ui";
import { ResendVerificationInline } from "./ResendVerification";
import { useMe } from "./session";

/** Whether an API error is the "verify your email first" refusal. */
export function isEmailNotVerified(error: unknown): boolean {
  return isApiError(error) && error.code === "email-not-verified";
}

/** What to do when an action needs a verified email: open the emailed link, or have a new one sent. */
export function EmailNotVerifiedNotice({ title }: { title: string }) {
  const me = useMe();
  return (
    <Alert tone="warning" title={title}>
      <span className="block">
        Verify your email address first: open the link we emailed to {me.data?.email ?? "you"}, then try again.
      </span>
      {me.data && (
        <span className="mt-2 block">
          <ResendVerificationInline email={me.data.email} />
        </span>
      )}
    </Alert>
  );
}
