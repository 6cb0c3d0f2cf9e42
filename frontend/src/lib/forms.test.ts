import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/client";
import { describeError, formErrorsFromApi, validateEmail, validateNewPassword } from "./forms";

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
    expect(formErrorsFromApi(apiError({ status: 409, detail: "Already invited" }), ["email"])).toEqual({ fields: {}, form: "Already invited" });
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
