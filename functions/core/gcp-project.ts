/**
 * Google Cloud project ids, as config, constructs and functions check them: 6-30 lower-case letters,
 * digits and hyphens from a letter, not ending in a hyphen; or the legacy domain-scoped form
 * `<domain>:<id>` (`example.com:honeynet`) that organisations created before Google stopped issuing
 * them. Resource paths take either form as it is (`projects/example.com:honeynet/…`).
 * The pattern is unanchored, to sit inside a resource path's.
 */
export const GCP_PROJECT_ID_PATTERN = "(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]";
export const GCP_PROJECT_ID = new RegExp(`^${GCP_PROJECT_ID_PATTERN}$`);

/** What {@link GCP_PROJECT_ID} allows, for error messages. */
export const GCP_PROJECT_ID_RULE =
  '6-30 lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen; or a domain-scoped id such as "example.com:my-project"';

/** `example.com:my-project` → true; a plain id → false. */
export function isDomainScoped(project: string): boolean {
  return project.includes(":");
}

/** Cloud Run service names: 1-49 lower-case letters, digits and hyphens, from a letter, not ending in a hyphen. */
export const CLOUD_RUN_SERVICE_NAME = /^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/;
/** What {@link CLOUD_RUN_SERVICE_NAME} allows, for error messages. */
export const CLOUD_RUN_SERVICE_NAME_RULE = "1-49 lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen";
