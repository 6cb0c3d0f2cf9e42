import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import type { Role } from "@/api/types";
import { json, mockFetch, problem } from "@/test/utils";
import type { ExchangeRate } from "./api";
import { lineProblems } from "./api";
import { ExchangeRatesScreen } from "./ExchangeRatesScreen";
import { formatDay } from "./format";
import { organization, rate, renderInOrg } from "./testing";

interface Page {
  items: ExchangeRate[];
  next_cursor: string | null;
}

type Handle = (request: Request, url: URL) => Response | Promise<Response> | undefined;

function fakeApi(pages: Page | ((url: URL) => Page), handle?: Handle) {
  return mockFetch(async (request) => {
    const url = new URL(request.url);
    const custom = await handle?.(request, url);
    if (custom) return custom;
    if (request.method === "GET" && url.pathname.endsWith("/exchange-rates")) {
      return json(typeof pages === "function" ? pages(url) : pages);
    }
    return json({});
  });
}

function requests(mock: ReturnType<typeof fakeApi>, method: string, pathPart: string): Request[] {
  return mock.mock.calls
    .map(([r]) => r as Request)
    .filter((r) => r.method === method && new URL(r.url).pathname.includes(pathPart));
}

function renderScreen(role: Role) {
  return renderInOrg(<ExchangeRatesScreen />, organization(role));
}

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  authStore.reset();
});

