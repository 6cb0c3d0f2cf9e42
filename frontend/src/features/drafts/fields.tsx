/**
 * The editor's controls. Each one edits one path of the document, carries the DOM id of that path (so a problem or a
 * comment can scroll to it) and shows the problems and review comments the server attached to that path.
 */
import { createContext, useContext, useState, type ReactNode } from "react";
import { Button, cn } from "@/components/ui";
import { currencyDigits, decimalToMicros, microsToDecimal } from "@/lib/money";
import { fieldId, type DraftProblem } from "./document";
import type { ReviewCommentRead } from "./api";

export interface EditorContextValue {
  problems: Map<string, DraftProblem[]>;
  comments: Map<string, ReviewCommentRead[]>;
  readOnly: boolean;
}

export const EditorContext = createContext<EditorContextValue>({
  problems: new Map(),
  comments: new Map(),
  readOnly: true,
});

const CONTROL =
  "block w-full rounded-md border bg-white px-3 py-2 text-sm text-neutral-900 shadow-xs placeholder:text-neutral-400 focus:outline-none focus:ring-2 disabled:bg-neutral-100 disabled:text-neutral-600";

function controlClass(invalid: boolean): string {
  return cn(
    CONTROL,
    invalid
      ? "border-red-500 focus:ring-red-200"
      : "border-neutral-300 focus:border-neutral-500 focus:ring-neutral-200",
  );
}

/** Problems of `path`, and with `nested` those of its items too (a control that edits a whole list). */
function problemsAt(problems: Map<string, DraftProblem[]>, path: string, nested: boolean): DraftProblem[] {
  if (!nested) return problems.get(path) ?? [];
  return [...problems.entries()].filter(([p]) => p === path || p.startsWith(`${path}[`)).flatMap(([, list]) => list);
}

/** The problems and comments of `path`, rendered under its control. */
export function PathNotes({ path, nested = false }: { path: string; nested?: boolean }) {
  const { problems, comments } = useContext(EditorContext);
  const own = problemsAt(problems, path, nested);
  const notes = comments.get(path) ?? [];
  if (own.length === 0 && notes.length === 0) return null;
  return (
    <ul id={`${fieldId(path)}-notes`} className="space-y-0.5 text-xs">
      {own.map((p, i) => (
        <li key={`p${i}`} className={p.severity === "error" ? "font-medium text-red-600" : "text-amber-700"}>
          {p.platform ? `${platformShort(p.platform)}: ` : ""}
          {p.message}
        </li>
      ))}
      {notes.map((c, i) => (
        <li key={`c${i}`} className="text-blue-800">
          Reviewer: {c.message}
        </li>
      ))}
    </ul>
  );
}

function platformShort(platform: string): string {
  return platform === "google" ? "Google" : platform === "meta" ? "Meta" : platform === "tiktok" ? "TikTok" : platform;
}

function useInvalid(path: string, nested = false): boolean {
  const { problems } = useContext(EditorContext);
  return problemsAt(problems, path, nested).some((p) => p.severity === "error");
}

function Labelled({
  path,
  label,
  hint,
  children,
  className,
  nested = false,
}: {
  path: string;
  label: ReactNode;
  hint?: ReactNode;
  children: ReactNode;
  className?: string;
  nested?: boolean;
}) {
  return (
    <div className={cn("space-y-1.5", className)}>
      <label htmlFor={fieldId(path)} className="block text-sm font-medium text-neutral-800">
        {label}
      </label>
      {children}
      {hint && <p className="text-xs text-neutral-500">{hint}</p>}
      <PathNotes path={path} nested={nested} />
    </div>
  );
}

