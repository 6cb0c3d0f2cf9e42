import { useState, type FormEvent } from "react";
import { isApiError } from "@/api/client";
import type { MfaSetup, SessionRead } from "@/api/types";
import {
  Alert,
  Badge,
  Button,
  Card,
  CardBody,
  CardHeader,
  EmptyState,
  ErrorState,
  Field,
  FormError,
  LoadingState,
  PageHeader,
} from "@/components/ui";
import { describeUserAgent, formatDateTime, formatRelative } from "@/lib/format";
import { formErrorsFromApi, useFormErrors } from "@/lib/forms";
import { useDisableMfa, useEnableMfa, useInvalidateMe, useRevokeSession, useSessions, useStartMfaSetup } from "./api";
import { SecurityActivityCard } from "./SecurityActivityCard";
import { useMe } from "./session";

export function SecurityScreen() {
  const me = useMe();
  const invalidateMe = useInvalidateMe();
  // Shown once, right after MFA was turned on: they outlive the switch of the card to "on".
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const mfaOn = Boolean(me.data?.mfa_enabled) || recoveryCodes !== null;
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader
        title="Security"
        description="Protect your account with two-factor authentication and review where you are signed in."
      />
      <div className="space-y-6">
        <Card>
          <CardHeader
            title="Two-factor authentication"
            description="Require a code from an authenticator app (such as 1Password, Authy or Google Authenticator) when you log in."
            actions={me.data ? <Badge tone={mfaOn ? "green" : "neutral"}>{mfaOn ? "On" : "Off"}</Badge> : null}
          />
          <CardBody>
            {recoveryCodes ? (
              <RecoveryCodes codes={recoveryCodes} onDone={() => setRecoveryCodes(null)} />
            ) : me.isPending ? (
              <LoadingState />
            ) : me.isError ? (
              <ErrorState error={me.error} onRetry={() => void me.refetch()} />
            ) : me.data.mfa_enabled ? (
              <DisableMfa />
            ) : (
              <EnableMfa
                onEnabled={(codes) => {
                  setRecoveryCodes(codes);
                  void invalidateMe();
                }}
              />
            )}
          </CardBody>
        </Card>
        <SessionsCard />
        <SecurityActivityCard />
      </div>
    </div>
  );
}

/** An SVG document as an <img> data URI; inline SVG markup without a namespace gets one (images need it). */
export function svgDataUri(svg: string): string {
  const withNs = /<svg\b[^>]*\bxmlns=/.test(svg)
    ? svg
    : svg.replace(/<svg\b/, '<svg xmlns="http://www.w3.org/2000/svg"');
  return `data:image/svg+xml;utf8,${encodeURIComponent(withNs)}`;
}

/** Two-factor authentication is off: a new authenticator secret is made only when the person asks for one. */
function EnableMfa({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const setup = useStartMfaSetup();

  if (setup.isError) return <ErrorState error={setup.error} onRetry={() => setup.mutate({})} />;
  if (setup.data) return <MfaSetupForm setup={setup.data} onEnabled={onEnabled} />;
  return (
    <div className="space-y-4">
      <p className="text-sm text-neutral-700">
        Two-factor authentication is off. Setting it up takes a minute and needs an authenticator app on your phone.
      </p>
      <Button pending={setup.isPending} onClick={() => setup.mutate({})}>
        Set up two-factor authentication
      </Button>
    </div>
  );
}

function MfaSetupForm({ setup, onEnabled }: { setup: MfaSetup; onEnabled: (codes: string[]) => void }) {
  const { formRef, errors, fail, clear } = useFormErrors();
  const enable = useEnableMfa();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get("code") ?? "").replace(/\s+/g, "");
    if (!/^\d{6}$/.test(code))
      return fail({ fields: { code: "Enter the 6-digit code from your authenticator app." }, form: null });
    clear();
    enable.mutate(
      { body: { code } },
      {
        onSuccess: (result) => onEnabled(result.recovery_codes),
        onError: (error) => {
          if (
            isApiError(error) &&
            (error.code === "invalid-mfa-code" || error.status === 401 || error.status === 400)
          ) {
            return fail({
              fields: { code: "That code is not valid. Codes change every 30 seconds — try the current one." },
              form: null,
            });
          }
          fail(formErrorsFromApi(error, ["code"]));
        },
      },
    );
  }

  return (
    <div className="grid gap-6 md:grid-cols-[auto_1fr]">
      <div className="flex flex-col items-center gap-2">
        <img
          src={svgDataUri(setup.qr_svg)}
          alt="QR code for your authenticator app"
          className="size-44 rounded-md border border-neutral-200 bg-white p-2"
        />
      </div>
      <div className="space-y-4">
        <ol className="list-decimal space-y-1 pl-5 text-sm text-neutral-700">
          <li>Scan the QR code with your authenticator app, or enter the secret key by hand.</li>
          <li>Enter the 6-digit code the app shows to confirm.</li>
        </ol>
        <div>
          <p id="mfa-secret-label" className="text-sm font-medium text-neutral-800">
            Secret key
          </p>
          <code
            aria-labelledby="mfa-secret-label"
            data-testid="mfa-secret"
            className="mt-1 block rounded-md bg-neutral-100 px-3 py-2 font-mono text-sm break-all select-all"
          >
            {setup.secret}
          </code>
        </div>
        <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
          <FormError message={errors.form} />
          <Field
            label="Authentication code"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={7}
            placeholder="123456"
            className="max-w-40 font-mono tracking-widest"
            error={errors.fields.code}
          />
          <Button type="submit" pending={enable.isPending}>
            Enable MFA
          </Button>
        </form>
      </div>
    </div>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const text = codes.join("\n");
  const download = `data:text/plain;charset=utf-8,${encodeURIComponent(`adpilot recovery codes\n\n${text}\n`)}`;
  return (
    <div className="space-y-4">
      <Alert tone="success" title="Two-factor authentication is on">
        Save these recovery codes somewhere safe. Each works once if you lose your authenticator. They won't be shown
        again.
      </Alert>
      <ul
        aria-label="Recovery codes"
        className="grid grid-cols-2 gap-2 rounded-md bg-neutral-100 p-4 font-mono text-sm sm:grid-cols-3"
      >
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <Button
          variant="secondary"
          onClick={() => {
            void navigator.clipboard?.writeText(text).then(() => setCopied(true));
          }}
        >
          {copied ? "Copied" : "Copy codes"}
        </Button>
        <a
          href={download}
          download="adpilot-recovery-codes.txt"
          className="inline-flex h-9 items-center rounded-md border border-neutral-300 bg-white px-4 text-sm font-medium text-neutral-800 hover:bg-neutral-50"
        >
          Download
        </a>
        <Button onClick={onDone}>I've saved my codes</Button>
      </div>
    </div>
  );
}

