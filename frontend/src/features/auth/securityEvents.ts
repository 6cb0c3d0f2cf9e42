/** Human descriptions of the account's security events (GET /me/security-events). */

export type SecurityEventTone = "normal" | "warning";

export interface SecurityEventDescription {
  sentence: string;
  tone: SecurityEventTone;
}

const DESCRIPTIONS: Record<string, SecurityEventDescription> = {
  logged_in: { sentence: "Logged in", tone: "normal" },
  logged_in_with_recovery_code: { sentence: "Logged in with a recovery code", tone: "normal" },
  logged_out: { sentence: "Logged out", tone: "normal" },
  session_revoked: { sentence: "Signed out a device", tone: "normal" },
  refresh_token_reused: { sentence: "A refresh token was used twice — that session was signed out", tone: "warning" },
  password_reset: { sentence: "Password reset", tone: "normal" },
  email_verified: { sentence: "Email verified", tone: "normal" },
  mfa_enabled: { sentence: "Two-factor authentication turned on", tone: "normal" },
  mfa_disabled: { sentence: "Two-factor authentication turned off", tone: "normal" },
};

/** A sentence (and tone) for an event kind; unknown kinds (added by a newer backend) get a readable fallback. */
export function describeSecurityEvent(kind: string): SecurityEventDescription {
  const known = Object.hasOwn(DESCRIPTIONS, kind) ? DESCRIPTIONS[kind] : undefined;
  if (known) return known;
  const words = kind.replace(/[_-]+/g, " ").trim();
  return { sentence: words ? words.charAt(0).toUpperCase() + words.slice(1) : "Security event", tone: "normal" };
}
