import { Badge } from "@/components/ui";
import { useOrganizations } from "@/features/organizations/api";
import { usePendingCount } from "./api";

/** How many changes wait for approval, beside the navigation's "Changes" (for those who approve them). */
export function PendingChangesBadge({ organizationId }: { organizationId: string }) {
  const orgs = useOrganizations();
  const canApprove =
    orgs.data?.items.find((o) => o.id === organizationId)?.permissions.includes("changes.approve") ?? false;
  const pending = usePendingCount(organizationId, canApprove);
  if (!canApprove || !pending.data?.count) return null;
  const count = `${pending.data.count}${pending.data.more ? "+" : ""}`;
  return (
    <span className="ml-auto" title={`${count} changes waiting for approval`}>
      <span className="sr-only">, {count} waiting for approval</span>
      <span aria-hidden="true">
        <Badge tone="amber">{count}</Badge>
      </span>
    </span>
  );
}
