import { useEffect } from "react";
import { Outlet, useParams } from "@tanstack/react-router";
import { DocumentTitleContext, ErrorState, LoadingState } from "@/components/ui";
import { OrgProvider } from "@/features/organizations/OrgContext";
import { useOrganization } from "@/features/organizations/api";
import { setLastOrgId } from "@/features/organizations/lastOrg";

/** Loads the organization in the URL and provides it (with the user's role) to the screens below. */
export function OrgLayout() {
  const { organizationId } = useParams({ strict: false }) as { organizationId: string };
  const org = useOrganization(organizationId);

  useEffect(() => {
    if (org.data) setLastOrgId(org.data.id);
  }, [org.data]);

  if (org.isPending) return <LoadingState />;
  if (org.isError) return <ErrorState error={org.error} onRetry={() => void org.refetch()} />;
  return (
    <OrgProvider organization={org.data}>
      <DocumentTitleContext value={org.data.name}>
        <Outlet />
      </DocumentTitleContext>
    </OrgProvider>
  );
}
