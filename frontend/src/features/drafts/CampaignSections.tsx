/** The campaign-level sections of the draft editor: basics, targets, budget, bidding, schedule, targeting, and the
 * fields of each platform that the unified model does not carry. */
import { useContext, type ReactNode } from "react";
import { Alert, Card, CardBody, CardHeader } from "@/components/ui";
import { PLATFORMS, platformTitle } from "@/features/connections/platforms";
import type { ConnectionRead } from "@/features/connections/types";
import {
  BID_STRATEGIES,
  OBJECTIVES,
  fieldId,
  strategyTakesAmount,
  type DraftPlatform,
  type EditableDocument,
  type EditableTargeting,
  type Gender,
} from "./document";
import { EditorContext, MoneyInput, NumberInput, PathNotes, SelectInput, TextInput, TokenInput } from "./fields";

export type Update = (mutate: (doc: EditableDocument) => void) => void;

export interface TargetAccount {
  id: string;
  name: string;
  platform: DraftPlatform;
  platform_account_id: string;
  currency: string;
  managed: boolean;
}

/** Every ad account of the organization's connections, managed ones first, by name. */
export function targetAccounts(connections: readonly ConnectionRead[]): TargetAccount[] {
  return connections
    .flatMap((c) => c.accounts.map((a) => ({ ...a, platform: c.platform })))
    .sort((a, b) => Number(b.managed) - Number(a.managed) || a.name.localeCompare(b.name));
}

export function Section({
  title,
  description,
  children,
}: {
  title: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <Card>
      <CardHeader title={title} description={description} />
      <CardBody className="space-y-4">{children}</CardBody>
    </Card>
  );
}

export function BasicsSection({
  doc,
  update,
  placeholders,
}: {
  doc: EditableDocument;
  update: Update;
  placeholders: string[];
}) {
  const { readOnly } = useContext(EditorContext);
  return (
    <Section title="Campaign">
      <TextInput
        path="name"
        label="Campaign name"
        value={doc.name}
        maxLength={255}
        onChange={(v) => update((d) => void (d.name = v))}
      />
      <SelectInput
        path="objective"
        label="Objective"
        value={doc.objective}
        options={OBJECTIVES}
        onChange={(v) => update((d) => void (d.objective = v))}
        hint="Mapped to each platform's own objective when published."
      />
      <TextInput
        path="utm_template"
        label="URL template for this draft"
        value={doc.utm_template ?? ""}
        maxLength={1000}
        placeholder="Empty: the organization's template"
        onChange={(v) => update((d) => void (d.utm_template = v))}
        hint={
          placeholders.length
            ? `Added to every final URL. Placeholders: ${placeholders.map((p) => `{${p}}`).join(", ")}.`
            : "Added to every final URL."
        }
      />
      <label className="flex items-center gap-2 text-sm text-neutral-700">
        <input
          type="checkbox"
          className="size-4"
          disabled={readOnly}
          checked={doc.launch_paused}
          onChange={(e) => update((d) => void (d.launch_paused = e.target.checked))}
        />
        Publish paused (switch it on on each platform when ready)
      </label>
    </Section>
  );
}

