import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError } from "@/api/client";
import { DataTable, type DataColumn } from "./DataTable";
import { EmptyState } from "./States";

interface Fruit {
  id: string;
  name: string;
  count: number;
}

const FRUITS: Fruit[] = [
  { id: "a", name: "Apple", count: 3 },
  { id: "b", name: "Banana", count: 12 },
];

const COLUMNS: DataColumn<Fruit, undefined, "name" | "count">[] = [
  { id: "name", header: "Name", rowHeader: true, sortKey: "name", cell: (fruit) => fruit.name },
  {
    id: "count",
    header: "Count",
    sortKey: "count",
    title: "How many",
    cellClassName: (fruit) => (fruit.count > 10 ? "many" : undefined),
    cell: (fruit) => fruit.count,
  },
  { id: "hidden", header: "Secret", hidden: true, cell: () => "secret" },
  {
    id: "actions",
    header: "Actions",
    headerHidden: true,
    cell: (fruit) => <button type="button">Eat {fruit.name}</button>,
  },
];

describe("DataTable", () => {
  it("names the table by its caption and scopes its headers", () => {
    render(<DataTable caption="Fruit in the bowl" columns={COLUMNS} rows={FRUITS} rowKey={(f) => f.id} />);
    const table = screen.getByRole("table", { name: "Fruit in the bowl" });
    expect(
      within(table)
        .getAllByRole("columnheader")
        .map((th) => th.textContent),
    ).toEqual(["Name", "Count", "Actions"]);
    for (const th of within(table).getAllByRole("columnheader")) expect(th).toHaveAttribute("scope", "col");
    const rowHeader = within(table).getByRole("rowheader", { name: "Banana" });
    expect(rowHeader).toHaveAttribute("scope", "row");
    expect(within(table).queryByText("Secret")).not.toBeInTheDocument();
    expect(within(table).queryByText("secret")).not.toBeInTheDocument();
    expect(within(table).getByText("Actions")).toHaveClass("sr-only");
    expect(within(table).getByText("12")).toHaveClass("many");
    expect(within(table).getByText("3")).not.toHaveClass("many");
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(within(rows[2]!).getByRole("button", { name: "Eat Banana" })).toBeInTheDocument();
  });

  it("marks the sorted column and asks for a new sort when a header is activated", async () => {
    const onSort = vi.fn();
    render(
      <DataTable
        caption="Fruit"
        columns={COLUMNS}
        rows={FRUITS}
        rowKey={(f) => f.id}
        sort={{ key: "count", direction: "descending", onSort }}
      />,
    );
    const count = screen.getByRole("columnheader", { name: /Count/ });
    expect(count).toHaveAttribute("aria-sort", "descending");
    expect(screen.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "none");
    expect(screen.getByRole("columnheader", { name: "Actions" })).not.toHaveAttribute("aria-sort");
    expect(within(count).getByRole("button")).toHaveAttribute("title", "How many");
    await userEvent.setup().click(screen.getByRole("button", { name: /Name/ }));
    expect(onSort).toHaveBeenCalledWith("name");
  });

  it("has no sort buttons without a sort", () => {
    render(<DataTable caption="Fruit" columns={COLUMNS} rows={FRUITS} rowKey={(f) => f.id} />);
    expect(screen.queryByRole("button", { name: /Name/ })).not.toBeInTheDocument();
    expect(screen.getByRole("columnheader", { name: "Name" })).not.toHaveAttribute("aria-sort");
  });

  it("shows the loading, error and empty states instead of the table", () => {
    const props = { caption: "Fruit", columns: COLUMNS, rowKey: (f: Fruit) => f.id };
    const { rerender } = render(<DataTable {...props} rows={[]} loading />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading");
    expect(screen.queryByRole("table")).not.toBeInTheDocument();

    const onRetry = vi.fn();
    const error = new ApiError({
      type: "about:blank",
      title: "x",
      status: 500,
      code: "internal",
      detail: "Database unavailable",
    });
    rerender(<DataTable {...props} rows={[]} error={{ error, title: "Could not load the fruit", onRetry }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Could not load the fruit");
    expect(screen.getByRole("alert")).toHaveTextContent("Database unavailable");
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();

    rerender(<DataTable {...props} rows={[]} empty={<EmptyState title="No fruit yet" />} stateClassName="padded" />);
    expect(screen.getByText("No fruit yet")).toBeInTheDocument();
    expect(screen.getByText("No fruit yet").closest(".padded")).not.toBeNull();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();

    rerender(<DataTable {...props} rows={FRUITS} empty={<EmptyState title="No fruit yet" />} />);
    expect(screen.getByRole("table", { name: "Fruit" })).toBeInTheDocument();
    expect(screen.queryByText("No fruit yet")).not.toBeInTheDocument();
  });

  it("keeps a row's own state with the row when rows are reordered", async () => {
    function useEaten() {
      const [eaten, setEaten] = useState(false);
      return { eaten, eat: () => setEaten(true) };
    }
    const columns: DataColumn<Fruit, ReturnType<typeof useEaten>>[] = [
      { id: "name", header: "Name", cell: (fruit) => fruit.name },
      {
        id: "eat",
        header: "Eaten",
        cell: (fruit, { eaten, eat }) =>
          eaten ? (
            "eaten"
          ) : (
            <button type="button" onClick={eat}>
              Eat {fruit.name}
            </button>
          ),
      },
    ];
    const { rerender } = render(
      <DataTable caption="Fruit" columns={columns} rows={FRUITS} rowKey={(f) => f.id} useRowState={useEaten} />,
    );
    await userEvent.setup().click(screen.getByRole("button", { name: "Eat Apple" }));
    rerender(
      <DataTable
        caption="Fruit"
        columns={columns}
        rows={[...FRUITS].reverse()}
        rowKey={(f) => f.id}
        useRowState={useEaten}
      />,
    );
    const rows = screen.getAllByRole("row");
    expect(within(rows[1]!).getByRole("button", { name: "Eat Banana" })).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent("Appleeaten");
  });
});
