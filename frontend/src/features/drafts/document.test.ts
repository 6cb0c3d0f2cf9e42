import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/client";
import { problemsFromValidationError } from "./DraftEditor";
import { describePath, fieldId, parsePath, pathAncestors, problemsByPath, toApi, toEditable } from "./document";
import { document as makeDocument } from "./testing";

describe("draft document paths", () => {
  it("parses and describes the server's field paths", () => {
    expect(parsePath("ad_groups[0].ads[12].headlines[3]")).toEqual(["ad_groups", 0, "ads", 12, "headlines", 3]);
    expect(describePath("ad_groups[0].ads[1].headlines[3]")).toBe("Ad group 1 › Ad 2 › Headline 4");
    expect(describePath("ad_groups[0].ads[1].headlines")).toBe("Ad group 1 › Ad 2 › Headlines");
    expect(describePath("targets[1].ad_account_id")).toBe("Target 2 › Ad account");
    expect(describePath("ad_groups[2].budget.amount_micros")).toBe("Ad group 3 › Budget › Amount");
    expect(describePath("")).toBe("The draft");
  });

  it("looks for a control from the exact path up to its ancestors", () => {
    expect(pathAncestors("ad_groups[0].ads[1].final_url")).toEqual([
      "ad_groups[0].ads[1].final_url",
      "ad_groups[0].ads[1]",
      "ad_groups[0].ads",
      "ad_groups[0]",
      "ad_groups",
    ]);
    expect(fieldId("ad_groups[0].name")).toBe("draft-field-ad_groups_0__name");
  });

  it("groups problems by path", () => {
    const p = { platform: null, code: "x", message: "m", severity: "error" as const };
    const map = problemsByPath([
      { ...p, path: "name" },
      { ...p, path: "name", message: "n" },
      { ...p, path: "targets" },
    ]);
    expect(map.get("name")?.map((x) => x.message)).toEqual(["m", "n"]);
    expect(map.get("targets")).toHaveLength(1);
  });

  it("fills the defaults in and sends empty optional texts as null", () => {
    const editable = toEditable({ name: "Only a name", objective: "sales", launch_paused: true });
    expect(editable.budget).toEqual({ type: "daily", level: "campaign", amount_micros: 0 });
    expect(editable.ad_groups).toEqual([]);
    const doc = makeDocument();
    const round = toEditable(doc);
    round.ad_groups[0]!.ads[0]!.final_url = "  ";
    round.utm_template = "";
    const sent = toApi(round);
    expect(sent.ad_groups?.[0]?.ads?.[0]?.final_url).toBeNull();
    expect(sent.ad_groups?.[0]?.ads?.[0]?.call_to_action).toBeNull();
    expect(sent.utm_template).toBeNull();
  });

  it("maps 422 details on the document to problems at their paths", () => {
    const error = new ApiError({
      type: "about:blank",
      title: "Invalid",
      status: 422,
      code: "validation-error",
      errors: [
        {
          loc: ["body", "document", "ad_groups", 0, "ads", 1, "name"],
          msg: "Value error, too long",
          type: "value_error",
        },
        { loc: ["body", "base_version"], msg: "bad", type: "int" },
      ],
    });
    expect(problemsFromValidationError(error)).toEqual([
      { platform: null, path: "ad_groups[0].ads[1].name", code: "value_error", message: "too long", severity: "error" },
    ]);
  });
});
