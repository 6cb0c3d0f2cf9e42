import type { Role } from "@/api/types";
import { useCurrentOrg } from "@/features/organizations/OrgContext";

/**
 * What a role may do with ad platform connections (mirrors the backend's connections.* permissions; the server
 * enforces them, this only hides controls): read = viewer and up, sync ("Sync now") = member and up, manage (connect,
 * choose accounts, reconnect, disconnect) = manager and up.
 */
export type ConnectionCapability = "read" | "sync" | "manage";

const RULES: Record<ConnectionCapability, readonly Role[]> = {
  read: ["admin", "manager", "member", "viewer"],
  sync: ["admin", "manager", "member"],
  manage: ["admin", "manager"],
};

export function canConnections(role: Role | null | undefined, capability: ConnectionCapability): boolean {
  return role ? RULES[capability].includes(role) : false;
}

export function useConnectionPermissions(): Record<ConnectionCapability, boolean> {
  const { role } = useCurrentOrg();
  return { read: canConnections(role, "read"), sync: canConnections(role, "sync"), manage: canConnections(role, "manage") };
}
