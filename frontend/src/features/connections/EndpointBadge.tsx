import { Badge } from "@/components/ui";
import type { components } from "@/api/generated/schema";

export type PlatformEndpoint = components["schemas"]["PlatformEndpoint"];

const ENDPOINT_LABELS: Record<
  PlatformEndpoint,
  { label: string; title: string; tone: "green" | "blue" | "amber" | "red" }
> = {
  real: {
    label: "Live platform",
    title: "This server talks to the platform itself with its own app credentials.",
    tone: "green",
  },
  sandbox: {
    label: "Sandbox",
    title: "This server uses adpilot's sandbox: simulated consent pages and ad accounts.",
    tone: "blue",
  },
  custom: {
    label: "Custom URL",
    title: "This server talks to the platform through URLs set in its configuration.",
    tone: "amber",
  },
  unconfigured: { label: "Not configured", title: "This server has no app credentials for the platform.", tone: "red" },
};

/** Which endpoint this server uses for a platform: the live platform, the sandbox or a custom URL. */
export function EndpointBadge({ endpoint }: { endpoint: PlatformEndpoint | undefined }) {
  if (!endpoint) return null;
  const { label, title, tone } = ENDPOINT_LABELS[endpoint] ?? {
    label: endpoint,
    title: endpoint,
    tone: "amber" as const,
  };
  return (
    <span title={title}>
      <Badge tone={tone}>
        <span className="sr-only">Endpoint: </span>
        {label}
      </Badge>
    </span>
  );
}
