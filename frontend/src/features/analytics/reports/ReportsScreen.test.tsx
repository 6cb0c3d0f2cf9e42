import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import type { Role } from "@/api/types";
import { json, mockFetch, problem } from "@/test/utils";
import { organization, renderInOrg } from "../rates/testing";
import type { ReportRun, ReportSchedule } from "./api";
import { ReportsScreen } from "./ReportsScreen";

function schedule(overrides: Partial<ReportSchedule> = {}): ReportSchedule {
  return {
    id: "11111111-1111-1111-1111-111111111111",
    name: "Weekly client report",
    frequency: "weekly",
    weekday: 0,
    month_day: null,
    hour: 8,
    time_zone: "Europe/Berlin",
    recipients: ["client@example.com", "boss@example.com"],
    range_preset: "last_7_days",
    compare: "previous_period",
    filters: { platforms: [], ad_account_ids: [], statuses: [], name_contains: null },
    attach_csv: true,
    enabled: true,
    next_run_at: "2026-03-02T07:00:00Z",
    created_by_user_id: null,
    created_at: "2026-02-01T00:00:00Z",
    updated_at: "2026-02-01T00:00:00Z",
    ...overrides,
  };
}

function run(overrides: Partial<ReportRun> = {}): ReportRun {
  return {
    id: "22222222-2222-2222-2222-222222222222",
    schedule_id: schedule().id,
    scheduled_for: "2026-02-23T07:00:00Z",
    trigger: "schedule",
    status: "succeeded",
    since: "2026-02-16",
    until: "2026-02-22",
    attempts: 1,
    error: null,
    recipients_count: 2,
    delivered_count: 2,
    pdf_bytes: 48_000,
    csv_bytes: 900,
    queued_at: "2026-02-23T07:00:00Z",
    started_at: "2026-02-23T07:00:05Z",
    finished_at: "2026-02-23T07:00:20Z",
    ...overrides,
  };
}

type Handle = (request: Request, url: URL) => Response | Promise<Response> | undefined;

function fakeApi(schedules: ReportSchedule[], handle?: Handle) {
  return mockFetch(async (request) => {
    const url = new URL(request.url);
    const custom = await handle?.(request, url);
    if (custom) return custom;
    if (request.method === "GET" && url.pathname.endsWith("/report-schedules"))
      return json({ items: schedules, next_cursor: null });
    if (request.method === "GET" && url.pathname.endsWith("/branding")) {
      return json({ has_logo: false, logo_content_type: null, logo_bytes: null, updated_at: null });
    }
    return json({});
  });
}

function calls(mock: ReturnType<typeof fakeApi>, method: string, pathEnd: string): Request[] {
  return mock.mock.calls
    .map(([r]) => r as Request)
    .filter((r) => r.method === method && new URL(r.url).pathname.endsWith(pathEnd));
}

function renderScreen(role: Role) {
  return renderInOrg(<ReportsScreen />, organization(role), "reports");
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  authStore.reset();
});

