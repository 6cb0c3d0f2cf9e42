/** The organization settings screen's reporting time zone and currency (the rest of the screen has its own tests). */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { OrgSettingsScreen, timeZoneNames } from "@/features/organizations/OrgSettingsScreen";
import { json, mockFetch, problem } from "@/test/utils";
import { ACTIVE_CURRENCIES } from "./currencies";
import { organization, renderInOrg } from "./testing";

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  authStore.reset();
});

function patches(mock: ReturnType<typeof mockFetch>): Request[] {
  return mock.mock.calls.map(([r]) => r as Request).filter((r) => r.method === "PATCH");
}

describe("reporting settings", () => {
  it("lets an admin search for a time zone and choose a currency", async () => {
    const mock = mockFetch(async (request) =>
      request.method === "PATCH"
        ? json({ ...organization("admin"), time_zone: "America/New_York", reporting_currency: "JPY" })
        : json({}),
    );
    renderInOrg(<OrgSettingsScreen />, organization("admin"), "organization");
    const user = userEvent.setup();
    const zone = await screen.findByRole("combobox", { name: "Reporting time zone" });
    expect(zone).toHaveValue("Europe/Berlin");
    await user.type(screen.getByRole("searchbox", { name: "Search time zones" }), "new york");
    expect(zone).toHaveValue("America/New_York");
    expect(screen.queryByRole("option", { name: "Asia/Tokyo".replace("_", " ") })).not.toBeInTheDocument();
    await user.selectOptions(screen.getByRole("combobox", { name: "Reporting currency" }), "JPY");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(patches(mock)).toHaveLength(1));
    expect(await patches(mock)[0]!.json()).toMatchObject({
      time_zone: "America/New_York",
      reporting_currency: "JPY",
      name: "Acme",
    });
    expect(await screen.findByText("Settings saved.")).toBeInTheDocument();
  }, 20_000);

  it("shows the server's error under the field it concerns", async () => {
    mockFetch(async (request) =>
      request.method === "PATCH"
        ? problem(422, "validation-error", {
            errors: [
              { loc: ["body", "time_zone"], msg: "Value error, must be an IANA time zone name", type: "value_error" },
            ],
          })
        : json({}),
    );
    renderInOrg(<OrgSettingsScreen />, organization("admin"), "organization");
    await userEvent.setup().click(await screen.findByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("must be an IANA time zone name")).toBeInTheDocument();
  });

  it("shows other roles the settings without letting them change them", async () => {
    mockFetch(async () => json({}));
    renderInOrg(<OrgSettingsScreen />, organization("manager"), "organization");
    expect(await screen.findByRole("combobox", { name: "Reporting time zone" })).toBeDisabled();
    expect(screen.getByRole("combobox", { name: "Reporting currency" })).toBeDisabled();
    expect(screen.queryByRole("searchbox", { name: "Search time zones" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "exchange rates" })).toHaveAttribute(
      "href",
      `/orgs/${organization("manager").id}/exchange-rates`,
    );
  });

  it("keeps a current value the lists do not know", async () => {
    mockFetch(async () => json({}));
    renderInOrg(
      <OrgSettingsScreen />,
      organization("admin", { time_zone: "Etc/GMT+5", reporting_currency: "BGN" }),
      "organization",
    );
    expect(await screen.findByRole("combobox", { name: "Reporting time zone" })).toHaveValue("Etc/GMT+5");
    expect(screen.getByRole("combobox", { name: "Reporting currency" })).toHaveValue("BGN");
  });

  it("lists UTC and the browser's zones, and every currency in circulation", () => {
    const zones = timeZoneNames();
    expect(zones).toContain("UTC");
    expect(zones).toContain("Europe/Berlin");
    expect(ACTIVE_CURRENCIES).toContain("EUR");
    expect(ACTIVE_CURRENCIES).not.toContain("BGN");
  });
});
