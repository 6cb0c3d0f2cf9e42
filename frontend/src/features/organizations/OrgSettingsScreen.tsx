import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { $api, isApiError } from "@/api/client";
import { Alert, Button, Card, CardBody, CardHeader, Field, FormError, PageHeader } from "@/components/ui";
import { formatDate, formatRole } from "@/lib/format";
import { formErrorsFromApi, required, useFormErrors } from "@/lib/forms";
import { LeaveOrganizationButton } from "./LeaveOrganization";
import { useCan, useCurrentOrg } from "./OrgContext";

export function OrgSettingsScreen() {
  const org = useCurrentOrg();
  const canManage = useCan("manage-organization");
  const queryClient = useQueryClient();
  const { formRef, errors, fail, clear } = useFormErrors();
  const [saved, setSaved] = useState(false);
  const [needsOwnMfa, setNeedsOwnMfa] = useState(false);
  const update = $api.useMutation("patch", "/api/v1/orgs/{organization_id}", {
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["get", "/api/v1/orgs"] });
      void queryClient.invalidateQueries({ queryKey: ["get", "/api/v1/orgs/{organization_id}"] });
    },
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const name = String(data.get("name") ?? "").trim();
    const require_mfa = data.get("require_mfa") === "on";
    const nameError = required(name, "Enter a name for the organization.");
    if (nameError) return fail({ fields: { name: nameError }, form: null });
    clear();
    setSaved(false);
    setNeedsOwnMfa(false);
    update.mutate(
      { params: { path: { organization_id: org.id } }, body: { name, require_mfa } },
      {
        onSuccess: () => setSaved(true),
        onError: (error) => {
          if (isApiError(error) && (error.code === "enable-mfa-first" || error.code === "mfa-required")) {
            setNeedsOwnMfa(true);
            return fail({ fields: {}, form: "Turn on two-factor authentication for your own account before requiring it for everyone." });
          }
          fail(formErrorsFromApi(error, ["name", "require_mfa"]));
        },
      },
    );
  }

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="Organization settings" description={`Created ${formatDate(org.created_at)}. Your role: ${formatRole(org.role)}.`} />
      <Card>
        <CardHeader title="General" />
        <CardBody>
          {!canManage && (
            <div className="mb-4">
              <Alert tone="info">Only admins can change these settings.</Alert>
            </div>
          )}
          <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5" key={`${org.id}-${org.name}-${org.require_mfa}`}>
            <FormError message={errors.form} />
            {needsOwnMfa && (
              <Link to="/account/security" className="inline-block text-sm font-medium text-neutral-900 underline underline-offset-4">
                Open security settings
              </Link>
            )}
            {saved && <Alert tone="success">Settings saved.</Alert>}
            <Field label="Organization name" name="name" defaultValue={org.name} readOnly={!canManage} error={errors.fields.name} />
            <div className="flex items-start gap-3">
              <input
                id="require_mfa"
                name="require_mfa"
                type="checkbox"
                defaultChecked={org.require_mfa}
                disabled={!canManage}
                aria-describedby="require_mfa-description"
                className="mt-0.5 size-4 rounded border-neutral-300 accent-neutral-900"
              />
              <div>
                <label htmlFor="require_mfa" className="text-sm font-medium text-neutral-800">
                  Require two-factor authentication
                </label>
                <p id="require_mfa-description" className="text-xs text-neutral-500">
                  Members without two-factor authentication lose access to this organization until they turn it on.
                </p>
                {errors.fields.require_mfa && <p className="text-xs text-red-600">{errors.fields.require_mfa}</p>}
              </div>
            </div>
            {canManage && (
              <Button type="submit" pending={update.isPending}>
                Save changes
              </Button>
            )}
          </form>
        </CardBody>
      </Card>
      <Card className="mt-6">
        <CardHeader title="Leave organization" description={`Remove yourself from ${org.name}. You will need a new invitation to come back.`} />
        <CardBody>
          <LeaveOrganizationButton variant="secondary" />
        </CardBody>
      </Card>
    </div>
  );
}
