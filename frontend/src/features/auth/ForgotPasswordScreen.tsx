import { useState, type FormEvent } from "react";
import { Link } from "@tanstack/react-router";
import { Alert, Button, Field, FormError } from "@/components/ui";
import { formErrorsFromApi, useFormErrors, validateEmail } from "@/lib/forms";
import { useForgotPassword } from "./api";
import { AuthLayout } from "./AuthLayout";

export function ForgotPasswordScreen() {
  const { formRef, errors, fail, clear } = useFormErrors();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const forgot = useForgotPassword();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email") ?? "").trim();
    const emailError = validateEmail(email);
    if (emailError) return fail({ fields: { email: emailError }, form: null });
    clear();
    forgot.mutate(
      { body: { email } },
      { onSuccess: () => setSentTo(email), onError: (e) => fail(formErrorsFromApi(e, ["email"])) },
    );
  }

  const backToLogin = (
    <Link to="/login" className="font-medium text-neutral-900 underline-offset-4 hover:underline">
      Back to log in
    </Link>
  );

  if (sentTo) {
    return (
      <AuthLayout title="Check your inbox" footer={backToLogin}>
        <Alert tone="success">
          If an account exists for {sentTo}, we've sent a link to reset its password. The link expires soon, so use it
          shortly.
        </Alert>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout
      title="Reset your password"
      description="Enter your account's email and we'll send you a reset link."
      footer={backToLogin}
    >
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
        <FormError message={errors.form} />
        {/* oxlint-disable-next-line jsx-a11y/no-autofocus -- this form is the whole purpose of its page or dialog: its first field takes the focus */}
        <Field label="Email" name="email" type="email" autoComplete="email" autoFocus error={errors.fields.email} />
        <Button type="submit" className="w-full" pending={forgot.isPending}>
          Send reset link
        </Button>
      </form>
    </AuthLayout>
  );
}
