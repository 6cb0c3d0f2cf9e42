import type { Role } from "@/api/types";

/** What a role may do in the UI. The backend enforces the same rules; this only hides controls. */
export type Capability = "manage-members" | "manage-invitations" | "manage-organization" | "view-audit-log" | "edit";

const RULES: Record<Capability, readonly Role[]> = {
  "manage-members": ["admin"],
  "manage-invitations": ["admin"],
  "manage-organization": ["admin"],
  "view-audit-log": ["admin"],
  edit: ["admin", "manager", "member"],
};

export function can(role: Role | null | undefined, capability: Capability): boolean {
  return role ? RULES[capability].includes(role) : false;
}
