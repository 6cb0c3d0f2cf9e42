/** The change pipeline's payloads, named from the generated schema. */
import type { components } from "@/api/generated/schema";

type S = components["schemas"];

export type ChangeKind = S["ChangeKind"];
export type ChangeStatus = S["ChangeStatus"];
export type ChangeSource = S["ChangeSource"];
export type ChangeRead = S["ChangeRead"];
export type ChangeRequest = S["ChangeRequest"];
export type Platform = S["Platform"];
export type EntityLevel = S["EntityLevel"];

/** Why one change of a request is refused (a 409 `changes-refused` lists them as `problems`). */
export interface ChangeProblem {
  index: number;
  entity_id: string;
  code: string;
  detail: string;
}

/** What one valid change of a request would store. */
export interface ChangePreviewItem {
  index: number;
  entity_id: string;
  entity_name: string;
  platform: Platform;
  level: EntityLevel;
  ad_account_id: string;
  kind: ChangeKind;
  value_before: string | null;
  value_after: string;
  currency: string | null;
  needs_approval: boolean;
}

/** A request checked and nothing stored: it is stored only when `problems` is empty. */
export interface ChangesPreview {
  items: ChangePreviewItem[];
  problems: ChangeProblem[];
}

/** A kind of change an entity allows, with its current value and the platform's limits (money in micros). */
export interface KindOption {
  kind: ChangeKind;
  current: string | null;
  allowed: string[] | null;
  minimum_micros: number | null;
  step_micros: number | null;
  maximum_micros: number | null;
  hourly_changes_left: number | null;
}

export interface KindRefusal {
  kind: ChangeKind;
  reason: string;
}

/** What can be changed on one entity, by the platform's rules. */
export interface ChangeOptions {
  entity_id: string;
  entity_name: string;
  platform: Platform;
  level: EntityLevel;
  currency: string;
  editable: KindOption[];
  not_editable: KindRefusal[];
}

/** The changes stored by a request, and the batch they make up. */
export interface ChangesCreated {
  batch_id?: string | null;
  items: ChangeRead[];
}

/** The history's filters (kept in the URL). */
export interface ChangeFilters {
  status?: ChangeStatus;
  kind?: ChangeKind;
  source?: ChangeSource;
  platform?: Platform;
  ad_account_id?: string;
  entity_id?: string;
  batch_id?: string;
  created_from?: string;
  created_to?: string;
}