describe("ExchangeRatesScreen", () => {
  it("shows a viewer the rates without any write control", async () => {
    fakeApi({ items: [rate(), rate({ base: "GBP", quote: "EUR", rate: "1.17", source: "csv" })], next_cursor: null });
    renderScreen("viewer");
    const table = await screen.findByRole("table");
    expect(within(table).getByText("USD/EUR")).toBeInTheDocument();
    expect(within(table).getByText("0.9223")).toBeInTheDocument();
    expect(within(table).getByText("Imported")).toBeInTheDocument();
    expect(screen.getByText(/show money in EUR/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Download CSV" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add a rate" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Upload CSV" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Edit/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Delete/ })).not.toBeInTheDocument();
  });

  it("says where the reference rates come from and their latest publication", async () => {
    fakeApi({ items: [], next_cursor: null }, (_request, url) =>
      url.pathname.endsWith("/exchange-rates/reference")
        ? json({
            source: "ecb",
            first_day: "2025-11-03",
            last_day: "2026-12-04",
            fetched_at: "2026-12-04T15:10:00Z",
            failing: true,
            last_attempt_at: null,
          })
        : undefined,
    );
    renderScreen("viewer");
    const status = await screen.findByTestId("reference-rates-status");
    expect(status).toHaveTextContent(/from the European Central Bank: latest publication Dec 4, 2026\./);
    expect(status).toHaveTextContent(/The last fetch failed; it is retried automatically/);
  });

  it("explains how to add rates when there are none, and who can", async () => {
    fakeApi({ items: [], next_cursor: null });
    renderScreen("manager");
    expect(await screen.findByText("No rates of your own")).toBeInTheDocument();
    expect(screen.getByText(/import a CSV file with the columns date,base,quote,rate/)).toBeInTheDocument();
  });

  it("tells a member that managers add rates", async () => {
    fakeApi({ items: [], next_cursor: null });
    renderScreen("member");
    expect(await screen.findByText(/Managers and admins of this organization may override them/)).toBeInTheDocument();
  });

  it("shows an error with a retry", async () => {
    let fail = true;
    mockFetch(async () =>
      fail
        ? problem(500, "internal-error", { detail: "The error was logged." })
        : json({ items: [rate()], next_cursor: null }),
    );
    renderScreen("viewer");
    expect(await screen.findByText("The error was logged.")).toBeInTheDocument();
    fail = false;
    await userEvent.setup().click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("USD/EUR")).toBeInTheDocument();
  });

  it("pages older and back to newer with the cursor", async () => {
    const mock = fakeApi((url) =>
      url.searchParams.get("cursor") === "c2"
        ? { items: [rate({ day: "2026-03-01", rate: "0.91" })], next_cursor: null }
        : { items: [rate({ day: "2026-03-02" })], next_cursor: "c2" },
    );
    renderScreen("viewer");
    const user = userEvent.setup();
    expect(await screen.findByText("0.9223")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Newer" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Older" }));
    expect(await screen.findByText("0.91")).toBeInTheDocument();
    expect(screen.getByText("Page 2")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Older" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Newer" }));
    expect(await screen.findByText("0.9223")).toBeInTheDocument();
    expect(
      requests(mock, "GET", "/exchange-rates").some((r) => new URL(r.url).searchParams.get("cursor") === "c2"),
    ).toBe(true);
  });

  it("filters by currency and clears the filters", async () => {
    const mock = fakeApi({ items: [], next_cursor: null });
    renderScreen("viewer");
    const user = userEvent.setup();
    await screen.findByText("No rates of your own");
    await user.selectOptions(screen.getByRole("combobox", { name: "Currency" }), "JPY");
    expect(await screen.findByText("No rate matches these filters")).toBeInTheDocument();
    const last = () => new URL(requests(mock, "GET", "/exchange-rates").at(-1)!.url).searchParams;
    await waitFor(() => expect(last().get("currency")).toBe("JPY"));
    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(last().get("currency")).toBeNull());
  });

  it("lets a manager add a rate", async () => {
    const mock = fakeApi({ items: [], next_cursor: null }, (request) =>
      request.method === "PUT" ? json(rate({ base: "GBP", quote: "EUR", day: "2026-03-05", rate: "1.17" })) : undefined,
    );
    renderScreen("manager");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Add a rate" }));
    const dialog = await screen.findByRole("dialog");
    await user.selectOptions(within(dialog).getByLabelText("Base currency"), "GBP");
    expect(within(dialog).getByLabelText("Quote currency")).toHaveValue("EUR"); // the reporting currency
    await user.type(within(dialog).getByLabelText("Day"), "2026-03-05");
    await user.type(within(dialog).getByLabelText("Rate"), "1.17");
    await user.click(within(dialog).getByRole("button", { name: "Save rate" }));
    await waitFor(() => expect(requests(mock, "PUT", "/exchange-rates/").length).toBe(1));
    const put = requests(mock, "PUT", "/exchange-rates/")[0]!;
    expect(new URL(put.url).pathname).toBe(
      `/api/v1/orgs/${organization("manager").id}/exchange-rates/GBP/EUR/2026-03-05`,
    );
    expect(await put.json()).toEqual({ rate: "1.17" });
    expect(await screen.findByText(`Saved: 1 GBP = 1.17 EUR on ${formatDay("2026-03-05")}.`)).toBeInTheDocument();
  });

  it("checks the form before sending and shows the server's field errors", async () => {
    const mock = fakeApi({ items: [rate()], next_cursor: null }, (request) =>
      request.method === "PUT"
        ? problem(422, "exchange-rate-invalid", {
            detail: "The rate must be less than 1,000,000,000,000.",
            errors: [{ loc: ["body", "rate"], msg: "must be less than 1,000,000,000,000", type: "rate_invalid" }],
          })
        : undefined,
    );
    renderScreen("admin");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit USD/EUR/2026-03-02" }));
    const dialog = await screen.findByRole("dialog");
    const input = within(dialog).getByLabelText("Rate");
    expect(input).toHaveValue("0.9223");
    await user.clear(input);
    await user.type(input, "0,92");
    await user.click(within(dialog).getByRole("button", { name: "Save rate" }));
    expect(await within(dialog).findByText(/use a point|decimal point/)).toBeInTheDocument();
    expect(requests(mock, "PUT", "/exchange-rates/")).toHaveLength(0);
    await user.clear(input);
    await user.type(input, "1000000000000");
    await user.click(within(dialog).getByRole("button", { name: "Save rate" }));
    expect(await within(dialog).findByText("must be less than 1,000,000,000,000")).toBeInTheDocument();
  });

  it("deletes a rate after confirmation", async () => {
    const mock = fakeApi({ items: [rate()], next_cursor: null }, (request) =>
      request.method === "DELETE" ? new Response(null, { status: 204 }) : undefined,
    );
    renderScreen("manager");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete USD/EUR/2026-03-02" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText(/Deleted the USD\/EUR rate/)).toBeInTheDocument();
    expect(new URL(requests(mock, "DELETE", "/exchange-rates/")[0]!.url).pathname).toMatch(
      /\/exchange-rates\/USD\/EUR\/2026-03-02$/,
    );
  });

  it("uploads a CSV file and lists every bad line the server reports", async () => {
    const mock = fakeApi({ items: [], next_cursor: null }, (request) =>
      request.method === "POST"
        ? problem(422, "exchange-rates-invalid", {
            detail: "2 lines are invalid.",
            invalid_count: 2,
            errors: [
              { loc: ["body", 3, "rate"], msg: "'-1' must be greater than zero", type: "rate_invalid" },
              { loc: ["body", 4], msg: "expected 4 fields (date,base,quote,rate), found 3", type: "field_count" },
            ],
          })
        : undefined,
    );
    renderScreen("manager");
    const user = userEvent.setup();
    await screen.findByText("No rates of your own");
    const file = new File(
      ["date,base,quote,rate\n2026-01-01,EUR,USD,1.1\n2026-01-02,EUR,USD,-1\n2026-01-03,EUR\n"],
      "rates.csv",
      { type: "text/csv" },
    );
    await user.upload(screen.getByLabelText("CSV file of exchange rates"), file);
    expect(await screen.findByText("rates.csv was not imported")).toBeInTheDocument();
    const list = screen.getByRole("list", { name: "Invalid lines" });
    expect(within(list).getByText("Line 3 · rate: '-1' must be greater than zero")).toBeInTheDocument();
    expect(within(list).getByText("Line 4: expected 4 fields (date,base,quote,rate), found 3")).toBeInTheDocument();
    const post = requests(mock, "POST", "/exchange-rates/import")[0]!;
    expect(post.headers.get("Content-Type")).toBe("text/csv");
    expect(await post.text()).toContain("2026-01-02,EUR,USD,-1");
  });

  it("reports what an upload imported", async () => {
    fakeApi({ items: [], next_cursor: null }, (request) =>
      request.method === "POST"
        ? json({
            rows: 3,
            inserted: 2,
            updated: 1,
            unchanged: 0,
            since: "2026-01-01",
            until: "2026-01-03",
            currencies: ["EUR", "USD"],
          })
        : undefined,
    );
    renderScreen("admin");
    const user = userEvent.setup();
    await screen.findByText("No rates of your own");
    await user.upload(
      screen.getByLabelText("CSV file of exchange rates"),
      new File(["date,base,quote,rate\n"], "jan.csv", { type: "text/csv" }),
    );
    expect(await screen.findByText(/Imported jan\.csv: 3 rates .*2 new, 1 changed, 0 unchanged\./)).toBeInTheDocument();
  });

  it("downloads the CSV with the current filters", async () => {
    const createObjectURL = vi.fn(() => "blob:rates");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    const mock = fakeApi({ items: [rate()], next_cursor: null }, (_request, url) =>
      url.pathname.endsWith("/export.csv")
        ? new Response("date,base,quote,rate\n", { headers: { "Content-Type": "text/csv" } })
        : undefined,
    );
    renderScreen("viewer");
    const user = userEvent.setup();
    await screen.findByText("USD/EUR");
    await user.selectOptions(screen.getByRole("combobox", { name: "Currency" }), "USD");
    await user.click(screen.getByRole("button", { name: "Download CSV" }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    const exported = requests(mock, "GET", "/export.csv")[0]!;
    expect(new URL(exported.url).searchParams.get("currency")).toBe("USD");
    expect(createObjectURL).toHaveBeenCalled();
  });
});

describe("lineProblems", () => {
  it("reads the line and the column from each error's location", () => {
    expect(
      lineProblems([
        { loc: ["body", 7, "date"], msg: "Value error, bad" },
        { loc: ["body"], msg: "not UTF-8" },
      ]),
    ).toEqual([
      { line: 7, column: "date", message: "bad" },
      { line: null, column: null, message: "not UTF-8" },
    ]);
  });
});

describe("formatDay", () => {
  it("shows the calendar day as written, whatever the time zone", () => {
    expect(formatDay("2026-03-01", "en-US")).toBe("Mar 1, 2026");
    expect(formatDay("garbage")).toBe("garbage");
  });
});
