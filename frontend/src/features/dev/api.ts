/** The development outbox's query: the screen calls this hook and builds no query itself. */
import { $api } from "@/api/client";

/** How often the outbox is asked again while it is open. */
const OUTBOX_POLL_MS = 5_000;

/** The mail this server "sent" (development only), newest first, page by page, asked again every few seconds. */
export function useOutboxMessages() {
  return $api.useInfiniteQuery(
    "get",
    "/api/v1/dev/outbox",
    { params: { query: { limit: 50 } } },
    {
      pageParamName: "cursor",
      initialPageParam: null,
      getNextPageParam: (page) => page.next_cursor ?? undefined,
      refetchInterval: OUTBOX_POLL_MS,
    },
  );
}
