import { useState } from "react";
import { Button, Dialog, EmptyState, ErrorState, LoadingState } from "@/components/ui";
import { useChanges } from "./api";
import { ChangeList } from "./ChangeList";

/** A "History" button that opens one entity's changes, newest first. */
export function EntityHistoryButton({
  organizationId,
  entityId,
  name,
}: {
  organizationId: string;
  entityId: string;
  name: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button size="sm" variant="ghost" onClick={() => setOpen(true)} aria-label={`History of ${name}`}>
        History
      </Button>
      {open && (
        <Dialog open wide onOpenChange={setOpen} title={`Changes of ${name}`}>
          <EntityHistory organizationId={organizationId} entityId={entityId} />
        </Dialog>
      )}
    </>
  );
}

function EntityHistory({ organizationId, entityId }: { organizationId: string; entityId: string }) {
  const changes = useChanges(organizationId, { entity_id: entityId });
  const items = changes.data?.pages.flatMap((p) => p.items) ?? [];
  if (changes.isPending) return <LoadingState label="Loading changes…" />;
  if (changes.isError) return <ErrorState error={changes.error} onRetry={() => void changes.refetch()} />;
  if (items.length === 0)
    return <EmptyState title="No changes yet" description="Changes asked for here appear in this list." />;
  return (
    <div className="-mx-6">
      <ChangeList organizationId={organizationId} changes={items} />
      {changes.hasNextPage && (
        <div className="px-5 pt-3">
          <Button
            variant="secondary"
            size="sm"
            pending={changes.isFetchingNextPage}
            onClick={() => void changes.fetchNextPage()}
          >
            Load more
          </Button>
        </div>
      )}
    </div>
  );
}