export function TextInput({
  path,
  label,
  value,
  onChange,
  hint,
  maxLength,
  type = "text",
  placeholder,
  className,
  multiline = false,
}: {
  path: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  maxLength?: number;
  type?: "text" | "url" | "date" | "number";
  placeholder?: string;
  className?: string;
  multiline?: boolean;
}) {
  const { readOnly } = useContext(EditorContext);
  const invalid = useInvalid(path);
  const common = {
    id: fieldId(path),
    value,
    disabled: readOnly,
    maxLength,
    placeholder,
    "aria-invalid": invalid || undefined,
    "aria-describedby": `${fieldId(path)}-notes`,
    className: controlClass(invalid),
  };
  return (
    <Labelled path={path} label={label} hint={hint} className={className}>
      {multiline ? (
        <textarea rows={3} {...common} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input type={type} {...common} onChange={(e) => onChange(e.target.value)} />
      )}
    </Labelled>
  );
}

export function SelectInput<T extends string>({
  path,
  label,
  value,
  options,
  onChange,
  hint,
  className,
}: {
  path: string;
  label: ReactNode;
  value: T;
  options: readonly { id: T; label: string }[];
  onChange: (value: T) => void;
  hint?: ReactNode;
  className?: string;
}) {
  const { readOnly } = useContext(EditorContext);
  const invalid = useInvalid(path);
  return (
    <Labelled path={path} label={label} hint={hint} className={className}>
      <select
        id={fieldId(path)}
        value={value}
        disabled={readOnly}
        aria-invalid={invalid || undefined}
        className={controlClass(invalid)}
        onChange={(e) => onChange(e.target.value as T)}
      >
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
    </Labelled>
  );
}

/** A whole number or nothing (an age, for instance). */
export function NumberInput({
  path,
  label,
  value,
  onChange,
  min,
  max,
  step,
  hint,
}: {
  path: string;
  label: ReactNode;
  value: number | null;
  onChange: (value: number | null) => void;
  min?: number;
  max?: number;
  step?: number | "any";
  hint?: ReactNode;
}) {
  const { readOnly } = useContext(EditorContext);
  const invalid = useInvalid(path);
  return (
    <Labelled path={path} label={label} hint={hint}>
      <input
        id={fieldId(path)}
        type="number"
        min={min}
        max={max}
        step={step}
        value={value ?? ""}
        disabled={readOnly}
        aria-invalid={invalid || undefined}
        className={controlClass(invalid)}
        onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}
      />
    </Labelled>
  );
}

/**
 * An amount in the account's currency, edited as a decimal and kept as micros. Text that is not an amount with at
 * most the currency's decimals is shown as an error and not applied. The text starts from `micros` when mounted (the
 * editor is mounted again for every version it loads).
 */
export function MoneyInput({
  path,
  label,
  micros,
  currency,
  onChange,
  hint,
}: {
  path: string;
  label: ReactNode;
  micros: number | null;
  currency: string;
  onChange: (micros: number | null) => void;
  hint?: ReactNode;
}) {
  const { readOnly } = useContext(EditorContext);
  const [text, setText] = useState(micros === null ? "" : microsToDecimal(micros));
  const [error, setError] = useState<string | null>(null);
  const invalid = useInvalid(path) || error !== null;
  const digits = currencyDigits(currency);
  return (
    <Labelled path={path} label={label} hint={hint}>
      <div className="flex items-center gap-2">
        <input
          id={fieldId(path)}
          inputMode="decimal"
          value={text}
          disabled={readOnly}
          aria-invalid={invalid || undefined}
          className={controlClass(invalid)}
          onChange={(e) => {
            const next = e.target.value;
            setText(next);
            if (next.trim() === "") {
              setError(null);
              onChange(null);
              return;
            }
            const parsed = decimalToMicros(next, currency);
            if (parsed === null) {
              setError(
                digits === 0
                  ? `Enter a whole amount of ${currency}.`
                  : `Enter an amount like 12.50 (at most ${digits} decimals).`,
              );
            } else {
              setError(null);
              onChange(parsed);
            }
          }}
        />
        <span className="text-sm text-neutral-500">{currency}</span>
      </div>
      {error && <p className="text-xs font-medium text-red-600">{error}</p>}
    </Labelled>
  );
}

