import { useCallback, useMemo, useState } from "react";
import type { ChangeTarget } from "./target";

export interface Selection {
  items: ChangeTarget[];
  has: (key: string) => boolean;
  toggle: (target: ChangeTarget, on: boolean) => void;
  /** Select (or unselect) every target of a page. */
  setMany: (targets: ChangeTarget[], on: boolean) => void;
  clear: () => void;
}

/** Rows chosen for a bulk change, by key, kept across pages, accounts and platforms. */
export function useSelection(): Selection {
  const [selected, setSelected] = useState<Map<string, ChangeTarget>>(() => new Map());
  const setMany = useCallback((targets: ChangeTarget[], on: boolean) => {
    setSelected((current) => {
      const next = new Map(current);
      for (const t of targets) {
        if (on) next.set(t.key, t);
        else next.delete(t.key);
      }
      return next;
    });
  }, []);
  return useMemo(
    () => ({
      items: [...selected.values()],
      has: (key: string) => selected.has(key),
      toggle: (target: ChangeTarget, on: boolean) => setMany([target], on),
      setMany,
      clear: () => setSelected(new Map()),
    }),
    [selected, setMany],
  );
}
