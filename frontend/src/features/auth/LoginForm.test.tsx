import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { authStore } from "@/api/client";
import { json, mockFetch, problem, renderWithProviders } from "@/test/utils";
import { MfaStep, PasswordStep } from "./LoginForm";

beforeEach(() => authStore.reset());
afterEach(() => vi.unstubAllGlobals());

describe("PasswordStep", () => {
  it("validates on the client, shows errors next to the fields and focuses the first one", async () => {
    const fetchMock = mockFetch(() => json({}));
    renderWithProviders(<PasswordStep onResult={() => {}} />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Log in" }));

    const email = screen.getByLabelText("Email");
    const password = screen.getByLabelText("Password");
    expect(email).toHaveAttribute("aria-invalid", "true");
    expect(email).toHaveAccessibleDescription("Enter your email address.");
    expect(password).toHaveAccessibleDescription("Enter your password.");
    await waitFor(() => expect(email).toHaveFocus());
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("rejects a malformed email", async () => {
    mockFetch(() => json({}));
    renderWithProviders(<PasswordStep onResult={() => {}} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "not-an-email");
    await user.type(screen.getByLabelText("Password"), "secret-password");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription(/valid email/);
  });

  it("posts the credentials and reports the result", async () => {
    const fetchMock = mockFetch(() =>
      json({ status: "mfa_required", access_token: null, expires_in: null, mfa_token: "m1" }),
    );
    const onResult = vi.fn();
    renderWithProviders(<PasswordStep onResult={onResult} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    await waitFor(() =>
      expect(onResult).toHaveBeenCalledWith(expect.objectContaining({ status: "mfa_required", mfa_token: "m1" })),
    );
    const request = fetchMock.mock.calls[0]![0] as Request;
    expect(await request.json()).toEqual({ email: "ada@example.com", password: "correct horse" });
  });

  it("shows wrong credentials as a form error", async () => {
    mockFetch(() => problem(401, "invalid-credentials", { detail: "The email or password is incorrect." }));
    renderWithProviders(<PasswordStep onResult={() => {}} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong password");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Incorrect email or password.");
  });

  it("shows how long to wait when rate limited", async () => {
    mockFetch(() =>
      problem(429, "rate-limited", { detail: "Try again in 42 seconds.", retry_after: 42 }, { "Retry-After": "42" }),
    );
    renderWithProviders(<PasswordStep onResult={() => {}} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "whatever pass");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Try again in 42 seconds.");
  });

  it("puts 422 field errors next to the matching field", async () => {
    mockFetch(() =>
      problem(422, "validation-error", {
        errors: [{ loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error" }],
      }),
    );
    renderWithProviders(<PasswordStep onResult={() => {}} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "whatever pass");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("value is not a valid email address"),
    );
    await waitFor(() => expect(screen.getByLabelText("Email")).toHaveFocus());
  });

  it("disables the submit button while pending", async () => {
    let release: (r: Response) => void = () => {};
    mockFetch(() => new Promise<Response>((resolve) => (release = resolve)));
    renderWithProviders(<PasswordStep onResult={() => {}} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "whatever pass");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    await waitFor(() => expect(screen.getByRole("button", { name: /Log in/ })).toBeDisabled());
    release(json({ status: "ok", access_token: "t", expires_in: 900, mfa_token: null }));
    await waitFor(() => expect(screen.getByRole("button", { name: /Log in/ })).toBeEnabled());
  });
});

describe("MfaStep", () => {
  it("sends the code with the MFA token and shows an invalid code next to the field", async () => {
    const fetchMock = mockFetch(() => problem(401, "invalid-mfa-code"));
    renderWithProviders(<MfaStep mfaToken="m1" onResult={() => {}} onCancel={() => {}} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Authentication code"), "123 456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(screen.getByLabelText("Authentication code")).toHaveAccessibleDescription(/not valid/));
    expect(await (fetchMock.mock.calls[0]![0] as Request).json()).toEqual({ mfa_token: "m1", code: "123456" });
  });

  it("mentions recovery codes", async () => {
    mockFetch(() => json({}));
    renderWithProviders(<MfaStep mfaToken="m1" onResult={() => {}} onCancel={() => {}} />);
    expect(await screen.findByLabelText("Authentication code")).toHaveAccessibleDescription(/recovery code/);
  });
});