export function TargetsSection({
  doc,
  update,
  accounts,
  accountsState,
}: {
  doc: EditableDocument;
  update: Update;
  accounts: TargetAccount[];
  accountsState: "loading" | "error" | "ready";
}) {
  const { readOnly } = useContext(EditorContext);
  return (
    <Section title="Platforms and ad accounts" description="One campaign is created on each chosen platform.">
      <div id={fieldId("targets")} tabIndex={-1} className="space-y-3">
        {accountsState === "error" && <Alert tone="warning">Could not load the ad accounts; try again later.</Alert>}
        {PLATFORMS.map((platform) => {
          const index = doc.targets.findIndex((t) => t.platform === platform.id);
          const target = index >= 0 ? doc.targets[index] : undefined;
          const choices = accounts.filter((a) => a.platform === platform.id);
          const path = `targets[${index}].ad_account_id`;
          return (
            <div
              key={platform.id}
              className="flex flex-wrap items-start gap-4 rounded-md border border-neutral-200 p-3"
            >
              <label className="flex w-40 items-center gap-2 pt-2 text-sm font-medium text-neutral-800">
                <input
                  type="checkbox"
                  className="size-4"
                  checked={Boolean(target)}
                  disabled={readOnly}
                  onChange={(e) =>
                    update((d) => {
                      if (e.target.checked)
                        d.targets.push({ platform: platform.id, ad_account_id: choices[0]?.id ?? null });
                      else d.targets = d.targets.filter((t) => t.platform !== platform.id);
                    })
                  }
                />
                {platform.title}
              </label>
              {target && (
                <div className="min-w-64 flex-1 space-y-1">
                  <label htmlFor={fieldId(path)} className="sr-only">
                    {platform.title} ad account
                  </label>
                  <select
                    id={fieldId(path)}
                    value={target.ad_account_id ?? ""}
                    disabled={readOnly || accountsState === "loading"}
                    className="block w-full rounded-md border border-neutral-300 bg-white px-3 py-2 text-sm disabled:bg-neutral-100"
                    onChange={(e) =>
                      update((d) => {
                        const t = d.targets.find((x) => x.platform === platform.id);
                        if (t) t.ad_account_id = e.target.value || null;
                      })
                    }
                  >
                    <option value="">
                      {accountsState === "loading"
                        ? "Loading ad accounts…"
                        : choices.length
                          ? "Choose an ad account"
                          : `No ${platform.title} account connected`}
                    </option>
                    {target.ad_account_id && !choices.some((a) => a.id === target.ad_account_id) && (
                      <option value={target.ad_account_id}>An account no longer connected</option>
                    )}
                    {choices.map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name} ({a.platform_account_id}, {a.currency}){a.managed ? "" : " — not managed"}
                      </option>
                    ))}
                  </select>
                  <PathNotes path={path} />
                </div>
              )}
            </div>
          );
        })}
      </div>
      <PathNotes path="targets" />
    </Section>
  );
}

/** The budget's currency: the first target account's; a note when the chosen accounts do not share one. */
export function budgetCurrency(doc: EditableDocument, accounts: TargetAccount[], fallback: string) {
  const currencies = [
    ...new Set(
      doc.targets
        .map((t) => accounts.find((a) => a.id === t.ad_account_id)?.currency)
        .filter((c): c is string => Boolean(c)),
    ),
  ];
  return { currency: currencies[0] ?? fallback, mixed: currencies.length > 1, currencies };
}

export function BudgetSection({
  doc,
  update,
  currency,
  mixedCurrencies,
}: {
  doc: EditableDocument;
  update: Update;
  currency: string;
  mixedCurrencies: string[] | null;
}) {
  const atCampaign = doc.budget.level === "campaign";
  return (
    <Section title="Budget and bidding">
      {mixedCurrencies && (
        <Alert tone="warning">
          The chosen ad accounts use different currencies ({mixedCurrencies.join(", ")}): each account receives this
          amount in its own currency.
        </Alert>
      )}
      <div className="grid gap-4 sm:grid-cols-3">
        <SelectInput
          path="budget.type"
          label="Budget type"
          value={doc.budget.type}
          options={[
            { id: "daily", label: "Daily" },
            { id: "lifetime", label: "Lifetime" },
          ]}
          onChange={(v) =>
            update((d) => {
              d.budget.type = v;
              for (const g of d.ad_groups) if (g.budget) g.budget.type = v;
            })
          }
        />
        <SelectInput
          path="budget.level"
          label="Budget level"
          value={doc.budget.level}
          options={[
            { id: "campaign", label: "Campaign" },
            { id: "ad_group", label: "Each ad group / ad set" },
          ]}
          onChange={(v) =>
            update((d) => {
              d.budget.level = v;
              // Each ad group gets a budget of its own, or loses it when the campaign holds the budget again.
              for (const g of d.ad_groups) {
                if (v === "campaign") g.budget = null;
                else if (!g.budget) g.budget = { type: d.budget.type, level: "ad_group", amount_micros: 0 };
              }
            })
          }
        />
        {atCampaign && (
          <MoneyInput
            path="budget.amount_micros"
            label={doc.budget.type === "daily" ? "Daily budget" : "Lifetime budget"}
            micros={doc.budget.amount_micros}
            currency={currency}
            onChange={(v) => update((d) => void (d.budget.amount_micros = v ?? 0))}
          />
        )}
      </div>
      <div className="grid gap-4 sm:grid-cols-3">
        <SelectInput
          path="bidding.strategy"
          label="Bid strategy"
          value={doc.bidding.strategy}
          options={BID_STRATEGIES}
          onChange={(v) =>
            update((d) => {
              d.bidding.strategy = v;
              if (!strategyTakesAmount(v)) d.bidding.amount_micros = null;
              if (v !== "target_roas") d.bidding.target_roas = null;
            })
          }
        />
        {strategyTakesAmount(doc.bidding.strategy) && (
          <MoneyInput
            path="bidding.amount_micros"
            label={doc.bidding.strategy === "target_cpa" ? "Target cost per action" : "Bid amount"}
            micros={doc.bidding.amount_micros}
            currency={currency}
            onChange={(v) => update((d) => void (d.bidding.amount_micros = v))}
          />
        )}
        {doc.bidding.strategy === "target_roas" && (
          <NumberInput
            path="bidding.target_roas"
            label="Target ROAS"
            value={doc.bidding.target_roas}
            min={0.01}
            max={1000}
            step="any"
            hint="Revenue per unit of spend, e.g. 3.5 for 350 %."
            onChange={(v) => update((d) => void (d.bidding.target_roas = v))}
          />
        )}
      </div>
    </Section>
  );
}

