/** Every ad's final URL per platform with the URL template in force (the draft's, else the organization's). */
import { Card, CardBody, CardHeader, ErrorState, LoadingState } from "@/components/ui";
import { platformTitle } from "@/features/connections/platforms";
import { useCurrentOrg } from "@/features/organizations/OrgContext";
import { useUtmPreview } from "./api";
import { describePath } from "./document";

export function UtmPreviewPanel({ draftId }: { draftId: string }) {
  const org = useCurrentOrg();
  const preview = useUtmPreview(org.id, draftId);
  return (
    <Card>
      <CardHeader
        title="Final URLs"
        headingLevel={3}
        description={
          preview.data
            ? preview.data.template
              ? `Template: ${preview.data.template}`
              : "No URL template: URLs as typed."
            : undefined
        }
      />
      <CardBody>
        {preview.isPending ? (
          <LoadingState label="Rendering URLs…" />
        ) : preview.isError ? (
          <ErrorState error={preview.error} onRetry={() => void preview.refetch()} />
        ) : preview.data.urls.length === 0 ? (
          <p className="text-sm text-neutral-500">Choose a platform and give an ad a final URL to see it here.</p>
        ) : (
          <ul className="space-y-2 text-xs">
            {preview.data.urls.map((u) => (
              <li key={`${u.platform}:${u.path}`}>
                <p className="text-neutral-500">
                  {platformTitle(u.platform)} · {describePath(u.path)}
                </p>
                <p className="font-mono break-all text-neutral-900">{u.final_url}</p>
              </li>
            ))}
          </ul>
        )}
      </CardBody>
    </Card>
  );
}
