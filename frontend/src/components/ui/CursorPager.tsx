import type { ReactNode } from "react";
import { Button } from "./Button";
import { cn } from "./cn";

/** The cursor a page was read with: the last of the trail, none for the first page. */
export function currentCursor(cursors: readonly string[]): string | undefined {
  return cursors[cursors.length - 1];
}

export interface CursorPagerProps {
  /** The cursors that led to the page shown, oldest first; empty on the first page. */
  cursors: readonly string[];
  /** The answer's `next_cursor`: null or missing on the last page. */
  nextCursor: string | null | undefined;
  /** Called with the trail of the page to show (one more or one fewer cursor). */
  onChange: (cursors: string[]) => void;
  previousLabel?: string;
  nextLabel?: string;
  /** Shown between the buttons; "Page N" by default. */
  status?: ReactNode;
  /** Show the pager even when there is only one page (e.g. to keep a row count visible). */
  showOnSinglePage?: boolean;
  /** The name of the navigation landmark. */
  label?: string;
  className?: string;
}

/**
 * Back and forth through a list the server pages with opaque cursors. It only keeps the trail: the caller reads
 * the page with `currentCursor(cursors)` and owns where the trail lives (component state or the URL).
 */
export function CursorPager({
  cursors,
  nextCursor,
  onChange,
  previousLabel = "Newer",
  nextLabel = "Older",
  status,
  showOnSinglePage = false,
  label = "Pages",
  className,
}: CursorPagerProps) {
  if (!showOnSinglePage && cursors.length === 0 && !nextCursor) return null;
  return (
    <nav aria-label={label} className={cn("flex items-center justify-between gap-3", className)}>
      <Button
        variant="secondary"
        size="sm"
        disabled={cursors.length === 0}
        onClick={() => onChange(cursors.slice(0, -1))}
      >
        {previousLabel}
      </Button>
      <span aria-live="polite" className="text-xs text-neutral-500">
        {status ?? `Page ${cursors.length + 1}`}
      </span>
      <Button
        variant="secondary"
        size="sm"
        disabled={!nextCursor}
        onClick={() => nextCursor && onChange([...cursors, nextCursor])}
      >
        {nextLabel}
      </Button>
    </nav>
  );
}
