import type { ReactNode } from "react";
import { Link } from "@tanstack/react-router";
import { useDocumentTitle } from "@/components/ui";
import { useConfig } from "./session";

export function Logo() {
  return (
    <span className="inline-flex items-center gap-2 text-base font-semibold tracking-tight text-neutral-900">
      <svg viewBox="0 0 32 32" className="size-7" aria-hidden="true">
        <rect width="32" height="32" rx="7" fill="#171717" />
        <path d="M9 22 16 9l7 13h-4.2L16 16.6 13.2 22z" fill="#fff" />
      </svg>
      adpilot
    </span>
  );
}

export function OutboxLink() {
  const config = useConfig();
  if (!config.data?.outbox_enabled) return null;
  return (
    <Link
      to="/dev/outbox"
      className="text-sm text-neutral-500 underline-offset-4 hover:text-neutral-800 hover:underline"
    >
      Development mail outbox
    </Link>
  );
}

/** The centred card used by the public authentication screens. */
export function AuthLayout({
  title,
  description,
  children,
  footer,
  documentTitle,
}: {
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  documentTitle?: string;
}) {
  useDocumentTitle(documentTitle ?? (typeof title === "string" ? title : null));
  return (
    <div className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex justify-center">
          <Link to="/" aria-label="adpilot home">
            <Logo />
          </Link>
        </div>
        <main className="rounded-lg border border-neutral-200 bg-white px-6 py-7 shadow-sm">
          <h1 className="text-lg font-semibold tracking-tight text-neutral-900">{title}</h1>
          {description && <p className="mt-1 text-sm text-neutral-500">{description}</p>}
          <div className="mt-6">{children}</div>
        </main>
        {footer && <div className="mt-6 text-center text-sm text-neutral-600">{footer}</div>}
        <div className="mt-4 text-center">
          <OutboxLink />
        </div>
      </div>
    </div>
  );
}
