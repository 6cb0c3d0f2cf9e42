/** The entity browser's state lives in the URL: which account, where in the tree, the name filter, removed or not. */
export interface CampaignsSearch {
  /** The ad account (our id). */
  account?: string;
  /** The campaign whose ad groups are shown (its platform id) and its name for the breadcrumb. */
  campaign?: string;
  campaignName?: string;
  /** The ad group whose ads are shown (its platform id) and its name. */
  adGroup?: string;
  adGroupName?: string;
  /** Name filter. */
  q?: string;
  /** Show removed entities too. */
  removed?: boolean;
}

/** Search params arrive JSON-parsed (a numeric id becomes a number): accept strings and numbers. */
function str(value: unknown): string | undefined {
  if (typeof value === "string") return value || undefined;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

export function parseCampaignsSearch(search: Record<string, unknown>): CampaignsSearch {
  const out: CampaignsSearch = {};
  const account = str(search.account);
  const campaign = str(search.campaign);
  const adGroup = campaign ? str(search.adGroup) : undefined;
  if (account) out.account = account;
  if (campaign) {
    out.campaign = campaign;
    const name = str(search.campaignName);
    if (name) out.campaignName = name;
  }
  if (adGroup) {
    out.adGroup = adGroup;
    const name = str(search.adGroupName);
    if (name) out.adGroupName = name;
  }
  const q = str(search.q);
  if (q) out.q = q;
  if (search.removed === true || search.removed === "true") out.removed = true;
  return out;
}
