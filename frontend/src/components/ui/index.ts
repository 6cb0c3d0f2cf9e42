export { Button, buttonClasses } from "./Button";
export { Field, SelectField, Select, FormError } from "./Field";
export { Card, CardHeader, CardBody, PageHeader, Badge, Alert } from "./Card";
export { Spinner, LoadingState } from "./Spinner";
export { EmptyState, ErrorState, MfaRequiredState } from "./States";
export { Dialog, DialogClose } from "./Dialog";
export { cn } from "./cn";
export { DocumentTitleContext, documentTitle, useDocumentTitle } from "./useDocumentTitle";
