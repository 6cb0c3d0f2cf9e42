/**
 * The draft document as the editor holds it: every optional part of the API's document filled in, so the form never
 * branches on "absent", plus the path helpers that tie the server's problem paths ("ad_groups[0].ads[1].headlines[3]")
 * to the form's controls.
 */
import type { components } from "@/api/generated/schema";

type S = components["schemas"];
export type DraftDocument = S["DraftDocument"];
export type DraftStatus = S["DraftStatus"];
export type DraftProblem = S["DraftProblem"];
export type Objective = S["Objective"];
export type BidStrategy = S["BidStrategy"];
export type Gender = S["Gender"];
export type DraftPlatform = S["Platform"];

export interface EditableTargeting {
  locations: string[];
  languages: string[];
  age_min: number | null;
  age_max: number | null;
  genders: Gender[];
  placements: string[];
}

export interface EditableBudget {
  type: S["BudgetType"];
  level: S["BudgetLevel"];
  amount_micros: number;
}

export interface EditableAd {
  name: string;
  headlines: string[];
  descriptions: string[];
  primary_texts: string[];
  final_url: string;
  display_path: string[];
  call_to_action: string;
  image_urls: string[];
  video_urls: string[];
}

export interface EditableAdGroup {
  name: string;
  budget: EditableBudget | null;
  bid_amount_micros: number | null;
  targeting: EditableTargeting | null;
  ads: EditableAd[];
}

export interface EditableDocument {
  name: string;
  targets: { platform: DraftPlatform; ad_account_id: string | null }[];
  objective: Objective;
  budget: EditableBudget;
  bidding: { strategy: BidStrategy; amount_micros: number | null; target_roas: number | null };
  schedule: { start_date: string | null; end_date: string | null };
  targeting: EditableTargeting;
  ad_groups: EditableAdGroup[];
  platform_overrides: {
    google: { advertising_channel_type: string; path1: string | null; path2: string | null } | null;
    meta: {
      special_ad_categories: string[];
      billing_event: string;
      optimization_goal: string | null;
      page_id: string | null;
    } | null;
    tiktok: { identity_id: string | null; display_name: string | null; app_name: string | null } | null;
  };
  utm_template: string | null;
  /** Publish the campaign, its ad groups and ads paused (the default) or active. */
  launch_paused: boolean;
}

export const DRAFT_STATUSES: readonly DraftStatus[] = [
  "draft",
  "in_review",
  "approved",
  "changes_requested",
  "publishing",
  "published",
  "failed",
];

export const STATUS_LABELS: Record<DraftStatus, string> = {
  draft: "Draft",
  in_review: "In review",
  approved: "Approved",
  changes_requested: "Changes requested",
  publishing: "Publishing",
  published: "Published",
  failed: "Failed",
};

export const STATUS_TONES: Record<DraftStatus, "neutral" | "green" | "amber" | "red" | "blue"> = {
  draft: "neutral",
  in_review: "blue",
  approved: "green",
  changes_requested: "amber",
  publishing: "blue",
  published: "green",
  failed: "red",
};

export const OBJECTIVES: readonly { id: Objective; label: string }[] = [
  { id: "awareness", label: "Awareness" },
  { id: "traffic", label: "Traffic" },
  { id: "engagement", label: "Engagement" },
  { id: "leads", label: "Leads" },
  { id: "app_promotion", label: "App promotion" },
  { id: "sales", label: "Sales" },
];

export const BID_STRATEGIES: readonly { id: BidStrategy; label: string }[] = [
  { id: "lowest_cost", label: "Lowest cost (automatic)" },
  { id: "cost_cap", label: "Cost cap" },
  { id: "bid_cap", label: "Bid cap" },
  { id: "target_cpa", label: "Target CPA" },
  { id: "target_roas", label: "Target ROAS" },
  { id: "manual_cpc", label: "Manual CPC" },
];

