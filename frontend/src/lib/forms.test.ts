import { act, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "@/api/client";
import {
  describeError,
  formErrorsFromApi,
  NO_ERRORS,
  useFormErrors,
  validateEmail,
  validateNewPassword,
} from "./forms";

function apiError(extra: Partial<ConstructorParameters<typeof ApiError>[0]>, retryAfter: number | null = null) {
  return new ApiError({ type: "about:blank", title: "Error", status: 400, code: "bad-request", ...extra }, retryAfter);
}

describe("formErrorsFromApi", () => {
  it("maps loc to known fields and keeps the rest as a form error", () => {
    const err = apiError({
      status: 422,
      errors: [
        { loc: ["body", "email"], msg: "bad email", type: "value_error" },
        { loc: ["body", "other"], msg: "something else", type: "value_error" },
      ],
    });
    expect(formErrorsFromApi(err, ["email"])).toEqual({ fields: { email: "bad email" }, form: "something else" });
  });

  it("uses the detail for non-field errors", () => {
    expect(formErrorsFromApi(apiError({ status: 409, detail: "Already invited" }), ["email"])).toEqual({
      fields: {},
      form: "Already invited",
    });
  });

  it("handles unknown errors", () => {
    expect(formErrorsFromApi(new Error("boom"), []).form).toMatch(/went wrong/);
  });
});

describe("describeError", () => {
  it("explains rate limits with the wait time", () => {
    expect(describeError(apiError({ status: 429 }, 7))).toBe("Too many attempts. Try again in 7 seconds.");
  });
});

describe("validators", () => {
  it("checks emails and passwords", () => {
    expect(validateEmail("")).toMatch(/Enter/);
    expect(validateEmail("a@b")).toMatch(/valid/);
    expect(validateEmail("a@b.co")).toBeNull();
    expect(validateNewPassword("short")).toMatch(/10/);
    expect(validateNewPassword("long enough!")).toBeNull();
  });
});

describe("useFormErrors", () => {
  afterEach(() => {
    vi.useRealTimers();
    document.body.innerHTML = "";
  });

  function formWith(...names: string[]): HTMLFormElement {
    const form = document.createElement("form");
    for (const name of names) {
      const input = document.createElement("input");
      input.name = name;
      form.append(input);
    }
    const alert = document.createElement("div");
    alert.tabIndex = -1;
    alert.setAttribute("data-form-error", "");
    form.prepend(alert);
    document.body.append(form);
    return form;
  }

  it("starts with no errors", () => {
    const { result } = renderHook(() => useFormErrors());
    expect(result.current.errors).toEqual(NO_ERRORS);
    expect(result.current.formRef.current).toBeNull();
  });

  it("fail sets the errors and focuses the first invalid field in document order", () => {
    vi.useFakeTimers();
    const form = formWith("email", "password");
    const { result } = renderHook(() => useFormErrors());
    result.current.formRef.current = form;
    const next = { fields: { password: "Enter your password.", email: "Enter your email address." }, form: null };
    act(() => result.current.fail(next));
    expect(result.current.errors).toEqual(next);
    act(() => vi.runAllTimers());
    expect(document.activeElement).toBe(form.elements.namedItem("email"));
  });

  it("fail with only a form-level message focuses the alert", () => {
    vi.useFakeTimers();
    const form = formWith("email");
    const { result } = renderHook(() => useFormErrors());
    result.current.formRef.current = form;
    act(() => result.current.fail({ fields: {}, form: "Something went wrong." }));
    act(() => vi.runAllTimers());
    expect(document.activeElement).toBe(form.querySelector("[data-form-error]"));
  });

  it("clear resets to no errors", () => {
    const { result } = renderHook(() => useFormErrors());
    act(() => result.current.setErrors({ fields: { email: "bad" }, form: "nope" }));
    expect(result.current.errors.fields.email).toBe("bad");
    act(() => result.current.clear());
    expect(result.current.errors).toEqual(NO_ERRORS);
  });

  it("keeps fail and clear stable across renders", () => {
    const { result, rerender } = renderHook(() => useFormErrors());
    const { fail, clear } = result.current;
    rerender();
    expect(result.current.fail).toBe(fail);
    expect(result.current.clear).toBe(clear);
  });
});
