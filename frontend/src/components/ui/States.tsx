import type { ReactNode } from "react";
import { Link } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import { describeError } from "@/lib/forms";
import { Button, buttonClasses } from "./Button";

export function EmptyState({
  title,
  description,
  action,
}: {
  title: ReactNode;
  description?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="flex flex-col items-center justify-center rounded-lg border border-dashed border-neutral-300 px-6 py-12 text-center">
      <p className="text-sm font-medium text-neutral-900">{title}</p>
      {description && <p className="mt-1 max-w-md text-sm text-neutral-500">{description}</p>}
      {action && <div className="mt-4">{action}</div>}
    </div>
  );
}

/** The screen shown when an organization requires MFA and the user has none (403 mfa-required). */
export function MfaRequiredState() {
  return (
    <div role="alert" className="mx-auto max-w-lg rounded-lg border border-amber-200 bg-amber-50 px-6 py-8 text-center">
      <h2 className="text-base font-semibold text-amber-900">Two-factor authentication required</h2>
      <p className="mt-2 text-sm text-amber-900">
        This organization requires every member to use two-factor authentication. Turn it on in your security settings
        to continue.
      </p>
      <Link to="/account/security" className={buttonClasses("primary", "md", "mt-5")}>
        Open security settings
      </Link>
    </div>
  );
}

export function ErrorState({
  error,
  onRetry,
  title = "Something went wrong",
}: {
  error: unknown;
  onRetry?: () => void;
  title?: string;
}) {
  if (isApiError(error) && error.code === "mfa-required") return <MfaRequiredState />;
  let heading = title;
  if (isApiError(error)) {
    if (error.status === 403) heading = "You don't have access to this";
    else if (error.status === 404) heading = "Not found";
  }
  return (
    <div
      role="alert"
      className="flex flex-col items-center justify-center rounded-lg border border-red-200 bg-red-50 px-6 py-10 text-center"
    >
      <p className="text-sm font-medium text-red-900">{heading}</p>
      <p className="mt-1 max-w-md text-sm text-red-800">{describeError(error)}</p>
      {onRetry && (
        <Button variant="secondary" size="sm" className="mt-4" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}
