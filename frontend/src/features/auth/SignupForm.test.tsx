import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { json, mockFetch, problem, renderWithProviders } from "@/test/utils";
import { SignupForm } from "./SignupForm";

afterEach(() => vi.unstubAllGlobals());

async function fill(name: string, email: string, password: string) {
  const user = userEvent.setup();
  if (name) await user.type(await screen.findByLabelText("Name"), name);
  if (email) await user.type(screen.getByLabelText("Email"), email);
  if (password) await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Sign up" }));
}

describe("SignupForm", () => {
  it("requires every field and a long enough password, focusing the first error", async () => {
    const fetchMock = mockFetch(() => json({}));
    renderWithProviders(<SignupForm onSignedUp={() => {}} />);
    await screen.findByLabelText("Name");
    await fill("", "ada@example.com", "short");
    expect(screen.getByLabelText("Name")).toHaveAccessibleDescription("Enter your name.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(/at least 10 characters/i);
    expect(screen.getByLabelText("Email")).not.toHaveAttribute("aria-invalid");
    await waitFor(() => expect(screen.getByLabelText("Name")).toHaveFocus());
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("maps a weak-password problem onto the password field", async () => {
    mockFetch(() => problem(422, "weak-password", { detail: "This password is too common." }));
    renderWithProviders(<SignupForm onSignedUp={() => {}} />);
    await fill("Ada", "ada@example.com", "password1234");
    await waitFor(() =>
      expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("This password is too common."),
    );
    await waitFor(() => expect(screen.getByLabelText("Password")).toHaveFocus());
  });

  it("maps 422 errors by loc to display_name", async () => {
    mockFetch(() =>
      problem(422, "validation-error", {
        errors: [{ loc: ["body", "display_name"], msg: "Value error, name is too long", type: "value_error" }],
      }),
    );
    renderWithProviders(<SignupForm onSignedUp={() => {}} />);
    await fill("Ada", "ada@example.com", "a long enough password");
    await waitFor(() => expect(screen.getByLabelText("Name")).toHaveAccessibleDescription("name is too long"));
  });

  it("calls onSignedUp with the address the next step was mailed to", async () => {
    mockFetch(() =>
      json({ email: "ada@example.com", detail: "If this address can be used, a message is on its way." }, 202),
    );
    const onSignedUp = vi.fn();
    renderWithProviders(<SignupForm onSignedUp={onSignedUp} />);
    await fill("Ada", "ada@example.com", "a long enough password");
    await waitFor(() => expect(onSignedUp).toHaveBeenCalledWith("ada@example.com"));
    expect(screen.getByLabelText("Email")).not.toHaveAttribute("aria-invalid");
  });
});
