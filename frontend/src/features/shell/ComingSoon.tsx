import { PageHeader } from "@/components/ui";

export interface ComingSoonProps {
  title: string;
  summary: string;
  bullets: string[];
}

export const COMING_SOON: Record<string, ComingSoonProps> = {
  rules: {
    title: "Rules",
    summary: "Automation rules that watch your metrics and act for you.",
    bullets: [
      "Conditions such as “CPA above target for 3 days”",
      "Actions: pause, adjust budgets or bids, notify",
      "Dry runs and a log of every rule execution",
    ],
  },
  creative: {
    title: "Creative",
    summary: "A library for the images, videos and copy used in your ads.",
    bullets: ["Upload and tag assets", "See which creatives perform best", "Reuse assets across campaigns"],
  },
  settings: {
    title: "Settings",
    summary:
      "Defaults for this organization's marketing automation (ad platforms are connected on the Connections page).",
    bullets: ["Currency, time zone and attribution defaults", "Notification preferences"],
  },
};

export function ComingSoon({ title, summary, bullets }: ComingSoonProps) {
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title={title} />
      <section className="rounded-lg border border-dashed border-neutral-300 bg-white px-6 py-10">
        <p className="text-xs font-medium tracking-wide text-neutral-500 uppercase">Coming soon</p>
        <p className="mt-2 text-base text-neutral-900">{summary}</p>
        <p className="mt-4 text-sm text-neutral-600">What you'll find here:</p>
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-neutral-600">
          {bullets.map((b) => (
            <li key={b}>{b}</li>
          ))}
        </ul>
        <p className="mt-6 text-sm text-neutral-500">This part of adpilot is not built yet.</p>
      </section>
    </div>
  );
}

export function comingSoonScreen(key: keyof typeof COMING_SOON) {
  return function ComingSoonScreen() {
    const props = COMING_SOON[key];
    return props ? <ComingSoon {...props} /> : null;
  };
}
