import { useCallback, useRef, useState, type Dispatch, type RefObject, type SetStateAction } from "react";
import { ApiError, isApiError } from "@/api/client";

export type FieldErrors = Record<string, string>;

export interface FormErrors {
  fields: FieldErrors;
  form: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, form: null };

export function hasErrors(errors: FormErrors): boolean {
  return errors.form !== null || Object.keys(errors.fields).length > 0;
}

/**
 * Map an API error onto a form: 422 `errors` with loc ["body", "email"] become field errors for the fields the
 * form has; anything else becomes the form-level message.
 */
export function formErrorsFromApi(error: unknown, knownFields: readonly string[]): FormErrors {
  if (!isApiError(error)) {
    return { fields: {}, form: "Something went wrong. Please try again." };
  }
  const fields: FieldErrors = {};
  const unmatched: string[] = [];
  for (const item of error.errors) {
    const path = item.loc.slice(item.loc[0] === "body" || item.loc[0] === "query" ? 1 : 0);
    const name = path.find((p): p is string => typeof p === "string" && knownFields.includes(p));
    if (name && !fields[name]) fields[name] = cleanMessage(item.msg);
    else if (!name) unmatched.push(cleanMessage(item.msg));
  }
  if (error.code === "weak-password" && knownFields.includes("password") && !fields.password) {
    fields.password = error.detail ?? error.title;
    return { fields, form: null };
  }
  if (Object.keys(fields).length > 0) {
    return { fields, form: unmatched.length ? unmatched.join(" ") : null };
  }
  return { fields, form: describeError(error) };
}

/** Pydantic prefixes messages with "Value error, ": drop it. */
function cleanMessage(msg: string): string {
  return msg.replace(/^Value error, /, "");
}

/** A sentence for an error, suitable for an alert. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429) {
      return error.retryAfter
        ? `Too many attempts. Try again in ${error.retryAfter} seconds.`
        : "Too many attempts. Try again later.";
    }
    const text = error.detail && error.detail !== error.title ? error.detail : error.title;
    // A server error is logged under the request's id: show it, so a person can quote it to whoever runs adpilot.
    if (error.status >= 500 && error.requestId) return `${text.replace(/\.?$/, ".")} Request id: ${error.requestId}`;
    return text;
  }
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Please try again.";
}

/** Move focus to the first invalid control (in document order) or to the form-level alert. */
export function focusFirstError(form: HTMLFormElement | null, errors: FormErrors): void {
  if (!form) return;
  setTimeout(() => {
    for (const element of Array.from(form.elements)) {
      const name = (element as HTMLInputElement).name;
      if (name && errors.fields[name]) {
        (element as HTMLElement).focus();
        return;
      }
    }
    const alert = form.querySelector<HTMLElement>("[data-form-error]");
    alert?.focus();
  }, 0);
}

export interface FormErrorsState {
  /** Attach to the `<form>`; `fail` looks inside it for the control to focus. */
  formRef: RefObject<HTMLFormElement | null>;
  errors: FormErrors;
  setErrors: Dispatch<SetStateAction<FormErrors>>;
  /** Show these errors and move focus to the first invalid control (or the form-level alert). */
  fail: (next: FormErrors) => void;
  /** Clear all errors (before a new submission, for instance). */
  clear: () => void;
}

/**
 * Error state for one form: the errors to render, a ref for the `<form>`, `fail` (set the errors and focus the
 * first invalid control with `focusFirstError`) and `clear` (back to NO_ERRORS).
 */
export function useFormErrors(): FormErrorsState {
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const fail = useCallback((next: FormErrors) => {
    setErrors(next);
    focusFirstError(formRef.current, next);
  }, []);
  const clear = useCallback(() => setErrors(NO_ERRORS), []);
  return { formRef, errors, setErrors, fail, clear };
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateEmail(value: string): string | null {
  if (!value.trim()) return "Enter your email address.";
  if (!EMAIL_RE.test(value.trim())) return "Enter a valid email address, like name@example.com.";
  return null;
}

export const MIN_PASSWORD_LENGTH = 10;

export function validateNewPassword(value: string): string | null {
  if (!value) return "Enter a password.";
  if (value.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  return null;
}

export function required(value: string, message: string): string | null {
  return value.trim() ? null : message;
}

/** Collect the non-null messages into a FieldErrors record. */
export function collect(checks: Record<string, string | null>): FieldErrors {
  const out: FieldErrors = {};
  for (const [name, message] of Object.entries(checks)) if (message) out[name] = message;
  return out;
}
