import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { PageHeader } from "./Card";
import { DocumentTitleContext, documentTitle } from "./useDocumentTitle";

describe("document titles", () => {
  it("name the page, its organization and the product", () => {
    expect(documentTitle("Members", "Acme")).toBe("Members · Acme · adpilot");
    expect(documentTitle("Log in")).toBe("Log in · adpilot");
    expect(documentTitle(null)).toBe("adpilot");
  });

  it("follow a page's heading, inside its organization", () => {
    render(
      <DocumentTitleContext value="Acme">
        <PageHeader title="Audit log" />
      </DocumentTitleContext>,
    );
    expect(document.title).toBe("Audit log · Acme · adpilot");
  });

  it("take a text title when the heading is not text", () => {
    render(<PageHeader title={<span>Dashboard</span>} documentTitle="Dashboard" />);
    expect(document.title).toBe("Dashboard · adpilot");
  });
});