function DisableMfa() {
  const { formRef, errors, fail, clear } = useFormErrors();
  const disable = useDisableMfa();

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get("code") ?? "").replace(/\s+/g, "");
    if (!code)
      return fail({ fields: { code: "Enter a code from your authenticator app or a recovery code." }, form: null });
    clear();
    disable.mutate(
      { body: { code } },
      {
        onError: (error) => {
          if (isApiError(error) && (error.code === "invalid-mfa-code" || error.status === 401)) {
            return fail({ fields: { code: "That code is not valid." }, form: null });
          }
          fail(formErrorsFromApi(error, ["code"]));
        },
      },
    );
  }

  return (
    <div className="space-y-4">
      <p className="text-sm text-neutral-700">
        Two-factor authentication is on. To turn it off, confirm with a current code.
      </p>
      <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-4">
        <FormError message={errors.form} />
        <Field
          label="Authentication code"
          name="code"
          autoComplete="one-time-code"
          className="max-w-56 font-mono"
          error={errors.fields.code}
          description="A 6-digit code from your app, or one of your recovery codes."
        />
        <Button type="submit" variant="danger" pending={disable.isPending}>
          Disable MFA
        </Button>
      </form>
    </div>
  );
}

function SessionsCard() {
  const sessions = useSessions();
  const revoke = useRevokeSession();

  return (
    <Card>
      <CardHeader title="Sessions" description="Devices and browsers signed in to your account." />
      <CardBody>
        {sessions.isPending ? (
          <LoadingState />
        ) : sessions.isError ? (
          <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} />
        ) : sessions.data.items.length === 0 ? (
          <EmptyState title="No active sessions" />
        ) : (
          <>
            {revoke.isError && (
              <div className="mb-3">
                <Alert tone="error">Could not sign out that session. Please try again.</Alert>
              </div>
            )}
            <ul className="divide-y divide-neutral-200">
              {sessions.data.items.map((session) => (
                <SessionRow
                  key={session.id}
                  session={session}
                  pending={revoke.isPending && revoke.variables?.params.path.session_id === session.id}
                  onRevoke={() => revoke.mutate({ params: { path: { session_id: session.id } } })}
                />
              ))}
            </ul>
          </>
        )}
      </CardBody>
    </Card>
  );
}

function SessionRow({ session, pending, onRevoke }: { session: SessionRead; pending: boolean; onRevoke: () => void }) {
  const device = describeUserAgent(session.user_agent);
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 py-3">
      <div className="min-w-0">
        <p className="flex items-center gap-2 text-sm font-medium text-neutral-900">
          {device}
          {session.current && <Badge tone="blue">This device</Badge>}
        </p>
        <p className="text-xs text-neutral-500">
          {session.ip ?? "Unknown IP"} · Signed in {formatDateTime(session.created_at)} · Last active{" "}
          {formatRelative(session.last_seen_at)}
        </p>
      </div>
      {!session.current && (
        <Button
          variant="secondary"
          size="sm"
          pending={pending}
          onClick={onRevoke}
          aria-label={`Revoke session on ${device} from ${session.ip ?? "unknown IP"}`}
        >
          Revoke
        </Button>
      )}
    </li>
  );
}
