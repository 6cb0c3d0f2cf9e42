import { useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { Link } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import {
  Alert,
  Badge,
  Button,
  Card,
  CardBody,
  CursorPager,
  currentCursor,
  DataTable,
  Dialog,
  EmptyState,
  Field,
  FormError,
  PageHeader,
  Select,
  SelectField,
  type DataColumn,
} from "@/components/ui";
import { formatDateTime, pluralize } from "@/lib/format";
import { describeError, formErrorsFromApi, useFormErrors } from "@/lib/forms";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import {
  downloadRatesCsv,
  importRatesCsv,
  lineProblems,
  useDeleteExchangeRate,
  useExchangeRates,
  useInvalidateRates,
  useSaveExchangeRate,
  saveFile,
  type ExchangeRate,
  type LineProblem,
  type RateFilters,
  type RateImportResult,
} from "./api";
import { isKnownCurrency, KNOWN_CURRENCIES } from "./currencies";
import { formatDay } from "./format";
import { ReferenceRatesStatus } from "./ReferenceRatesStatus";

const PAGE_SIZE = 50;
const TH = "px-3 py-2 font-medium";

/** Exchange rates of the organization: list, filters, add/edit/delete, CSV import with per-line errors, CSV export. */
export function ExchangeRatesScreen() {
  const org = useCurrentOrg();
  const canManage = useCan("exchange_rates.manage");
  const [filters, setFilters] = useState<RateFilters>({});
  // The cursors that led to the page shown (none on the first page), so "Newer" can go back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = currentCursor(cursors);
  const [editing, setEditing] = useState<ExchangeRate | "new" | null>(null);
  const [deleting, setDeleting] = useState<ExchangeRate | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const rates = useExchangeRates(org.id, filters, { limit: PAGE_SIZE, cursor });

  function changeFilters(next: RateFilters) {
    setFilters(next);
    setCursors([]);
  }

  const filtered = Boolean(filters.currency || filters.since || filters.until);
  const items = rates.data?.items ?? [];

  return (
    <div className="mx-auto max-w-5xl">
      <PageHeader
        title="Exchange rates"
        description={
          <>
            Dashboards and reports show money in {org.reporting_currency}. Ad accounts in other currencies are converted
            day by day with the daily reference rates adpilot fetches (the ECB&apos;s euro reference rates; weekends and
            holidays take the last published one). A rate listed here overrides the reference rate on its day. The
            reporting currency is set in{" "}
            <Link
              to="/orgs/$organizationId/organization"
              params={{ organizationId: org.id }}
              className="underline underline-offset-4"
            >
              organization settings
            </Link>
            .
          </>
        }
        actions={<DownloadButton organizationId={org.id} filters={filters} />}
      />
      <ReferenceRatesStatus organizationId={org.id} />
      {canManage && <ImportCard organizationId={org.id} onImported={(message) => setNotice(message)} />}
      {notice && (
        <div className="mb-4">
          <Alert tone="success">{notice}</Alert>
        </div>
      )}
      <Card>
        <div className="flex flex-wrap items-end justify-between gap-3 border-b border-neutral-200 px-5 py-4">
          <RateFiltersForm value={filters} onChange={changeFilters} />
          {canManage && (
            <Button size="sm" onClick={() => setEditing("new")}>
              Add a rate
            </Button>
          )}
        </div>
        <CardBody className="p-0">
          <DataTable
            caption="Exchange rates, newest day first"
            columns={rateColumns(canManage, setEditing, setDeleting)}
            rows={items}
            rowKey={rateKey}
            loading={rates.isPending}
            error={rates.isError ? { error: rates.error, onRetry: () => void rates.refetch() } : null}
            empty={
              <EmptyState
                title={filtered ? "No rate matches these filters" : "No rates of your own"}
                description={
                  filtered
                    ? "Change or clear the filters."
                    : canManage
                      ? "Reference rates convert your numbers. To override them, add rates one by one or import a CSV file with the columns date,base,quote,rate."
                      : "Reference rates convert your numbers. Managers and admins of this organization may override them here."
                }
              />
            }
            stateClassName="p-5"
          />
        </CardBody>
        <CursorPager
          cursors={cursors}
          nextCursor={rates.data?.next_cursor}
          onChange={setCursors}
          className="border-t border-neutral-200 px-5 py-3"
        />
      </Card>
      {editing && (
        <RateDialog
          organizationId={org.id}
          rate={editing === "new" ? null : editing}
          reportingCurrency={org.reporting_currency}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice(`Saved: 1 ${saved.base} = ${saved.rate} ${saved.quote} on ${formatDay(saved.day)}.`);
          }}
        />
      )}
      {deleting && (
        <DeleteDialog
          organizationId={org.id}
          rate={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeleting(null);
            setNotice(`Deleted the ${deleting.base}/${deleting.quote} rate of ${formatDay(deleting.day)}.`);
          }}
        />
      )}
    </div>
  );
}

