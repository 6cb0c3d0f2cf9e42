import { Badge } from "@/components/ui";
import type { EntityStatus } from "@/features/connections/types";

const STATUS: Record<EntityStatus, { label: string; tone: "green" | "amber" | "neutral" }> = {
  active: { label: "Active", tone: "green" },
  paused: { label: "Paused", tone: "amber" },
  removed: { label: "Removed", tone: "neutral" },
};

export function EntityStatusBadge({ status }: { status: EntityStatus }) {
  const { label, tone } = STATUS[status] ?? { label: status, tone: "neutral" as const };
  return <Badge tone={tone}>{label}</Badge>;
}

const OBJECTIVES: Record<string, string> = {
  sales: "Sales",
  traffic: "Traffic",
  leads: "Leads",
  awareness: "Awareness",
  app_installs: "App installs",
  video_views: "Video views",
  engagement: "Engagement",
};

/** The neutral objective in words ("app_installs" → "App installs"); unknown values are shown tidied up. */
export function formatObjective(objective: string | null | undefined): string {
  if (!objective) return "—";
  const known = OBJECTIVES[objective];
  if (known) return known;
  const words = objective.replace(/[_-]+/g, " ").toLowerCase().trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
