/** A draft diff (GET /diff) as a table: each changed field in words, before and after. */
import { DataTable, type DataColumn } from "@/components/ui";
import { renderValue } from "@/features/audit/diff";
import { microsToDecimal } from "@/lib/money";
import type { DraftDiff } from "./api";
import { describePath } from "./document";

type Change = DraftDiff["changes"][number];

/**
 * A value for reading: an amount in micros (a path ending in `_micros`) as units of the account's currency ("25.5";
 * the diff carries no currency), lists and objects as compact JSON.
 */
export function describeValue(value: unknown, path = ""): string {
  if (value === undefined || value === null) return "—";
  if (path.endsWith("_micros") && typeof value === "number" && Number.isSafeInteger(value))
    return microsToDecimal(value);
  if (typeof value === "string") return value === "" ? "(empty)" : value;
  return renderValue(value);
}

const COLUMNS: DataColumn<Change>[] = [
  {
    id: "field",
    header: "Field",
    headerClassName: "py-1 pr-4 font-medium",
    cellClassName: "py-1 pr-4 align-top",
    cell: (c) => (
      <>
        <span className="font-medium text-neutral-900">{describePath(c.path)}</span>
        <span className="block font-mono text-[11px] text-neutral-400">{c.path}</span>
      </>
    ),
  },
  {
    id: "before",
    header: "Before",
    headerClassName: "py-1 pr-4 font-medium",
    cellClassName: "py-1 pr-4 align-top break-all bg-red-50 text-red-800",
    cell: (c) => describeValue(c.before, c.path),
  },
  {
    id: "after",
    header: "After",
    headerClassName: "py-1 font-medium",
    cellClassName: "py-1 align-top break-all bg-green-50 text-green-800",
    cell: (c) => describeValue(c.after, c.path),
  },
];

function isContainer(value: unknown): boolean {
  return value !== null && typeof value === "object";
}

function leaves(value: unknown, path: string): { path: string; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leaves(item, `${path}[${i}]`));
  if (isContainer(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => leaves(item, `${path}.${key}`));
  }
  return value === null || value === "" ? [] : [{ path, value }];
}

/**
 * The server reports a whole added or removed part (an ad group, a target) as one change; split it into one row per
 * field it holds, so an added ad group reads like its fields rather than as one blob of JSON.
 */
export function expandChanges(changes: readonly Change[]): Change[] {
  return changes.flatMap((change) => {
    if (isContainer(change.after) && !isContainer(change.before) && (change.before ?? null) === null) {
      const rows = leaves(change.after, change.path).map((leaf) => ({
        path: leaf.path,
        before: null,
        after: leaf.value,
      }));
      return rows.length ? rows : [change];
    }
    if (isContainer(change.before) && !isContainer(change.after) && (change.after ?? null) === null) {
      const rows = leaves(change.before, change.path).map((leaf) => ({
        path: leaf.path,
        before: leaf.value,
        after: null,
      }));
      return rows.length ? rows : [change];
    }
    return [change];
  });
}

export function DiffTable({ changes: raw }: { changes: Change[] }) {
  const changes = expandChanges(raw);
  if (changes.length === 0) return <p className="text-sm text-neutral-500">No differences between these versions.</p>;
  return (
    <DataTable
      caption="Changed fields, before and after"
      columns={COLUMNS}
      rows={changes}
      rowKey={(c) => c.path}
      className="w-full text-left text-xs"
      headClassName="text-neutral-500"
      bodyClassName=""
    />
  );
}
