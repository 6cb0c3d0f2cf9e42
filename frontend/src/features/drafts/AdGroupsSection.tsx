/** The ad groups (Meta: ad sets) of a draft, each with its budget, bid, optional targeting and its ads. */
import { useContext } from "react";
import { Button } from "@/components/ui";
import { emptyAd, emptyAdGroup, fieldId, type EditableAd, type EditableDocument } from "./document";
import { EditorContext, MoneyInput, PathNotes, StringList, TextInput } from "./fields";
import { Section, TargetingFields, type Update } from "./CampaignSections";

const MAX_AD_GROUPS = 50;
const MAX_ADS = 50;

export function AdGroupsSection({
  doc,
  update,
  currency,
}: {
  doc: EditableDocument;
  update: Update;
  currency: string;
}) {
  const { readOnly } = useContext(EditorContext);
  return (
    <Section title="Ad groups and ads" description="Meta calls ad groups “ad sets”.">
      <div id={fieldId("ad_groups")} tabIndex={-1} className="space-y-6">
        {doc.ad_groups.map((group, g) => {
          const prefix = `ad_groups[${g}]`;
          return (
            <fieldset key={g} id={fieldId(prefix)} className="space-y-4 rounded-md border border-neutral-200 p-4">
              <legend className="px-1 text-sm font-semibold text-neutral-900">
                Ad group {g + 1}
                {group.name ? `: ${group.name}` : ""}
              </legend>
              <PathNotes path={prefix} />
              <div className="grid gap-4 sm:grid-cols-3">
                <TextInput
                  path={`${prefix}.name`}
                  label="Ad group name"
                  value={group.name}
                  maxLength={512}
                  onChange={(v) => update((d) => void (d.ad_groups[g]!.name = v))}
                />
                {doc.budget.level === "ad_group" && (
                  <MoneyInput
                    path={`${prefix}.budget.amount_micros`}
                    label={doc.budget.type === "daily" ? "Daily budget" : "Lifetime budget"}
                    micros={group.budget?.amount_micros ?? null}
                    currency={currency}
                    onChange={(v) =>
                      update((d) => {
                        const target = d.ad_groups[g]!;
                        target.budget = { type: d.budget.type, level: "ad_group", amount_micros: v ?? 0 };
                      })
                    }
                  />
                )}
                <MoneyInput
                  path={`${prefix}.bid_amount_micros`}
                  label="Bid amount"
                  micros={group.bid_amount_micros}
                  currency={currency}
                  hint="Optional: overrides the campaign's bid."
                  onChange={(v) => update((d) => void (d.ad_groups[g]!.bid_amount_micros = v))}
                />
              </div>
              <label className="flex items-center gap-2 text-sm text-neutral-700">
                <input
                  type="checkbox"
                  className="size-4"
                  disabled={readOnly}
                  checked={group.targeting !== null}
                  onChange={(e) =>
                    update((d) => {
                      d.ad_groups[g]!.targeting = e.target.checked ? structuredClone(d.targeting) : null;
                    })
                  }
                />
                Own targeting for this ad group
              </label>
              {group.targeting && (
                <TargetingFields
                  prefix={`${prefix}.targeting`}
                  targeting={group.targeting}
                  onChange={(m) => update((d) => m(d.ad_groups[g]!.targeting!))}
                />
              )}
              <div id={fieldId(`${prefix}.ads`)} tabIndex={-1} className="space-y-4">
                {group.ads.map((ad, a) => (
                  <AdFields
                    key={a}
                    prefix={`${prefix}.ads[${a}]`}
                    index={a}
                    ad={ad}
                    onChange={(m) => update((d) => m(d.ad_groups[g]!.ads[a]!))}
                    onRemove={() => update((d) => void d.ad_groups[g]!.ads.splice(a, 1))}
                  />
                ))}
                <PathNotes path={`${prefix}.ads`} />
              </div>
              {!readOnly && (
                <div className="flex flex-wrap gap-2">
                  {group.ads.length < MAX_ADS && (
                    <Button
                      variant="secondary"
                      size="sm"
                      onClick={() => update((d) => void d.ad_groups[g]!.ads.push(emptyAd()))}
                    >
                      Add an ad
                    </Button>
                  )}
                  <Button variant="ghost" size="sm" onClick={() => update((d) => void d.ad_groups.splice(g, 1))}>
                    Remove ad group {g + 1}
                  </Button>
                </div>
              )}
            </fieldset>
          );
        })}
      </div>
      <PathNotes path="ad_groups" />
      {!readOnly && doc.ad_groups.length < MAX_AD_GROUPS && (
        <Button
          variant="secondary"
          onClick={() =>
            update((d) => {
              const group = emptyAdGroup(d.ad_groups.length);
              if (d.budget.level === "ad_group")
                group.budget = { type: d.budget.type, level: "ad_group", amount_micros: 0 };
              d.ad_groups.push(group);
            })
          }
        >
          Add an ad group
        </Button>
      )}
    </Section>
  );
}

