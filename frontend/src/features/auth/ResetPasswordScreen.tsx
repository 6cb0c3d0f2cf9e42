import type { FormEvent } from "react";
import { Link, useSearch } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import { Alert, Button, buttonClasses, Field, FormError } from "@/components/ui";
import { collect, formErrorsFromApi, MIN_PASSWORD_LENGTH, useFormErrors, validateNewPassword } from "@/lib/forms";
import { useResetPassword } from "./api";
import { AuthLayout } from "./AuthLayout";

export function ResetPasswordScreen() {
  const { token } = useSearch({ strict: false }) as { token?: string };
  const { formRef, errors, fail, clear } = useFormErrors();
  const reset = useResetPassword();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!token) return;
    const data = new FormData(event.currentTarget);
    const password = String(data.get("password") ?? "");
    const confirm = String(data.get("confirm") ?? "");
    const fields = collect({
      password: validateNewPassword(password),
      confirm: password && confirm !== password ? "The passwords don't match." : null,
    });
    if (Object.keys(fields).length) return fail({ fields, form: null });
    clear();
    reset.mutate(
      { body: { token, password } },
      {
        onError: (error) => {
          if (isApiError(error) && error.code === "invalid-token") {
            return fail({ fields: {}, form: "This reset link is invalid or has expired. Request a new one." });
          }
          fail(formErrorsFromApi(error, ["password"]));
        },
      },
    );
  }

  if (!token) {
    return (
      <AuthLayout title="Choose a new password">
        <div className="space-y-4">
          <Alert tone="error">
            This reset link is incomplete. Open the link from your email again, or request a new one.
          </Alert>
          <Link to="/forgot-password" className={buttonClasses("secondary", "md", "w-full")}>
            Request a new link
          </Link>
        </div>
      </AuthLayout>
    );
  }
  if (reset.isSuccess) {
    return (
      <AuthLayout title="Password changed">
        <div className="space-y-4">
          <Alert tone="success">Your password has been changed. Log in with your new password.</Alert>
          <Link to="/login" className={buttonClasses("primary", "md", "w-full")}>
            Log in
          </Link>
        </div>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Choose a new password">
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
        <FormError message={errors.form} />
        <Field
          label="New password"
          name="password"
          type="password"
          autoComplete="new-password"
          // oxlint-disable-next-line jsx-a11y/no-autofocus -- this form is the whole purpose of its page or dialog: its first field takes the focus
          autoFocus
          error={errors.fields.password}
          description={`At least ${MIN_PASSWORD_LENGTH} characters.`}
        />
        <Field
          label="Confirm new password"
          name="confirm"
          type="password"
          autoComplete="new-password"
          error={errors.fields.confirm}
        />
        <Button type="submit" className="w-full" pending={reset.isPending}>
          Change password
        </Button>
        {errors.form && (
          <p className="text-center text-sm">
            <Link to="/forgot-password" className="text-neutral-700 underline underline-offset-4">
              Request a new link
            </Link>
          </p>
        )}
      </form>
    </AuthLayout>
  );
}
