/** Spend, conversions and ROAS per platform, side by side (Recharts, loaded on demand). */
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { platformTitle } from "@/features/connections/platforms";
import { axisTick, CHART_KEYS_HELP, platformRows, tooltipValue } from "../chartData";
import { metric, type MetricId } from "../metrics";
import { PLATFORM_COLORS } from "../PlatformLabel";
import type { BreakdownRow } from "../types";

const PLATFORM_METRICS: ("spend" | "conversions" | "roas")[] = ["spend", "conversions", "roas"];

export function PlatformCharts({ rows, currency }: { rows: BreakdownRow[]; currency: string }) {
  const data = platformRows(rows).map((r) => ({ ...r, title: platformTitle(r.platform) }));
  return (
    <div className="grid gap-6 lg:grid-cols-3">
      {PLATFORM_METRICS.map((key) => {
        const id: MetricId = key;
        const label = metric(id).label;
        return (
          <figure key={key} className="min-w-0">
            <figcaption className="mb-2 text-sm font-medium text-neutral-800">{label} by platform</figcaption>
            <div className="h-48">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart
                  data={data}
                  margin={{ top: 4, right: 8, bottom: 0, left: 0 }}
                  title={`${label} by platform`}
                  desc={CHART_KEYS_HELP}
                >
                  <CartesianGrid stroke="#e5e5e5" vertical={false} />
                  <XAxis dataKey="title" tick={{ fontSize: 11, fill: "#737373" }} tickLine={false} axisLine={false} />
                  <YAxis
                    tick={{ fontSize: 11, fill: "#737373" }}
                    tickLine={false}
                    axisLine={false}
                    width={56}
                    tickFormatter={(v: number) => axisTick(id, v, currency)}
                  />
                  <Tooltip
                    cursor={{ fill: "#f5f5f5" }}
                    formatter={(value) => [tooltipValue(id, typeof value === "number" ? value : null, currency), label]}
                  />
                  <Bar dataKey={key} isAnimationActive={false} radius={[3, 3, 0, 0]}>
                    {data.map((row) => (
                      <Cell key={row.platform} fill={PLATFORM_COLORS[row.platform] ?? "#737373"} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </div>
          </figure>
        );
      })}
    </div>
  );
}
