import type { FormEvent } from "react";
import type { OrganizationRead } from "@/api/types";
import { Button, Field, FormError } from "@/components/ui";
import { formErrorsFromApi, required, useFormErrors } from "@/lib/forms";
import { useCreateOrganization } from "./api";

export function CreateOrgForm({
  onCreated,
  submitLabel = "Create organization",
}: {
  onCreated: (org: OrganizationRead) => void;
  submitLabel?: string;
}) {
  const { formRef, errors, fail, clear } = useFormErrors();
  const create = useCreateOrganization();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "").trim();
    const nameError = required(name, "Enter a name for the organization.");
    if (nameError) return fail({ fields: { name: nameError }, form: null });
    clear();
    create.mutate({ body: { name } }, { onSuccess: onCreated, onError: (e) => fail(formErrorsFromApi(e, ["name"])) });
  }

  return (
    <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
      <FormError message={errors.form} />
      <Field
        label="Organization name"
        name="name"
        autoComplete="organization"
        // oxlint-disable-next-line jsx-a11y/no-autofocus -- this form is the whole purpose of its page or dialog: its first field takes the focus
        autoFocus
        placeholder="Acme Inc."
        error={errors.fields.name}
      />
      <Button type="submit" pending={create.isPending}>
        {submitLabel}
      </Button>
    </form>
  );
}
