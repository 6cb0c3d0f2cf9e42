/** The draft's history: every saved version (who, when), one version's content, and the diff between any two. */
import { useState } from "react";
import { Button, Card, CardBody, CardHeader, ErrorState, LoadingState } from "@/components/ui";
import { formatDateTime } from "@/lib/format";
import { useMemberChoices } from "@/features/organizations/api";
import { useCurrentOrg } from "@/features/organizations/OrgContext";
import { useDraftDiff, useDraftVersion, useDraftVersions, type DraftRead } from "./api";
import { DiffTable, describeValue } from "./DiffTable";
import { describePath } from "./document";

const VERSION_SELECT =
  "rounded-md border border-neutral-300 bg-white px-2 py-1.5 text-sm focus:ring-2 focus:ring-neutral-200 focus:outline-none";

/** Member names by user id (the first 100 members; anyone else, or no one, is "a former member"). */
export function useMemberNames(organizationId: string): (userId: string | null | undefined) => string {
  const members = useMemberChoices(organizationId, 100);
  const names = new Map((members.data?.items ?? []).map((m) => [m.user_id, m.display_name || m.email]));
  return (userId) => (userId ? names.get(userId) : undefined) ?? "a former member";
}

export function VersionsPanel({ draft }: { draft: DraftRead }) {
  const org = useCurrentOrg();
  const versions = useDraftVersions(org.id, draft.id);
  const nameOf = useMemberNames(org.id);
  const items = versions.data?.pages.flatMap((p) => p.items) ?? [];
  const [viewing, setViewing] = useState<number | null>(null);
  const latest = draft.current_version;
  const [from, setFrom] = useState(Math.max(1, latest - 1));
  const [to, setTo] = useState(latest);

  return (
    <div className="space-y-4">
      <Card>
        <CardHeader title="Compare versions" headingLevel={3} />
        <CardBody className="space-y-3">
          {latest < 2 ? (
            <p className="text-sm text-neutral-500">There is only one version so far.</p>
          ) : (
            <>
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <label htmlFor="diff-from">From version</label>
                <select
                  id="diff-from"
                  className={VERSION_SELECT}
                  value={from}
                  onChange={(e) => setFrom(Number(e.target.value))}
                >
                  {numbers(latest).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
                <label htmlFor="diff-to">to version</label>
                <select
                  id="diff-to"
                  className={VERSION_SELECT}
                  value={to}
                  onChange={(e) => setTo(Number(e.target.value))}
                >
                  {numbers(latest).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </div>
              <VersionDiff organizationId={org.id} draftId={draft.id} from={from} to={to} />
            </>
          )}
        </CardBody>
      </Card>

      <Card>
        <CardHeader title="Versions" headingLevel={3} />
        {versions.isPending ? (
          <LoadingState label="Loading versions…" />
        ) : versions.isError ? (
          <div className="p-5">
            <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />
          </div>
        ) : (
          <ul className="divide-y divide-neutral-200">
            {items.map((v) => (
              <li key={v.id} className="px-5 py-3 text-sm">
                <div className="flex flex-wrap items-center justify-between gap-2">
                  <span>
                    <span className="font-medium text-neutral-900">Version {v.number}</span>
                    {v.number === latest && <span className="text-neutral-500"> (current)</span>}{" "}
                    <span className="text-neutral-600">
                      saved by {nameOf(v.created_by_user_id)} ·{" "}
                      <time dateTime={v.created_at}>{formatDateTime(v.created_at)}</time>
                    </span>
                  </span>
                  <span className="flex gap-2">
                    <Button
                      size="sm"
                      variant="ghost"
                      onClick={() => setViewing(viewing === v.number ? null : v.number)}
                    >
                      {viewing === v.number ? "Hide" : "View"}
                    </Button>
                    {v.number > 1 && (
                      <Button
                        size="sm"
                        variant="ghost"
                        onClick={() => {
                          setFrom(v.number - 1);
                          setTo(v.number);
                        }}
                      >
                        Changes in this version
                      </Button>
                    )}
                  </span>
                </div>
                {viewing === v.number && (
                  <VersionContent organizationId={org.id} draftId={draft.id} number={v.number} />
                )}
              </li>
            ))}
          </ul>
        )}
        {versions.hasNextPage && (
          <div className="border-t border-neutral-200 px-5 py-3">
            <Button
              variant="secondary"
              size="sm"
              pending={versions.isFetchingNextPage}
              onClick={() => void versions.fetchNextPage()}
            >
              Load more
            </Button>
          </div>
        )}
      </Card>
    </div>
  );
}

function numbers(latest: number): number[] {
  return Array.from({ length: latest }, (_, i) => latest - i);
}

function VersionDiff({
  organizationId,
  draftId,
  from,
  to,
}: {
  organizationId: string;
  draftId: string;
  from: number;
  to: number;
}) {
  const diff = useDraftDiff(organizationId, draftId, from, to, from !== to);
  if (from === to) return <p className="text-sm text-neutral-500">Choose two different versions.</p>;
  if (diff.isPending) return <LoadingState label="Comparing…" />;
  if (diff.isError) return <ErrorState error={diff.error} onRetry={() => void diff.refetch()} />;
  return <DiffTable changes={diff.data.changes} />;
}

/** Every set field of a document as "path: value" rows, in document order. */
export function flattenDocument(value: unknown, path = ""): { path: string; value: unknown }[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => flattenDocument(item, `${path}[${i}]`));
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => flattenDocument(item, path ? `${path}.${key}` : key));
  }
  return value === null || value === "" ? [] : [{ path, value }];
}

function VersionContent({
  organizationId,
  draftId,
  number,
}: {
  organizationId: string;
  draftId: string;
  number: number;
}) {
  const version = useDraftVersion(organizationId, draftId, number);
  if (version.isPending) return <LoadingState label={`Loading version ${number}…`} />;
  if (version.isError) return <ErrorState error={version.error} onRetry={() => void version.refetch()} />;
  const rows = flattenDocument(version.data.document);
  return (
    <dl className="mt-3 grid grid-cols-[minmax(0,14rem)_1fr] gap-x-4 gap-y-1 rounded-md bg-neutral-50 p-3 text-xs">
      {rows.map((row) => (
        <div key={row.path} className="contents">
          <dt className="text-neutral-500">{describePath(row.path)}</dt>
          <dd className="break-all text-neutral-900">{describeValue(row.value, row.path)}</dd>
        </div>
      ))}
    </dl>
  );
}
