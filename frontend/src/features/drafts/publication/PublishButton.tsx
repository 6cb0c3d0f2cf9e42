import { useState } from "react";
import { Alert, Button, Card, CardBody, CardHeader, Dialog } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { usePublishDraft } from "./api";

/** "Publish" on an approved draft, for a manager: confirms, then starts publishing to every target. */
export function PublishButton({
  organizationId,
  draftId,
  launchPaused,
}: {
  organizationId: string;
  draftId: string;
  launchPaused: boolean;
}) {
  const publish = usePublishDraft(organizationId, draftId);
  const [open, setOpen] = useState(false);
  const params = { path: { organization_id: organizationId, draft_id: draftId } };
  return (
    <Card>
      <CardHeader title="Publish" description="Approved: ready to be created on its platforms." />
      <CardBody className="space-y-3">
        {publish.error && <Alert tone="error">{describeError(publish.error)}</Alert>}
        <Button onClick={() => setOpen(true)}>Publish</Button>
        <Dialog open={open} onOpenChange={setOpen} title="Publish this draft?">
          <p className="text-sm text-neutral-700">
            The campaign, its ad groups and ads are created on every target platform
            {launchPaused ? ", paused" : " and start delivering"}. Progress shows on this page.
          </p>
          <div className="mt-4 flex justify-end gap-2">
            <Button variant="ghost" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button
              pending={publish.isPending}
              onClick={() => publish.mutate({ params }, { onSuccess: () => setOpen(false) })}
            >
              Publish now
            </Button>
          </div>
        </Dialog>
      </CardBody>
    </Card>
  );
}