describe("ReportsScreen", { timeout: 20_000 }, () => {
  it("offers a member send, edit and delete on their own schedules only", async () => {
    const me = {
      id: "me",
      email: "me@example.com",
      display_name: "Me",
      email_verified: true,
      mfa_enabled: false,
      created_at: "2026-01-01T00:00:00Z",
    };
    fakeApi(
      [
        schedule({ created_by_user_id: "me", name: "Mine" }),
        schedule({ id: "3", name: "Theirs", created_by_user_id: "other" }),
      ],
      (request, url) => (request.method === "GET" && url.pathname === "/api/v1/me" ? json(me) : undefined),
    );
    renderScreen("member");
    expect(await screen.findByRole("button", { name: "Edit Mine" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send Mine now" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit Theirs" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete Theirs" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "History of Theirs" })).toBeInTheDocument();
  });

  it("lists schedules for a viewer without any write control", async () => {
    fakeApi([schedule(), schedule({ id: "3", name: "Paused one", enabled: false, next_run_at: null })]);
    renderScreen("viewer");
    const table = await screen.findByRole("table");
    expect(within(table).getByText("Weekly client report")).toBeInTheDocument();
    expect(within(table).getAllByText("Every Monday at 08:00 (Europe/Berlin)")).toHaveLength(2);
    expect(within(table).getAllByText(/2 recipients · PDF \+ CSV/)).toHaveLength(2);
    expect(within(table).getByText("Paused")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New scheduled report" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Send .* now$/ })).not.toBeInTheDocument();
    expect(screen.getAllByRole("button", { name: /^History of/ })).toHaveLength(2);
    expect(await screen.findByText(/No logo/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Upload logo" })).not.toBeInTheDocument();
  });

  it("shows an empty state and an error state with a retry", async () => {
    fakeApi([]);
    renderScreen("member");
    expect(await screen.findByText("No scheduled reports yet")).toBeInTheDocument();
    vi.unstubAllGlobals();
    fakeApi([], (_request, url) =>
      url.pathname.endsWith("/report-schedules") ? problem(500, "internal-error") : undefined,
    );
    renderScreen("member");
    expect(await screen.findByRole("button", { name: /try again/i })).toBeInTheDocument();
  });

  it("creates a weekly schedule after checking the recipients", async () => {
    const user = userEvent.setup();
    const mock = fakeApi([], (request, url) =>
      request.method === "POST" && url.pathname.endsWith("/report-schedules")
        ? json(schedule({ name: "Client report" }), 201)
        : undefined,
    );
    renderScreen("member");
    await user.click(await screen.findByRole("button", { name: "New scheduled report" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByLabelText("Name"));
    await user.paste("Client report");
    await user.selectOptions(within(dialog).getByLabelText("Day"), "Friday");
    await user.selectOptions(within(dialog).getByLabelText("Hour"), "09:00");
    await user.click(within(dialog).getByLabelText("Recipients"));
    await user.paste("client@example.com, not-an-address");
    await user.click(within(dialog).getByRole("button", { name: "Schedule report" }));
    expect(await within(dialog).findByText(/Not an email address: not-an-address/)).toBeInTheDocument();
    expect(calls(mock, "POST", "/report-schedules")).toHaveLength(0);

    await user.clear(within(dialog).getByLabelText("Recipients"));
    await user.click(within(dialog).getByLabelText("Recipients"));
    await user.paste("client@example.com\nteam@example.com");
    await user.click(within(dialog).getByLabelText("Attach the campaigns as CSV"));
    await user.click(within(dialog).getByRole("button", { name: "Schedule report" }));
    await waitFor(() => expect(calls(mock, "POST", "/report-schedules")).toHaveLength(1));
    const body = await calls(mock, "POST", "/report-schedules")[0]!.clone().json();
    expect(body).toMatchObject({
      name: "Client report",
      frequency: "weekly",
      weekday: 4,
      month_day: null,
      hour: 9,
      time_zone: "Europe/Berlin",
      recipients: ["client@example.com", "team@example.com"],
      attach_csv: true,
    });
    expect(await screen.findByText(/Saved “Client report”/)).toBeInTheDocument();
  });

  it("shows the server's field errors in the form", async () => {
    const user = userEvent.setup();
    fakeApi([schedule()], (request) =>
      request.method === "PATCH"
        ? problem(422, "validation-error", {
            errors: [
              { loc: ["body", "time_zone"], msg: "Value error, must be an IANA time zone name", type: "value_error" },
            ],
          })
        : undefined,
    );
    renderScreen("manager");
    await user.click(await screen.findByRole("button", { name: "Edit Weekly client report" }));
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByLabelText("Name")).toHaveValue("Weekly client report");
    await user.click(within(dialog).getByRole("button", { name: "Save changes" }));
    expect(await within(dialog).findByText("must be an IANA time zone name")).toBeInTheDocument();
  });

  it("sends now and reports a sending already in flight", async () => {
    const user = userEvent.setup();
    let sent = 0;
    fakeApi([schedule()], (request, url) => {
      if (request.method !== "POST" || !url.pathname.endsWith("/send-now")) return undefined;
      sent += 1;
      return sent === 1
        ? json(run({ status: "queued", trigger: "manual", delivered_count: 0 }), 202)
        : problem(409, "report-run-in-flight", { title: "A sending of this report is already queued or running" });
    });
    renderScreen("manager");
    await user.click(await screen.findByRole("button", { name: "Send Weekly client report now" }));
    expect(await screen.findByText(/goes to 2 recipients/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Send Weekly client report now" }));
    expect(await screen.findByText("A sending of this report is already queued or running")).toBeInTheDocument();
  });

  it("shows the run history with statuses and errors", async () => {
    const user = userEvent.setup();
    fakeApi([schedule()], (_request, url) =>
      url.pathname.endsWith("/runs")
        ? json({
            items: [
              run({
                id: "a",
                status: "queued",
                attempts: 1,
                error: "SMTPDataError: (451, 'local error')",
                delivered_count: 0,
              }),
              run({ id: "b", status: "failed", attempts: 4, error: "OSError: connection refused", delivered_count: 1 }),
              run({ id: "c" }),
            ],
            next_cursor: null,
          })
        : undefined,
    );
    renderScreen("viewer");
    await user.click(await screen.findByRole("button", { name: "History of Weekly client report" }));
    const list = await screen.findByRole("list", { name: "Sendings" });
    expect(within(list).getByText("Retrying (attempt 2)")).toBeInTheDocument();
    expect(within(list).getByText("SMTPDataError: (451, 'local error')")).toBeInTheDocument();
    expect(within(list).getByText("Failed")).toBeInTheDocument();
    expect(within(list).getByText("OSError: connection refused")).toBeInTheDocument();
    expect(within(list).getByText("Sent")).toBeInTheDocument();
    expect(within(list).getAllByText(/2026-02-16 to 2026-02-22/).length).toBe(3);
  });

  it("deletes a schedule after confirmation", async () => {
    const user = userEvent.setup();
    const mock = fakeApi([schedule()], (request) =>
      request.method === "DELETE" ? new Response(null, { status: 204 }) : undefined,
    );
    renderScreen("manager");
    await user.click(await screen.findByRole("button", { name: "Delete Weekly client report" }));
    await user.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Delete report" }));
    await waitFor(() => expect(calls(mock, "DELETE", `/report-schedules/${schedule().id}`)).toHaveLength(1));
    expect(await screen.findByText(/Deleted “Weekly client report”/)).toBeInTheDocument();
  });

  it("lets an admin upload a logo and refuses one that is too large before sending it", async () => {
    const user = userEvent.setup();
    const mock = fakeApi([], (request, url) =>
      request.method === "PUT" && url.pathname.endsWith("/branding/logo")
        ? json({ has_logo: true, logo_content_type: "image/png", logo_bytes: 4, updated_at: "2026-03-01T00:00:00Z" })
        : undefined,
    );
    renderScreen("admin");
    const input = await screen.findByLabelText("Logo file");
    await user.upload(input, new File([new Uint8Array(300 * 1024)], "big.png", { type: "image/png" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/at most 256 kB/);
    expect(calls(mock, "PUT", "/branding/logo")).toHaveLength(0);
    await user.upload(input, new File([new Uint8Array([137, 80, 78, 71])], "logo.png", { type: "image/png" }));
    await waitFor(() => expect(calls(mock, "PUT", "/branding/logo")).toHaveLength(1));
    expect(calls(mock, "PUT", "/branding/logo")[0]!.headers.get("Content-Type")).toBe("image/png");
  });
});
