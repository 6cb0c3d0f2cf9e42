import { Badge } from "@/components/ui";
import { STATUS_LABELS, STATUS_TONES, type DraftStatus } from "./document";

export function DraftStatusBadge({ status }: { status: DraftStatus }) {
  return <Badge tone={STATUS_TONES[status] ?? "neutral"}>{STATUS_LABELS[status] ?? status}</Badge>;
}
