import type { EntityLevel, Platform } from "./types";

export interface PlatformInfo {
  id: Platform;
  title: string;
  /** What connecting this platform gives access to. */
  description: string;
}

export const PLATFORMS: readonly PlatformInfo[] = [
  {
    id: "google",
    title: "Google Ads",
    description:
      "Search, Performance Max, Display and YouTube campaigns. Manager (MCC) logins list the accounts under them.",
  },
  {
    id: "meta",
    title: "Meta Ads",
    description: "Facebook and Instagram campaigns, ad sets and ads of your ad accounts.",
  },
  {
    id: "tiktok",
    title: "TikTok Ads",
    description: "Campaigns, ad groups and ads of the advertisers your TikTok login can use.",
  },
];

export function platformTitle(platform: string): string {
  return PLATFORMS.find((p) => p.id === platform)?.title ?? platform;
}

export function isPlatform(value: string): value is Platform {
  return PLATFORMS.some((p) => p.id === value);
}

/** The platform's own word for a level: Meta calls ad groups "ad sets". */
export function levelLabel(level: EntityLevel, platform: string, plural = false): string {
  if (level === "campaign") return plural ? "Campaigns" : "Campaign";
  if (level === "ad") return plural ? "Ads" : "Ad";
  if (platform === "meta") return plural ? "Ad sets" : "Ad set";
  return plural ? "Ad groups" : "Ad group";
}
