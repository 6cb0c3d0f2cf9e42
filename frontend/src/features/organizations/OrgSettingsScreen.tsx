import { useId, useMemo, useState, type FormEvent } from "react";
import { Link } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import { Alert, Button, Card, CardBody, CardHeader, Field, FormError, PageHeader, SelectField } from "@/components/ui";
import { ACTIVE_CURRENCIES, currencyLabel } from "@/features/analytics/rates/currencies";
import { formatDate, formatRole } from "@/lib/format";
import { formErrorsFromApi, required, useFormErrors } from "@/lib/forms";
import { useUpdateOrganization } from "./api";
import { UtmTemplateCard } from "@/features/drafts/UtmTemplateCard";
import { LeaveOrganizationButton } from "./LeaveOrganization";
import { useCan, useCurrentOrg } from "./OrgContext";

export function OrgSettingsScreen() {
  const org = useCurrentOrg();
  const canManage = useCan("organization.update");
  const { formRef, errors, fail, clear } = useFormErrors();
  const [saved, setSaved] = useState(false);
  const [needsOwnMfa, setNeedsOwnMfa] = useState(false);
  const update = useUpdateOrganization();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const name = String(data.get("name") ?? "").trim();
    const require_mfa = data.get("require_mfa") === "on";
    const time_zone = String(data.get("time_zone") ?? "");
    const reporting_currency = String(data.get("reporting_currency") ?? "");
    const report_recipient_domains = parseDomains(String(data.get("report_recipient_domains") ?? ""));
    const nameError = required(name, "Enter a name for the organization.");
    const zoneError = required(time_zone, "Choose a time zone.");
    if (nameError || zoneError) {
      return fail({
        fields: { ...(nameError ? { name: nameError } : {}), ...(zoneError ? { time_zone: zoneError } : {}) },
        form: null,
      });
    }
    clear();
    setSaved(false);
    setNeedsOwnMfa(false);
    update.mutate(
      {
        params: { path: { organization_id: org.id } },
        body: { name, require_mfa, time_zone, reporting_currency, report_recipient_domains },
      },
      {
        onSuccess: () => setSaved(true),
        onError: (error) => {
          if (isApiError(error) && (error.code === "enable-mfa-first" || error.code === "mfa-required")) {
            setNeedsOwnMfa(true);
            return fail({
              fields: {},
              form: "Turn on two-factor authentication for your own account before requiring it for everyone.",
            });
          }
          fail(
            formErrorsFromApi(error, [
              "name",
              "require_mfa",
              "time_zone",
              "reporting_currency",
              "report_recipient_domains",
            ]),
          );
        },
      },
    );
  }

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader
        title="Organization settings"
        description={`Created ${formatDate(org.created_at)}. Your role: ${formatRole(org.role)}.`}
      />
      <Card>
        <CardHeader title="General" />
        <CardBody>
          {!canManage && (
            <div className="mb-4">
              <Alert tone="info">Only admins can change these settings.</Alert>
            </div>
          )}
          <form
            ref={formRef}
            noValidate
            onSubmit={onSubmit}
            className="space-y-5"
            key={`${org.id}-${org.name}-${org.require_mfa}-${org.time_zone}-${org.reporting_currency}-${(org.report_recipient_domains ?? []).join(",")}`}
          >
            <FormError message={errors.form} />
            {needsOwnMfa && (
              <Link
                to="/account/security"
                className="inline-block text-sm font-medium text-neutral-900 underline underline-offset-4"
              >
                Open security settings
              </Link>
            )}
            {saved && <Alert tone="success">Settings saved.</Alert>}
            <Field
              label="Organization name"
              name="name"
              defaultValue={org.name}
              readOnly={!canManage}
              error={errors.fields.name}
            />
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
            <TimeZonePicker defaultValue={org.time_zone} disabled={!canManage} error={errors.fields.time_zone} />
            <SelectField
              label="Reporting currency"
              name="reporting_currency"
              defaultValue={org.reporting_currency}
              disabled={!canManage}
              error={errors.fields.reporting_currency}
              description={
                <>
                  Money from ad accounts in other currencies is converted with the organization&apos;s{" "}
                  <Link
                    to="/orgs/$organizationId/exchange-rates"
                    params={{ organizationId: org.id }}
                    className="underline underline-offset-4"
                  >
                    exchange rates
                  </Link>
                  .
                </>
              }
            >
              {currencyOptions(org.reporting_currency).map((code) => (
                <option key={code} value={code}>
                  {currencyLabel(code)}
                </option>
              ))}
            </SelectField>
            <Field
              label="Report recipient domains"
              name="report_recipient_domains"
              defaultValue={(org.report_recipient_domains ?? []).join(", ")}
              readOnly={!canManage}
              error={errors.fields.report_recipient_domains}
              description="Members may send scheduled reports to the organization's members and to these email domains (e.g. client.example), separated by commas. Managers may send reports to anyone."
            />
            {canManage && (
              <Button type="submit" pending={update.isPending}>
                Save changes
              </Button>
            )}
          </form>
        </CardBody>
      </Card>
      <UtmTemplateCard />
      <Card className="mt-6">
        <CardHeader
          title="Leave organization"
          description={`Remove yourself from ${org.name}. You will need a new invitation to come back.`}
        />
        <CardBody>
          <LeaveOrganizationButton variant="secondary" />
        </CardBody>
      </Card>
    </div>
  );
}

