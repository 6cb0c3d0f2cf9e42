import { createContext, useContext, useEffect } from "react";

export const PRODUCT_NAME = "adpilot";

/** What the pages inside it belong to (an organization's name), added to their titles. */
export const DocumentTitleContext = createContext<string | null>(null);

/** The browser tab's title for a page: "Members · Acme · adpilot" (the organization only on its pages). */
export function documentTitle(page: string | null | undefined, context?: string | null): string {
  return [page, context, PRODUCT_NAME].filter((part): part is string => Boolean(part && part.trim())).join(" · ");
}

/** Name the page in the browser tab (and in screen readers' page announcements) while it is shown. */
export function useDocumentTitle(page: string | null | undefined): void {
  const context = useContext(DocumentTitleContext);
  useEffect(() => {
    if (!page) return;
    document.title = documentTitle(page, context);
  }, [page, context]);
}
