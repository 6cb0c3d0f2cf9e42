import { useEffect, useMemo, useRef } from "react";
import { Link, useNavigate, useParams, useRouterState } from "@tanstack/react-router";
import { isApiError } from "@/api/client";
import { Alert, Card, CardBody, LoadingState, buttonClasses, useDocumentTitle } from "@/components/ui";
import {
  capturedCallbackQuery,
  clearPendingConnection,
  readPendingConnection,
  type PendingConnection,
} from "./connectFlow";
import { useCompleteConnection } from "./api";
import { isPlatform, platformTitle } from "./platforms";

/** The query parameters a platform sends back (TikTok sends `auth_code` and `code`; a denial sends `error`). */
export interface CallbackSearch {
  state?: string;
  code?: string;
  auth_code?: string;
  error?: string;
  error_description?: string;
}

/** The callback's parameters exactly as sent (not JSON-parsed: a numeric code must keep every digit). */
export function parseCallbackSearch(searchStr: string): CallbackSearch {
  const params = new URLSearchParams(searchStr);
  const out: CallbackSearch = {};
  for (const key of ["state", "code", "auth_code", "error", "error_description"] as const) {
    const value = params.get(key);
    if (value) out[key] = value;
  }
  return out;
}

/**
 * /connections/callback/$platform: where the consent page sends the browser back. It finishes the connection on the
 * server (once), then opens the organization's Connections page with the new connection's account selection.
 */
export function ConnectionCallbackScreen() {
  const { platform } = useParams({ strict: false }) as { platform: string };
  const { pathname, searchStr } = useRouterState({ select: (s) => s.location });
  const search = useMemo(
    () => parseCallbackSearch(capturedCallbackQuery(pathname) ?? searchStr),
    [pathname, searchStr],
  );
  // Read once: the pending attempt is cleared as soon as it has been used.
  const pending = useRef<PendingConnection | null | undefined>(undefined);
  if (pending.current === undefined) pending.current = readPendingConnection();
  const attempt = pending.current;

  const problem = !isPlatform(platform)
    ? { title: "Unknown ad platform", detail: `“${platform}” is not a platform adpilot connects to.` }
    : !attempt || attempt.platform !== platform
      ? {
          title: "This connection attempt was not started in this browser tab",
          detail: "Start connecting again from the Connections page of your organization.",
        }
      : !search.state
        ? {
            title: "The platform's answer is incomplete",
            detail: "It did not say which connection attempt it belongs to. Start again.",
          }
        : null;

  if (problem || !attempt || !isPlatform(platform)) {
    return (
      <CallbackLayout>
        <Alert tone="error" title={problem?.title ?? "Something went wrong"}>
          {problem?.detail}
        </Alert>
        <BackLink attempt={attempt ?? null} />
      </CallbackLayout>
    );
  }
  return <FinishConnection attempt={attempt} search={search} />;
}

function FinishConnection({ attempt, search }: { attempt: PendingConnection; search: CallbackSearch }) {
  const navigate = useNavigate();
  const finish = useCompleteConnection({
    onSettled: () => clearPendingConnection(),
    onConnected: (connection) => {
      void navigate({
        to: "/orgs/$organizationId/connections",
        params: { organizationId: attempt.organizationId },
        search: { select: connection.id },
        replace: true,
      });
    },
  });
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const code = search.code ?? search.auth_code;
    finish.mutate({
      params: { path: { organization_id: attempt.organizationId, platform: attempt.platform } },
      body: {
        state: search.state ?? "",
        ...(code && !search.error ? { code } : {}),
        ...(search.error ? { error: search.error } : {}),
        ...(search.error_description ? { error_description: search.error_description } : {}),
      },
    });
  }, [attempt, search, finish]);

  const title = platformTitle(attempt.platform);
  if (finish.isError) {
    const error = finish.error;
    const denied = isApiError(error) && error.code === "connection-denied";
    return (
      <CallbackLayout>
        <Alert
          tone={denied ? "warning" : "error"}
          title={isApiError(error) ? error.title : `Could not connect ${title}`}
        >
          {isApiError(error)
            ? (error.detail ?? (denied ? `${title} was not connected.` : null))
            : "Something went wrong. Please try again."}
        </Alert>
        <BackLink attempt={attempt} />
      </CallbackLayout>
    );
  }
  return (
    <CallbackLayout>
      <LoadingState label={`Finishing connection to ${title}…`} />
    </CallbackLayout>
  );
}

function BackLink({ attempt }: { attempt: PendingConnection | null }) {
  return attempt ? (
    <Link
      to="/orgs/$organizationId/connections"
      params={{ organizationId: attempt.organizationId }}
      className={buttonClasses("secondary", "md", "w-full")}
    >
      Back to Connections
    </Link>
  ) : (
    <Link to="/" className={buttonClasses("secondary", "md", "w-full")}>
      Go to adpilot
    </Link>
  );
}

function CallbackLayout({ children }: { children: React.ReactNode }) {
  useDocumentTitle("Connecting an ad platform");
  return (
    <div className="mx-auto max-w-lg pt-8">
      <Card>
        <CardBody className="space-y-4">
          <h1 className="text-base font-semibold text-neutral-900">Connecting an ad platform</h1>
          {children}
        </CardBody>
      </Card>
    </div>
  );
}