export function ScheduleSection({ doc, update }: { doc: EditableDocument; update: Update }) {
  return (
    <Section title="Schedule">
      <div className="grid gap-4 sm:grid-cols-2">
        <TextInput
          path="schedule.start_date"
          type="date"
          label="Start date"
          value={doc.schedule.start_date ?? ""}
          hint="Empty: as soon as it is published."
          onChange={(v) => update((d) => void (d.schedule.start_date = v || null))}
        />
        <TextInput
          path="schedule.end_date"
          type="date"
          label="End date"
          value={doc.schedule.end_date ?? ""}
          hint="Empty: runs until stopped (a lifetime budget needs one)."
          onChange={(v) => update((d) => void (d.schedule.end_date = v || null))}
        />
      </div>
    </Section>
  );
}

const GENDERS: readonly { id: Gender; label: string }[] = [
  { id: "female", label: "Women" },
  { id: "male", label: "Men" },
];

/** Targeting controls for `prefix` ("targeting" or "ad_groups[0].targeting"). */
export function TargetingFields({
  prefix,
  targeting,
  onChange,
}: {
  prefix: string;
  targeting: EditableTargeting;
  onChange: (mutate: (t: EditableTargeting) => void) => void;
}) {
  const { readOnly } = useContext(EditorContext);
  return (
    <div className="space-y-4">
      <div className="grid gap-4 sm:grid-cols-2">
        <TokenInput
          path={`${prefix}.locations`}
          label="Locations"
          values={targeting.locations}
          normalize={(t) => t.toUpperCase()}
          placeholder="US, CA, GB"
          hint="Country codes (ISO 3166-1), separated by commas."
          onChange={(v) => onChange((t) => void (t.locations = v))}
        />
        <TokenInput
          path={`${prefix}.languages`}
          label="Languages"
          values={targeting.languages}
          normalize={(t) => t.toLowerCase()}
          placeholder="en, fr"
          hint="Two-letter language codes; empty: every language."
          onChange={(v) => onChange((t) => void (t.languages = v))}
        />
      </div>
      <div className="grid gap-4 sm:grid-cols-3">
        <NumberInput
          path={`${prefix}.age_min`}
          label="Minimum age"
          value={targeting.age_min}
          min={13}
          max={65}
          onChange={(v) => onChange((t) => void (t.age_min = v))}
        />
        <NumberInput
          path={`${prefix}.age_max`}
          label="Maximum age"
          value={targeting.age_max}
          min={13}
          max={65}
          hint="65 means 65 and over."
          onChange={(v) => onChange((t) => void (t.age_max = v))}
        />
        <fieldset id={fieldId(`${prefix}.genders`)} tabIndex={-1} className="space-y-1.5">
          <legend className="text-sm font-medium text-neutral-800">Genders</legend>
          {GENDERS.map((g) => (
            <label key={g.id} className="flex items-center gap-2 text-sm text-neutral-700">
              <input
                type="checkbox"
                className="size-4"
                disabled={readOnly}
                checked={targeting.genders.includes(g.id)}
                onChange={(e) =>
                  onChange((t) => {
                    t.genders = e.target.checked ? [...t.genders, g.id] : t.genders.filter((x) => x !== g.id);
                  })
                }
              />
              {g.label}
            </label>
          ))}
          <p className="text-xs text-neutral-500">None ticked: everyone.</p>
          <PathNotes path={`${prefix}.genders`} />
        </fieldset>
      </div>
      <TokenInput
        path={`${prefix}.placements`}
        label="Placements"
        values={targeting.placements}
        normalize={(t) => t}
        placeholder="facebook_feed, instagram_stories"
        hint="Meta and TikTok placements, separated by commas; empty: automatic placements."
        onChange={(v) => onChange((t) => void (t.placements = v))}
      />
    </div>
  );
}

