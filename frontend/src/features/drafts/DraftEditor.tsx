/**
 * The draft's form. It edits a copy of the version it was opened on; Save sends that version as `base_version`, so a
 * save on top of someone else's newer version is refused (409) and the person chooses: see what changed, or reload.
 */
import { useCallback, useEffect, useMemo, useState, type FormEvent } from "react";
import { useBlocker } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import { Alert, Button, FormError } from "@/components/ui";
import { describeError } from "@/lib/forms";
import { useConnections } from "@/features/connections/api";
import { useCurrentOrg } from "@/features/organizations/OrgContext";
import { useDraftDiff, useSaveDraft, useUtmTemplate, type DraftRead } from "./api";
import { AdGroupsSection } from "./AdGroupsSection";
import {
  BasicsSection,
  BudgetSection,
  PlatformFieldsSection,
  ScheduleSection,
  TargetingSection,
  TargetsSection,
  budgetCurrency,
  targetAccounts,
} from "./CampaignSections";
import { DiffTable } from "./DiffTable";
import { problemsByPath, toApi, toEditable, type DraftProblem, type EditableDocument } from "./document";
import { EditorContext } from "./fields";

export const LEAVE_WARNING = "Leave without saving? Your edits to this draft will be lost.";

/** 422 details on the document ("body", "document", "ad_groups", 0, "name") as problems on their paths. */
export function problemsFromValidationError(error: unknown): DraftProblem[] {
  if (!isApiError(error) || error.status !== 422) return [];
  return error.errors.flatMap((item) => {
    const at = item.loc.indexOf("document");
    if (at < 0) return [];
    let path = "";
    for (const part of item.loc.slice(at + 1)) {
      if (typeof part === "number") path += `[${part}]`;
      else path += path ? `.${part}` : String(part);
    }
    return [
      {
        platform: null,
        path,
        code: item.type,
        message: item.msg.replace(/^Value error, /, ""),
        severity: "error" as const,
      },
    ];
  });
}