/** Several short texts (headlines, URLs): one input each, with add and remove. */
export function StringList({
  path,
  label,
  values,
  onChange,
  addLabel,
  max,
  maxLength,
  multiline = false,
  type = "text",
}: {
  path: string;
  label: string;
  values: string[];
  onChange: (values: string[]) => void;
  addLabel: string;
  max: number;
  maxLength: number;
  multiline?: boolean;
  type?: "text" | "url";
}) {
  const { readOnly } = useContext(EditorContext);
  const listInvalid = useInvalid(path);
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-neutral-800">{label}</legend>
      {/* The list itself is focusable so a problem about the list ("at least 3") can scroll to it. */}
      <div
        id={fieldId(path)}
        tabIndex={-1}
        className={cn("space-y-2", listInvalid && "rounded-md ring-1 ring-red-300")}
      >
        {values.map((value, index) => (
          <div key={index} className="flex items-start gap-2">
            <ListItem
              path={`${path}[${index}]`}
              label={`${label} ${index + 1}`}
              value={value}
              maxLength={maxLength}
              multiline={multiline}
              type={type}
              onChange={(next) => onChange(values.map((v, i) => (i === index ? next : v)))}
            />
            {!readOnly && (
              <Button
                variant="ghost"
                size="sm"
                aria-label={`Remove ${label.toLowerCase()} ${index + 1}`}
                onClick={() => onChange(values.filter((_, i) => i !== index))}
              >
                Remove
              </Button>
            )}
          </div>
        ))}
      </div>
      <PathNotes path={path} />
      {!readOnly && values.length < max && (
        <Button variant="secondary" size="sm" onClick={() => onChange([...values, ""])}>
          {addLabel}
        </Button>
      )}
    </fieldset>
  );
}

function ListItem({
  path,
  label,
  value,
  onChange,
  maxLength,
  multiline,
  type,
}: {
  path: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  maxLength: number;
  multiline: boolean;
  type: "text" | "url";
}) {
  const { readOnly } = useContext(EditorContext);
  const invalid = useInvalid(path);
  const common = {
    id: fieldId(path),
    "aria-label": label,
    value,
    maxLength,
    disabled: readOnly,
    "aria-invalid": invalid || undefined,
    className: controlClass(invalid),
  };
  return (
    <div className="flex-1 space-y-1">
      {multiline ? (
        <textarea rows={2} {...common} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input type={type} {...common} onChange={(e) => onChange(e.target.value)} />
      )}
      <div className="flex justify-between gap-2">
        <PathNotes path={path} />
        <span className="ml-auto text-xs text-neutral-400 tabular-nums">{[...value].length}</span>
      </div>
    </div>
  );
}

/**
 * Codes typed as a comma-separated list ("US, CA"), normalized by `normalize` (upper or lower case). The text is kept
 * as typed while editing; the list is what the document holds.
 */
export function TokenInput({
  path,
  label,
  values,
  onChange,
  normalize,
  hint,
  placeholder,
}: {
  path: string;
  label: ReactNode;
  values: string[];
  onChange: (values: string[]) => void;
  normalize: (token: string) => string;
  hint?: ReactNode;
  placeholder?: string;
}) {
  const { readOnly } = useContext(EditorContext);
  const [text, setText] = useState(values.join(", "));
  const invalid = useInvalid(path, true);
  return (
    <Labelled path={path} label={label} hint={hint} nested>
      <input
        id={fieldId(path)}
        value={text}
        placeholder={placeholder}
        disabled={readOnly}
        aria-invalid={invalid || undefined}
        className={controlClass(invalid)}
        onChange={(e) => {
          setText(e.target.value);
          onChange(splitTokens(e.target.value, normalize));
        }}
      />
    </Labelled>
  );
}

export function splitTokens(text: string, normalize: (token: string) => string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[,\s]+/)) {
    const token = normalize(raw.trim());
    if (token && !out.includes(token)) out.push(token);
  }
  return out;
}
