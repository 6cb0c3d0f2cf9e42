import type { FormEvent } from "react";
import { Button, Field, FormError } from "@/components/ui";
import {
  collect,
  formErrorsFromApi,
  MIN_PASSWORD_LENGTH,
  required,
  useFormErrors,
  validateEmail,
  validateNewPassword,
} from "@/lib/forms";
import { useSignUp } from "./api";

const FIELDS = ["display_name", "email", "password"] as const;

export function SignupForm({ onSignedUp }: { onSignedUp: (email: string) => void }) {
  const { formRef, errors, fail, clear } = useFormErrors();
  const signup = useSignUp();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const display_name = String(data.get("display_name") ?? "").trim();
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const fields = collect({
      display_name: required(display_name, "Enter your name."),
      email: validateEmail(email),
      password: validateNewPassword(password),
    });
    if (Object.keys(fields).length) return fail({ fields, form: null });
    clear();
    signup.mutate(
      { body: { display_name, email, password } },
      {
        // The answer is the same for a new and an already registered email (the owner of the latter is emailed).
        onSuccess: (accepted) => onSignedUp(accepted.email),
        onError: (error) => fail(formErrorsFromApi(error, FIELDS)),
      },
    );
  }

  return (
    <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
      <FormError message={errors.form} />
      {/* oxlint-disable-next-line jsx-a11y/no-autofocus -- this form is the whole purpose of its page or dialog: its first field takes the focus */}
      <Field label="Name" name="display_name" autoComplete="name" autoFocus error={errors.fields.display_name} />
      <Field label="Email" name="email" type="email" autoComplete="email" error={errors.fields.email} />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        error={errors.fields.password}
        description={`At least ${MIN_PASSWORD_LENGTH} characters. Avoid common passwords.`}
      />
      <Button type="submit" className="w-full" pending={signup.isPending}>
        Sign up
      </Button>
    </form>
  );
}