function AdFields({
  prefix,
  index,
  ad,
  onChange,
  onRemove,
}: {
  prefix: string;
  index: number;
  ad: EditableAd;
  onChange: (mutate: (ad: EditableAd) => void) => void;
  onRemove: () => void;
}) {
  const { readOnly } = useContext(EditorContext);
  return (
    <fieldset id={fieldId(prefix)} className="space-y-4 rounded-md bg-neutral-50 p-4">
      <legend className="sr-only">Ad {index + 1}</legend>
      <div className="flex items-center justify-between">
        <h4 className="text-sm font-semibold text-neutral-900">Ad {index + 1}</h4>
        {!readOnly && (
          <Button variant="ghost" size="sm" onClick={onRemove}>
            Remove ad {index + 1}
          </Button>
        )}
      </div>
      <PathNotes path={prefix} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextInput
          path={`${prefix}.name`}
          label="Ad name"
          value={ad.name}
          maxLength={512}
          onChange={(v) => onChange((x) => void (x.name = v))}
        />
        <TextInput
          path={`${prefix}.call_to_action`}
          label="Call to action"
          value={ad.call_to_action}
          maxLength={64}
          placeholder="LEARN_MORE"
          onChange={(v) => onChange((x) => void (x.call_to_action = v))}
        />
      </div>
      <TextInput
        path={`${prefix}.final_url`}
        type="url"
        label="Final URL"
        value={ad.final_url}
        maxLength={2048}
        placeholder="https://example.com/landing"
        onChange={(v) => onChange((x) => void (x.final_url = v))}
      />
      <div className="grid gap-4 sm:grid-cols-2">
        {[0, 1].map((i) => (
          <TextInput
            key={i}
            path={`${prefix}.display_path[${i}]`}
            label={`Display path ${i + 1}`}
            value={ad.display_path[i] ?? ""}
            maxLength={100}
            hint={i === 0 ? "Google shows it after the domain: example.com/path1/path2." : undefined}
            onChange={(v) =>
              onChange((x) => {
                const parts = [x.display_path[0] ?? "", x.display_path[1] ?? ""];
                parts[i] = v;
                x.display_path = parts[1] ? parts : parts[0] ? [parts[0]] : [];
              })
            }
          />
        ))}
      </div>
      <StringList
        path={`${prefix}.headlines`}
        label="Headline"
        addLabel="Add a headline"
        values={ad.headlines}
        max={50}
        maxLength={512}
        onChange={(v) => onChange((x) => void (x.headlines = v))}
      />
      <StringList
        path={`${prefix}.descriptions`}
        label="Description"
        addLabel="Add a description"
        values={ad.descriptions}
        max={50}
        maxLength={512}
        onChange={(v) => onChange((x) => void (x.descriptions = v))}
      />
      <StringList
        path={`${prefix}.primary_texts`}
        label="Primary text"
        addLabel="Add a primary text"
        values={ad.primary_texts}
        max={50}
        maxLength={5000}
        multiline
        onChange={(v) => onChange((x) => void (x.primary_texts = v))}
      />
      <StringList
        path={`${prefix}.image_urls`}
        label="Image URL"
        addLabel="Add an image"
        type="url"
        values={ad.image_urls}
        max={20}
        maxLength={2048}
        onChange={(v) => onChange((x) => void (x.image_urls = v))}
      />
      <StringList
        path={`${prefix}.video_urls`}
        label="Video URL"
        addLabel="Add a video"
        type="url"
        values={ad.video_urls}
        max={20}
        maxLength={2048}
        onChange={(v) => onChange((x) => void (x.video_urls = v))}
      />
    </fieldset>
  );
}
