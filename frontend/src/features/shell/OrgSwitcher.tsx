import { useState } from "react";
import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import { useNavigate } from "@tanstack/react-router";
import { Dialog } from "@/components/ui";
import { formatRole } from "@/lib/format";
import { CreateOrgForm } from "@/features/organizations/CreateOrgForm";
import { useOrganizations } from "@/features/organizations/api";
import { setLastOrgId } from "@/features/organizations/lastOrg";

export function OrgSwitcher({ currentOrgId }: { currentOrgId: string | null }) {
  const navigate = useNavigate();
  const orgs = useOrganizations();
  const [createOpen, setCreateOpen] = useState(false);
  const current = orgs.data?.items.find((o) => o.id === currentOrgId) ?? null;

  function open(id: string) {
    setLastOrgId(id);
    void navigate({ to: "/orgs/$organizationId", params: { organizationId: id } });
  }

  return (
    <>
      <DropdownMenu.Root>
        <DropdownMenu.Trigger
          aria-label="Switch organization"
          className="flex w-full items-center justify-between gap-2 rounded-md border border-neutral-200 bg-white px-3 py-2 text-left text-sm shadow-xs hover:bg-neutral-50"
        >
          <span className="min-w-0">
            <span className="block truncate font-medium text-neutral-900">
              {orgs.isPending
                ? "Loading…"
                : orgs.isError
                  ? "Organizations unavailable"
                  : (current?.name ?? "Select organization")}
            </span>
            {current && <span className="block text-xs text-neutral-500">{formatRole(current.role)}</span>}
          </span>
          <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4 shrink-0 text-neutral-400">
            <path fill="currentColor" d="M10 3 6 7h8l-4-4Zm0 14 4-4H6l4 4Z" />
          </svg>
        </DropdownMenu.Trigger>
        <DropdownMenu.Portal>
          <DropdownMenu.Content
            align="start"
            sideOffset={4}
            className="z-50 min-w-60 rounded-md border border-neutral-200 bg-white p-1 shadow-lg"
          >
            <DropdownMenu.Label className="px-2 py-1.5 text-xs font-medium text-neutral-500">
              Organizations
            </DropdownMenu.Label>
            {orgs.data?.items.length === 0 && (
              <p className="px-2 py-1.5 text-sm text-neutral-500">You're not in any organization yet.</p>
            )}
            {orgs.data?.items.map((org) => (
              <DropdownMenu.Item
                key={org.id}
                onSelect={() => open(org.id)}
                className="flex cursor-pointer items-center justify-between gap-3 rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-neutral-100"
              >
                <span className="truncate">{org.name}</span>
                {org.id === currentOrgId && <span className="text-xs text-neutral-500">Current</span>}
              </DropdownMenu.Item>
            ))}
            <DropdownMenu.Separator className="my-1 h-px bg-neutral-200" />
            <DropdownMenu.Item
              onSelect={() => setCreateOpen(true)}
              className="cursor-pointer rounded px-2 py-1.5 text-sm font-medium outline-none data-[highlighted]:bg-neutral-100"
            >
              + Create organization
            </DropdownMenu.Item>
          </DropdownMenu.Content>
        </DropdownMenu.Portal>
      </DropdownMenu.Root>
      <Dialog
        open={createOpen}
        onOpenChange={setCreateOpen}
        title="Create organization"
        description="You'll be its admin and can invite your team."
      >
        <CreateOrgForm
          onCreated={(org) => {
            setCreateOpen(false);
            open(org.id);
          }}
        />
      </Dialog>
    </>
  );
}
