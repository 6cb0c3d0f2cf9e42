/** A tiny line of a metric over the range, drawn as plain SVG (no chart library in the main bundle). */
export function Sparkline({
  values,
  className,
  width = 120,
  height = 32,
}: {
  values: (number | null)[];
  className?: string;
  width?: number;
  height?: number;
}) {
  const present = values.filter((v): v is number => v !== null);
  if (values.length < 2 || present.length === 0)
    return <svg aria-hidden="true" className={className} width={width} height={height} />;
  const min = Math.min(...present);
  const max = Math.max(...present);
  const span = max - min || 1;
  const step = width / (values.length - 1);
  const pad = 2;
  // Consecutive values form segments; a null (e.g. a day without an exchange rate) breaks the line.
  const segments: string[] = [];
  let current: string[] = [];
  values.forEach((value, index) => {
    if (value === null) {
      if (current.length) segments.push(current.join(" "));
      current = [];
      return;
    }
    const x = index * step;
    const y = max === min ? height / 2 : pad + (1 - (value - min) / span) * (height - 2 * pad);
    current.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  });
  if (current.length) segments.push(current.join(" "));
  return (
    <svg
      aria-hidden="true"
      data-testid="sparkline"
      className={className}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
    >
      {segments.map((points, i) =>
        points.includes(" ") ? (
          <polyline
            key={i}
            points={points}
            fill="none"
            stroke="currentColor"
            strokeWidth={1.5}
            strokeLinejoin="round"
            strokeLinecap="round"
            vectorEffect="non-scaling-stroke"
          />
        ) : (
          <circle key={i} cx={points.split(",")[0]} cy={points.split(",")[1]} r={1.5} fill="currentColor" />
        ),
      )}
    </svg>
  );
}
