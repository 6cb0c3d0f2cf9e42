import { Card, CardHeader } from "@/components/ui";
import { formatDateTime, formatNumber } from "@/lib/format";
import { usePlatformQuotas, type PlatformQuota } from "./api";
import { platformTitle } from "./platforms";

/** Each platform's daily quota as this server has used it: used, remaining, and when the sliding window frees. */
export function QuotaMeter({ organizationId }: { organizationId: string }) {
  const quotas = usePlatformQuotas(organizationId);
  // The meter is an aside: while it loads, or when it cannot be had, the page goes without it.
  const items = quotas.data?.items;
  if (!Array.isArray(items)) return null;
  return (
    <Card>
      <CardHeader
        title="Platform quotas"
        description="Operations each platform counted in the last 24 hours for this server's app (every organization on it shares them). Scheduled syncs pause near the limit; what you ask for goes first."
      />
      <ul className="divide-y divide-neutral-100 px-4 pb-2" aria-label="Platform quotas">
        {items.map((quota) => (
          <QuotaRow key={quota.platform} quota={quota} />
        ))}
      </ul>
    </Card>
  );
}

export function QuotaRow({ quota }: { quota: PlatformQuota }) {
  const title = platformTitle(quota.platform);
  const share = quota.limit ? Math.min(1, quota.used / quota.limit) : null;
  return (
    <li className="py-2 text-sm">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <span className="font-medium text-neutral-900">{title}</span>
        <span className="text-neutral-600">
          {formatNumber(quota.used)} used
          {quota.limit != null && quota.remaining != null
            ? ` · ${formatNumber(quota.remaining)} of ${formatNumber(quota.limit)} remaining`
            : " · no daily limit set"}
          {quota.resets_at ? ` · frees from ${formatDateTime(quota.resets_at)}` : ""}
        </span>
      </div>
      {share != null && (
        <div
          role="meter"
          aria-label={`${title} quota used`}
          aria-valuemin={0}
          aria-valuemax={quota.limit ?? 0}
          aria-valuenow={quota.used}
          className="mt-1 h-1.5 w-full overflow-hidden rounded bg-neutral-100"
        >
          <div
            className={`h-full ${share >= 0.8 ? "bg-amber-500" : "bg-emerald-500"}`}
            style={{ width: `${share * 100}%` }}
          />
        </div>
      )}
    </li>
  );
}
