import { useNavigate } from "@tanstack/react-router";
import { Card, CardBody, useDocumentTitle } from "@/components/ui";
import { CreateOrgForm } from "./CreateOrgForm";
import { setLastOrgId } from "./lastOrg";

export function OnboardingScreen() {
  const navigate = useNavigate();
  useDocumentTitle("Create your first organization");
  return (
    <div className="mx-auto max-w-lg py-8">
      <h1 className="text-xl font-semibold tracking-tight text-neutral-900">Create your first organization</h1>
      <p className="mt-1 text-sm text-neutral-500">
        An organization holds your campaigns, rules and team. You can invite teammates once it exists. If someone
        invited you, open the link in their invitation email instead.
      </p>
      <Card className="mt-6">
        <CardBody className="py-6">
          <CreateOrgForm
            onCreated={(org) => {
              setLastOrgId(org.id);
              void navigate({ to: "/orgs/$organizationId", params: { organizationId: org.id } });
            }}
          />
        </CardBody>
      </Card>
    </div>
  );
}