/** Strategies that take an amount (the bid, the cap or the target cost); target ROAS takes a ratio instead. */
export function strategyTakesAmount(strategy: BidStrategy): boolean {
  return strategy !== "lowest_cost" && strategy !== "target_roas";
}

/** The workflow's rules as the server applies them (drafts/service.py): which statuses may be edited or sent on. */
export const EDITABLE_STATUSES: ReadonlySet<DraftStatus> = new Set([
  "draft",
  "in_review",
  "approved",
  "changes_requested",
  "failed",
]);
export const SUBMITTABLE_STATUSES: ReadonlySet<DraftStatus> = new Set(["draft", "changes_requested"]);
export const REOPENABLE_STATUSES: ReadonlySet<DraftStatus> = new Set([
  "in_review",
  "approved",
  "changes_requested",
  "failed",
]);

export function emptyAd(): EditableAd {
  return {
    name: "",
    headlines: [],
    descriptions: [],
    primary_texts: [],
    final_url: "",
    display_path: [],
    call_to_action: "",
    image_urls: [],
    video_urls: [],
  };
}

export function emptyAdGroup(index: number): EditableAdGroup {
  return { name: `Ad group ${index + 1}`, budget: null, bid_amount_micros: null, targeting: null, ads: [emptyAd()] };
}

/** A new draft's first version: a name and the defaults, to be filled in the editor. */
export function newDocument(name: string): DraftDocument {
  return { name, objective: "traffic", targets: [], ad_groups: [], launch_paused: true };
}

function targeting(t: S["Targeting"] | null | undefined): EditableTargeting {
  return {
    locations: t?.locations ?? [],
    languages: t?.languages ?? [],
    age_min: t?.age_min ?? null,
    age_max: t?.age_max ?? null,
    genders: t?.genders ?? [],
    placements: t?.placements ?? [],
  };
}

function budget(b: S["Budget"] | null | undefined): EditableBudget {
  return { type: b?.type ?? "daily", level: b?.level ?? "campaign", amount_micros: b?.amount_micros ?? 0 };
}

/** The API's document with every default filled in. */
export function toEditable(doc: DraftDocument): EditableDocument {
  const o = doc.platform_overrides;
  return {
    name: doc.name,
    targets: (doc.targets ?? []).map((t) => ({ platform: t.platform, ad_account_id: t.ad_account_id ?? null })),
    objective: doc.objective ?? "traffic",
    budget: budget(doc.budget),
    bidding: {
      strategy: doc.bidding?.strategy ?? "lowest_cost",
      amount_micros: doc.bidding?.amount_micros ?? null,
      target_roas: doc.bidding?.target_roas ?? null,
    },
    schedule: { start_date: doc.schedule?.start_date ?? null, end_date: doc.schedule?.end_date ?? null },
    targeting: targeting(doc.targeting),
    ad_groups: (doc.ad_groups ?? []).map((g) => ({
      name: g.name ?? "",
      budget: g.budget ? budget(g.budget) : null,
      bid_amount_micros: g.bid_amount_micros ?? null,
      targeting: g.targeting ? targeting(g.targeting) : null,
      ads: (g.ads ?? []).map((a) => ({
        name: a.name ?? "",
        headlines: a.headlines ?? [],
        descriptions: a.descriptions ?? [],
        primary_texts: a.primary_texts ?? [],
        final_url: a.final_url ?? "",
        display_path: a.display_path ?? [],
        call_to_action: a.call_to_action ?? "",
        image_urls: a.image_urls ?? [],
        video_urls: a.video_urls ?? [],
      })),
    })),
    platform_overrides: {
      google: o?.google
        ? {
            advertising_channel_type: o.google.advertising_channel_type ?? "SEARCH",
            path1: o.google.path1 ?? null,
            path2: o.google.path2 ?? null,
          }
        : null,
      meta: o?.meta
        ? {
            special_ad_categories: o.meta.special_ad_categories ?? [],
            billing_event: o.meta.billing_event ?? "IMPRESSIONS",
            optimization_goal: o.meta.optimization_goal ?? null,
            page_id: o.meta.page_id ?? null,
          }
        : null,
      tiktok: o?.tiktok
        ? {
            identity_id: o.tiktok.identity_id ?? null,
            display_name: o.tiktok.display_name ?? null,
            app_name: o.tiktok.app_name ?? null,
          }
        : null,
    },
    utm_template: doc.utm_template ?? null,
    launch_paused: doc.launch_paused,
  };
}

