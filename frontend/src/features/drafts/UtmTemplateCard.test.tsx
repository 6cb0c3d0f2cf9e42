import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import type { Role } from "@/api/types";
import { OrgProvider } from "@/features/organizations/OrgContext";
import { organizationAs } from "@/test/organizations";
import { json, mockFetch, problem, renderWithProviders } from "@/test/utils";
import { UtmTemplateCard } from "./UtmTemplateCard";

beforeEach(() => authStore.setToken("t"));
afterEach(() => {
  vi.unstubAllGlobals();
  authStore.reset();
});

function render(role: Role) {
  renderWithProviders(
    <OrgProvider organization={organizationAs(role)}>
      <UtmTemplateCard />
    </OrgProvider>,
  );
}

describe("UtmTemplateCard", () => {
  it("lets an admin save the organization's template and shows the server's refusal", async () => {
    const mock = mockFetch((request) => {
      if (request.method === "PUT")
        return problem(400, "utm-template-invalid", { detail: "Unknown placeholder {nope}" });
      return json({ template: "utm_source={platform}", placeholders: ["campaign", "platform"] });
    });
    render("admin");
    const input = await screen.findByLabelText("Template");
    expect(input).toHaveValue("utm_source={platform}");
    expect(screen.getByText(/Placeholders: \{campaign\}, \{platform\}/)).toBeInTheDocument();
    await userEvent.clear(input);
    await userEvent.type(input, "utm_x={{nope}");
    await userEvent.click(screen.getByRole("button", { name: "Save template" }));
    expect(await screen.findByText("Unknown placeholder {nope}")).toBeInTheDocument();
    const put = mock.mock.calls.map(([r]) => r as Request).find((r) => r.method === "PUT")!;
    expect(await put.clone().json()).toEqual({ template: "utm_x={nope}" });
  });

  it("shows a manager the template read-only", async () => {
    mockFetch(() => json({ template: "", placeholders: ["platform"] }));
    render("manager");
    await waitFor(() => expect(screen.getByLabelText("Template")).toBeDisabled());
    expect(screen.queryByRole("button", { name: "Save template" })).not.toBeInTheDocument();
    expect(screen.getByText("Only admins change the organization's URL template.")).toBeInTheDocument();
  });
});
