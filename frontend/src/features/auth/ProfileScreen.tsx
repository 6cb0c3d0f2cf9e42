import { useState, type FormEvent } from "react";
import {
  Alert,
  Badge,
  Button,
  Card,
  CardBody,
  CardHeader,
  ErrorState,
  Field,
  FormError,
  LoadingState,
  PageHeader,
} from "@/components/ui";
import { formErrorsFromApi, useFormErrors } from "@/lib/forms";
import { useUpdateProfile } from "./api";
import { useMe } from "./session";

export const DISPLAY_NAME_MAX = 120;

/** Inline validation for a display name (the backend allows 1–120 characters). */
export function validateDisplayName(value: string): string | null {
  if (!value.trim()) return "Enter the name your teammates will see.";
  if (value.trim().length > DISPLAY_NAME_MAX) return `Use at most ${DISPLAY_NAME_MAX} characters.`;
  return null;
}

export function ProfileScreen() {
  const me = useMe();
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="Profile" description="How you appear to your teammates." />
      <Card>
        <CardHeader title="Your details" />
        <CardBody>
          {me.isPending ? (
            <LoadingState />
          ) : me.isError ? (
            <ErrorState error={me.error} onRetry={() => void me.refetch()} />
          ) : (
            <ProfileForm displayName={me.data.display_name} email={me.data.email} verified={me.data.email_verified} />
          )}
        </CardBody>
      </Card>
    </div>
  );
}

function ProfileForm({ displayName, email, verified }: { displayName: string; email: string; verified: boolean }) {
  const { formRef, errors, setErrors, fail, clear } = useFormErrors();
  const [saved, setSaved] = useState(false);
  const update = useUpdateProfile();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const display_name = String(new FormData(event.currentTarget).get("display_name") ?? "").trim();
    const error = validateDisplayName(display_name);
    setSaved(false);
    if (error) return fail({ fields: { display_name: error }, form: null });
    clear();
    update.mutate(
      { body: { display_name } },
      { onSuccess: () => setSaved(true), onError: (e) => fail(formErrorsFromApi(e, ["display_name"])) },
    );
  }

  return (
    <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5">
      <FormError message={errors.form} />
      {saved && (
        <Alert tone="success" title="Profile saved">
          Your teammates now see you as {displayName}.
        </Alert>
      )}
      <Field
        label="Display name"
        name="display_name"
        defaultValue={displayName}
        autoComplete="name"
        maxLength={DISPLAY_NAME_MAX + 20}
        error={errors.fields.display_name}
        onChange={() => {
          if (saved) setSaved(false);
          if (errors.fields.display_name) clear();
        }}
        onBlur={(e) => {
          const error = validateDisplayName(e.currentTarget.value);
          if (error) setErrors({ fields: { display_name: error }, form: null });
        }}
      />
      <div>
        <p className="text-sm font-medium text-neutral-800">Email</p>
        <p className="mt-1 flex items-center gap-2 text-sm text-neutral-700">
          {email} {verified ? <Badge tone="green">Verified</Badge> : <Badge tone="amber">Not verified</Badge>}
        </p>
      </div>
      <Button type="submit" pending={update.isPending}>
        Save profile
      </Button>
    </form>
  );
}
