import { useEffect, useMemo, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import {
  Alert,
  Badge,
  Button,
  Card,
  CardBody,
  CardHeader,
  CursorPager,
  currentCursor,
  DataTable,
  Dialog,
  EmptyState,
  ErrorState,
  Field,
  FormError,
  LoadingState,
  PageHeader,
  SelectField,
  type DataColumn,
} from "@/components/ui";
import { formatDateTime, pluralize } from "@/lib/format";
import { describeError, formErrorsFromApi, useFormErrors } from "@/lib/forms";
import { useCan, useCurrentOrg } from "@/features/organizations/OrgContext";
import { useMe } from "@/features/auth/session";
import {
  fetchLogo,
  LOGO_TYPES,
  MAX_LOGO_BYTES,
  uploadLogo,
  useBranding,
  useDeleteLogo,
  useDeleteReportSchedule,
  useInvalidateBranding,
  useReportRuns,
  useReportSchedules,
  useSaveReportSchedule,
  useSendReportNow,
  type ReportSchedule,
} from "./api";
import {
  COMPARE_LABELS,
  describeTiming,
  formatBytes,
  formFromSchedule,
  hourLabel,
  payloadFromForm,
  PRESET_LABELS,
  runStatusLabel,
  runStatusTone,
  validateScheduleForm,
  WEEKDAYS,
  type Compare,
  type Frequency,
  type RangePreset,
  type ScheduleForm,
  scheduleTimeZones,
} from "./schedule";

const PAGE_SIZE = 25;
const TH = "px-3 py-2 font-medium";
const SCHEDULE_FIELDS = [
  "name",
  "frequency",
  "weekday",
  "month_day",
  "hour",
  "time_zone",
  "recipients",
  "range_preset",
  "compare",
] as const;

/**
 * Who may change, delete and send a schedule, stated once: `reports.manage_all` acts on every schedule,
 * `reports.manage` on the schedules you created (the server's report-schedule-not-yours rule).
 */
export function canManageSchedule(
  grants: { manage: boolean; manageAll: boolean },
  userId: string | undefined,
  createdBy: string | null,
): boolean {
  if (grants.manageAll) return true;
  return grants.manage && userId !== undefined && createdBy === userId;
}

function timeZones(): string[] {
  return typeof Intl.supportedValuesOf === "function" ? scheduleTimeZones(Intl.supportedValuesOf("timeZone")) : [];
}

/** Scheduled reports: the list, create/edit, run history with errors, send now, and the report logo. */
export function ReportsScreen() {
  const org = useCurrentOrg();
  const canManage = useCan("reports.manage");
  const canManageAll = useCan("reports.manage_all");
  const canEditBranding = useCan("organization.update");
  const me = useMe();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = currentCursor(cursors);
  const [editing, setEditing] = useState<ReportSchedule | "new" | null>(null);
  const [deleting, setDeleting] = useState<ReportSchedule | null>(null);
  const [history, setHistory] = useState<ReportSchedule | null>(null);
  const [notice, setNotice] = useState<{ tone: "success" | "error"; text: string } | null>(null);

  const schedules = useReportSchedules(org.id, { limit: PAGE_SIZE, cursor });
  const sendNow = useSendReportNow({
    onQueued: (run) =>
      setNotice({
        tone: "success",
        text: `Queued: the report goes to ${pluralize(run.recipients_count, "recipient")} in a moment.`,
      }),
    onError: (error) => setNotice({ tone: "error", text: describeError(error) }),
  });
  const items = schedules.data?.items ?? [];
  const columns: DataColumn<ReportSchedule>[] = [
    {
      id: "report",
      header: "Report",
      headerClassName: `${TH} pl-5`,
      cellClassName: "py-2.5 pr-3 pl-5",
      cell: (schedule) => (
        <>
          <div className="font-medium text-neutral-900">{schedule.name}</div>
          <div className="text-xs text-neutral-500">
            {PRESET_LABELS[schedule.range_preset]} · {pluralize(schedule.recipients.length, "recipient")}
            {schedule.attach_csv ? " · PDF + CSV" : " · PDF"}
          </div>
        </>
      ),
    },
    {
      id: "when",
      header: "When",
      headerClassName: TH,
      cellClassName: "px-3 py-2.5",
      cell: (schedule) => describeTiming(schedule),
    },
    {
      id: "next",
      header: "Next sending",
      headerClassName: `${TH} hidden md:table-cell`,
      cellClassName: "hidden px-3 py-2.5 md:table-cell",
      cell: (schedule) =>
        schedule.enabled && schedule.next_run_at ? (
          formatDateTime(schedule.next_run_at, undefined, schedule.time_zone)
        ) : (
          <Badge tone="amber">Paused</Badge>
        ),
    },
    {
      id: "actions",
      header: "Actions",
      headerHidden: true,
      headerClassName: TH,
      cellClassName: "px-3 py-2.5 pr-5 text-right whitespace-nowrap",
      cell: (schedule) => (
        <>
          <Button
            variant="ghost"
            size="sm"
            aria-label={`History of ${schedule.name}`}
            onClick={() => setHistory(schedule)}
          >
            History
          </Button>
          {canManageSchedule(
            { manage: canManage, manageAll: canManageAll },
            me.data?.id,
            schedule.created_by_user_id,
          ) && (
            <>
              <Button
                variant="ghost"
                size="sm"
                aria-label={`Send ${schedule.name} now`}
                pending={sendNow.isPending && sendNow.variables?.params.path.schedule_id === schedule.id}
                onClick={() =>
                  sendNow.mutate({ params: { path: { organization_id: org.id, schedule_id: schedule.id } } })
                }
              >
                Send now
              </Button>
              <Button
                variant="ghost"
                size="sm"
                aria-label={`Edit ${schedule.name}`}
                onClick={() => setEditing(schedule)}
              >
                Edit
              </Button>
              <Button
                variant="ghost"
                size="sm"
                aria-label={`Delete ${schedule.name}`}
                onClick={() => setDeleting(schedule)}
              >
                Delete
              </Button>
            </>
          )}
        </>
      ),
    },
  ];

  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader
        title="Scheduled reports"
        description={`The branded PDF report (and optionally the campaigns as CSV) sent by email daily, weekly or monthly. Money is shown in ${org.reporting_currency}.`}
        actions={canManage && <Button onClick={() => setEditing("new")}>New scheduled report</Button>}
      />
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      <Card>
        <CardBody className="p-0">
          <DataTable
            caption="Scheduled reports, newest first"
            columns={columns}
            rows={items}
            rowKey={(schedule) => schedule.id}
            loading={schedules.isPending}
            error={schedules.isError ? { error: schedules.error, onRetry: () => void schedules.refetch() } : null}
            empty={
              <EmptyState
                title="No scheduled reports yet"
                description={
                  canManage
                    ? "Schedule a report to send your clients or your team the numbers every day, week or month."
                    : "Members, managers and admins of this organization schedule reports."
                }
              />
            }
            stateClassName="p-5"
          />
        </CardBody>
        <CursorPager
          cursors={cursors}
          nextCursor={schedules.data?.next_cursor}
          onChange={setCursors}
          className="border-t border-neutral-200 px-5 py-3"
        />
      </Card>
      <BrandingCard organizationId={org.id} canEdit={canEditBranding} organizationName={org.name} />
      {editing && (
        <ScheduleDialog
          organizationId={org.id}
          schedule={editing === "new" ? null : editing}
          defaultTimeZone={org.time_zone}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice({ tone: "success", text: `Saved “${saved.name}”. ${describeTiming(saved)}.` });
          }}
        />
      )}
      {deleting && (
        <DeleteDialog
          organizationId={org.id}
          schedule={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setNotice({ tone: "success", text: `Deleted “${deleting.name}” and its history.` });
            setDeleting(null);
          }}
        />
      )}
      {history && <RunsDialog organizationId={org.id} schedule={history} onClose={() => setHistory(null)} />}
    </div>
  );
}

