import { useState } from "react";
import { Link, useSearch } from "@tanstack/react-router";
import { buttonClasses } from "@/components/ui";
import { AuthLayout } from "./AuthLayout";
import { ResendVerification } from "./ResendVerification";
import { SignupForm } from "./SignupForm";
import { safeRedirect } from "./session";

export function SignupScreen() {
  const [email, setEmail] = useState<string | null>(null);
  const search = useSearch({ strict: false }) as { redirect?: string };
  const loginSearch = { redirect: safeRedirect(search.redirect) ?? undefined };

  if (email) {
    return (
      <AuthLayout
        title="Check your inbox"
        description={`We sent a message to ${email}: open its link to confirm your address (if the address already has an account, the message says how to log in instead).`}
      >
        <div className="space-y-4">
          <Link to="/login" search={loginSearch} className={buttonClasses("primary", "md", "w-full")}>
            Continue to log in
          </Link>
          <ResendVerification email={email} />
        </div>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title="Create your account"
      description={
        search.redirect?.startsWith("/invitations/")
          ? "Create an account to accept your invitation."
          : "Start automating your marketing with adpilot."
      }
      footer={
        <>
          Already have an account?{" "}
          <Link
            to="/login"
            search={loginSearch}
            className="font-medium text-neutral-900 underline-offset-4 hover:underline"
          >
            Log in
          </Link>
        </>
      }
    >
      <SignupForm onSignedUp={setEmail} />
    </AuthLayout>
  );
}
