import { cn } from "@/components/ui";

/** A grey placeholder block shown while numbers load (hidden from screen readers: the region says it is busy). */
export function Skeleton({ className }: { className?: string }) {
  return <div aria-hidden="true" className={cn("animate-pulse rounded bg-neutral-200", className)} />;
}
