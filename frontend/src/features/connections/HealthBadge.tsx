import { Badge } from "@/components/ui";
import type { ConnectionHealth } from "./types";

export const HEALTH_LABELS: Record<ConnectionHealth, { label: string; tone: "green" | "amber" | "red" }> = {
  ok: { label: "Healthy", tone: "green" },
  degraded: { label: "Degraded", tone: "amber" },
  needs_reconnect: { label: "Needs reconnect", tone: "red" },
};

/** A connection's health, with the reason when it is not healthy. */
export function HealthBadge({ health, reason }: { health: ConnectionHealth; reason?: string | null }) {
  const { label, tone } = HEALTH_LABELS[health] ?? { label: health, tone: "amber" as const };
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <Badge tone={tone}>
        <span className="sr-only">Health: </span>
        {label}
      </Badge>
      {health !== "ok" && reason && <span className="text-xs text-neutral-600">{reason}</span>}
    </span>
  );
}