function RateFiltersForm({ value, onChange }: { value: RateFilters; onChange: (next: RateFilters) => void }) {
  const rangeError =
    value.since && value.until && value.since > value.until ? "The range ends before it starts." : null;
  return (
    <form
      role="search"
      aria-label="Filter rates"
      className="flex flex-wrap items-end gap-3"
      onSubmit={(e) => e.preventDefault()}
    >
      <label className="space-y-1 text-xs font-medium text-neutral-600">
        <span className="block">Currency</span>
        <Select
          value={value.currency ?? ""}
          onChange={(e) => onChange({ ...value, currency: e.target.value || undefined })}
        >
          <option value="">All currencies</option>
          {KNOWN_CURRENCIES.map((code) => (
            <option key={code} value={code}>
              {code}
            </option>
          ))}
        </Select>
      </label>
      <label className="space-y-1 text-xs font-medium text-neutral-600">
        <span className="block">From</span>
        <input
          type="date"
          value={value.since ?? ""}
          onChange={(e) => onChange({ ...value, since: e.target.value || undefined })}
          className="block rounded-md border border-neutral-300 px-2 py-1.5 text-sm"
        />
      </label>
      <label className="space-y-1 text-xs font-medium text-neutral-600">
        <span className="block">To</span>
        <input
          type="date"
          value={value.until ?? ""}
          onChange={(e) => onChange({ ...value, until: e.target.value || undefined })}
          className="block rounded-md border border-neutral-300 px-2 py-1.5 text-sm"
        />
      </label>
      {(value.currency || value.since || value.until) && (
        <Button variant="ghost" size="sm" onClick={() => onChange({})}>
          Clear filters
        </Button>
      )}
      {rangeError && <p className="w-full text-xs font-medium text-red-600">{rangeError}</p>}
    </form>
  );
}

function rateKey(rate: ExchangeRate): string {
  return `${rate.base}/${rate.quote}/${rate.day}`;
}

function rateColumns(
  canManage: boolean,
  onEdit: (rate: ExchangeRate) => void,
  onDelete: (rate: ExchangeRate) => void,
): DataColumn<ExchangeRate>[] {
  return [
    {
      id: "day",
      header: "Day",
      headerClassName: `${TH} pl-5`,
      cellClassName: "py-2.5 pr-3 pl-5 whitespace-nowrap",
      cell: (rate) => formatDay(rate.day),
    },
    {
      id: "pair",
      header: "Pair",
      headerClassName: TH,
      cellClassName: "px-3 py-2.5 font-medium whitespace-nowrap",
      cell: (rate) => (
        <>
          {rate.base}/{rate.quote}
        </>
      ),
    },
    {
      id: "rate",
      header: "Rate",
      headerClassName: `${TH} text-right`,
      cellClassName: "px-3 py-2.5 text-right whitespace-nowrap tabular-nums",
      cell: (rate) => (
        <>
          <span className="sr-only">1 {rate.base} = </span>
          {rate.rate}
          <span className="sr-only"> {rate.quote}</span>
        </>
      ),
    },
    {
      id: "source",
      header: "Source",
      headerClassName: `${TH} hidden md:table-cell`,
      cellClassName: "hidden px-3 py-2.5 md:table-cell",
      cell: (rate) => (
        <Badge tone={rate.source === "csv" ? "blue" : "neutral"}>
          {rate.source === "csv" ? "Imported" : "Entered"}
        </Badge>
      ),
    },
    {
      id: "updated",
      header: "Updated",
      headerClassName: `${TH} hidden md:table-cell`,
      cellClassName: "hidden px-3 py-2.5 text-neutral-500 md:table-cell",
      cell: (rate) => formatDateTime(rate.updated_at),
    },
    {
      id: "actions",
      header: "Actions",
      headerHidden: true,
      hidden: !canManage,
      headerClassName: TH,
      cellClassName: "px-3 py-2.5 pr-5 text-right whitespace-nowrap",
      cell: (rate) => (
        <>
          <Button variant="ghost" size="sm" aria-label={`Edit ${rateKey(rate)}`} onClick={() => onEdit(rate)}>
            Edit
          </Button>
          <Button variant="ghost" size="sm" aria-label={`Delete ${rateKey(rate)}`} onClick={() => onDelete(rate)}>
            Delete
          </Button>
        </>
      ),
    },
  ];
}

