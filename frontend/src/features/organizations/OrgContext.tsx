import { createContext, useContext, type ReactNode } from "react";
import type { OrganizationRead } from "@/api/types";
import { can, type Capability } from "./permissions";

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

export function useCan(capability: Capability): boolean {
  return can(useContext(OrgContext)?.role, capability);
}

/** Renders children only when the current role has the capability. */
export function RequireCan({ capability, children, fallback = null }: { capability: Capability; children: ReactNode; fallback?: ReactNode }) {
  return useCan(capability) ? <>{children}</> : <>{fallback}</>;
}
