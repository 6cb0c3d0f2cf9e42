import type { SecurityEventRead } from "@/api/types";
import { Badge, Button, Card, CardBody, CardHeader, EmptyState, ErrorState, LoadingState, cn } from "@/components/ui";
import { describeUserAgent, formatDateTime, formatRelative } from "@/lib/format";
import { useSecurityEvents } from "./api";
import { describeSecurityEvent } from "./securityEvents";

const PAGE_SIZE = 20;

export function SecurityActivityCard() {
  const events = useSecurityEvents(PAGE_SIZE);
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Card>
      <CardHeader
        title="Recent security activity"
        description="Log-ins, sign-outs and changes to your account's security, newest first."
      />
      <CardBody>
        {events.isPending ? (
          <LoadingState />
        ) : events.isError ? (
          <ErrorState error={events.error} onRetry={() => void events.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState title="No security activity yet" />
        ) : (
          <ul aria-label="Security activity" className="divide-y divide-neutral-200">
            {items.map((event) => (
              <SecurityEventRow key={event.id} event={event} />
            ))}
          </ul>
        )}
        {events.hasNextPage && (
          <div className="mt-3 border-t border-neutral-200 pt-3">
            <Button
              variant="secondary"
              size="sm"
              pending={events.isFetchingNextPage}
              onClick={() => void events.fetchNextPage()}
            >
              Load more
            </Button>
          </div>
        )}
      </CardBody>
    </Card>
  );
}

function SecurityEventRow({ event }: { event: SecurityEventRead }) {
  const { sentence, tone } = describeSecurityEvent(event.kind);
  const warning = tone === "warning";
  return (
    <li className={cn("py-3", warning && "-mx-2 rounded-md bg-amber-50 px-2")}>
      <p
        className={cn(
          "flex flex-wrap items-center gap-2 text-sm font-medium",
          warning ? "text-amber-900" : "text-neutral-900",
        )}
      >
        {warning && <Badge tone="amber">Warning</Badge>}
        {sentence}
        {event.current_session && <Badge tone="blue">This session</Badge>}
      </p>
      <p className="text-xs text-neutral-500">
        <time dateTime={event.occurred_at} title={formatDateTime(event.occurred_at)}>
          {formatRelative(event.occurred_at)}
        </time>{" "}
        · {describeUserAgent(event.user_agent)} · {event.ip ?? "Unknown IP"}
      </p>
    </li>
  );
}
