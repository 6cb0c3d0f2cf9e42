const KEY = "adpilot.lastOrganizationId";

export function getLastOrgId(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setLastOrgId(id: string): void {
  try {
    window.localStorage.setItem(KEY, id);
  } catch {
    // Storage may be unavailable (private mode); remembering the organization is only a convenience.
  }
}
