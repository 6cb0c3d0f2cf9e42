import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";
import { cn } from "./cn";

const CONTROL =
  "block w-full rounded-md border bg-white px-3 py-2 text-sm text-neutral-900 shadow-xs placeholder:text-neutral-400 focus:outline-none focus:ring-2 disabled:bg-neutral-100 disabled:text-neutral-500";

function controlClasses(invalid: boolean, className?: string): string {
  return cn(
    CONTROL,
    invalid
      ? "border-red-500 focus:ring-red-200"
      : "border-neutral-300 focus:border-neutral-500 focus:ring-neutral-200",
    className,
  );
}

interface FieldShellProps {
  id: string;
  label: ReactNode;
  error?: string | null;
  description?: ReactNode;
  children: ReactNode;
  className?: string;
}

function FieldShell({ id, label, error, description, children, className }: FieldShellProps) {
  return (
    <div className={cn("space-y-1.5", className)}>
      <label htmlFor={id} className="block text-sm font-medium text-neutral-800">
        {label}
      </label>
      {children}
      {description && !error && (
        <p id={`${id}-description`} className="text-xs text-neutral-500">
          {description}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-xs font-medium text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}

function describedBy(id: string, error?: string | null, description?: ReactNode): string | undefined {
  if (error) return `${id}-error`;
  if (description) return `${id}-description`;
  return undefined;
}

export interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "id"> {
  label: ReactNode;
  name: string;
  error?: string | null;
  description?: ReactNode;
  containerClassName?: string;
}

/** A labelled input with its description and error wired through aria-describedby. */
export function Field({ label, name, error, description, className, containerClassName, ...rest }: FieldProps) {
  const id = `${useId()}-${name}`;
  return (
    <FieldShell id={id} label={label} error={error} description={description} className={containerClassName}>
      <input
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, description)}
        className={controlClasses(Boolean(error), className)}
        {...rest}
      />
    </FieldShell>
  );
}

export interface SelectFieldProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, "id"> {
  label: ReactNode;
  name: string;
  error?: string | null;
  description?: ReactNode;
  containerClassName?: string;
}

export function SelectField({
  label,
  name,
  error,
  description,
  className,
  containerClassName,
  children,
  ...rest
}: SelectFieldProps) {
  const id = `${useId()}-${name}`;
  return (
    <FieldShell id={id} label={label} error={error} description={description} className={containerClassName}>
      <select
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, description)}
        className={controlClasses(Boolean(error), className)}
        {...rest}
      >
        {children}
      </select>
    </FieldShell>
  );
}

/** A bare select styled like the inputs (label it with aria-label or an external <label>). */
export function Select({ className, ...rest }: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select className={controlClasses(false, cn("w-auto py-1.5", className))} {...rest} />;
}

export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div
      role="alert"
      tabIndex={-1}
      data-form-error
      className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 focus:outline-none"
    >
      {message}
    </div>
  );
}