export function TargetingSection({ doc, update }: { doc: EditableDocument; update: Update }) {
  return (
    <Section title="Targeting" description="Ad groups use this targeting unless they set their own.">
      <TargetingFields prefix="targeting" targeting={doc.targeting} onChange={(m) => update((d) => m(d.targeting))} />
    </Section>
  );
}

/** Fields one platform needs that the unified model does not carry; shown for each targeted platform. */
export function PlatformFieldsSection({ doc, update }: { doc: EditableDocument; update: Update }) {
  const platforms = doc.targets.map((t) => t.platform);
  if (platforms.length === 0) return null;
  const o = doc.platform_overrides;
  return (
    <Section title="Per-platform fields" description="Settings only one platform has.">
      {platforms.includes("google") && (
        <PlatformBox title={platformTitle("google")}>
          <TextInput
            path="platform_overrides.google.advertising_channel_type"
            label="Channel type"
            value={o.google?.advertising_channel_type ?? "SEARCH"}
            maxLength={32}
            onChange={(v) => update((d) => void (google(d).advertising_channel_type = v))}
          />
          <TextInput
            path="platform_overrides.google.path1"
            label="Display path 1"
            value={o.google?.path1 ?? ""}
            maxLength={100}
            onChange={(v) => update((d) => void (google(d).path1 = v || null))}
          />
          <TextInput
            path="platform_overrides.google.path2"
            label="Display path 2"
            value={o.google?.path2 ?? ""}
            maxLength={100}
            onChange={(v) => update((d) => void (google(d).path2 = v || null))}
          />
        </PlatformBox>
      )}
      {platforms.includes("meta") && (
        <PlatformBox title={platformTitle("meta")}>
          <TokenInput
            path="platform_overrides.meta.special_ad_categories"
            label="Special ad categories"
            values={o.meta?.special_ad_categories ?? []}
            normalize={(t) => t.toUpperCase()}
            placeholder="HOUSING, EMPLOYMENT"
            hint="Required by Meta for credit, employment, housing and social issue ads."
            onChange={(v) => update((d) => void (meta(d).special_ad_categories = v))}
          />
          <TextInput
            path="platform_overrides.meta.billing_event"
            label="Billing event"
            value={o.meta?.billing_event ?? "IMPRESSIONS"}
            maxLength={32}
            onChange={(v) => update((d) => void (meta(d).billing_event = v))}
          />
          <TextInput
            path="platform_overrides.meta.optimization_goal"
            label="Optimization goal"
            value={o.meta?.optimization_goal ?? ""}
            maxLength={64}
            onChange={(v) => update((d) => void (meta(d).optimization_goal = v || null))}
          />
          <TextInput
            path="platform_overrides.meta.page_id"
            label="Facebook Page id"
            value={o.meta?.page_id ?? ""}
            maxLength={64}
            onChange={(v) => update((d) => void (meta(d).page_id = v || null))}
          />
        </PlatformBox>
      )}
      {platforms.includes("tiktok") && (
        <PlatformBox title={platformTitle("tiktok")}>
          <TextInput
            path="platform_overrides.tiktok.identity_id"
            label="Identity id"
            value={o.tiktok?.identity_id ?? ""}
            maxLength={64}
            onChange={(v) => update((d) => void (tiktok(d).identity_id = v || null))}
          />
          <TextInput
            path="platform_overrides.tiktok.display_name"
            label="Display name"
            value={o.tiktok?.display_name ?? ""}
            maxLength={200}
            onChange={(v) => update((d) => void (tiktok(d).display_name = v || null))}
          />
          <TextInput
            path="platform_overrides.tiktok.app_name"
            label="App name"
            value={o.tiktok?.app_name ?? ""}
            maxLength={200}
            onChange={(v) => update((d) => void (tiktok(d).app_name = v || null))}
          />
        </PlatformBox>
      )}
    </Section>
  );
}

function PlatformBox({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="grid gap-4 rounded-md border border-neutral-200 p-3 sm:grid-cols-2">
      <legend className="px-1 text-sm font-semibold text-neutral-900">{title}</legend>
      {children}
    </fieldset>
  );
}

function google(d: EditableDocument) {
  return (d.platform_overrides.google ??= { advertising_channel_type: "SEARCH", path1: null, path2: null });
}
function meta(d: EditableDocument) {
  return (d.platform_overrides.meta ??= {
    special_ad_categories: [],
    billing_event: "IMPRESSIONS",
    optimization_goal: null,
    page_id: null,
  });
}
function tiktok(d: EditableDocument) {
  return (d.platform_overrides.tiktok ??= { identity_id: null, display_name: null, app_name: null });
}
