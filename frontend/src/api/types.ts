/**
 * Names for the API's payloads, derived from the generated schema by path (so they survive schema renames).
 */
import type { paths } from "./generated/schema";

type Json<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer Rs }
  ? 200 extends keyof Rs
    ? Json<Rs[200]>
    : 201 extends keyof Rs
      ? Json<Rs[201]>
      : never
  : never;
type Body<Op> = Op extends { requestBody?: { content: { "application/json": infer T } } } ? T : never;

type P = paths;

export type PublicConfig = Ok<P["/api/v1/config"]["get"]>;
export type UserRead = Ok<P["/api/v1/me"]["get"]>;
export type LoginResponse = Ok<P["/api/v1/auth/login"]["post"]>;
export type SessionRead = Ok<P["/api/v1/me/sessions"]["get"]>["items"][number];
export type SecurityEventRead = Ok<P["/api/v1/me/security-events"]["get"]>["items"][number];
export type MfaSetup = Ok<P["/api/v1/me/mfa/setup"]["post"]>;
export type OrganizationRead = Ok<P["/api/v1/orgs/{organization_id}"]["get"]>;
export type Role = OrganizationRead["role"];
/** What the caller's role may do in an organization, as the server lists it (`organizations.Permission`). */
export type Permission = OrganizationRead["permissions"][number];
export type MemberRead = Ok<P["/api/v1/orgs/{organization_id}/members"]["get"]>["items"][number];
export type InvitationRead = Ok<P["/api/v1/orgs/{organization_id}/invitations"]["get"]>["items"][number];
export type AuditEntryRead = Ok<P["/api/v1/orgs/{organization_id}/audit-log"]["get"]>["items"][number];
export type OutboxMessageRead = Ok<P["/api/v1/dev/outbox"]["get"]>["items"][number];
export type OrganizationUpdate = Body<P["/api/v1/orgs/{organization_id}"]["patch"]>;

export const ROLES: readonly Role[] = ["admin", "manager", "member", "viewer"];
