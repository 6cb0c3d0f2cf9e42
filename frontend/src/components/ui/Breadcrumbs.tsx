import type { ReactNode } from "react";

/** The props a crumb's link element gets: the primitive's look and the label. */
export interface CrumbLinkProps {
  className: string;
  children: ReactNode;
}

export interface Crumb {
  label: string;
  /**
   * Renders the link to the crumb's place, e.g. `(props) => <Link to={ROUTE} search={...} {...props} />`; none for the
   * current place (it is shown as plain text, marked as the current page).
   */
  link?: ((props: CrumbLinkProps) => ReactNode) | null;
}

const LINK_CLASS = "text-neutral-600 underline-offset-2 hover:text-neutral-900 hover:underline";

/** Where you are in a drill-down, each level above a link back to it. Knows no routes: each crumb brings its link. */
export function Breadcrumbs({ crumbs, label = "Breadcrumb" }: { crumbs: readonly Crumb[]; label?: string }) {
  return (
    <nav aria-label={label}>
      <ol className="flex flex-wrap items-center gap-1 text-sm">
        {crumbs.map((crumb, index) => (
          <li key={index} className="flex items-center gap-1">
            {index > 0 && (
              <span aria-hidden="true" className="text-neutral-400">
                /
              </span>
            )}
            {crumb.link ? (
              crumb.link({ className: LINK_CLASS, children: crumb.label })
            ) : (
              <span aria-current="page" className="font-medium text-neutral-900">
                {crumb.label}
              </span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
