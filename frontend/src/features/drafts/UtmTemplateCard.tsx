/** The organization's URL template for campaign drafts (admins edit it; everyone else reads it). */
import { useState, type FormEvent } from "react";
import { Alert, Button, Card, CardBody, CardHeader, ErrorState, Field, LoadingState } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import { useSetUtmTemplate, useUtmTemplate } from "./api";

export function UtmTemplateCard() {
  const org = useCurrentOrg();
  const template = useUtmTemplate(org.id);
  return (
    <Card className="mt-6">
      <CardHeader
        title="Campaign URL template"
        description="Added to the final URL of every ad a draft publishes, unless the draft sets its own."
      />
      <CardBody>
        {template.isPending ? (
          <LoadingState label="Loading the URL template…" />
        ) : template.isError ? (
          <ErrorState error={template.error} onRetry={() => void template.refetch()} />
        ) : (
          <UtmTemplateForm
            key={template.data.template}
            template={template.data.template}
            placeholders={template.data.placeholders}
          />
        )}
      </CardBody>
    </Card>
  );
}

function UtmTemplateForm({ template, placeholders }: { template: string; placeholders: string[] }) {
  const org = useCurrentOrg();
  const canManage = useCan("organization.update");
  const save = useSetUtmTemplate();
  const [value, setValue] = useState(template);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    save.mutate(
      { params: { path: { organization_id: org.id } }, body: { template: value.trim() } },
      { onSuccess: () => setSaved(true), onError: (err) => setError(describeError(err)) },
    );
  }

  return (
    <form onSubmit={onSubmit} aria-label="Campaign URL template" className="space-y-3">
      <Field
        label="Template"
        name="utm_template"
        value={value}
        maxLength={1000}
        disabled={!canManage}
        placeholder="utm_source={platform}&utm_medium=paid&utm_campaign={campaign}"
        error={error}
        description={`Empty: no tagging. Placeholders: ${placeholders.map((p) => `{${p}}`).join(", ")}; each platform's own macros are used where it has them.`}
        onChange={(e) => {
          setValue(e.target.value);
          setSaved(false);
        }}
      />
      {saved && <Alert tone="success">URL template saved.</Alert>}
      {canManage ? (
        <Button type="submit" pending={save.isPending} disabled={value.trim() === template}>
          Save template
        </Button>
      ) : (
        <p className="text-xs text-neutral-500">Only admins change the organization's URL template.</p>
      )}
    </form>
  );
}
