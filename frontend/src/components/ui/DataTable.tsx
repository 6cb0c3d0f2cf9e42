import type { ReactNode, TdHTMLAttributes } from "react";
import { cn } from "./cn";
import { ErrorState } from "./States";
import { LoadingState } from "./Spinner";

export type SortDirection = "ascending" | "descending";

/** One column: its header, how a row's cell renders, and (optionally) the sort key its header toggles. */
export interface DataColumn<Row, State = undefined, Sort extends string = string> {
  id: string;
  header: ReactNode;
  /** The header is read by assistive technology only (an actions column). */
  headerHidden?: boolean;
  headerClassName?: string;
  cell: (row: Row, state: State, index: number) => ReactNode;
  cellClassName?: string | ((row: Row) => string | undefined);
  cellProps?: Omit<TdHTMLAttributes<HTMLTableCellElement>, "className" | "children">;
  /** The cell names its row (`<th scope="row">`). */
  rowHeader?: boolean;
  /** The column sorts by this key: its header becomes a button (needs the table's `sort`). */
  sortKey?: Sort;
  /** A tooltip for a sortable header. */
  title?: string;
  /** Leave the column out (a column only some roles or some levels see). */
  hidden?: boolean;
}

export interface DataTableSort<Sort extends string = string> {
  key: Sort;
  direction: SortDirection;
  onSort: (key: Sort) => void;
}

export interface DataTableError {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}

export interface DataTableProps<Row, State = undefined, Sort extends string = string> {
  /** What the table shows, for assistive technology (visually hidden unless `captionVisible`). */
  caption: ReactNode;
  captionVisible?: boolean;
  columns: DataColumn<Row, State, Sort>[];
  rows: readonly Row[];
  rowKey: (row: Row, index: number) => string;
  rowClassName?: (row: Row) => string | undefined;
  /**
   * A hook run once per row whose result every cell of that row receives: for rows with their own state (a
   * mutation, a dialog). It must stay the same function for the life of the table.
   */
  useRowState?: (row: Row) => State;
  sort?: DataTableSort<Sort>;
  /** Instead of the table while the rows load: `true` for the spinner, or a placeholder of one's own. */
  loading?: boolean | ReactNode;
  /** Instead of the table when the rows could not be loaded. */
  error?: DataTableError | null;
  /** Instead of the table when there are no rows (usually an `EmptyState`); without it, an empty table. */
  empty?: ReactNode;
  /** Around the loading, error and empty states (their padding). */
  stateClassName?: string;
  className?: string;
  headClassName?: string;
  bodyClassName?: string;
  wrapperClassName?: string;
}

const TABLE = "w-full text-left text-sm";
const HEAD = "border-b border-neutral-200 bg-neutral-50 text-xs tracking-wide text-neutral-500 uppercase";
const BODY = "divide-y divide-neutral-200";
const WRAPPER = "relative overflow-x-auto";

/**
 * A table of typed columns with accessible markup (a caption, scoped headers, `aria-sort` on sortable ones) and the
 * loading, error and empty states of the `States` primitives. It fetches nothing: the screen passes rows and states.
 */
export function DataTable<Row, State = undefined, Sort extends string = string>(
  props: DataTableProps<Row, State, Sort>,
) {
  const { caption, captionVisible, rows, rowKey, sort, loading, error, empty, stateClassName } = props;
  const columns = props.columns.filter((column) => !column.hidden);

  let state: ReactNode = null;
  if (loading) state = loading === true ? <LoadingState /> : loading;
  else if (error) state = <ErrorState error={error.error} title={error.title} onRetry={error.onRetry} />;
  else if (rows.length === 0 && empty !== undefined) state = empty;
  if (state !== null) return stateClassName ? <div className={stateClassName}>{state}</div> : <>{state}</>;

  return (
    <div className={props.wrapperClassName ?? WRAPPER}>
      <table className={props.className ?? TABLE}>
        <caption className={cn(!captionVisible && "sr-only")}>{caption}</caption>
        <thead className={props.headClassName ?? HEAD}>
          <tr>
            {columns.map((column) =>
              column.sortKey !== undefined && sort ? (
                <SortHeader key={column.id} column={column} sortKey={column.sortKey} sort={sort} />
              ) : (
                <th key={column.id} scope="col" className={column.headerClassName}>
                  {column.headerHidden ? <span className="sr-only">{column.header}</span> : column.header}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody className={props.bodyClassName ?? BODY}>
          {rows.map((row, index) =>
            props.useRowState ? (
              <StatefulRow
                key={rowKey(row, index)}
                row={row}
                index={index}
                columns={columns}
                rowClassName={props.rowClassName}
                useRowState={props.useRowState}
              />
            ) : (
              <Cells
                key={rowKey(row, index)}
                row={row}
                index={index}
                columns={columns}
                rowClassName={props.rowClassName}
                state={undefined as State}
              />
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}

function SortHeader<Row, State, Sort extends string>({
  column,
  sortKey,
  sort,
}: {
  column: DataColumn<Row, State, Sort>;
  sortKey: Sort;
  sort: DataTableSort<Sort>;
}) {
  const state = sort.key === sortKey ? sort.direction : "none";
  return (
    <th scope="col" aria-sort={state} className={column.headerClassName}>
      <button
        type="button"
        title={column.title}
        onClick={() => sort.onSort(sortKey)}
        className={cn(
          "inline-flex items-center gap-1 rounded uppercase hover:text-neutral-900 focus-visible:ring-2 focus-visible:ring-neutral-300 focus-visible:outline-none",
          state !== "none" && "text-neutral-900",
        )}
      >
        {column.header}
        <span aria-hidden="true" className="text-[10px]">
          {state === "ascending" ? "▲" : state === "descending" ? "▼" : "↕"}
        </span>
      </button>
    </th>
  );
}

interface RowProps<Row, State, Sort extends string> {
  row: Row;
  index: number;
  columns: DataColumn<Row, State, Sort>[];
  rowClassName?: (row: Row) => string | undefined;
}

function StatefulRow<Row, State, Sort extends string>({
  useRowState,
  ...props
}: RowProps<Row, State, Sort> & { useRowState: (row: Row) => State }) {
  const state = useRowState(props.row);
  return <Cells {...props} state={state} />;
}

function Cells<Row, State, Sort extends string>({
  row,
  index,
  columns,
  rowClassName,
  state,
}: RowProps<Row, State, Sort> & { state: State }) {
  return (
    <tr className={rowClassName?.(row)}>
      {columns.map((column) => {
        const className = typeof column.cellClassName === "function" ? column.cellClassName(row) : column.cellClassName;
        const content = column.cell(row, state, index);
        return column.rowHeader ? (
          <th key={column.id} scope="row" className={className}>
            {content}
          </th>
        ) : (
          <td key={column.id} className={className} {...column.cellProps}>
            {content}
          </td>
        );
      })}
    </tr>
  );
}
