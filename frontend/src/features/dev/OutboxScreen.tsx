import { Link } from "@tanstack/react-router";
import { Alert, Button, Card, EmptyState, ErrorState, LoadingState, useDocumentTitle } from "@/components/ui";
import { formatDateTime } from "@/lib/format";
import { Logo } from "@/features/auth/AuthLayout";
import { useConfig } from "@/features/auth/session";
import { useOutboxMessages } from "./api";
import { linkify } from "./linkify";

export function OutboxScreen() {
  const config = useConfig();
  useDocumentTitle("Development mail outbox");
  return (
    <div className="mx-auto max-w-4xl px-4 py-8">
      <div className="mb-6 flex items-center justify-between">
        <Link to="/" aria-label="adpilot home">
          <Logo />
        </Link>
        <Link to="/login" className="text-sm text-neutral-600 underline-offset-4 hover:underline">
          Log in
        </Link>
      </div>
      <h1 className="text-xl font-semibold tracking-tight">Development mail outbox</h1>
      <p className="mt-1 text-sm text-neutral-500">
        Emails the server would have sent. Only available in development and demo environments.
      </p>
      <div className="mt-6">
        {config.isPending ? (
          <LoadingState />
        ) : config.isError ? (
          <ErrorState error={config.error} onRetry={() => void config.refetch()} />
        ) : !config.data.outbox_enabled ? (
          <Alert tone="info">The development outbox is disabled on this server ({config.data.environment}).</Alert>
        ) : (
          <OutboxMessages />
        )}
      </div>
    </div>
  );
}

function OutboxMessages() {
  const messages = useOutboxMessages();
  const items = messages.data?.pages.flatMap((p) => p.items) ?? [];
  if (messages.isPending) return <LoadingState />;
  if (messages.isError) return <ErrorState error={messages.error} onRetry={() => void messages.refetch()} />;
  if (items.length === 0)
    return (
      <EmptyState
        title="No messages yet"
        description="Sign up or request a password reset, and the email will show up here."
      />
    );
  return (
    <div className="space-y-4">
      {items.map((m) => (
        <Card key={m.id} className="overflow-hidden">
          <article aria-label={m.subject}>
            <header className="border-b border-neutral-200 bg-neutral-50 px-5 py-3">
              <h2 className="text-sm font-semibold text-neutral-900">{m.subject}</h2>
              <p className="text-xs text-neutral-500">
                To {m.recipient} · {formatDateTime(m.created_at)}
              </p>
            </header>
            <pre className="px-5 py-4 font-sans text-sm whitespace-pre-wrap text-neutral-800">
              {linkify(m.body_text)}
            </pre>
            {m.attachments.length > 0 && (
              <ul aria-label="Attachments" className="border-t border-neutral-100 px-5 py-3 text-xs text-neutral-600">
                {m.attachments.map((a) => (
                  <li key={a.filename}>
                    📎 {a.filename} · {a.content_type} · {a.size.toLocaleString()} bytes
                  </li>
                ))}
              </ul>
            )}
          </article>
        </Card>
      ))}
      {messages.hasNextPage && (
        <Button
          variant="secondary"
          size="sm"
          pending={messages.isFetchingNextPage}
          onClick={() => void messages.fetchNextPage()}
        >
          Load more
        </Button>
      )}
    </div>
  );
}
