import { Link } from "@tanstack/react-router";
import { buttonClasses, useDocumentTitle } from "@/components/ui";

export function NotFound() {
  useDocumentTitle("Page not found");
  return (
    <div className="flex min-h-[60vh] flex-col items-center justify-center px-4 text-center">
      <p className="text-sm font-medium text-neutral-500">404</p>
      <h1 className="mt-1 text-xl font-semibold">Page not found</h1>
      <p className="mt-1 text-sm text-neutral-500">The page you're looking for doesn't exist or has moved.</p>
      <Link to="/" className={buttonClasses("secondary", "md", "mt-6")}>
        Go home
      </Link>
    </div>
  );
}
