/**
 * Organizations as the server answers them, for tests. The permissions of each role come from
 * rolePermissions.json, which a backend test (tests/test_organizations.py) keeps equal to the server's matrix.
 */
import type { OrganizationRead, Permission, Role } from "@/api/types";
import rolePermissions from "./rolePermissions.json";

export function permissionsOf(role: Role): Permission[] {
  return [...rolePermissions[role]] as Permission[];
}

/** An organization in which the signed-in user has `role` (and the permissions the server lists for it). */
export function organizationAs(role: Role, overrides: Partial<OrganizationRead> = {}): OrganizationRead {
  return {
    id: "00000000-0000-0000-0000-000000000001",
    name: "Acme",
    require_mfa: false,
    role,
    permissions: permissionsOf(role),
    created_at: "2026-01-01T00:00:00Z",
    time_zone: "UTC",
    reporting_currency: "USD",
    changes_require_approval: "members",
    ...overrides,
  };
}
