import { useState } from "react";
import { Link, useSearch } from "@tanstack/react-router";
import type { UserRead } from "@/api/types";
import { buttonClasses } from "@/components/ui";
import { AuthLayout } from "./AuthLayout";
import { ResendVerification } from "./ResendVerification";
import { SignupForm } from "./SignupForm";
import { safeRedirect } from "./session";

export function SignupScreen() {
  const [user, setUser] = useState<UserRead | null>(null);
  const search = useSearch({ strict: false }) as { redirect?: string };
  const loginSearch = { redirect: safeRedirect(search.redirect) ?? undefined };

  if (user) {
    return (
      <AuthLayout title="Check your inbox" description={`We sent a verification link to ${user.email}. Open it to confirm your address.`}>
        <div className="space-y-4">
          <Link to="/login" search={loginSearch} className={buttonClasses("primary", "md", "w-full")}>
            Continue to log in
          </Link>
          <ResendVerification email={user.email} />
        </div>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title="Create your account"
      description={search.redirect?.startsWith("/invitations/") ? "Create an account to accept your invitation." : "Start automating your marketing with adpilot."}
      footer={
        <>
          Already have an account?{" "}
          <Link to="/login" search={loginSearch} className="font-medium text-neutral-900 underline-offset-4 hover:underline">
            Log in
          </Link>
        </>
      }
    >
      <SignupForm onSignedUp={setUser} />
    </AuthLayout>
  );
}
