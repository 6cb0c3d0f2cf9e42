import { Link, useParams } from "@tanstack/react-router";
import { pluralize } from "@/lib/format";
import { useConnections } from "./api";
import { platformTitle } from "./platforms";

/**
 * App-wide notice (in the shell) while a connection of the current organization needs reconnecting, linking to the
 * Connections page. Renders nothing outside organization routes, while loading, or when the list is unavailable.
 */
export function ReconnectNotice() {
  const { organizationId } = useParams({ strict: false }) as { organizationId?: string };
  const connections = useConnections(organizationId ?? "", { enabled: Boolean(organizationId) });
  if (!organizationId || !connections.data) return null;
  const broken = connections.data.items.filter((c) => c.health === "needs_reconnect");
  const count = Math.max(connections.data.needs_reconnect_count, broken.length);
  if (count === 0) return null;
  const what =
    broken.length === 1
      ? `Your ${platformTitle(broken[0]!.platform)} connection “${broken[0]!.display_name}” needs reconnecting`
      : `${pluralize(count, "ad platform connection")} need reconnecting`;
  return (
    <div
      role="status"
      className="flex flex-wrap items-center justify-between gap-3 border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-900 sm:px-8"
    >
      <span>{what}: adpilot cannot sync or change its ad accounts until then.</span>
      <Link
        to="/orgs/$organizationId/connections"
        params={{ organizationId }}
        className="font-medium underline underline-offset-2 hover:text-red-700"
      >
        Open Connections
      </Link>
    </div>
  );
}