const RATE_FIELDS = ["base", "quote", "day", "rate"] as const;

function RateDialog({
  organizationId,
  rate,
  reportingCurrency,
  onClose,
  onSaved,
}: {
  organizationId: string;
  rate: ExchangeRate | null;
  reportingCurrency: string;
  onClose: () => void;
  onSaved: (saved: ExchangeRate) => void;
}) {
  const { formRef, errors, fail, clear } = useFormErrors();
  const save = useSaveExchangeRate({ onSaved, onError: (error) => fail(formErrorsFromApi(error, RATE_FIELDS)) });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const base = rate?.base ?? String(data.get("base") ?? "");
    const quote = rate?.quote ?? String(data.get("quote") ?? "");
    const day = rate?.day ?? String(data.get("day") ?? "");
    const value = String(data.get("rate") ?? "")
      .trim()
      .replace(/\s/g, "");
    const fields: Record<string, string> = {};
    if (!isKnownCurrency(base)) fields.base = "Choose a currency.";
    if (!isKnownCurrency(quote)) fields.quote = "Choose a currency.";
    else if (quote === base) fields.quote = "Choose a currency other than the base currency.";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) fields.day = "Choose a day.";
    if (!/^\d+(\.\d+)?$/.test(value)) fields.rate = "Enter a number with a decimal point, such as 1.0842.";
    else if (Number(value) <= 0) fields.rate = "The rate must be greater than zero.";
    if (Object.keys(fields).length) return fail({ fields, form: null });
    clear();
    save.mutate({ params: { path: { organization_id: organizationId, base, quote, day } }, body: { rate: value } });
  }

  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={rate ? `Edit the ${rate.base}/${rate.quote} rate of ${formatDay(rate.day)}` : "Add an exchange rate"}
      description="How much one unit of the base currency is worth in the quote currency on that day. It holds until the next rate of the pair."
    >
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
        <FormError message={errors.form} />
        {!rate && (
          <div className="grid grid-cols-2 gap-3">
            <SelectField label="Base currency" name="base" defaultValue="" error={errors.fields.base}>
              <option value="" disabled>
                Choose…
              </option>
              {KNOWN_CURRENCIES.map((code) => (
                <option key={code} value={code}>
                  {code}
                </option>
              ))}
            </SelectField>
            <SelectField
              label="Quote currency"
              name="quote"
              defaultValue={reportingCurrency}
              error={errors.fields.quote}
            >
              {KNOWN_CURRENCIES.map((code) => (
                <option key={code} value={code}>
                  {code}
                </option>
              ))}
            </SelectField>
          </div>
        )}
        {!rate && <Field label="Day" name="day" type="date" error={errors.fields.day} />}
        <Field
          label="Rate"
          name="rate"
          inputMode="decimal"
          autoComplete="off"
          defaultValue={rate?.rate ?? ""}
          placeholder="1.0842"
          error={errors.fields.rate}
          description="Up to 12 decimals; use a point, not a comma."
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" pending={save.isPending}>
            Save rate
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteDialog({
  organizationId,
  rate,
  onClose,
  onDeleted,
}: {
  organizationId: string;
  rate: ExchangeRate;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const remove = useDeleteExchangeRate({ onDeleted });
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={`Delete the ${rate.base}/${rate.quote} rate of ${formatDay(rate.day)}?`}
      description="Days that used it convert with the previous rate of the pair, or show no converted amount if there is none."
    >
      {remove.isError && (
        <div className="mb-3">
          <Alert tone="error">{describeError(remove.error)}</Alert>
        </div>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button
          variant="danger"
          pending={remove.isPending}
          onClick={() =>
            remove.mutate({
              params: { path: { organization_id: organizationId, base: rate.base, quote: rate.quote, day: rate.day } },
            })
          }
        >
          Delete
        </Button>
      </div>
    </Dialog>
  );
}

function ImportCard({ organizationId, onImported }: { organizationId: string; onImported: (message: string) => void }) {
  const invalidate = useInvalidateRates();
  const input = useRef<HTMLInputElement>(null);
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<{
    title: string;
    detail: string | null;
    lines: LineProblem[];
    total: number;
  } | null>(null);

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    setFailure(null);
    setPending(true);
    try {
      const result = await importRatesCsv(organizationId, await file.text());
      void invalidate();
      onImported(importSummary(file.name, result));
    } catch (error) {
      if (isApiError(error) && error.errors.length > 0) {
        const total =
          typeof error.problem.invalid_count === "number" ? error.problem.invalid_count : error.errors.length;
        setFailure({
          title: `${file.name} was not imported`,
          detail: error.detail,
          lines: lineProblems(error.errors),
          total,
        });
      } else {
        setFailure({ title: `${file.name} was not imported`, detail: describeError(error), lines: [], total: 0 });
      }
    } finally {
      setPending(false);
    }
  }

  return (
    <Card className="mb-6">
      <CardBody className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0 text-sm text-neutral-600">
          <p className="font-medium text-neutral-900">Import from CSV</p>
          <p>
            A header line <code className="rounded bg-neutral-100 px-1">date,base,quote,rate</code>, then one rate per
            line, such as <code className="rounded bg-neutral-100 px-1">2026-01-31,EUR,USD,1.0842</code>. Up to 50,000
            rates; a file with any invalid line imports nothing.
          </p>
        </div>
        <input
          ref={input}
          type="file"
          accept=".csv,text/csv"
          className="sr-only"
          aria-label="CSV file of exchange rates"
          onChange={(e) => void onFile(e)}
        />
        <Button variant="secondary" size="sm" pending={pending} onClick={() => input.current?.click()}>
          Upload CSV
        </Button>
      </CardBody>
      {failure && (
        <div className="border-t border-neutral-200 px-5 py-4">
          <Alert tone="error" title={failure.title}>
            {failure.detail && <p>{failure.detail}</p>}
            {failure.lines.length > 0 && (
              <ul aria-label="Invalid lines" className="mt-2 max-h-64 list-disc space-y-0.5 overflow-y-auto pl-5">
                {failure.lines.map((problem, index) => (
                  <li key={index}>
                    {problem.line !== null ? `Line ${problem.line}` : "File"}
                    {problem.column ? ` · ${problem.column}` : ""}: {problem.message}
                  </li>
                ))}
              </ul>
            )}
            {failure.total > failure.lines.length && (
              <p className="mt-2">…and {failure.total - failure.lines.length} more.</p>
            )}
          </Alert>
        </div>
      )}
    </Card>
  );
}

export function importSummary(filename: string, result: RateImportResult): string {
  const range =
    result.since === result.until
      ? formatDay(result.since)
      : `${formatDay(result.since)} to ${formatDay(result.until)}`;
  return (
    `Imported ${filename}: ${pluralize(result.rows, "rate")} (${range}): ` +
    `${result.inserted} new, ${result.updated} changed, ${result.unchanged} unchanged.`
  );
}

function DownloadButton({ organizationId, filters }: { organizationId: string; filters: RateFilters }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function download() {
    setPending(true);
    setError(null);
    try {
      saveFile(await downloadRatesCsv(organizationId, filters), "exchange-rates.csv");
    } catch (caught) {
      setError(caught);
    } finally {
      setPending(false);
    }
  }
  return (
    <div className="flex flex-col items-end gap-1">
      <Button variant="secondary" size="sm" pending={pending} onClick={() => void download()}>
        Download CSV
      </Button>
      {error !== null && (
        <p role="alert" className="text-xs text-red-700">
          {describeError(error)}
        </p>
      )}
    </div>
  );
}