function ScheduleDialog({
  organizationId,
  schedule,
  defaultTimeZone,
  onClose,
  onSaved,
}: {
  organizationId: string;
  schedule: ReportSchedule | null;
  defaultTimeZone: string;
  onClose: () => void;
  onSaved: (saved: ReportSchedule) => void;
}) {
  const [form, setForm] = useState<ScheduleForm>(() => formFromSchedule(schedule, defaultTimeZone));
  const zones = useMemo(timeZones, []);
  const { formRef, errors, fail, clear } = useFormErrors();
  const { create, update } = useSaveReportSchedule({
    onSaved,
    onError: (error) => fail(formErrorsFromApi(error, SCHEDULE_FIELDS)),
  });
  const pending = create.isPending || update.isPending;

  function set<K extends keyof ScheduleForm>(key: K, value: ScheduleForm[K]) {
    setForm((current) => ({ ...current, [key]: value }));
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const fields = validateScheduleForm(form, zones);
    if (Object.keys(fields).length) return fail({ fields, form: null });
    clear();
    const body = payloadFromForm(form);
    if (schedule)
      update.mutate({ params: { path: { organization_id: organizationId, schedule_id: schedule.id } }, body });
    else create.mutate({ params: { path: { organization_id: organizationId } }, body });
  }

  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={schedule ? `Edit “${schedule.name}”` : "New scheduled report"}
      description="The report covers the chosen period relative to the day it is sent, in its time zone."
    >
      <form ref={formRef} noValidate onSubmit={onSubmit} className="max-h-[70vh] space-y-4 overflow-y-auto pr-1">
        <FormError message={errors.form} />
        <Field
          label="Name"
          name="name"
          value={form.name}
          onChange={(e) => set("name", e.target.value)}
          error={errors.fields.name}
          maxLength={120}
        />
        <div className="grid grid-cols-2 gap-3">
          <SelectField
            label="Frequency"
            name="frequency"
            value={form.frequency}
            onChange={(e) => set("frequency", e.target.value as Frequency)}
          >
            <option value="daily">Daily</option>
            <option value="weekly">Weekly</option>
            <option value="monthly">Monthly</option>
          </SelectField>
          {form.frequency === "weekly" && (
            <SelectField
              label="Day"
              name="weekday"
              value={form.weekday}
              onChange={(e) => set("weekday", e.target.value)}
              error={errors.fields.weekday}
            >
              {WEEKDAYS.map((day, index) => (
                <option key={day} value={index}>
                  {day}
                </option>
              ))}
            </SelectField>
          )}
          {form.frequency === "monthly" && (
            <SelectField
              label="Day of the month"
              name="month_day"
              value={form.month_day}
              onChange={(e) => set("month_day", e.target.value)}
              error={errors.fields.month_day}
              description={Number(form.month_day) > 28 ? "Shorter months use their last day." : undefined}
            >
              {Array.from({ length: 31 }, (_, i) => i + 1).map((day) => (
                <option key={day} value={day}>
                  {day}
                </option>
              ))}
            </SelectField>
          )}
        </div>
        <div className="grid grid-cols-2 gap-3">
          <SelectField
            label="Hour"
            name="hour"
            value={form.hour}
            onChange={(e) => set("hour", e.target.value)}
            error={errors.fields.hour}
          >
            {Array.from({ length: 24 }, (_, hour) => (
              <option key={hour} value={hour}>
                {hourLabel(hour)}
              </option>
            ))}
          </SelectField>
          <Field
            label="Time zone"
            name="time_zone"
            list="report-time-zones"
            value={form.time_zone}
            onChange={(e) => set("time_zone", e.target.value)}
            error={errors.fields.time_zone}
            autoComplete="off"
          />
          <datalist id="report-time-zones">
            {zones.map((zone) => (
              // oxlint-disable-next-line jsx-a11y/control-has-associated-label -- a datalist suggestion is its value
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </div>
        <div className="space-y-1">
          <label htmlFor="report-recipients" className="block text-sm font-medium text-neutral-700">
            Recipients
          </label>
          <textarea
            id="report-recipients"
            name="recipients"
            rows={3}
            value={form.recipients}
            onChange={(e) => set("recipients", e.target.value)}
            aria-invalid={Boolean(errors.fields.recipients)}
            aria-describedby="report-recipients-help"
            className="block w-full rounded-md border border-neutral-300 px-3 py-2 text-sm"
            placeholder="client@example.com, team@example.com"
          />
          <p id="report-recipients-help" className="text-xs text-neutral-500">
            Up to 50 email addresses, separated by commas or new lines. Each gets their own email.
          </p>
          {errors.fields.recipients && <p className="text-xs font-medium text-red-600">{errors.fields.recipients}</p>}
        </div>
        <div className="grid grid-cols-2 gap-3">
          <SelectField
            label="Period"
            name="range_preset"
            value={form.range_preset}
            onChange={(e) => set("range_preset", e.target.value as RangePreset)}
          >
            {Object.entries(PRESET_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Compared with"
            name="compare"
            value={form.compare}
            onChange={(e) => set("compare", e.target.value as Compare)}
          >
            {Object.entries(COMPARE_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </SelectField>
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            name="attach_csv"
            checked={form.attach_csv}
            onChange={(e) => set("attach_csv", e.target.checked)}
          />
          Attach the campaigns as CSV
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            name="enabled"
            checked={form.enabled}
            onChange={(e) => set("enabled", e.target.checked)}
          />
          Send on schedule (untick to pause)
        </label>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" pending={pending}>
            {schedule ? "Save changes" : "Schedule report"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteDialog({
  organizationId,
  schedule,
  onClose,
  onDeleted,
}: {
  organizationId: string;
  schedule: ReportSchedule;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const remove = useDeleteReportSchedule({ onDeleted });
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={`Delete “${schedule.name}”?`}
      description="No more reports are sent, and its history is deleted."
    >
      {remove.isError && (
        <div className="mb-3">
          <Alert tone="error">{describeError(remove.error)}</Alert>
        </div>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onClose} disabled={remove.isPending}>
          Cancel
        </Button>
        <Button
          variant="danger"
          pending={remove.isPending}
          onClick={() =>
            remove.mutate({ params: { path: { organization_id: organizationId, schedule_id: schedule.id } } })
          }
        >
          Delete report
        </Button>
      </div>
    </Dialog>
  );
}

function RunsDialog({
  organizationId,
  schedule,
  onClose,
}: {
  organizationId: string;
  schedule: ReportSchedule;
  onClose: () => void;
}) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = currentCursor(cursors);
  const runs = useReportRuns(organizationId, schedule.id, { limit: 10, cursor });
  const items = runs.data?.items ?? [];
  return (
    <Dialog
      open
      onOpenChange={(open) => !open && onClose()}
      title={`History of “${schedule.name}”`}
      description={describeTiming(schedule)}
    >
      <div className="max-h-[60vh] space-y-3 overflow-y-auto">
        {runs.isPending ? (
          <LoadingState />
        ) : runs.isError ? (
          <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            title="Not sent yet"
            description="Each sending shows up here with its status, and its error if it failed."
          />
        ) : (
          <ul className="divide-y divide-neutral-200" aria-label="Sendings">
            {items.map((run) => (
              <li key={run.id} className="py-2.5 text-sm">
                <div className="flex items-center justify-between gap-2">
                  <span className="font-medium">
                    {formatDateTime(run.scheduled_for, undefined, schedule.time_zone)}
                  </span>
                  <Badge tone={runStatusTone(run)}>{runStatusLabel(run)}</Badge>
                </div>
                <div className="text-xs text-neutral-500">
                  {run.trigger === "manual" ? "Sent on request" : "On schedule"}
                  {run.since && run.until ? ` · ${run.since} to ${run.until}` : ""} · {run.delivered_count} of{" "}
                  {pluralize(run.recipients_count, "recipient")} reached · {pluralize(run.attempts, "attempt")}
                  {run.pdf_bytes ? ` · PDF ${formatBytes(run.pdf_bytes)}` : ""}
                  {run.csv_bytes ? ` · CSV ${formatBytes(run.csv_bytes)}` : ""}
                </div>
                {run.error && <p className="mt-1 text-xs break-words text-red-700">{run.error}</p>}
              </li>
            ))}
          </ul>
        )}
        <CursorPager
          cursors={cursors}
          nextCursor={runs.data?.next_cursor}
          onChange={setCursors}
          label="Pages of the history"
        />
      </div>
    </Dialog>
  );
}

function BrandingCard({
  organizationId,
  canEdit,
  organizationName,
}: {
  organizationId: string;
  canEdit: boolean;
  organizationName: string;
}) {
  const branding = useBranding(organizationId);
  const invalidateBranding = useInvalidateBranding();
  const [preview, setPreview] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const updatedAt = branding.data?.updated_at ?? null;
  const hasLogo = branding.data?.has_logo ?? false;

  useEffect(() => {
    if (!hasLogo) {
      setPreview(null);
      return;
    }
    let url: string | null = null;
    let cancelled = false;
    fetchLogo(organizationId)
      .then((blob) => {
        if (cancelled) return;
        url = URL.createObjectURL(blob);
        setPreview(url);
      })
      .catch(() => !cancelled && setPreview(null));
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [organizationId, hasLogo, updatedAt]);

  const remove = useDeleteLogo({ onError: (failure) => setError(describeError(failure)) });

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    setError(null);
    if (file.size > MAX_LOGO_BYTES)
      return setError(`The file has ${formatBytes(file.size)}; the logo may have at most 256 kB.`);
    if (file.type && !(LOGO_TYPES as readonly string[]).includes(file.type))
      return setError("Choose a PNG, JPEG or SVG image.");
    setPending(true);
    try {
      await uploadLogo(organizationId, file);
      await invalidateBranding();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card>
      <CardHeader
        title="Report logo"
        description={`Printed at the top of every PDF report beside “${organizationName}”. PNG, JPEG or SVG, at most 256 kB.`}
        actions={
          canEdit && (
            <div className="flex gap-2">
              <input
                ref={input}
                type="file"
                accept={LOGO_TYPES.join(",")}
                className="sr-only"
                aria-label="Logo file"
                onChange={(e) => void onFile(e)}
              />
              <Button size="sm" variant="secondary" pending={pending} onClick={() => input.current?.click()}>
                {hasLogo ? "Replace logo" : "Upload logo"}
              </Button>
              {hasLogo && (
                <Button
                  size="sm"
                  variant="ghost"
                  pending={remove.isPending}
                  onClick={() => remove.mutate({ params: { path: { organization_id: organizationId } } })}
                >
                  Remove
                </Button>
              )}
            </div>
          )
        }
      />
      <CardBody>
        {error && (
          <div className="mb-3">
            <Alert tone="error">{error}</Alert>
          </div>
        )}
        {branding.isPending ? (
          <LoadingState />
        ) : branding.isError ? (
          <ErrorState error={branding.error} onRetry={() => void branding.refetch()} />
        ) : hasLogo ? (
          preview ? (
            <img src={preview} alt="Report logo" className="max-h-16 max-w-60 object-contain" />
          ) : (
            <LoadingState />
          )
        ) : (
          <p className="text-sm text-neutral-500">
            No logo: reports carry the organization&apos;s name alone.{canEdit ? "" : " Admins can upload one."}
          </p>
        )}
      </CardBody>
    </Card>
  );
}
