/** Test fixtures for the drafts screens: drafts and summaries as the server answers them. */
import type { DraftRead, DraftSummary } from "./api";
import type { DraftDocument } from "./document";

export const DRAFT_ID = "d0000000-0000-0000-0000-000000000001";
export const ADA_ID = "7d3c2f9e-1b44-4b1e-9d7e-2f6a3c5b8e10";

export function document(overrides: Partial<DraftDocument> = {}): DraftDocument {
  return {
    name: "Spring sale",
    targets: [{ platform: "google", ad_account_id: "acc-1" }],
    objective: "traffic",
    budget: { type: "daily", level: "campaign", amount_micros: 25_000_000 },
    bidding: { strategy: "lowest_cost", amount_micros: null, target_roas: null },
    schedule: { start_date: null, end_date: null },
    targeting: { locations: ["US"], languages: [], age_min: null, age_max: null, genders: [], placements: [] },
    ad_groups: [
      {
        name: "Shoes",
        budget: null,
        bid_amount_micros: null,
        targeting: null,
        ads: [
          {
            name: "Ad",
            headlines: ["Spring shoes", "Big sale"],
            descriptions: ["All shoes half price"],
            primary_texts: [],
            final_url: "https://example.com/shoes",
            display_path: [],
            call_to_action: null,
            image_urls: [],
            video_urls: [],
          },
        ],
      },
    ],
    platform_overrides: { google: null, meta: null, tiktok: null },
    utm_template: null,
    launch_paused: true,
    ...overrides,
  };
}

export function summary(overrides: Partial<DraftSummary> = {}): DraftSummary {
  return {
    id: DRAFT_ID,
    name: "Spring sale",
    status: "draft",
    platforms: ["google"],
    current_version: 3,
    created_at: "2026-03-01T10:00:00Z",
    updated_at: "2026-03-02T10:00:00Z",
    updated_by_user_id: ADA_ID,
    ...overrides,
  };
}

export function draft(overrides: Partial<DraftRead> = {}): DraftRead {
  return { ...summary(), document: document(), problems: [], comments: [], ...overrides };
}