const blankToNull = (value: string | null): string | null => (value && value.trim() ? value : null);

/** The document to send: empty optional texts become null (the API's "not set"). */
export function toApi(doc: EditableDocument): DraftDocument {
  return {
    ...doc,
    name: doc.name.trim(),
    ad_groups: doc.ad_groups.map((g) => ({
      ...g,
      ads: g.ads.map((a) => ({
        ...a,
        final_url: blankToNull(a.final_url),
        call_to_action: blankToNull(a.call_to_action),
      })),
    })),
    utm_template: blankToNull(doc.utm_template),
  };
}

// --- paths ---------------------------------------------------------------------------------------------------------

/** "ad_groups[0].ads[1].headlines[3]" → ["ad_groups", 0, "ads", 1, "headlines", 3]. */
export function parsePath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) parts.push(Number(match[2]));
    else if (match[1] !== undefined) parts.push(match[1]);
  }
  return parts;
}

/** The DOM id of the control that edits `path` (problems and comments scroll to it). */
export function fieldId(path: string): string {
  return `draft-field-${path.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
}

/** The path and then each shorter prefix: where to look for a control when the exact field has none. */
export function pathAncestors(path: string): string[] {
  const out: string[] = [];
  let current = path;
  while (current) {
    out.push(current);
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    current = cut > 0 ? current.slice(0, cut) : "";
  }
  return out;
}

/** Scroll to and focus the control of `path` (or of its nearest ancestor that has one); false when none exists. */
export function focusField(path: string, root: ParentNode = document): boolean {
  for (const candidate of pathAncestors(path)) {
    const element = root.querySelector<HTMLElement>(`#${CSS.escape(fieldId(candidate))}`);
    if (element) {
      element.scrollIntoView?.({ block: "center", behavior: "smooth" });
      element.focus({ preventScroll: true });
      return true;
    }
  }
  return false;
}

/** Problems grouped by their exact path. */
export function problemsByPath(problems: readonly DraftProblem[]): Map<string, DraftProblem[]> {
  const map = new Map<string, DraftProblem[]>();
  for (const problem of problems) {
    const list = map.get(problem.path) ?? [];
    list.push(problem);
    map.set(problem.path, list);
  }
  return map;
}

/** Field names that read badly as they are (amounts are in micros of the account's currency). */
const FIELD_WORDS: Record<string, string> = {
  amount_micros: "Amount",
  bid_amount_micros: "Bid amount",
  ad_account_id: "Ad account",
  target_roas: "Target ROAS",
  final_url: "Final URL",
  utm_template: "URL template",
  age_min: "Minimum age",
  age_max: "Maximum age",
};

/** A path in words: "ad_groups[0].ads[1].headlines[3]" → "Ad group 1 › Ad 2 › Headline 4". */
export function describePath(path: string): string {
  if (!path) return "The draft";
  const words: Record<string, string> = {
    ad_groups: "Ad group",
    ads: "Ad",
    headlines: "Headline",
    descriptions: "Description",
    primary_texts: "Primary text",
    display_path: "Display path",
    image_urls: "Image URL",
    video_urls: "Video URL",
    targets: "Target",
    locations: "Location",
    languages: "Language",
    placements: "Placement",
  };
  const parts = parsePath(path);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (typeof part === "number") continue;
    const next = parts[i + 1];
    const plain = FIELD_WORDS[part] ?? part.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
    if (typeof next === "number") out.push(`${words[part] ?? plain} ${next + 1}`);
    else out.push(plain);
  }
  return out.join(" › ");
}
