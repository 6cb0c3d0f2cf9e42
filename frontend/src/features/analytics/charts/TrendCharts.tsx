/** Spend, conversions and ROAS over time (Recharts, loaded on demand: it is a large library). */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { axisTick, CHART_KEYS_HELP, tooltipValue, trendRows } from "../chartData";
import { metric, type MetricId } from "../metrics";
import type { TimeSeries } from "../types";

const TREND_METRICS: MetricId[] = ["spend", "conversions", "roas"];

function TrendChart({ series, id, previousLabel }: { series: TimeSeries; id: MetricId; previousLabel: string | null }) {
  const data = trendRows(series.points, series.previous_points, id, series.granularity);
  const label = metric(id).label;
  // A line needs two points: a day or two (today, yesterday) is drawn as dots.
  const fewPoints = data.length < 3;
  // The chart is a keyboard stop (arrow keys move through its points): name it like its caption.
  const chartName = `${label} by ${series.granularity}`;
  return (
    <figure
      className="min-w-0"
      aria-label={`${label} by ${series.granularity}${previousLabel ? `, compared with the ${previousLabel.toLowerCase()}` : ""}`}
    >
      <figcaption className="mb-2 text-sm font-medium text-neutral-800">{label}</figcaption>
      <div className="h-52">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart
            data={data}
            margin={{ top: 4, right: 8, bottom: 0, left: 0 }}
            title={chartName}
            desc={CHART_KEYS_HELP}
          >
            <CartesianGrid stroke="#e5e5e5" vertical={false} />
            <XAxis
              dataKey="label"
              tick={{ fontSize: 11, fill: "#737373" }}
              tickLine={false}
              axisLine={false}
              minTickGap={16}
            />
            <YAxis
              tick={{ fontSize: 11, fill: "#737373" }}
              tickLine={false}
              axisLine={false}
              width={56}
              tickFormatter={(v: number) => axisTick(id, v, series.currency)}
            />
            <Tooltip
              formatter={(value, name) => [
                tooltipValue(id, typeof value === "number" ? value : null, series.currency),
                name === "previous" ? (previousLabel ?? "Previous") : "This period",
              ]}
              labelClassName="text-xs"
            />
            {previousLabel && (
              <Legend
                verticalAlign="top"
                height={20}
                iconSize={8}
                wrapperStyle={{ fontSize: 11 }}
                formatter={(v) => (v === "previous" ? previousLabel : "This period")}
              />
            )}
            <Line
              type="monotone"
              dataKey="current"
              name="current"
              stroke="#171717"
              strokeWidth={2}
              dot={fewPoints}
              connectNulls={false}
              isAnimationActive={false}
            />
            {previousLabel && (
              <Line
                type="monotone"
                dataKey="previous"
                name="previous"
                stroke="#a3a3a3"
                strokeWidth={1.5}
                strokeDasharray="4 3"
                dot={fewPoints}
                isAnimationActive={false}
              />
            )}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

export function TrendCharts({ series, previousLabel }: { series: TimeSeries; previousLabel: string | null }) {
  return (
    <div className="grid gap-6 lg:grid-cols-3">
      {TREND_METRICS.map((id) => (
        <TrendChart key={id} series={series} id={id} previousLabel={series.previous_points ? previousLabel : null} />
      ))}
    </div>
  );
}
