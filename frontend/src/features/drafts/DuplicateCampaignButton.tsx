/** "Duplicate into a draft" for a live campaign (as last synced); opens the new draft. Members and above. */
import { useState } from "react";
import { useNavigate } from "@tanstack/react-router";
import { Button } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { useCan } from "@/features/organizations/OrgContext";
import { useDuplicateCampaign } from "./api";

export function DuplicateCampaignButton({
  organizationId,
  adAccountId,
  campaignPlatformId,
  campaignName,
}: {
  organizationId: string;
  adAccountId: string;
  campaignPlatformId: string;
  campaignName: string;
}) {
  const canEdit = useCan("drafts.edit");
  const navigate = useNavigate();
  const duplicate = useDuplicateCampaign();
  const [error, setError] = useState<string | null>(null);
  if (!canEdit) return null;
  return (
    <span className="inline-flex flex-col items-end gap-1">
      <Button
        size="sm"
        variant="ghost"
        pending={duplicate.isPending}
        aria-label={`Duplicate ${campaignName} into a draft`}
        onClick={() => {
          setError(null);
          duplicate.mutate(
            {
              params: { path: { organization_id: organizationId } },
              body: { ad_account_id: adAccountId, campaign_platform_id: campaignPlatformId },
            },
            {
              onSuccess: (draft) =>
                void navigate({
                  to: "/orgs/$organizationId/drafts/$draftId",
                  params: { organizationId, draftId: draft.id },
                }),
              onError: (err) => setError(describeError(err)),
            },
          );
        }}
      >
        Duplicate into draft
      </Button>
      {error && (
        <span role="alert" className="max-w-56 text-xs text-red-600">
          {error}
        </span>
      )}
    </span>
  );
}
