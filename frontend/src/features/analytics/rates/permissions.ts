import type { Role } from "@/api/types";
import { useCurrentOrg } from "@/features/organizations/OrgContext";

/**
 * Who may change exchange rates: the backend's exchange_rates.manage (managers and admins). Every member may read
 * them (analytics.read). The server enforces both; this only hides the write controls.
 */
const MANAGERS: readonly Role[] = ["admin", "manager"];

export function canManageRates(role: Role | null | undefined): boolean {
  return role ? MANAGERS.includes(role) : false;
}

export function useCanManageRates(): boolean {
  return canManageRates(useCurrentOrg().role);
}
