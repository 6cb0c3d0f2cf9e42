/** Fixtures for the change pipeline's screens. */
import type { ChangeOptions, ChangeRead } from "./types";

export function change(overrides: Partial<ChangeRead> = {}): ChangeRead {
  return {
    id: "ch-1",
    ad_account_id: "acc-1",
    entity_id: "ent-1",
    platform: "google",
    level: "campaign",
    platform_id: "111",
    entity_name: "Brand search",
    kind: "status",
    value_before: "active",
    value_after: "paused",
    currency: "EUR",
    source: "person",
    requested_by_user_id: null,
    source_id: null,
    reason: null,
    status: "queued",
    error: null,
    attempts: 0,
    reviewed_by_user_id: null,
    review_note: null,
    audit_entry_id: null,
    undo_of: null,
    batch_id: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    applied_at: null,
    verified_at: null,
    ...overrides,
  } as ChangeRead;
}

export function options(overrides: Partial<ChangeOptions> = {}): ChangeOptions {
  return {
    entity_id: "ent-1",
    entity_name: "Brand search",
    platform: "google",
    level: "campaign",
    currency: "EUR",
    editable: [
      {
        kind: "status",
        current: "active",
        allowed: ["paused", "removed"],
        minimum_micros: null,
        step_micros: null,
        maximum_micros: null,
        hourly_changes_left: null,
      },
      {
        kind: "daily_budget",
        current: "50000000",
        allowed: null,
        minimum_micros: 1_000_000,
        step_micros: 10_000,
        maximum_micros: null,
        hourly_changes_left: null,
      },
    ],
    not_editable: [],
    ...overrides,
  };
}
