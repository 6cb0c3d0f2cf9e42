import { $api } from "@/api/client";
import { Alert, Button } from "@/components/ui";
import { describeError } from "@/lib/forms";

/** "Resend verification email" for a known address. */
export function ResendVerification({ email, variant = "secondary" }: { email: string; variant?: "secondary" | "ghost" }) {
  const resend = $api.useMutation("post", "/api/v1/auth/resend-verification");
  return (
    <div className="space-y-3">
      {resend.isSuccess && <Alert tone="success">A new verification link is on its way to {email}.</Alert>}
      {resend.isError && <Alert tone="error">{describeError(resend.error)}</Alert>}
      <Button variant={variant} className="w-full" pending={resend.isPending} onClick={() => resend.mutate({ body: { email } })}>
        Resend verification email
      </Button>
    </div>
  );
}
