import { createContext, useContext, type ReactNode } from "react";
import type { OrganizationRead, Permission } from "@/api/types";

const OrgContext = createContext<OrganizationRead | null>(null);

export function OrgProvider({ organization, children }: { organization: OrganizationRead; children: ReactNode }) {
  return <OrgContext.Provider value={organization}>{children}</OrgContext.Provider>;
}

/** The organization of the current /orgs/$organizationId route. */
export function useCurrentOrg(): OrganizationRead {
  const org = useContext(OrgContext);
  if (!org) throw new Error("useCurrentOrg must be used inside an organization route");
  return org;
}

/**
 * Whether the signed-in user holds `permission` in the current organization. The server lists the caller's
 * permissions in the organization answer and enforces them; the web app only shows or hides controls by them, so it
 * keeps no copy of the role → permission matrix.
 */
export function useCan(permission: Permission): boolean {
  return useContext(OrgContext)?.permissions.includes(permission) ?? false;
}
