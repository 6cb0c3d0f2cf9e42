import type { FormEvent } from "react";
import { Link } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import type { LoginResponse } from "@/api/types";
import { Button, Field, FormError } from "@/components/ui";
import { collect, formErrorsFromApi, required, useFormErrors, validateEmail } from "@/lib/forms";
import { useLogIn, useLogInWithMfa } from "./api";

/** Step 1: email and password. Reports the LoginResponse (which may ask for an MFA code). */
export function PasswordStep({ onResult }: { onResult: (result: LoginResponse) => void }) {
  const { formRef, errors, fail, clear } = useFormErrors();
  const login = useLogIn();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const fields = collect({ email: validateEmail(email), password: required(password, "Enter your password.") });
    if (Object.keys(fields).length) return fail({ fields, form: null });
    clear();
    login.mutate(
      { body: { email, password } },
      {
        onSuccess: (result) => onResult(result),
        onError: (error) => {
          const next = formErrorsFromApi(error, ["email", "password"]);
          if (next.form && isApiError(error) && error.status === 401) next.form = "Incorrect email or password.";
          fail(next);
        },
      },
    );
  }

  return (
    <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
      <FormError message={errors.form} />
      {/* oxlint-disable-next-line jsx-a11y/no-autofocus -- this form is the whole purpose of its page or dialog: its first field takes the focus */}
      <Field label="Email" name="email" type="email" autoComplete="email" autoFocus error={errors.fields.email} />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        error={errors.fields.password}
      />
      <div className="flex justify-end">
        <Link
          to="/forgot-password"
          className="text-sm text-neutral-600 underline-offset-4 hover:text-neutral-900 hover:underline"
        >
          Forgot your password?
        </Link>
      </div>
      <Button type="submit" className="w-full" pending={login.isPending}>
        Log in
      </Button>
    </form>
  );
}

/** Step 2: a TOTP code or a recovery code. */
export function MfaStep({
  mfaToken,
  onResult,
  onCancel,
}: {
  mfaToken: string;
  onResult: (result: LoginResponse) => void;
  onCancel: () => void;
}) {
  const { formRef, errors, fail, clear } = useFormErrors();
  const verify = useLogInWithMfa();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get("code") ?? "").replace(/\s+/g, "");
    if (!code) return fail({ fields: { code: "Enter the code from your authenticator app." }, form: null });
    clear();
    verify.mutate(
      { body: { mfa_token: mfaToken, code } },
      {
        onSuccess: (result) => onResult(result),
        onError: (error) => {
          const next = formErrorsFromApi(error, ["code"]);
          if (isApiError(error) && (error.code === "invalid-mfa-code" || error.code === "invalid-credentials")) {
            fail({
              fields: { code: "That code is not valid. Check your authenticator app and try again." },
              form: null,
            });
          } else if (isApiError(error) && (error.code === "session-expired" || error.code === "invalid-token")) {
            fail({ fields: {}, form: "This sign-in attempt has expired. Start again with your password." });
          } else {
            fail(next);
          }
        },
      },
    );
  }

  return (
    <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
      <FormError message={errors.form} />
      <Field
        label="Authentication code"
        name="code"
        autoComplete="one-time-code"
        inputMode="text"
        // oxlint-disable-next-line jsx-a11y/no-autofocus -- this form is the whole purpose of its page or dialog: its first field takes the focus
        autoFocus
        spellCheck={false}
        autoCapitalize="off"
        placeholder="123456"
        error={errors.fields.code}
        description="Enter the 6-digit code from your authenticator app. Lost your device? Use one of your recovery codes (like abcd-efgh-ij) instead."
      />
      <Button type="submit" className="w-full" pending={verify.isPending}>
        Verify
      </Button>
      <Button variant="ghost" className="w-full" onClick={onCancel}>
        Back
      </Button>
    </form>
  );
}
