import type { ReactNode } from "react";

const URL_RE = /(https?:\/\/[^\s<>"')\]]+)/g;

/** Split text into strings and <a> elements for each http(s) URL. Links to this site open in the same tab. */
export function linkify(text: string): ReactNode[] {
  const parts = text.split(URL_RE);
  return parts.map((part, i) => {
    if (i % 2 === 1) {
      const sameOrigin = typeof window !== "undefined" && part.startsWith(window.location.origin);
      return (
        <a
          key={i}
          href={part}
          className="break-all text-blue-700 underline underline-offset-2"
          {...(sameOrigin ? {} : { target: "_blank", rel: "noreferrer" })}
        >
          {part}
        </a>
      );
    }
    return part;
  });
}
