import type { DataColumn } from "@/components/ui";
import type { Selection } from "./selection";
import type { ChangeTarget } from "./target";

/**
 * A checkbox column for choosing rows of a bulk change; its header selects (or unselects) every row of the page.
 * `targetOf` returns null for a row that cannot be changed (a removed entity).
 */
export function selectColumn<Row, State = undefined, Sort extends string = string>(
  selection: Selection,
  rows: readonly Row[],
  targetOf: (row: Row) => ChangeTarget | null,
  caption: string,
): DataColumn<Row, State, Sort> {
  const targets = rows.map(targetOf).filter((t): t is ChangeTarget => t !== null);
  const all = targets.length > 0 && targets.every((t) => selection.has(t.key));
  return {
    id: "select",
    header: (
      <input
        type="checkbox"
        className="size-4"
        aria-label={`Select all ${caption} on this page`}
        checked={all}
        disabled={targets.length === 0}
        onChange={(e) => selection.setMany(targets, e.target.checked)}
      />
    ),
    headerClassName: "w-8 py-2 pl-5",
    cellClassName: "w-8 py-3 pl-5",
    cell: (row: Row) => {
      const target = targetOf(row);
      if (!target) return null;
      return (
        <input
          type="checkbox"
          className="size-4"
          aria-label={`Select ${target.name}`}
          checked={selection.has(target.key)}
          onChange={(e) => selection.toggle(target, e.target.checked)}
        />
      );
    },
  };
}
