import { cn } from "@/components/ui";
import { platformTitle } from "@/features/connections/platforms";

const MARKS: Record<string, { letter: string; className: string }> = {
  google: { letter: "G", className: "bg-blue-600 text-white" },
  meta: { letter: "M", className: "bg-indigo-600 text-white" },
  tiktok: { letter: "T", className: "bg-neutral-900 text-white" },
};

/** The platform's colours, for charts. */
export const PLATFORM_COLORS: Record<string, string> = { google: "#2563eb", meta: "#4f46e5", tiktok: "#171717" };

/** A platform's mark and name ("Google Ads"); the mark is decorative, the name is always there for screen readers. */
export function PlatformLabel({ platform, compact = false }: { platform: string; compact?: boolean }) {
  const mark = MARKS[platform] ?? { letter: platform.charAt(0).toUpperCase(), className: "bg-neutral-500 text-white" };
  return (
    <span className="inline-flex items-center gap-1.5">
      <span
        aria-hidden="true"
        className={cn(
          "inline-flex size-4 shrink-0 items-center justify-center rounded text-[10px] font-bold",
          mark.className,
        )}
      >
        {mark.letter}
      </span>
      <span className={cn(compact && "sr-only")}>{platformTitle(platform)}</span>
    </span>
  );
}