/** Every currency in circulation, plus the current one if the table no longer lists it (so the form shows it). */
function currencyOptions(current: string): readonly string[] {
  return ACTIVE_CURRENCIES.includes(current) ? ACTIVE_CURRENCIES : [current, ...ACTIVE_CURRENCIES];
}

/** The IANA time zones this browser knows (plus UTC), sorted; the server checks the choice against its own list. */
export function timeZoneNames(): string[] {
  const names = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return Array.from(new Set(["UTC", ...names])).sort();
}

/**
 * A searchable select of time zones: typing in the search box narrows the list ("berl", "new york"), the select
 * keeps the choice. The organization's current zone always stays in the list.
 */
function TimeZonePicker({
  defaultValue,
  disabled,
  error,
}: {
  defaultValue: string;
  disabled: boolean;
  error?: string;
}) {
  const searchId = useId();
  const all = useMemo(() => {
    const names = timeZoneNames();
    return names.includes(defaultValue) ? names : [defaultValue, ...names];
  }, [defaultValue]);
  const [search, setSearch] = useState("");
  const [value, setValue] = useState(defaultValue);
  const needle = search.trim().toLowerCase().replace(/\s+/g, "_");
  const shown = needle ? all.filter((name) => name.toLowerCase().includes(needle) || name === value) : all;
  return (
    <div className="space-y-2">
      {!disabled && (
        <div className="space-y-1.5">
          <label htmlFor={searchId} className="block text-sm font-medium text-neutral-800">
            Search time zones
          </label>
          <input
            id={searchId}
            type="search"
            value={search}
            placeholder="Berlin, New York, Tokyo…"
            onChange={(event) => {
              const next = event.target.value;
              setSearch(next);
              const term = next.trim().toLowerCase().replace(/\s+/g, "_");
              const first = all.find((name) => name.toLowerCase().includes(term));
              if (term && first && !value.toLowerCase().includes(term)) setValue(first);
            }}
            className="block w-full rounded-md border border-neutral-300 px-3 py-2 text-sm focus:border-neutral-500 focus:ring-2 focus:ring-neutral-200 focus:outline-none"
          />
        </div>
      )}
      <SelectField
        label="Reporting time zone"
        name="time_zone"
        value={value}
        onChange={(event) => setValue(event.target.value)}
        disabled={disabled}
        error={error}
        description={`"Today", "last 7 days" and "this month" on dashboards and reports are read in this time zone. ${shown.length} of ${all.length} shown.`}
      >
        {shown.map((name) => (
          <option key={name} value={name}>
            {name.replace(/_/g, " ")}
          </option>
        ))}
      </SelectField>
    </div>
  );
}

/** "client.example, Other.Example" → ["client.example", "other.example"]. */
export function parseDomains(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((domain) => domain.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}
