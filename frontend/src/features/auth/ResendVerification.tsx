import { Alert, Button } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { useResendVerification } from "./api";

/** "Resend verification email" for a known address. */
export function ResendVerification({
  email,
  variant = "secondary",
}: {
  email: string;
  variant?: "secondary" | "ghost";
}) {
  const resend = useResendVerification();
  return (
    <div className="space-y-3">
      {resend.isSuccess && <Alert tone="success">A new verification link is on its way to {email}.</Alert>}
      {resend.isError && <Alert tone="error">{describeError(resend.error)}</Alert>}
      <Button
        variant={variant}
        className="w-full"
        pending={resend.isPending}
        onClick={() => resend.mutate({ body: { email } })}
      >
        Resend verification email
      </Button>
    </div>
  );
}

/** The compact form for the "verify your email" banner: a "Resend email" button that turns into a sent state. */
export function ResendVerificationInline({ email }: { email: string }) {
  const resend = useResendVerification();
  if (resend.isSuccess) {
    return <span className="text-sm font-medium text-green-800">Email sent — check your inbox.</span>;
  }
  return (
    <span className="flex flex-wrap items-center gap-2">
      {resend.isError && <span className="text-xs text-red-700">{describeError(resend.error)}</span>}
      <Button
        variant="secondary"
        size="sm"
        pending={resend.isPending}
        onClick={() => resend.mutate({ body: { email } })}
      >
        Resend email
      </Button>
    </span>
  );
}