export function DraftEditor({
  draft,
  readOnly,
  problems,
  onDirtyChange,
  onReload,
}: {
  draft: DraftRead;
  readOnly: boolean;
  problems: DraftProblem[];
  /** The version the unsaved edits were made on, or null when there are none. */
  onDirtyChange: (pinnedVersion: number | null) => void;
  /** Discard the edits and open the newest version. */
  onReload: () => void;
}) {
  const org = useCurrentOrg();
  const [doc, setDoc] = useState<EditableDocument>(() => toEditable(draft.document));
  const [baseVersion] = useState(draft.current_version);
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState(false);
  const [payloadProblems, setPayloadProblems] = useState<DraftProblem[]>([]);
  const save = useSaveDraft();
  const connections = useConnections(org.id);
  const utm = useUtmTemplate(org.id);

  useEffect(() => onDirtyChange(dirty ? baseVersion : null), [dirty, baseVersion, onDirtyChange]);
  useBlocker({
    shouldBlockFn: () => dirty && !window.confirm(LEAVE_WARNING),
    enableBeforeUnload: () => dirty,
  });

  const update = useCallback((mutate: (d: EditableDocument) => void) => {
    setDoc((prev) => {
      const next = structuredClone(prev);
      mutate(next);
      return next;
    });
    setDirty(true);
  }, []);

  const accounts = useMemo(() => targetAccounts(connections.data?.items ?? []), [connections.data]);
  const money = budgetCurrency(doc, accounts, org.reporting_currency);
  const context = useMemo(() => {
    const comments = new Map<string, DraftRead["comments"]>();
    for (const c of draft.comments.filter((c) => c.version === draft.current_version || c.version === baseVersion)) {
      comments.set(c.path, [...(comments.get(c.path) ?? []), c]);
    }
    return { problems: problemsByPath([...payloadProblems, ...problems]), comments, readOnly };
  }, [draft.comments, draft.current_version, baseVersion, payloadProblems, problems, readOnly]);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!doc.name.trim()) {
      setError("Name the campaign before saving.");
      return;
    }
    setError(null);
    setPayloadProblems([]);
    save.mutate(
      {
        params: { path: { organization_id: org.id, draft_id: draft.id } },
        body: { base_version: baseVersion, document: toApi(doc) },
      },
      {
        // The screen opens the saved version in a fresh editor once this one is no longer dirty.
        onSuccess: () => setDirty(false),
        onError: (err) => {
          if (isApiError(err) && err.code === "draft-version-conflict") {
            setConflict(true);
            return;
          }
          const fieldProblems = problemsFromValidationError(err);
          setPayloadProblems(fieldProblems);
          setError(
            fieldProblems.length
              ? "Some fields have values the server cannot store; they are marked below."
              : describeError(err),
          );
        },
      },
    );
  }

  return (
    <EditorContext.Provider value={context}>
      <form onSubmit={onSubmit} aria-label="Draft editor" noValidate className="space-y-4">
        {conflict && (
          <ConflictNotice
            organizationId={org.id}
            draftId={draft.id}
            baseVersion={baseVersion}
            onReload={() => {
              setDirty(false);
              onReload();
            }}
          />
        )}
        <FormError message={error} />
        <BasicsSection doc={doc} update={update} placeholders={utm.data?.placeholders ?? []} />
        <TargetsSection
          doc={doc}
          update={update}
          accounts={accounts}
          accountsState={connections.isPending ? "loading" : connections.isError ? "error" : "ready"}
        />
        <BudgetSection
          doc={doc}
          update={update}
          currency={money.currency}
          mixedCurrencies={money.mixed ? money.currencies : null}
        />
        <ScheduleSection doc={doc} update={update} />
        <TargetingSection doc={doc} update={update} />
        <AdGroupsSection doc={doc} update={update} currency={money.currency} />
        <PlatformFieldsSection doc={doc} update={update} />
        {!readOnly && (
          <div className="sticky bottom-0 flex items-center justify-end gap-3 border-t border-neutral-200 bg-white/95 px-4 py-3">
            <span className="text-sm text-neutral-500" role="status">
              {dirty ? "Unsaved changes" : `Version ${baseVersion} · saved`}
            </span>
            <Button type="submit" pending={save.isPending} disabled={!dirty || conflict}>
              Save version
            </Button>
          </div>
        )}
      </form>
    </EditorContext.Provider>
  );
}

/** Someone saved a newer version since this edit began: compare, or reload (the edits here are then lost). */
function ConflictNotice({
  organizationId,
  draftId,
  baseVersion,
  onReload,
}: {
  organizationId: string;
  draftId: string;
  baseVersion: number;
  onReload: () => void;
}) {
  const [showDiff, setShowDiff] = useState(false);
  return (
    <Alert tone="warning" title="Someone saved a newer version of this draft">
      <p>
        Your edits were made on version {baseVersion} and are not saved. Reload the newest version and make them again.
      </p>
      <div className="mt-2 flex gap-2">
        <Button size="sm" variant="secondary" onClick={() => setShowDiff((v) => !v)}>
          {showDiff ? "Hide what changed" : "Show what changed"}
        </Button>
        <Button size="sm" onClick={onReload}>
          Reload the newest version
        </Button>
      </div>
      {showDiff && <NewerChanges organizationId={organizationId} draftId={draftId} baseVersion={baseVersion} />}
    </Alert>
  );
}

function NewerChanges({
  organizationId,
  draftId,
  baseVersion,
}: {
  organizationId: string;
  draftId: string;
  baseVersion: number;
}) {
  // No to_version: the server compares with its current version, the one that won.
  const diff = useDraftDiff(organizationId, draftId, baseVersion, null);
  if (diff.isPending) return <p className="mt-2 text-sm">Loading the changes…</p>;
  if (diff.isError) return <p className="mt-2 text-sm">{describeError(diff.error)}</p>;
  return (
    <div className="mt-3 bg-white">
      <p className="mb-1 text-xs">
        From version {diff.data.from_version} to version {diff.data.to_version}:
      </p>
      <DiffTable changes={diff.data.changes} />
    </div>
  );
}
